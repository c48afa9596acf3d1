"""raf-gardner: numba solver against independent references and classic results.

References used here never touch the numba kernels: mpmath tanh-sinh quadrature at 30 digits of the
stored equations, Gardner's closed form written out by hand with mpmath, the Gibbs learning
constant from the literature, and finite differences of the free entropy.
"""
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.theory.derivation import load_json
from memgenkit.theory.evaluate import mp_function

DERIVATION = Path(__file__).resolve().parents[3] / "derivations" / "raf_gardner.json"


@pytest.fixture(scope="module")
def derivation():
    return load_json(DERIVATION.read_text())


def _kernel(d, name):
    k = next(k for k in d["kernels"] if k["name"] == name)
    params = [p["symbol"] for p in d["parameters"]]
    cuts = [c for c, _ in k["hints"]]
    return [mp_function(e, list(k["inputs"]) + params, cuts) for _, e in k["outputs"]]


@pytest.mark.parametrize("alpha,eps,kappa", [
    (1.5, 0.3, 0.0),
    pytest.param(0.6, 0.1, 0.8, marks=pytest.mark.slow),
    pytest.param(5.0, 0.0, 0.0, marks=pytest.mark.slow),
])
def test_solution_matches_mpmath_30_digits(derivation, alpha, eps, kappa):
    """Chord Newton in mpmath (30 digits) on the stored stationarity equations, started from the
    numba solution: the two agree to relative 1e-10."""
    r = api.solve("raf-gardner", alpha=alpha, eps=eps, kappa=kappa)
    assert r.converged
    newton = _kernel(derivation, "newton")
    F, J = newton[:2], newton[2:6]
    with mp.workdps(30):
        x = mp.matrix([r["q"], r["R"]])
        p = [alpha, eps, kappa]
        jac = mp.matrix(2, 2)
        for i in range(2):
            for j in range(2):
                jac[i, j] = J[2 * i + j](x[0], x[1], *p)
        for _ in range(2):  # the start is good to ~1e-15, so two chord steps reach ~1e-30
            x = x - mp.lu_solve(jac, mp.matrix([Fi(x[0], x[1], *p) for Fi in F]))
        assert max(abs(Fi(x[0], x[1], *p)) for Fi in F) < mp.mpf(10) ** -20
        for ours, ref in ((r["q"], x[0]), (r["R"], x[1])):
            assert abs(ours - ref) <= 1e-10 * abs(ref), (ours, ref)


@pytest.mark.parametrize("eps,kappa", [(0.5, 0.0), (0.05, 0.0), (0.3, 1.0)])
def test_capacity_matches_mpmath_30_digits(derivation, eps, kappa):
    g, dg, alpha_c = _kernel(derivation, "capacity")
    b = api.boundary("raf-gardner", eps=eps, kappa=kappa)
    with mp.workdps(30):
        R = mp.mpf(b.observables["R"])
        for _ in range(3):
            R -= g(R, 1, eps, kappa) / dg(R, 1, eps, kappa)
        assert abs(g(R, 1, eps, kappa)) < mp.mpf(10) ** -25
        ref = alpha_c(R, 1, eps, kappa)
    assert abs(b.observables["R"] - R) <= 1e-10 * R
    assert abs(b.observables["alpha_c"] - ref) <= 1e-10 * ref
    assert b.status["error"] <= 1e-12 * ref


@pytest.mark.parametrize("kappa", [0.0, 0.25, 0.5, 1.0, 2.0, 3.5])
def test_eps1_is_gardner_1988(kappa):
    """alpha_c(kappa) = 1 / int_{-kappa}^oo Dt (t + kappa)^2, evaluated with mpmath."""
    with mp.workdps(30):
        k = mp.mpf(kappa)
        ref = 1 / mp.quad(lambda t: mp.npdf(t) * (t + k) ** 2, [-k, mp.inf])
    ours = api.boundary("raf-gardner", eps=1.0, kappa=kappa).observables["alpha_c"]
    assert abs(ours - ref) <= 1e-10 * ref
    if kappa == 0.0:
        assert ours == pytest.approx(2.0, rel=1e-14)


def test_noiseless_gibbs_learning_curve():
    """eps = kappa = 0: never UNSAT, q = R (the student is a sample of the posterior), and
    alpha * eps_gen -> 0.625 (Gibbs learning; Engel & Van den Broeck, ch. 2)."""
    b = api.boundary("raf-gardner", eps=0.0, kappa=0.0)
    assert b.observables["alpha_c"] == np.inf
    values = []
    for a in (1.0, 10.0, 100.0, 400.0):
        r = api.solve("raf-gardner", alpha=a, eps=0.0, kappa=0.0)
        assert r.converged
        assert r["q"] == pytest.approx(r["R"], rel=1e-9)
        values.append(a * r.observables["eps_gen"])
    assert abs(values[-1] - 0.625) < 1e-3
    assert values == sorted(values)  # approaches the constant from below


def test_capacity_decreases_with_eps():
    for kappa in (0.0, 0.5):
        eps = np.linspace(0.02, 1.0, 12) if kappa == 0 else np.linspace(0.0, 1.0, 12)
        ac = [api.boundary("raf-gardner", eps=e, kappa=kappa).observables["alpha_c"] for e in eps]
        assert np.all(np.diff(ac) < 0), ac


def test_solution_approaches_capacity():
    """As alpha -> alpha_c from below, q -> 1 and R -> R at capacity (the analytic limit)."""
    b = api.boundary("raf-gardner", eps=0.3, kappa=0.2).observables
    r = api.solve("raf-gardner", alpha=b["alpha_c"] * (1 - 1e-5), eps=0.3, kappa=0.2)
    assert r.converged
    assert 1 - r["q"] < 1e-3
    assert r["R"] == pytest.approx(b["R"], abs=1e-3)
    above = api.solve("raf-gardner", alpha=b["alpha_c"] * 1.01, eps=0.3, kappa=0.2)
    assert not above.converged and "UNSAT" in above.status["message"]


def test_stationarity_is_gradient_of_free_entropy():
    """Identity check on the generated code: F = grad phi by central differences."""
    m = api.model("raf-gardner")
    p = m.pvec(m.validate({"alpha": 1.3, "eps": 0.4, "kappa": 0.3}))
    x = np.array([0.6, 0.3])
    out = m.call("newton", x, p)
    F, J = out[:2], out[2:6].reshape(2, 2)
    h = 1e-5
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        dphi = (m.call("free_entropy", x + e, p)[0] - m.call("free_entropy", x - e, p)[0]) / (2 * h)
        assert dphi == pytest.approx(F[i], rel=1e-8)
        dF = (m.call("newton", x + e, p)[:2] - m.call("newton", x - e, p)[:2]) / (2 * h)
        np.testing.assert_allclose(dF, J[:, i], rtol=1e-7)


def test_fixed_point_map_has_the_same_fixed_points():
    r = api.solve("raf-gardner", alpha=1.1, eps=0.2, kappa=0.1)
    m = api.model("raf-gardner")
    p = m.pvec(r.params)
    x = np.array([r["q"], r["R"]])
    np.testing.assert_allclose(m.call("fixed_point", x, p), x, rtol=0, atol=1e-12)
