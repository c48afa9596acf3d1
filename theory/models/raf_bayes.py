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

from ..blocks.channels.bayes import BayesPosterior
from ..blocks.glm import alpha
from ..blocks.labels import RulesAndFacts, SignTeacher, eps
from ..blocks.priors.gaussian import Gaussian
from ..blocks.symbols import q, qhat as qh
from ..derivation import Derivation, Parameter

MODEL = "raf-bayes"

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, n/d"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
]

# Check points: (q, xi, eps) for the partition function, (q, alpha, eps) for qhat.
_Z_SAMPLES = [(0.3, 0.4, 0.2), (0.8, -1.1, 0.5)]
_QHAT_SAMPLES = [(0.3, 1.0, 0.2), (0.7, 2.0, 0.0), (0.95, 3.0, 0.5)]


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Rules-and-Facts: Bayes-optimal rule learning (RS)",
                   conventions=__doc__.split("Conventions (rules and facts, part 2: learners):")[1]
                   .strip(),
                   parameters=PARAMETERS, order_parameters=[q])
    # Blocks: Gaussian prior (Nishimori form), Bayes posterior channel, rules-and-facts labels.
    prior, channel, labels = Gaussian(), BayesPosterior(_Z_SAMPLES), RulesAndFacts(SignTeacher())
    Psi_w, q_of_qh = prior.bayes(d)
    Psi_out = channel.energetic(d, labels)
    phi = -q * qh / 2 + Psi_w + alpha * Psi_out
    d.step("free entropy (Nishimori line)",
           "phi(q, qhat) = -q qhat/2 + Psi_w(qhat) + alpha Psi_out(q), Psi_out = sum_y E_xi Z log Z"
           " = 2 E_xi Z(+1) log Z(+1).", phi=phi)

    qhat_stable = channel.qhat(d, labels, Psi_out, _QHAT_SAMPLES)
    T = q_of_qh.subs(qh, qhat_stable)
    eps_gen = SignTeacher.gen_error(q, q)
    d.step("generalization error", "eps_gen = arccos(sqrt q)/pi (m = q by Nishimori).",
           eps_gen=eps_gen)
    hints = channel.hints()
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
