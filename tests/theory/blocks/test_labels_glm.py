"""The label models' GLM forms: partition functions, sign weights and moments against direct
mpmath integrals."""
import mpmath as mp
import pytest
import sympy as sp

from memgenkit.theory.blocks.labels import (LabelNoise, RandomLabels, RulesAndFacts, SignTeacher,
                                            eps, eta, sign_moments)
from memgenkit.theory.blocks.symbols import R, q, t
from memgenkit.theory.evaluate import mp_function

VALUES = {eps: 0.3, eta: 0.2}
MODELS = [SignTeacher, lambda: RulesAndFacts(SignTeacher()), lambda: LabelNoise(SignTeacher()),
          RandomLabels]


@pytest.mark.parametrize("make", MODELS)
def test_partition_is_the_average_likelihood(make):
    labels = make()
    om, Vv, nu = sp.Symbol("om", real=True), sp.Symbol("Vv", positive=True), sp.Symbol("nu")
    # Z(y | omega, V) = int Dz P(y | omega + sqrt(V) z), split at the rule's jump nu = 0
    for y in (1, -1):
        Z = mp_function(labels.partition(y, om, Vv).subs(VALUES), [om, Vv])
        L = sp.lambdify([nu], labels.likelihood(y, nu).subs(VALUES),
                        modules=[{"Heaviside": lambda x, h=0: 1 if x > 0 else 0}, "mpmath"])
        with mp.workdps(20):
            for ov, vv in ((0.3, 0.5), (-1.2, 2.0)):
                ref = mp.quad(lambda zz: L(ov + mp.sqrt(vv) * zz) * mp.npdf(zz),
                              [-mp.inf, -ov / mp.sqrt(vv), mp.inf])
                assert abs(Z(ov, vv) - ref) < 1e-15


@pytest.mark.parametrize("make", MODELS[:3])
def test_sign_moments_against_quadrature(make):
    labels = make()
    P = labels.conditional(1, t, q, R)
    with mp.workdps(20):
        for k, closed in enumerate(sign_moments(labels, q, R)):
            f = mp_function(sp.Integral(P * t**k * sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi),
                                        (t, -sp.oo, sp.oo)).subs(VALUES), [q, R], [sp.S(0)])
            g = mp_function(sp.sympify(closed).subs(VALUES), [q, R])
            for qv, rv in ((0.5, 0.3), (0.9, -0.6)):
                assert abs(f(qv, rv) - g(qv, rv)) < 1e-15
