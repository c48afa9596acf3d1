"""Label models: how a sample's label y = +-1 depends on the teacher field nu = w*.x/sqrt(N).

Each gives P(y | t), the label law after conditioning nu on the student's replica field t:
nu | t ~ N(R t/sqrt(q), 1 - R^2/q). ``record(d, q, R)`` adds the step (with its check against
a direct Gaussian integral over the teacher field) and returns {y: P(y | t)}.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..derivation import Parameter
from ..evaluate import check_numeric
from ..gaussian import H, gauss_integral
from .base import LabelModel, teacher_field
from .symbols import R, q, t, z

eps = sp.Symbol("eps", nonnegative=True)
eta = sp.Symbol("eta", nonnegative=True)


def _rule_check(y, rule):
    """P(sign(nu) = y | t) as a direct Gaussian integral over nu's free part, against ``rule``."""
    mean, std = R * t / sp.sqrt(q), sp.sqrt(1 - R**2 / q)
    direct = (gauss_integral(1, z, -mean / std, sp.oo) if y == 1
              else gauss_integral(1, z, -sp.oo, -mean / std))
    return check_numeric(direct, rule, [q, R, t],
                         [(0.3, 0.2, 0.4), (0.7, -0.5, -1.2), (0.95, 0.9, 0.3)],
                         1e-25, f"rule channel P(y|t) for y = {y}")


class SignTeacher(LabelModel):
    """The rule y = sign(nu): P(y | t) = H(-y R t/sqrt(q - R^2))."""

    name = "sign-teacher"

    def conditional(self, y, t_, q_, R_):
        return H(-y * R_ * t_ / sp.sqrt(q_ - R_**2))

    def at_q_one(self, y, t_, R_):
        return H(-y * R_ * t_ / sp.sqrt(1 - R_**2))

    def hints(self):
        """The rule's conditional law varies on the scale sqrt(q - R^2)/|R| around t = 0."""
        return [(sp.S(0), sp.sqrt(q - R**2) / sp.Abs(R))]

    def record(self, d, q_=q, R_=R):
        checks, out = [], {}
        for y in (1, -1):
            out[y] = self.conditional(y, t, q_, R_)
            checks.append(_rule_check(y, out[y]))
        d.step("output channel averaged over the teacher field",
               "P(y|nu) = theta(y nu). Conditioning nu on the replica field t gives P(y|t) = "
               "H(-y R t / sqrt(q - R^2)).", checks, P_plus=out[1], P_minus=out[-1])
        return out

    def sample(self, rng, nu, values=None):
        return np.where(teacher_field(nu) >= 0, 1.0, -1.0)

    def likelihood(self, y, nu):
        return sp.Heaviside(y * nu)

    def partition(self, y, omega, V):
        return H(-y * omega / sp.sqrt(V))

    def sign_weight(self):
        return sp.S(1), "1", "0"

    def describe_partition(self, arg):
        return f"H({arg})"

    @staticmethod
    def gen_error(R_, q_):
        """Error on a fresh rule sample of the predictor sign(h): the angle between h and nu,
        eps_gen = arccos(R/sqrt(q))/pi."""
        return sp.acos(R_ / sp.sqrt(q_)) / sp.pi


class RulesAndFacts(LabelModel):
    """With probability 1-eps a rule (the base label model), with probability eps a fact: y = +-1
    uniformly, independent of everything. P(y|t) = (1-eps) P_rule(y|t) + eps/2."""

    name = "rules-and-facts"
    parameters = (Parameter(eps, 0.0, 1.0, default=0.0,
                            description="fraction of facts (random labels)"),)

    def __init__(self, rule: LabelModel | None = None):
        self.rule = rule or SignTeacher()

    def conditional(self, y, t_, q_, R_):
        return (1 - eps) * self.rule.conditional(y, t_, q_, R_) + eps / 2

    def at_q_one(self, y, t_, R_):
        return (1 - eps) * self.rule.at_q_one(y, t_, R_) + eps / 2

    def hints(self):
        return self.rule.hints()

    def record(self, d, q_=q, R_=R):
        checks, out = [], {}
        for y in (1, -1):
            rule = self.rule.conditional(y, t, q_, R_)
            checks.append(_rule_check(y, rule))
            out[y] = (1 - eps) * rule + eps / 2
        d.step("output channel averaged over the teacher field",
               "P(y|nu) = (1-eps) theta(y nu) + eps/2. Conditioning nu on the replica field t gives "
               "P(y|t) = (1-eps) H(-y R t / sqrt(q - R^2)) + eps/2 (facts carry no information on t).",
               checks, P_plus=out[1], P_minus=out[-1])
        return out

    def sample(self, rng, nu, values=None):
        """Rules from the base model; each sample is a fact with probability eps. Draw order:
        the coins (the facts' labels), then the rules (the teacher, when ``nu`` draws it), then
        the fact mask; at eps = 1 only the coins, so the labels are those of ``RandomLabels``
        from the same stream, and a seed gives the same coins and mask at every eps < 1."""
        e = (values or {}).get("eps", 0.0)
        coin = np.where(rng.random(len(nu)) < 0.5, 1.0, -1.0)
        if e >= 1.0:
            return coin
        rule = self.rule.sample(rng, nu, values)
        fact = rng.random(len(nu)) < e
        return np.where(fact, coin, rule)

    def likelihood(self, y, nu):
        return (1 - eps) * self.rule.likelihood(y, nu) + eps / 2

    def partition(self, y, omega, V):
        return (1 - eps) * self.rule.partition(y, omega, V) + eps / 2

    def sign_weight(self):
        w, text, _ = self.rule.sign_weight()
        if w == 1:
            return (1 - eps) * w, "(1-eps)", "eps"
        return (1 - eps) * w, f"(1-eps) {text}", f"1 - (1-eps) {text}"

    def describe_partition(self, arg):
        return f"(1-eps) {self.rule.describe_partition(arg)} + eps/2"

    def record_cavity(self, d, q_, R_, t_, fold=""):
        """P(+1 | xi) for the cavity field omega = sqrt(q) xi of a GLM (overlap R = m), recorded as
        "two-component channel" with the check of the rule part; ``fold``: the channel's reason
        for folding y = -1 onto y = +1, appended to the description. Returns P(+1 | xi)."""
        P_plus = self.conditional(1, t_, q_, R_)
        mean, std = R_ * t_ / sp.sqrt(q_), sp.sqrt(1 - R_**2 / q_)
        direct = gauss_integral(1, z, -mean / std, sp.oo)
        rule = self.rule.conditional(1, t_, q_, R_)
        d.step("two-component channel",
               "Student cavity field omega = sqrt(q) xi; teacher field nu | xi ~ N(m xi/sqrt q, "
               f"1 - m^2/q). P(y = +1 | xi) = {self.describe_partition('-m xi/sqrt(q - m^2)')} "
               "(rule weight 1-eps, fact weight eps)." + (" " + fold if fold else ""),
               [check_numeric(direct, rule, [q_, R_, t_],
                              [(0.3, 0.2, 0.4), (0.7, -0.5, -1.2), (0.95, 0.9, 0.3)], 1e-25,
                              "rule P(y = +1 | xi) against the direct Gaussian integral")],
               P_plus=P_plus)
        return P_plus

    def train_errors(self, threshold, q_, R_, t_):
        """(eps_mem, eps_train_rule) of a GLM whose trained prediction on a training sample has the
        wrong sign iff y omega < ``threshold`` (omega = sqrt(q) xi): facts carry y independent of
        xi, eps_mem = H(-threshold/sqrt q); rules, eps_train_rule = 2 int_{-oo}^{threshold/sqrt q}
        Dxi P_rule(+1 | xi)."""
        eps_mem = H(-threshold / sp.sqrt(q_))
        rule_wrong = 2 * gauss_integral(self.rule.conditional(1, t_, q_, R_), t_, -sp.oo,
                                        threshold / sp.sqrt(q_))
        return eps_mem, rule_wrong


class LabelNoise(LabelModel):
    """The base rule's label flipped with probability eta: P(y|t) = (1-eta) P_rule(y|t) +
    eta P_rule(-y|t)."""

    name = "label-noise"
    parameters = (Parameter(eta, 0.0, 0.5, default=0.0, description="label flip probability"),)

    def __init__(self, rule: LabelModel | None = None):
        self.rule = rule or SignTeacher()

    def conditional(self, y, t_, q_, R_):
        return (1 - eta) * self.rule.conditional(y, t_, q_, R_) + eta * self.rule.conditional(
            -y, t_, q_, R_)

    def at_q_one(self, y, t_, R_):
        return (1 - eta) * self.rule.at_q_one(y, t_, R_) + eta * self.rule.at_q_one(-y, t_, R_)

    def hints(self):
        return self.rule.hints()

    def record(self, d, q_=q, R_=R):
        out = {y: self.conditional(y, t, q_, R_) for y in (1, -1)}
        d.step("output channel averaged over the teacher field",
               "P(y|nu) = (1-eta) theta(y nu) + eta theta(-y nu), conditioned on t.",
               [_rule_check(1, self.rule.conditional(1, t, q_, R_))], P_plus=out[1],
               P_minus=out[-1])
        return out

    def sample(self, rng, nu, values=None):
        flip = rng.random(len(nu)) < (values or {}).get("eta", 0.0)
        y = self.rule.sample(rng, nu, values)
        return np.where(flip, -y, y)

    def likelihood(self, y, nu):
        return (1 - eta) * self.rule.likelihood(y, nu) + eta * self.rule.likelihood(-y, nu)

    def partition(self, y, omega, V):
        return ((1 - eta) * self.rule.partition(y, omega, V)
                + eta * self.rule.partition(-y, omega, V))

    def sign_weight(self):
        w, text, _ = self.rule.sign_weight()
        if w == 1:
            return (1 - 2 * eta) * w, "(1-2eta)", "2eta"
        return (1 - 2 * eta) * w, f"(1-2eta) {text}", f"1 - (1-2eta) {text}"

    def describe_partition(self, arg):
        return (f"(1-eta) {self.rule.describe_partition(arg)} + eta "
                f"{self.rule.describe_partition('-(' + arg + ')')}")


class RandomLabels(LabelModel):
    """Labels independent of the inputs, y = +-1 with probability 1/2 (no teacher)."""

    name = "random-labels"
    teacher = False

    def conditional(self, y, t_, q_, R_):
        return sp.Rational(1, 2)

    def at_q_one(self, y, t_, R_):
        return sp.Rational(1, 2)

    def hints(self):
        return []

    def record(self, d, q_=q, R_=R):
        out = {1: sp.Rational(1, 2), -1: sp.Rational(1, 2)}
        d.step("random labels", "y = +-1 with probability 1/2 each, independent of x: P(y|t) = 1/2.",
               P_plus=out[1], P_minus=out[-1])
        return out

    def sample(self, rng, nu, values=None):
        return np.where(rng.random(len(nu)) < 0.5, 1.0, -1.0)

    def likelihood(self, y, nu):
        return sp.Rational(1, 2)

    def partition(self, y, omega, V):
        return sp.Rational(1, 2)

    def sign_weight(self):
        return sp.S(0), "0", "1"

    def describe_partition(self, arg):
        return "1/2"


def sign_moments(labels, q_, R_):
    """E_t P(+1|t) t^k, k = 0, 1, 2, in closed form for a label law w theta(y nu) + (1-w)/2
    (``LabelModel.sign_weight``): 1/2, w R/sqrt(2 pi q), 1/2 (P(+1|t) + P(+1|-t) = 1 makes the
    even moments those of t/2; the odd one is w E[t theta(nu)] = w (R/sqrt q)/sqrt(2 pi))."""
    w = labels.sign_weight()[0]
    return [sp.Rational(1, 2), w * R_ / sp.sqrt(2 * sp.pi * q_), sp.Rational(1, 2)]
