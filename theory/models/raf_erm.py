"""Rules-and-Facts learned by empirical risk minimization (ridge / kernel ERM), replica symmetric.

Conventions (rules and facts, part 2: learners):

* data x ~ N(0, I_d), teacher |w*|^2 = d, nu = w*.x/sqrt(d); alpha = n/d; with probability 1-eps a
  rule, y = sign(nu), with probability eps a fact, y = +-1 uniformly and independent of x;
* learner: a dot-product kernel in its Gaussian-equivalent form K = mu1^2 X X^T/d + mustar^2 I
  (mu0 = 0), i.e. the feature map phi(x_mu) = (mu1 x_mu/sqrt(d), mustar e_mu): a linear part and
  one private coordinate per training sample. ERM objective
  sum_mu loss(y_mu, f(x_mu)) + (lam/2) |theta|^2 (the RKHS norm); mu1 = 1, mustar = 0 is the plain
  linear learner w_hat = argmin sum_mu loss(y_mu, w.x_mu/sqrt(d)) + (lam/2)|w|^2;
* losses, all functions of the margin y z: square (1/2)(y - z)^2, hinge max(0, 1 - y z),
  logistic log(1 + exp(-y z));
* order parameters of the linear part of the predictor, h = mu1 w.x/sqrt(d): m = mu1 w.w*/d,
  q = mu1^2 |w|^2/d, V (response); conjugates mhat, qhat, Vhat;
* eps_gen = arccos(m/sqrt(q))/pi on fresh rule samples; eps_mem, eps_train_rule: fractions of
  training facts / rules whose trained prediction (the proximal point) has the wrong sign;
  train_loss = minimized objective per sample (loss plus ridge, divided by n).

Replica symmetry is exact: the objective is convex for the three losses.
"""
from __future__ import annotations

import sympy as sp

from ..blocks.channels.moreau import FOLD, LOSSES, Moreau, explicit
from ..blocks.data import Isotropic, mu1, mustar
from ..blocks.glm import (V, Vh, alpha, channel_hats, free_entropy, m, mh, q, qh, saddle_point,
                          square_saddle_point, xi as t)
from ..blocks.labels import RulesAndFacts, SignTeacher, eps
from ..blocks.priors.gaussian import lam
from ..blocks.symbols import R
from ..derivation import Derivation, Parameter
from ..evaluate import check_symbolic

MODEL = "raf-erm"

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, n/d"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
    Parameter(lam, 0.0, None, lower_open=True, default=1.0,
              description="ridge (regularization) strength"),
    Parameter(mu1, 0.0, None, lower_open=True, default=1.0,
              description="linear coefficient of the kernel (Gaussian equivalence)"),
    Parameter(mustar, 0.0, None, default=0.0,
              description="non-linear coefficient of the kernel: extra per-sample capacity"),
]

# (m, q, V, alpha, eps, lam, mu1, mustar) sample points with m^2 < q.
_SAMPLES = [
    (0.3, 0.5, 0.8, 1.3, 0.2, 0.5, 1.0, 0.0),
    (0.6, 1.7, 2.3, 0.7, 0.5, 0.1, 1.4, 0.6),
    (-0.2, 0.3, 0.4, 3.0, 0.05, 2.0, 0.8, 0.3),
]
# Closed-form square saddle point: (alpha, eps, lam, mu1, mustar) points (the first two pick
# the positive root, the first three check the fixed point, all four the stable root).
_CF_SYMS = [alpha, eps, lam, mu1, mustar]
_CF_POINTS = [(1.3, 0.2, 0.5, 1.0, 0.0), (0.4, 0.7, 0.05, 0.5, 1.2), (5.0, 0.0, 1e-3, 2.0, 0.1),
              (0.5, 0.1, 2.0, 1.0, 0.3)]
_SQUARE_CHECKS = {
    "moments": ([m, q, eps], [(0.3, 0.5, 0.2), (-0.6, 1.7, 0.5), (0.9, 0.95, 0.0)]),
    "channel": ([m, q, V, eps, lam, mustar], [(0.3, 0.5, 0.8, 0.2, 0.5, 0.0),
                                              (-0.6, 1.7, 2.3, 0.5, 0.1, 0.6)]),
    "hats": ([m, q, V, alpha, eps, lam, mu1, mustar], _SAMPLES[:2]),
}


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Rules-and-Facts ERM: ridge and kernel learners (RS)",
                   conventions=__doc__.split("Conventions (rules and facts, part 2: learners):")[1]
                   .strip(),
                   parameters=PARAMETERS, order_parameters=[m, q, V])
    # Blocks: isotropic inputs through the Gaussian-equivalent kernel, its Gaussian (ridge) prior,
    # rules-and-facts labels on a sign teacher, one Moreau channel per loss.
    data, labels = Isotropic(kernel=True), RulesAndFacts(SignTeacher())
    prior = data.prior()
    prior_term = prior.conjugate(d)
    data.kernel_features(d)
    data.activation_table(d)  # the coefficients activation=... sets (mu1, mustar) to
    P_plus = labels.record_cavity(d, q, m, t, FOLD)
    W_EFF = data.time

    # Free entropy with an opaque channel term: the saddle-point structure is derived once and
    # the per-loss channel derivatives substituted afterwards.
    Phi, Phi_ch = free_entropy(
        d, prior_term,
        "Phi = -m mhat + (q Vhat - V qhat)/2 + Phi_prior(mhat, qhat, Vhat) + alpha Phi_ch(m, q, "
        "V), Phi_ch = -E_{xi,y} M_W(y, sqrt(q) xi), the Gaussian average of the Moreau envelope"
        " of the loss with W = V + mustar^2/lam (beta -> oo limit with V = beta (Q - q)). "
        "The minimized ERM objective per dimension is -Phi at the saddle point.")
    prior_eqs, ch_eqs = saddle_point(d, Phi, data.ridge, prior.ridge_text)
    # d(-Phi)/d lam = |w|^2/(2d) (envelope theorem): the free entropy is the minimized objective.
    lam_check = sp.diff(Phi, lam).subs(prior_eqs) + (q / mu1**2 / 2).subs(prior_eqs)
    d.step("envelope identity",
           "At the prior stationary point d(-Phi)/d lam = q/(2 mu1^2) = |w|^2/(2d), the derivative "
           "of the minimized objective per dimension: -Phi is that objective.",
           [check_symbolic(lam_check, "dPhi/dlam + q/(2 mu1^2) = 0 at stationarity")])

    d.kernel("prior", [mh, qh, Vh], [("m", prior_eqs[m]), ("q", prior_eqs[q]),
                                     ("V", prior_eqs[V])],
             "ridge prior map (mhat, qhat, Vhat) -> (m, q, V)")

    eps_gen = SignTeacher.gen_error(m, q)
    # The rule channel's short scale near xi = 0, in this model's teacher overlap m.
    label_hints = [tuple(e.xreplace({R: m}) for e in h) for h in labels.hints()]
    for loss in LOSSES:
        channel = Moreau(loss, W_EFF, data.time_text)
        M, z_star, pieces = channel.envelope(d)
        ch = channel.channel_term(d, P_plus, pieces)
        hats = channel_hats(ch_eqs, Phi_ch, ch)
        if loss == "logistic":
            channel.gradient_check(d, ch, [e.subs(alpha, 1) / c for e, c in zip(hats, (1, 2, -2))],
                                   [m, q, V, eps, lam, mustar], (0.3, 0.5, 0.8, 0.2, 0.5, 0.3),
                                   [alpha, mu1])
        hints = label_hints + channel.cuts()
        if loss == "square":
            hats = channel.square_averages(d, ch, P_plus, labels, hats, _SQUARE_CHECKS)
            square_saddle_point(
                d, prior_eqs, hats, data.ridge, _CF_SYMS, _CF_POINTS,
                "The square loss solves in closed form: V = 1/(lam/mu1^2 + alpha/(1 + V + tau)) is "
                "a quadratic in V (its positive root, written without cancellation), then m = mhat "
                "V and q = (mhat^2 + qhat) V^2 is linear in q (m and q written in terms of V). "
                "Checked: the closed form is a fixed point of the iterated map (30 digits, 3 "
                "parameter points); the numerics also test it against the iteration.")
        hats = [explicit(h) for h in hats]
        d.kernel(f"channel_{loss}", [m, q, V],
                 [("mhat", hats[0]), ("qhat", hats[1]), ("Vhat", hats[2])],
                 f"channel map (m, q, V) -> (mhat, qhat, Vhat), {loss} loss", hints)

        om_star = channel.threshold(d)
        eps_mem, rule_wrong = labels.train_errors(om_star, q, m, t)
        phi_val = explicit(Phi.subs(Phi_ch, ch))
        train_loss = -phi_val / alpha
        d.step(f"observables, {loss} loss",
               "The trained prediction on a training sample is z = prox_W(y, omega) (for kernels "
               "the prox of the full loss at W = V + mustar^2/lam: the private coordinate "
               "contributes mustar^2/lam to the prox time). prox is increasing in omega, so "
               "y z < 0 iff y omega < omega* with prox(omega*) = 0. Facts: y independent of xi, "
               "eps_mem = P(sqrt(q) xi < omega*) = H(-omega*/sqrt(q)); rules: eps_train_rule = "
               "2 int_{-oo}^{omega*/sqrt q} Dxi H(-m xi/sqrt(q - m^2)); train_loss = -Phi/alpha.",
               eps_mem=eps_mem, eps_train_rule=rule_wrong, train_loss=train_loss)
        d.kernel(f"observables_{loss}", [m, q, V, mh, qh, Vh],
                 [("eps_gen", eps_gen), ("eps_mem", eps_mem), ("eps_train_rule", rule_wrong),
                  ("train_loss", train_loss), ("free_entropy", phi_val)],
                 f"observables at the saddle point, {loss} loss",
                 hints + [(om_star / sp.sqrt(q), sp.S(0))])
    return d
