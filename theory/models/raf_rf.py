"""Rules-and-Facts learned by random features of finite width (square loss, ridge), replica symmetric.

Conventions (rules and facts, part 2, finite width):

* data and labels as in raf-erm: x ~ N(0, I_d), teacher |w*|^2 = d, nu = w*.x/sqrt(d), alpha = n/d,
  a rule y = sign(nu) with probability 1-eps, a fact (y = +-1 at random) with probability eps;
* learner: p = psi d random features v(x) = s(F x) - mu0 (first layer F fixed, p x d, rows of unit
  norm; in the theory F has i.i.d. N(0, 1/d) entries, the same spectrum as n, d -> oo), centred
  by mu0 = E s(z) (the constant part is not modelled, as in raf-erm); only the readout a is trained,
  by ridge: min_a sum_mu (1/2)(y_mu - f(x_mu))^2 + (lam/2)|a|^2 with f(x) = a.v(x)/sqrt(p);
* Gaussian equivalence (Gaussian-covariate model, Loureiro et al. 2021): v behaves like
  mu1 F x + mustar z, z ~ N(0, I_p), with mu1 = E z s(z) and mustar^2 = E s^2 - mu0^2 - mu1^2: the
  student covariance Omega = mu1^2 F F^T + mustar^2 I_p, the student-teacher covariance Phi = mu1 F;
  the spectrum of F F^T is Marchenko-Pastur with ratio psi (theory/spectra.py);
* order parameters of the predictor's field f(x): m = E f nu = mu1 a^T F w*/sqrt(p d),
  q = E f^2 = a^T Omega a/p, and V (response); conjugates mhat, qhat, Vhat; mu1 = 1, mustar = 0 is a
  linear activation (the learner is then linear in x, with the ridge acting on a, not on w);
* eps_gen = arccos(m/sqrt q)/pi on fresh rule samples; eps_mem, eps_train_rule: fractions of
  training facts / rules whose trained prediction has the wrong sign; train_loss = minimized
  objective per sample (square loss plus ridge, divided by n).

As psi -> oo the model becomes raf-erm with the same (mu1, mustar) (the kernel limit, with
V_rf = V_erm + mustar^2/lam); the convex square loss makes replica symmetry exact.
"""
from __future__ import annotations

import sympy as sp

from ..blocks.channels.moreau import FOLD, Moreau
from ..blocks.data import RandomFeatures, explicit as _explicit, mu1, mustar, psi
from ..blocks.glm import (V, Vh, alpha, channel_hats, channel_map, free_entropy, m, mh, prior_map,
                          q, qh, xi as t)
from ..blocks.labels import RulesAndFacts, SignTeacher, eps
from ..blocks.priors.gaussian import Gaussian, lam
from ..blocks.symbols import R
from ..derivation import Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic

MODEL = "raf-rf"

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, n/d"),
    Parameter(psi, 0.0, None, lower_open=True, default=2.0,
              description="random features per dimension, p/d"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
    Parameter(lam, 0.0, None, lower_open=True, default=1.0,
              description="ridge (regularization) strength on the readout"),
    Parameter(mu1, 0.0, None, lower_open=True, default=1.0,
              description="linear coefficient of the activation, E z s(z)"),
    Parameter(mustar, 0.0, None, default=0.0,
              description="non-linear coefficient of the activation, (E s^2 - mu0^2 - mu1^2)^1/2"),
]

# (mhat, qhat, Vhat, alpha, psi, eps, lam, mu1, mustar) sample points; psi on both sides of 1
_PRIOR_SAMPLES = [
    (0.7, 0.4, 1.3, 1.5, 0.5, 0.2, 0.3, 1.0, 0.0),
    (0.4, 1.1, 0.6, 0.8, 3.0, 0.1, 0.05, 0.5, 0.6),
    (1.2, 0.2, 2.5, 2.0, 1.7, 0.3, 1.5, 0.8, 0.3),
]
_PARAM_SYMS = [alpha, psi, eps, lam, mu1, mustar]
# (alpha, psi, eps, lam, mu1, mustar) points of the square-loss reduction check
_REDUCTION_POINTS = [(1.5, 0.5, 0.2, 0.3, 1.0, 0.0), (0.8, 3.0, 0.1, 0.05, 0.5, 0.6),
                     (4.0, 1.7, 0.3, 1.5, 0.8, 0.3)]


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Rules-and-Facts: random features of finite width, "
                   "square loss and ridge (RS)",
                   conventions=__doc__.split("Conventions (rules and facts, part 2, finite "
                                             "width):")[1].strip(),
                   parameters=PARAMETERS, order_parameters=[m, q, V])
    # Blocks: random features (Gaussian equivalence, MP spectrum), the Gaussian (ridge) prior on
    # the readout, rules-and-facts labels on a sign teacher, the square-loss Moreau channel.
    data = RandomFeatures(_PARAM_SYMS, _PRIOR_SAMPLES)
    labels, channel = RulesAndFacts(SignTeacher()), Moreau("square", data.time, data.time_text)
    data.equivalence(d)
    data.activation_table(d)  # the coefficients activation=... sets (mu1, mustar) to
    Phi_prior = data.prior_term(d, Gaussian())
    P_plus = labels.record_cavity(d, q, m, t, FOLD)
    M, _, pieces = channel.envelope(d)

    Phi, Phi_ch = free_entropy(
        d, Phi_prior,
        "Phi = -m mhat + (q Vhat - V qhat)/2 + Phi_prior(mhat, qhat, Vhat) + alpha Phi_ch(m, q, "
        "V), Phi_ch = -E_{xi,y} M_V(y, sqrt(q) xi), the Gaussian average of the Moreau envelope "
        "of the square loss at time V (beta -> oo with V = beta (Q - q)); there are no private "
        "per-sample coordinates here: the non-linear part of the features lives in q. -Phi is "
        "the minimized objective per dimension.")
    # Stationarity in the conjugates is linear in (m, q, V): read off directly (sp.solve would
    # expand the implicit derivatives into sums with cancellations).
    prior_eqs = prior_map(Phi_prior)
    stat = [sp.diff(Phi, x).subs(prior_eqs) for x in (mh, qh, Vh)]
    ch_eqs = channel_map(Phi)
    data.prior_map_check(d, prior_eqs, stat)

    ch = channel.channel_integral(P_plus, pieces)
    ch_closed = channel.square_closed(labels)
    hats = channel_hats(ch_eqs, Phi_ch, ch_closed, inner=lambda e: e, outer=sp.simplify)
    d.step("square-loss channel",
           "Phi_ch = -2 int Dxi P(+1|xi) (1 - sqrt(q) xi)^2/(2(1 + V)); its Gaussian moments "
           "E P = 1/2, E P xi = (1-eps) m/sqrt(2 pi q), E P xi^2 = 1/2 give Phi_ch = -(1 + q - "
           "2 kappa m)/(2(1 + V)), kappa = (1-eps) sqrt(2/pi) (as in raf-erm with W = V). The "
           "channel map: mhat = alpha kappa/(1+V), qhat = alpha (1 + q - 2 kappa m)/(1+V)^2, "
           "Vhat = alpha/(1+V).",
           [check_numeric(ch, ch_closed, [m, q, V, eps],
                          [(0.3, 0.5, 0.8, 0.2), (-0.6, 1.7, 2.3, 0.5), (0.9, 0.95, 0.1, 0.0)],
                          1e-20, "channel integral equals its closed form",
                          breakpoints=[sp.S(0)]),
            check_symbolic(hats[2] - alpha / (1 + V), "Vhat = alpha/(1+V)")],
           Phi_ch=ch_closed, mhat=hats[0], qhat=hats[1], Vhat=hats[2])

    data.kernel_limit(d, prior_eqs)
    V_res, m_V, q_V = data.square_reduction(d, prior_eqs, hats, _REDUCTION_POINTS)

    d.kernel("prior", [mh, qh, Vh], [(n, _explicit(prior_eqs[x])) for n, x in
                                     (("m", m), ("q", q), ("V", V))],
             "Gaussian-covariate ridge prior map (mhat, qhat, Vhat) -> (m, q, V)")
    d.kernel("channel_square", [m, q, V], [("mhat", hats[0]), ("qhat", hats[1]),
                                           ("Vhat", hats[2])],
             "square-loss channel map (m, q, V) -> (mhat, qhat, Vhat)")
    d.kernel("v_equation", [V], [("residual", _explicit(V_res))],
             "square loss: the scalar equation for V (zero at the saddle point)")
    d.kernel("closed_form_square", [V], [("m", _explicit(m_V)), ("q", _explicit(q_V))],
             "square loss: m and q at the saddle point, given V")

    om_star = -V  # prox (omega + V y)/(1 + V) changes sign at y omega = -V
    eps_gen = SignTeacher.gen_error(m, q)
    eps_mem, rule_wrong = labels.train_errors(om_star, q, m, t)
    phi_val = _explicit(Phi.subs(Phi_ch, ch_closed))
    d.step("observables",
           "The trained prediction on a training sample is the prox (omega + V y)/(1 + V) of its "
           "cavity field omega = sqrt(q) xi: wrong sign iff y omega < -V. Facts (y independent of "
           "xi): eps_mem = H(V/sqrt q); rules: eps_train_rule = 2 int_{-oo}^{-V/sqrt q} Dxi "
           "H(-m xi/sqrt(q - m^2)); eps_gen = arccos(m/sqrt q)/pi; train_loss = -Phi/alpha.",
           eps_gen=eps_gen, eps_mem=eps_mem, eps_train_rule=rule_wrong,
           train_loss=-phi_val / alpha)
    label_hints = [tuple(e.xreplace({R: m}) for e in h) for h in labels.hints()]
    d.kernel("observables", [m, q, V, mh, qh, Vh],
             [("eps_gen", eps_gen), ("eps_mem", eps_mem), ("eps_train_rule", rule_wrong),
              ("train_loss", -phi_val / alpha), ("free_entropy", phi_val)],
             "observables at the saddle point", label_hints + [(om_star / sp.sqrt(q), sp.S(0))])
    return d
