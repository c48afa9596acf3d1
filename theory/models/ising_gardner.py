"""Ising Gardner volume: binary perceptron w_i = +-1 with margin kappa on random labels.

Conventions (Ising perceptron, random labels):

* student w in {-1, +1}^N; inputs x ~ N(0, I_N); labels y = +-1 uniform, independent of x;
  alpha = P/N; constraints y_mu w.x_mu/sqrt(N) >= kappa for every sample;
* order parameters q = w^a.w^b/N (two solutions) and its conjugate qhat;
* phi = G_S + alpha G_E is the entropy (log number of solutions over N), replica symmetric;
  alpha_c (Krauth-Mezard) is where phi = 0, alpha_rs = 2/(pi I(kappa)) where the RS saddle point
  reaches q = 1 (4/pi at kappa = 0, Gardner-Derrida); the capacity is alpha_c < alpha_rs;
  the replicon eigenvalue vanishes at alpha_AT (RS locally unstable beyond; 1.015 at kappa = 0).
"""
from __future__ import annotations

import sympy as sp

from ..blocks import Ising, Margin, RandomLabels
from ..blocks.assemble import replicon, saddle_point, volume
from ..blocks.channels.margin import kappa
from ..blocks.symbols import alpha, q, qhat, t
from ..derivation import Derivation, Parameter
from ..evaluate import check_symbolic
from ..gaussian import H, Npdf

MODEL = "ising-gardner"
# (q, qhat, alpha, kappa) points for the numeric checks
_SAMPLES = [(0.3, 0.5, 0.4, 0.0), (0.6, 2.0, 0.7, 0.5), (0.85, 6.0, 0.9, 0.2)]


def derive() -> Derivation:
    prior, channel, labels = Ising(), Margin(), RandomLabels()
    d = Derivation(model=MODEL, title="Ising perceptron Gardner volume (replica symmetric)",
                   conventions=__doc__.split("random labels):")[1].strip(),
                   order_parameters=[q, qhat],
                   parameters=[Parameter(alpha, 0.0, None, lower_open=True, default=0.5,
                                         description="samples per dimension, P/N"),
                               Parameter(kappa, 0.0, None, default=0.0, description="margin")])
    fe = volume(d, prior, channel, labels, samples=[(s[0], 0.0, s[3]) for s in _SAMPLES],
                what="phi(q, qhat) = G_S + alpha G_E: the entropy of the Ising solutions.")
    hints = channel.hints() + prior.hints()
    saddle_point(d, fe, args=[q, qhat, alpha, kappa], samples=_SAMPLES, hints=hints,
                 cuts=channel.cuts() + [-kappa / sp.sqrt(q)], observables=[
                     ("entropy", fe.phi), ("q", q),
                     ("replicon", replicon(d, prior, channel, labels))],
                 kind="entropy per dimension")
    I = channel.q_to_one(d, labels, teacher=False)
    a_rs = prior.load_at_q_one(d, fe.energetic, I, alpha, [kappa], [(0.0,), (0.7,)],
                               channel.cuts())
    closed = (1 + kappa**2) * H(-kappa) + kappa * Npdf(kappa)
    J, = I.atoms(sp.Integral)  # I = c J: sympy integrates J in erfc/exp form
    J_sympy = sp.integrate(J.function.rewrite(sp.exp), J.limits[0])
    alpha_rs = a_rs.xreplace({J: closed * J / I}).doit()
    d.step("alpha_rs in closed form",
           "I(kappa) = int_{-oo}^kappa Dt (kappa - t)^2 = (1 + kappa^2) H(-kappa) + kappa "
           "Npdf(kappa) (sympy), so alpha_rs = 2/(pi I(kappa)) = 4/pi at kappa = 0 "
           "(Gardner-Derrida).",
           [check_symbolic(I.xreplace({J: J_sympy}) - closed.rewrite(sp.erfc).rewrite(sp.exp),
                            "sympy integral equals the closed form"),
            check_symbolic(alpha_rs.subs(kappa, 0) - 4 / sp.pi, "alpha_rs(0) = 4/pi")],
           alpha_rs=alpha_rs)
    d.kernel("alpha_rs", [], [("alpha_rs", alpha_rs)], "load where the RS saddle point has q = 1")
    return d
