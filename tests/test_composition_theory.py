"""composition: generated kernels against sympy/mpmath, the theory against independent numpy
re-implementations of its exact parts, and the fixed point's defining properties."""
import math

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from memgenkit.derivations import __file__ as _der_init
from memgenkit.numerics import api
from memgenkit.theory.derivation import load_json
from pathlib import Path

DER = load_json((Path(_der_init).parent / "composition.json").read_text())
PARAMS = [p["symbol"] for p in DER["parameters"]]


def model():
    return api.model("composition")


def _kernel(name):
    return next(k for k in DER["kernels"] if k["name"] == name)


@pytest.mark.parametrize("name,points", [
    ("feature", [(1, 9.78, 1.0), (7, 198.5, 0.3), (5000, 10000.0, 0.0067), (2, 1.2, 0.99)]),
    ("binom_pmf", [(0, 1000, 0.004), (3, 1000, 0.004), (500, 1000, 0.5), (2, 7, 1.0)]),
    ("poisson_pmf", [(0, 4.98), (7, 4.98), (1, 0.007)]),
    ("err_star", [(1, 1, 1, 0.3, 0.2, 0.0), (1, 0, 3, 0.3, 0.2, 1e-3), (5, 2, 2.7, 0.8, 0.15, 0),
                  (4, 0, 1.5, 0.5, 0.19, 2e-4)]),
    ("mean_free", [(4.98,), (0.0073,), (1.0,)]),
])
@pytest.mark.parametrize("pv", [(1000, 10000, 5, 1.0, 0.0, 0.0), (300, 3000, 3, 2.0, 0.05, 0.5)])
def test_kernels_match_sympy_evalf(name, points, pv):
    """Every generated kernel output against a 30-digit sympy evaluation of the stored
    expression (the derivation, not our numerics, is the reference)."""
    m = model()
    k = _kernel(name)
    p = np.array(pv, float)
    for x in points:
        got = m.call(name, np.array(x, float), p)
        assert len(x) == len(k["inputs"])
        subs = dict(zip(k["inputs"], x)) | dict(zip(PARAMS, pv))
        for g, (oname, e) in zip(got, k["outputs"]):
            ref = complex(sp.N(e.subs(subs), 30))
            if ref.imag != 0 or not math.isfinite(abs(ref)):
                continue
            assert g == pytest.approx(ref.real, rel=1e-11, abs=1e-300), (name, oname, x, pv)


def _numpy_theory(n, d, s, a):
    """Independent numpy implementation of the exact parts and of the fixed point."""
    i = np.arange(1, d + 1, dtype=float)
    p = np.minimum(1.0, s * i ** -a / np.sum(i ** -a))
    b2 = i ** -0.2
    Q = 1.0
    for _ in range(100000):
        Qn = np.exp(np.sum(np.log1p(-p * (1 - p * Q) ** (n - 1))))
        if abs(Qn - Q) < 1e-15:
            break
        Q = Qn
    u = p * (1 - p * Q) ** (n - 1)
    P0, P1 = (1 - p) ** n, n * p * (1 - p) ** (n - 1)
    q = p * (1 - p) ** (n - 1)
    iso = np.exp(np.sum(np.log1p(-q)) - np.log1p(-q))
    return {"Q": Q, "rf": np.sum(P1 * Q / (1 - u)) / np.sum(P1),
            "err_unseen": np.sum(P0 * b2) / np.sum(P0), "iso": np.sum(P1 * iso) / np.sum(P1),
            "mu": np.sum(u)}


@pytest.mark.parametrize("a", [0.0, 0.7, 1.2, 1.6, 2.5])
def test_theory_against_numpy(a):
    n, d, s = 1000, 4000, 5.0
    r = api.solve("composition", n=n, d=d, s=s, a=a)
    ref = _numpy_theory(n, d, s, a)
    assert r.converged
    assert r["Q"] == pytest.approx(ref["Q"], rel=1e-9, abs=1e-13)
    assert r["recovered_fraction"] == pytest.approx(ref["rf"], rel=1e-9)
    assert r["err_unseen"] == pytest.approx(ref["err_unseen"], rel=1e-12)
    assert r["mu"] == pytest.approx(ref["mu"], rel=1e-9)
    # the isolation among features seen elsewhere is an exact upper bound
    assert r["recovered_fraction"] <= ref["iso"] + 1e-12


def test_fixed_point_is_the_largest():
    """g(Q) - Q < 0 on (Q*, 1]: no larger fixed point (a = 1.2 has two)."""
    m = model()
    v = m.validate({"a": 1.2, "d": 4000})
    Q, Z, *_ = m.fixed_point(v)
    lp = m.evaluator[0]
    p = m.pvec(v)
    xs = np.linspace(Q + 1e-6, 1.0, 300)
    assert all(math.exp(lp(p, Z, x)[0]) < x for x in xs)
    assert math.exp(lp(p, Z, 0.0)[0]) - 0.0 >= 0  # and a smaller one exists (0 here)
    assert abs(math.exp(lp(p, Z, Q)[0]) - Q) < 1e-13


def test_noise_and_ridge_limits():
    """Large a (tail features isolated): the error of a seen-once feature is ~ sigma^2 for
    min-norm, and ridge forgets the tail: error -> beta^2 lam^2/(1+lam)^2 + ..."""
    base = dict(n=1000, d=10000, s=5, a=3.0)
    e0 = api.solve("composition", **base)["err_tail_once"]
    r1 = api.solve("composition", **base, sigma=0.05)
    Q = api.solve("composition", **base)["recovered_fraction"]
    # a recovered seen-once feature carries sigma^2 + eps_c (noise plus what the pinned
    # features of its sample leave), eps_c >= 0 and small against sigma^2 at large a
    assert r1.converged and 0 < r1["eps_c"] < 0.5 * 0.05 ** 2
    assert r1["loss_ood"] == pytest.approx(2 * (0.05 ** 2 + r1["eps_c"]), rel=1e-12)
    assert r1["err_tail_once"] - e0 >= 0.05 ** 2 * Q
    assert api.solve("composition", **base)["eps_c"] == 0.0
    ridge = [api.solve("composition", **base, lam=lam)["err_tail_once"] for lam in (0, .1, 1, 10)]
    assert all(x < y for x, y in zip(ridge, ridge[1:]))
    # lam -> oo: every coefficient forgotten, tail error -> mean beta^2 of seen-once features
    big = api.solve("composition", **base, lam=1e6)
    assert big["err_tail_once"] > 0.9 * big["err_unseen"] * 0.5


def test_rate_in_n():
    """Recovered fraction rises with n at fixed a (fewer co-occurring singletons per sample is
    not the mechanism: more samples pin more features); unseen error is n-independent to
    leading order while the unseen count shrinks."""
    rf = [api.solve("composition", n=n, d=10000, a=1.5)["recovered_fraction"]
          for n in (250, 500, 1000, 2000)]
    assert all(x < y for x, y in zip(rf, rf[1:]))


def test_bad_input():
    from memgenkit.numerics.errors import InputError
    with pytest.raises(InputError):
        api.solve("composition", a=-1)
    with pytest.raises(InputError):
        api.solve("composition", n=10.5)
