"""Accuracy tests for memgenkit.numerics.special against 40-digit mpmath.

(For |x| > 1 the references carry 2*log10|x| extra guard digits, because
exp(+-x^2) turns the absolute error of x^2 into relative error.)

npdf, H, logH and gh are registered special functions: their >= 10,000 seeded
random points per function, drawn from pieces of their declared domains that
stress the core and the tails, with the bounds below, are declared in
``numerics/special_registry.py`` and checked by the generic contract test
``tests/theory/test_special_registry.py::test_numba_against_mpmath`` against the
mpmath implementations of their records (theory/gaussian.py).  erfcx, the
internal helper not callable from derivations, is sampled here the same way.
The maximum relative error of each piece is printed (run with ``-s`` to see
it) and must be <= 1e-12.  Where the true value lies below the normal double
range (|ref| < 2.2e-308) the absolute error must be < 1e-300.
"""

import math

import mpmath as mp
import numpy as np
import pytest
from numba import njit

from memgenkit.numerics import special
from memgenkit.numerics import special_registry as nreg
from memgenkit.numerics.special import ERFCX_DOMAIN, H, erfcx, gh, logH, npdf
from memgenkit.theory import gaussian

DPS = 40
RTOL = 1e-12
TINY = 2.2250738585072014e-308  # smallest normal double
ATOL_SUBNORMAL = 1e-300
SEED = 20240611


def _loop(f):
    """Evaluate a scalar @njit function on an array from inside @njit.

    This also checks that the functions are callable from jitted code.
    """

    @njit
    def apply(xs):
        out = np.empty_like(xs)
        for i in range(xs.size):
            out[i] = f(xs[i])
        return out

    return apply


FUNCS = {"npdf": npdf, "H": H, "logH": logH, "gh": gh, "erfcx": erfcx,
         "logcosh2": special.logcosh2}
VEC = {name: _loop(f) for name, f in FUNCS.items()}


# --- mpmath references (x is a Python float, converted exactly) -------------

_logH_mp = gaussian.mp_logH

REF = {
    "npdf": gaussian.mp_npdf,
    "H": gaussian.mp_H,
    "logH": gaussian.mp_logH,
    "gh": gaussian.mp_gh,
    "erfcx": lambda x: mp.exp(x * x) * mp.erfc(x),
    "logcosh2": lambda x: mp.log(2 * mp.cosh(x)),
}

# the registered four: numba name -> numerics record (domain, pieces, bound)
RECORDS = {r.function: r for r in nreg.records() if r.module == "memgenkit.numerics.special"}
DOMAINS = {**{name: r.domain[0] for name, r in RECORDS.items()}, "erfcx": ERFCX_DOMAIN}


def _ref_value(name, x):
    """Reference value at >= DPS significant digits for the float x.

    The references contain exp(+-x^2), which turns the absolute rounding error
    of x^2 into relative error, so 2*log10|x| extra digits are carried.
    """
    extra = 2 * max(0, math.ceil(math.log10(abs(x)))) if x != 0.0 else 0
    with mp.workdps(DPS + extra):
        return REF[name](mp.mpf(x))


def _error(name, x, got):
    """(relative error, True), or (absolute error, False) where |ref| < TINY."""
    ref = _ref_value(name, x)
    if not math.isfinite(got):
        return math.inf, True
    with mp.workdps(DPS):
        diff = abs(mp.mpf(got) - ref)
        if abs(ref) >= TINY:
            return float(diff / abs(ref)), True
        return float(diff), False


def _errors(name, xs, got):
    pairs = [_error(name, x, g) for x, g in zip(xs.tolist(), got.tolist())]
    err = np.array([e for e, _ in pairs])
    is_rel = np.array([r for _, r in pairs], dtype=bool)
    return err, is_rel


# --- sampled domain pieces (erfcx; the registered functions: see the module doc) ---------------


def _uniform(lo, hi):
    return lambda rng, n: rng.uniform(lo, hi, n)


def _log_uniform(lo_exp, hi_exp, sign=1.0):
    return lambda rng, n: sign * 10.0 ** rng.uniform(lo_exp, hi_exp, n)


# list of (piece label, sampler, n); counts sum to >= 10,000.
ERFCX_PIECES = [
    ("negative [-26,0]", _uniform(ERFCX_DOMAIN[0], 0.0), 3000),
    ("series switch [0,15]", _uniform(0.0, 15.0), 3000),
    ("large 10**U(0,4)", _log_uniform(0.0, math.log10(ERFCX_DOMAIN[1])), 4000),
]
ERFCX_SEED_INDEX = 4  # after the four registered functions (their seed indices 0-3)


def test_at_least_10000_points_per_function_and_domains_covered():
    assert sum(n for _, _, n in ERFCX_PIECES) >= 10_000
    for name, r in RECORDS.items():
        assert sum(p.n for p in r.pieces if p.in_domain) >= 10_000, name
        assert r.rtol <= RTOL and r.atol_subnormal <= ATOL_SUBNORMAL, name
    assert set(DOMAINS) == set(FUNCS) == set(special.__all__) - {"ERFCX_DOMAIN"}


@pytest.mark.parametrize(
    "k,label,sampler,n", [(k, *p) for k, p in enumerate(ERFCX_PIECES)],
    ids=[p[0] for p in ERFCX_PIECES]
)
def test_erfcx_accuracy_vs_mpmath(k, label, sampler, n):
    rng = np.random.default_rng([SEED, ERFCX_SEED_INDEX, k])
    xs = sampler(rng, n)
    got = VEC["erfcx"](xs)
    err, is_rel = _errors("erfcx", xs, got)

    msg = f"erfcx {label:24s} n={xs.size:5d}"
    if is_rel.any():
        i = int(np.argmax(np.where(is_rel, err, -1.0)))
        msg += f"  max rel err {err[i]:.3e} at x={xs[i]!r}"
    print(msg)

    assert np.all(is_rel), msg
    assert np.all(err <= RTOL), msg


@pytest.mark.parametrize("name", list(DOMAINS))
def test_domain_endpoints(name):
    lo, hi = DOMAINS[name]
    for x in (lo, hi, 0.0, -0.0, 1e-300, -1e-300):
        err, is_rel = _error(name, x, FUNCS[name](x))
        assert err <= (RTOL if is_rel else ATOL_SUBNORMAL), (name, x, err)


# --- far tails beyond the sampled domains --------------------------------------


@pytest.mark.parametrize(
    "x", [3e4, 1e5, 1e6, 9.99e7, 1.001e8, 1e10, 1e20, 1e50, 1e100, 1e150]
)
def test_far_right_tail(x):
    for name in ("logH", "gh", "erfcx"):
        err, is_rel = _error(name, x, FUNCS[name](x))
        assert is_rel and err <= RTOL, (name, x, err)


def test_huge_arguments():
    # logH(x) = -x^2/2 - ... overflows to -inf only once x^2/2 > DBL_MAX.
    assert logH(1.8e154) == pytest.approx(-0.5 * 1.8e154 * 1.8e154, rel=1e-15)
    assert logH(1e200) == -math.inf
    assert gh(1e300) == pytest.approx(1e300, rel=1e-15)
    assert erfcx(1e300) == pytest.approx(1 / (math.sqrt(math.pi) * 1e300), rel=1e-15)
    assert erfcx(1.7e308) > 0.0


# --- identities --------------------------------------------------------------


@pytest.mark.parametrize(
    "x", [-36.0, -30.0, -8.0, -2.0, -0.5, 0.0, 0.3, 1.7, 5.0, 14.2, 37.0, 150.0, 1e4]
)
def test_gh_is_minus_derivative_of_logH(x):
    with mp.workdps(DPS):
        d = mp.diff(_logH_mp, mp.mpf(x))
        assert float(abs((gh(x) + d) / d)) <= RTOL


def test_H_reflection():
    xs = np.random.default_rng([SEED, 99]).uniform(-40.0, 40.0, 10_000)
    s = VEC["H"](xs) + VEC["H"](-xs)
    assert np.max(np.abs(s - 1.0)) <= 2.0**-52


def test_H_monotone_and_underflow_is_gradual():
    xs = np.linspace(-40.0, 39.0, 20_001)
    h = VEC["H"](xs)
    assert np.all(np.diff(h) <= 0.0)
    assert H(37.5) >= TINY > H(37.6) > 0.0
    assert H(38.7) == 0.0


def test_special_values():
    inf, nan = math.inf, math.nan
    assert H(inf) == 0.0 and H(-inf) == 1.0
    assert logH(inf) == -inf and logH(-inf) == 0.0
    assert gh(inf) == inf and gh(-inf) == 0.0
    assert npdf(inf) == 0.0 and npdf(-inf) == 0.0
    assert erfcx(inf) == 0.0 and erfcx(-inf) == inf
    assert H(0.0) == 0.5 and logH(0.0) == math.log(0.5)
    assert gh(0.0) == pytest.approx(math.sqrt(2.0 / math.pi), rel=1e-15)
    for f in FUNCS.values():
        assert math.isnan(f(nan))
