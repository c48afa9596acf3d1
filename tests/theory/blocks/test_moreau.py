"""Moreau channels: envelopes and thresholds against brute-force minimization, the square-loss
closed form against quadrature of the channel integral."""
import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from scipy.optimize import minimize_scalar

from memgenkit.theory.blocks.channels.moreau import LOSSES, Moreau, explicit
from memgenkit.theory.blocks.glm import V, W, m, omega, q
from memgenkit.theory.blocks.labels import RulesAndFacts, SignTeacher, eps
from memgenkit.theory.derivation import Derivation
from memgenkit.theory.evaluate import mp_function

LOSS = {"square": lambda z: 0.5 * (1 - z)**2, "hinge": lambda z: max(0.0, 1 - z),
        "logistic": lambda z: np.logaddexp(0, -z)}


def _d():
    return Derivation(model="test", title="", conventions="", parameters=[], order_parameters=[])


def _brute(loss, om, Wv):
    res = minimize_scalar(lambda z: LOSS[loss](z) + (z - om)**2 / (2 * Wv),
                          bracket=(om - 5, om + 5), tol=1e-12)
    return res.fun, res.x


@pytest.mark.parametrize("loss", LOSSES)
def test_envelope_against_brute_force(loss):
    _, _, pieces = Moreau(loss).envelope(_d())
    for om, Wv in ((-2.0, 0.5), (0.3, 1.7), (0.95, 0.2), (2.5, 3.0)):
        val = None
        for lo, hi, M in pieces:
            lo_v = float(sp.sympify(lo).subs(W, Wv)) if lo != -sp.oo else -np.inf
            hi_v = float(sp.sympify(hi).subs(W, Wv)) if hi != sp.oo else np.inf
            if lo_v <= om < hi_v:
                val = float(explicit(sp.sympify(M)).subs({omega: om, W: Wv}).evalf(20))
        ref, _ = _brute(loss, om, Wv)
        assert abs(val - ref) < 1e-8


@pytest.mark.parametrize("loss", LOSSES)
def test_threshold_is_the_sign_change_of_the_prox(loss):
    om_star = float(Moreau(loss).threshold(_d()).subs(V, 0.8))
    assert abs(_brute(loss, om_star, 0.8)[1]) < 1e-5
    assert _brute(loss, om_star - 0.1, 0.8)[1] < 0 < _brute(loss, om_star + 0.1, 0.8)[1]


def test_square_closed_form_against_quadrature():
    ch = Moreau("square")
    labels = RulesAndFacts(SignTeacher())
    _, _, pieces = ch.envelope(_d())
    P = labels.conditional(1, sp.Symbol("xi", real=True), q, m)
    integral = ch.channel_integral(P, pieces)
    args = [m, q, V, eps]
    with mp.workdps(20):
        f, g = mp_function(integral, args, [sp.S(0)]), mp_function(ch.square_closed(labels), args)
        for s in ((0.3, 0.5, 0.8, 0.2), (-0.4, 1.3, 0.1, 0.7)):
            assert abs(f(*s) - g(*s)) < 1e-15


def test_bad_loss():
    with pytest.raises(ValueError, match="loss must be one of"):
        Moreau("cubic")


@pytest.mark.parametrize("loss", LOSSES)
def test_check_hooks(loss):
    """The hooks of the generic checks: ``loss_expr`` is the loss of the module docstring (the
    table above), and ``prox_pieces`` carries the envelope's own pieces with a prox in each
    (its values are checked by brute force in theory/blocks/checks.py)."""
    from memgenkit.theory.blocks.glm import z
    ch = Moreau(loss)
    f = sp.lambdify([z], ch.loss_expr(), modules=[{"Max": max}, "math"])
    for zz in (-3.0, -0.2, 0.0, 0.7, 1.0, 2.5):
        assert abs(f(zz) - float(LOSS[loss](zz))) < 1e-14
    _, _, pieces = ch.envelope(_d())
    with_prox = ch.prox_pieces(_d())
    assert [(lo, hi, M) for lo, hi, _, M in with_prox] == pieces
    if loss == "hinge":
        assert [zp for _, _, zp, _ in with_prox] == [omega + W, 1, omega]
    assert ch.label == f"moreau-{loss}"
