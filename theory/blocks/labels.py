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
from .base import LabelModel
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
        return np.where(nu >= 0, 1.0, -1.0)


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
        """Rules from the base model; each sample is a fact with probability eps (the fact mask
        and the coins are drawn first, so a seed gives the same split at every eps)."""
        fact = rng.random(len(nu)) < (values or {}).get("eps", 0.0)
        coin = np.where(rng.random(len(nu)) < 0.5, 1.0, -1.0)
        return np.where(fact, coin, self.rule.sample(rng, nu, values))


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
