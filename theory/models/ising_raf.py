"""Ising rules-and-facts Gardner volume: binary student and teacher, margin kappa.

Conventions (Ising rules and facts):

* student and teacher w, w* in {-1, +1}^N; inputs x ~ N(0, I_N); alpha = P/N; constraints
  y_mu w.x_mu/sqrt(N) >= kappa; labels: with probability 1-eps a rule y = sign(w*.x), else a fact
  (y = +-1 uniform);
* order parameters q = w^a.w^b/N, R = w.w*/N and their conjugates qhat, Rhat;
* phi is the RS entropy of the solutions; eps_gen = arccos(R)/pi. At eps = 1 it is ising-gardner;
  at eps = kappa = 0 the R < 1 branch's entropy vanishes at alpha = 1.245 (Gyorgyi 1990), where
  perfect generalization takes over.
"""
from __future__ import annotations

import sympy as sp

from ..blocks import Ising, Margin, RulesAndFacts, SignTeacher
from ..blocks.assemble import saddle_point, volume
from ..blocks.channels.margin import kappa
from ..blocks.labels import eps
from ..blocks.symbols import R, Rhat, alpha, q, qhat
from ..derivation import Derivation, Parameter

MODEL = "ising-raf"
# (q, qhat, R, Rhat, alpha, eps, kappa) points for the numeric checks, R^2 < q
_SAMPLES = [(0.3, 0.5, 0.2, 0.3, 0.4, 0.3, 0.0), (0.7, 3.0, 0.6, 1.2, 1.1, 0.0, 0.4)]


def derive() -> Derivation:
    prior, channel, labels = Ising(), Margin(), RulesAndFacts(SignTeacher())
    d = Derivation(model=MODEL, title="Ising rules-and-facts Gardner volume (replica symmetric)",
                   conventions=__doc__.split("(Ising rules and facts):")[1].strip(),
                   order_parameters=[q, qhat, R, Rhat],
                   parameters=[Parameter(alpha, 0.0, None, lower_open=True, default=0.5,
                                         description="samples per dimension, P/N"),
                               *labels.parameters,
                               Parameter(kappa, 0.0, None, default=0.0, description="margin")])
    fe = volume(d, prior, channel, labels, samples=[(s[0], s[2], s[5], s[6]) for s in _SAMPLES],
                what="phi(q, qhat, R, Rhat) = G_S + alpha G_E: the entropy of the solutions.")
    saddle_point(d, fe, args=[q, qhat, R, Rhat, alpha, eps, kappa], samples=_SAMPLES,
                 hints=channel.hints() + labels.hints() + prior.hints(True),
                 cuts=channel.cuts() + [-kappa / sp.sqrt(q)],
                 observables=[("entropy", fe.phi), ("eps_gen", sp.acos(R) / sp.pi)],
                 kind="entropy per dimension")
    return d
