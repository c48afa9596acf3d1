"""Gaussian special functions for replica calculations (numba-jitted scalars).

Conventions
-----------
* ``npdf(x)  = exp(-x**2/2) / sqrt(2*pi)``            standard normal density
* ``H(x)     = int_x^inf npdf(t) dt = erfc(x/sqrt(2))/2``  Gaussian tail
* ``logH(x)  = log(H(x))``
* ``gh(x)    = npdf(x) / H(x) = -d/dx logH(x)``       "Gaussian density over H"
* ``erfcx(x) = exp(x**2) * erfc(x)``                  scaled complementary erf
* ``logcosh2(x) = log(2 cosh x)``                     log partition function of a +-1 spin

All six are ``@njit`` functions taking and returning a scalar float64, so they
can be called from other ``@njit`` code (numba cannot call ``scipy.special``).

Accuracy: relative error <= 1e-12 against 40-digit mpmath on the domains
declared in ``numerics/special_registry.py`` (npdf, H, logH, gh: the functions
generated kernels call) and ``ERFCX_DOMAIN`` (checked in
``tests/theory/test_special_registry.py`` and ``tests/numerics/test_special.py``; the achieved
errors are a few ulp).  Outside those domains:

* ``H(x)`` drops below the smallest normal double (2.2e-308) a little beyond
  x = 37.5 and is exactly 0 beyond x ~ 38.5; use ``logH`` there, which stays
  accurate wherever it is representable (asymptotically
  ``-x**2/2 - log(x*sqrt(2*pi)) - 1/x**2 + ...``; it is -inf only once
  x**2/2 overflows, x > 1.8e154).  ``gh`` stays accurate for all finite
  x > 0, ``erfcx`` until its value becomes subnormal (x > 2.5e307).
* ``npdf(x)`` for |x| > 37.6, ``gh(x)`` for x < -37.6 (``gh ~ npdf`` there)
  and ``logH(x)`` for x < -37.5 (``logH(x) ~ -H(-x)``) have true values below
  the normal double range; they are returned with absolute error < 1e-300
  (gradual underflow to 0), not relative accuracy.
* ``erfcx(x)`` overflows to inf for x < -26.6 (true value ~ 2*exp(x**2)).

Special values: ``H(inf)=0, logH(inf)=-inf, gh(inf)=inf, erfcx(inf)=0,
npdf(+-inf)=0, H(-inf)=1, logH(-inf)=0, gh(-inf)=0, erfcx(-inf)=inf``; nan
propagates.
"""

import math

from numba import njit

__all__ = ["npdf", "H", "logH", "gh", "erfcx", "logcosh2", "ERFCX_DOMAIN"]

# Declared accuracy domain of erfcx (closed interval); the tests draw from it. The other four are
# registered special functions: their domains are in their records (numerics/special_registry.py).
ERFCX_DOMAIN = (-26.0, 1.0e4)

_INV_SQRT_2PI = 0.3989422804014327  # 1/sqrt(2 pi)
_LOG_SQRT_2PI = 0.9189385332046728  # log(sqrt(2 pi))
_INV_SQRTPI = 0.5641895835477563  # 1/sqrt(pi)
_SQRT_2_OVER_PI = 0.7978845608028654  # sqrt(2/pi)
_INV_SQRT2 = 0.7071067811865476  # 1/sqrt(2)
_SPLIT = 134217729.0  # 2**27 + 1, Veltkamp splitting constant

# Below this, erfcx uses libm erfc (accurate to a few ulp, and erfc(x) is far
# from underflow); above it the asymptotic series needs <= 13 terms for 1e-17.
_ERFCX_ASYMPTOTIC = 10.0
# Beyond this the 1/x**2 corrections of logH and gh are below double
# resolution, and x*x may overflow, so closed leading-order forms are used.
_LARGE = 1.0e8


@njit(cache=True, fastmath=False)
def _square_split(x):
    """Return (hi, lo) with hi + lo == x*x exactly (Dekker); needs |x| < 1e150.

    exp(+-x**2) amplifies the rounding error of x*x by x**2 (up to ~700 in
    relative terms), so the exponent must be carried in double-double.
    """
    c = _SPLIT * x
    xh = c - (c - x)
    xl = x - xh
    hi = x * x
    lo = ((xh * xh - hi) + 2.0 * xh * xl) + xl * xl
    return hi, lo


@njit(cache=True, fastmath=False)
def _exp_neg_half_square(x):
    """exp(-x**2/2) to ~1 ulp for |x| <= 40 (hi/2 is exact, lo is tiny)."""
    hi, lo = _square_split(x)
    return math.exp(-0.5 * hi) * (1.0 - 0.5 * lo)


@njit(cache=True, fastmath=False)
def erfcx(x):
    """Scaled complementary error function exp(x**2) * erfc(x)."""
    if x != x:
        return x
    if x < -26.7:
        # exp(x**2) overflows; also keeps the splitting away from inf.
        return math.inf
    if x < _ERFCX_ASYMPTOTIC:
        hi, lo = _square_split(x)
        # For x < 0, erfc(x) in (1, 2] is computed by libm without
        # cancellation, so this single form covers both signs.
        return (math.exp(hi) * (1.0 + lo)) * math.erfc(x)
    # Asymptotic series erfcx(x) = 1/(x sqrt(pi)) * sum_n (-1)^n (2n-1)!!/(2x^2)^n.
    # For x >= 10 its smallest term is ~exp(-x^2) ~ 1e-44, so truncating at
    # 1e-17 is safe.  r underflows to 0 for huge x, which ends the loop.
    r = 0.5 / (x * x)
    term = 1.0
    s = 1.0
    for n in range(1, 40):
        term *= -(2.0 * n - 1.0) * r
        s += term
        if abs(term) < 1.0e-17:
            break
    # _INV_SQRTPI / x rather than 1/(x*sqrt(pi)): no overflow for x near max.
    return (_INV_SQRTPI / x) * s


@njit(cache=True, fastmath=False)
def npdf(x):
    """Standard normal density exp(-x**2/2)/sqrt(2 pi)."""
    if x != x:
        return x
    if abs(x) > 40.0:
        # Underflows to 0 already beyond |x| ~ 38.6.
        return 0.0
    return _INV_SQRT_2PI * _exp_neg_half_square(x)


@njit(cache=True, fastmath=False)
def _H_pos(x):
    """H(x) for 0 <= x <= 40 as exp(-x^2/2) * erfcx(x/sqrt2) / 2.

    The fast-varying factor exp(-x^2/2) uses the exact x; erfcx has condition
    number O(1), so rounding x/sqrt(2) costs only ~1 ulp (erfc(x/sqrt(2))
    directly would lose ~x^2 ulp).
    """
    # Small factor first, so that underflow near x ~ 38 happens once, at the end.
    return (0.5 * erfcx(x * _INV_SQRT2)) * _exp_neg_half_square(x)


@njit(cache=True, fastmath=False)
def H(x):
    """Gaussian tail H(x) = erfc(x/sqrt(2))/2 = P(Z > x) for Z ~ N(0,1)."""
    if x != x:
        return x
    if x > 40.0:
        return 0.0
    if x >= 0.0:
        return _H_pos(x)
    if x < -40.0:
        return 1.0
    # 1 - H(-x) with H(-x) <= 1/2: no cancellation, and H(x) + H(-x) == 1
    # up to one rounding.
    return 1.0 - _H_pos(-x)


@njit(cache=True, fastmath=False)
def logH(x):
    """log H(x), accurate for all finite x (no underflow of H)."""
    if x != x:
        return x
    if x < 0.0:
        # log H(x) = log(1 - H(-x)); log1p keeps relative accuracy where
        # log H(x) ~ -H(-x) is tiny.
        if x < -40.0:
            return -0.0
        return math.log1p(-_H_pos(-x))
    if x > _LARGE:
        # -x^2/2 - log(x sqrt(2 pi)) - 1/x^2 + ...; the correction is below
        # 1 ulp of x^2/2 here.  (0.5*x)*x avoids spurious overflow of x*x.
        return -(0.5 * x) * x - math.log(x) - _LOG_SQRT_2PI
    # log H = -x^2/2 + log(erfcx(x/sqrt2)/2).  Both terms are <= 0, so the sum
    # cannot cancel; the exact split keeps -x^2/2 correct to 1 ulp.
    hi, lo = _square_split(x)
    return -0.5 * hi + (math.log(0.5 * erfcx(x * _INV_SQRT2)) - 0.5 * lo)


@njit(cache=True, fastmath=False)
def gh(x):
    """Ratio npdf(x)/H(x) = -d/dx log H(x)  (~ x for large x, ~ npdf(x) for x -> -inf)."""
    if x != x:
        return x
    if x < 0.0:
        # H(x) >= 1/2 here, so the plain ratio is well conditioned.
        return npdf(x) / H(x)
    if x > _LARGE:
        # gh(x) = x + 1/x - 2/x^3 + ...; x + 1/x is also inf-safe.
        return x + 1.0 / x
    # The exp(-x^2/2) factors cancel analytically:
    # gh = sqrt(2/pi) / erfcx(x/sqrt2), with erfcx > 0 for every x <= 1e8.
    return _SQRT_2_OVER_PI / erfcx(x * _INV_SQRT2)


@njit(cache=True, fastmath=False)
def logcosh2(x):
    """log(2 cosh x) = |x| + log1p(exp(-2|x|)): no overflow, no cancellation (both terms >= 0),
    a relative error of a few ulp for every finite x (the Ising spin's log partition function)."""
    a = abs(x)
    return a + math.log1p(math.exp(-2.0 * a))
