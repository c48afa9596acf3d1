"""Bayes-optimal learning of the rule on Rules-and-Facts data (replica symmetric, Nishimori line).

Conventions (rules and facts, part 2: learners):

* teacher w* ~ N(0, I_d) (rho = 1), inputs x ~ N(0, I_d), alpha = n/d;
* channel P(y | nu) = (1-eps) theta(y nu) + eps/2: a rule with probability 1-eps, a fact (random
  label) with probability eps; the statistician knows eps and the channel;
* order parameter q = overlap of the posterior mean with the teacher = its squared norm (Nishimori:
  m = q on the Bayes-optimal line), conjugate qhat;
* eps_gen = arccos(sqrt(q))/pi: the error on fresh rule samples of the Bayes-optimal predictor
  sign(<w>.x) (the posterior-mean direction; with a symmetric channel this is the optimal rule
  estimator's error in the RS theory).
"""
from __future__ import annotations

import sympy as sp

from ..derivation import Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic
from ..gaussian import GH, H, Npdf, gauss_avg, tidy

MODEL = "raf-bayes"

q = sp.Symbol("q", positive=True)
qh = sp.Symbol("qhat", positive=True)
alpha = sp.Symbol("alpha", positive=True)
eps = sp.Symbol("eps", nonnegative=True)
t, w, z = sp.symbols("xi w z", real=True)

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, n/d"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
]


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Rules-and-Facts: Bayes-optimal rule learning (RS)",
                   conventions=__doc__.split("Conventions (rules and facts, part 2: learners):")[1]
                   .strip(),
                   parameters=PARAMETERS, order_parameters=[q])

    # Gaussian prior: Psi_w(qhat) = E_{w*, xi} log int Dw exp(qhat w w* + sqrt(qhat) xi w
    # - qhat w^2/2), a Gaussian integral sympy does.
    b = sp.Symbol("b", real=True)
    Zw = sp.integrate(sp.exp(b * w - (1 + qh) * w**2 / 2) / sp.sqrt(2 * sp.pi),
                      (w, -sp.oo, sp.oo), conds="none")
    logZw = sp.expand(sp.expand_log(sp.log(sp.simplify(Zw)), force=True))
    Psi_w = sp.simplify(logZw.subs(b**2, qh**2 + qh))  # E over w*, xi: E b^2 = qhat(1+qhat)
    q_of_qh = sp.simplify(2 * sp.diff(Psi_w, qh))
    d.step("Gaussian prior",
           "Psi_w(qhat) = E log int Dw exp(b w - qhat w^2/2), b = qhat w* + sqrt(qhat) xi "
           "(E b^2 = qhat(1+qhat)); q = 2 dPsi_w/dqhat = qhat/(1+qhat).",
           [check_symbolic(q_of_qh - qh / (1 + qh), "q = qhat/(1+qhat)")],
           Psi_w=Psi_w, q_of_qhat=q_of_qh)

    # Channel partition function Z(y, omega, V) = int Dz P(y | omega + sqrt(V) z), V = 1 - q.
    x = -sp.sqrt(q) * t / sp.sqrt(1 - q)
    Zp = (1 - eps) * H(x) + eps / 2
    d.step("output partition function",
           "Z(+1 | omega = sqrt(q) xi, V = 1 - q) = (1-eps) H(-sqrt(q) xi/sqrt(1-q)) + eps/2; the "
           "y = -1 term equals the y = +1 term under xi -> -xi.",
           [check_numeric(sp.Integral(((1 - eps) * sp.Heaviside(sp.sqrt(q) * t + sp.sqrt(1 - q)
                                                                 * z) + eps / 2) * Npdf(z),
                                      (z, -sp.sqrt(q) * t / sp.sqrt(1 - q), sp.oo))
                          + sp.Integral((eps / 2) * Npdf(z),
                                        (z, -sp.oo, -sp.sqrt(q) * t / sp.sqrt(1 - q))),
                          Zp, [q, t, eps], [(0.3, 0.4, 0.2), (0.8, -1.1, 0.5)], 1e-20,
                          "direct Gaussian integral of the channel")],
           Z_plus=Zp)
    Psi_out = 2 * gauss_avg(Zp * sp.log(Zp), t)
    phi = -q * qh / 2 + Psi_w + alpha * Psi_out
    d.step("free entropy (Nishimori line)",
           "phi(q, qhat) = -q qhat/2 + Psi_w(qhat) + alpha Psi_out(q), Psi_out = sum_y E_xi Z log Z"
           " = 2 E_xi Z(+1) log Z(+1).", phi=phi)

    qhat_direct = tidy(2 * alpha * sp.diff(Psi_out, q))
    # Stable form (integration by parts in xi): qhat = alpha/(1-q) E sum_y (dZ/dx)^2/Z.
    stable_integrand = 2 * alpha * (1 - eps)**2 * Npdf(x) * GH(x) / (
        (1 - q) * ((1 - eps) + eps / (2 * H(x))))
    qhat_stable = gauss_avg(stable_integrand, t)
    d.step("saddle-point equation",
           "qhat = 2 alpha dPsi_out/dq (sympy); integrating by parts in xi gives the form without "
           "logarithms, qhat = (2 alpha/(1-q)) E_xi (1-eps)^2 N(x)^2/Z(+1), x = -sqrt(q) xi/"
           "sqrt(1-q), written with N(x) GH(x)/((1-eps) + eps/(2 H(x))) so it neither underflows "
           "nor divides by zero; checked against the direct derivative with mpmath.",
           [check_numeric(qhat_direct, qhat_stable, [q, alpha, eps],
                          [(0.3, 1.0, 0.2), (0.7, 2.0, 0.0), (0.95, 3.0, 0.5)], 1e-18,
                          "direct derivative equals the integrated-by-parts form",
                          breakpoints=[sp.S(0)])],
           qhat=qhat_stable)
    T = q_of_qh.subs(qh, qhat_stable)
    eps_gen = sp.acos(sp.sqrt(q)) / sp.pi
    d.step("generalization error", "eps_gen = arccos(sqrt q)/pi (m = q by Nishimori).",
           eps_gen=eps_gen)
    hints = [(sp.S(0), sp.sqrt(1 - q) / sp.sqrt(q))]
    d.kernel("fixed_point", [q], [("T_q", T), ("qhat", qhat_stable)],
             "q <- qhat(q)/(1 + qhat(q))", hints)
    # At eps = 0 exactly, eps/(2 H(x)) is 0/0 in floating point once H(x) underflows (x > 38);
    # the substituted form has no such term (the noiseless perceptron).
    T0 = T.subs(eps, 0)
    d.step("eps = 0 form",
           "At eps = 0 the stable integrand reduces to 2 alpha N(x) GH(x)/(1-q): the noiseless "
           "teacher-student perceptron. A separate kernel avoids the 0/0 of eps/(2 H(x)) when H "
           "underflows.", T_noiseless=T0)
    d.kernel("fixed_point_noiseless", [q], [("T_q", T0), ("qhat", qhat_stable.subs(eps, 0))],
             "q <- qhat(q)/(1 + qhat(q)) at eps = 0", hints)
    d.kernel("observables", [q], [("eps_gen", eps_gen)], "observables at the fixed point")
    return d
