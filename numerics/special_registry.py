"""The special functions generated kernels call: the numba side of each record.

Each record here has a twin of the same ``name`` in ``memgenkit.theory.special_registry`` (sympy
class, mpmath implementation, the name codegen prints). The split follows the layers: this module
imports neither sympy nor theory/ (the solve path loads it through ``kernels.cache_key``), and
theory/ never imports numerics/. ``tests/theory/test_special_registry.py`` checks that the two halves
agree and holds every record to its declared accuracy against the mpmath implementation.

A record declares

* ``function``, ``module``: the numba function and the module it lives in (the module's source
  enters the kernel cache key, ``kernel_sources``). ``None`` for a function that derivations
  lower to its ``explicit()`` form before codegen; its accuracy is then that of the compiled
  explicit form;
* ``domain``: per argument, the closed interval where the accuracy claim holds;
* ``pieces``: seeded random draws from the domain that stress its core and its tails; the
  contract test evaluates every piece;
* the error bound: |got - ref| / max(|ref|, scale(*args)) <= ``rtol`` (``scale`` None: a pure
  relative error), except where that denominator is below the smallest normal double, where the
  absolute error must be <= ``atol_subnormal`` (true values below the normal range come back with
  gradual underflow, not relative accuracy);
* the reference precision: ``dps`` digits, plus 2 log10 max|arg| guard digits when
  ``exp_guard`` (exp(+-x^2) turns the absolute error of x^2 into relative error).
"""
from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Piece:
    label: str
    n: int
    draw: Callable  # draw(rng, n) -> one float64 array of length n per argument
    in_domain: bool = True  # False: a check just outside the domain (values below normal range)


@dataclass(frozen=True)
class NumbaSpecial:
    name: str  # the sympy class name (the twin record in theory/special_registry.py)
    function: str | None
    module: str | None
    domain: tuple  # ((lo, hi), ...) per argument
    pieces: tuple
    rtol: float
    atol_subnormal: float = 1e-300
    scale: Callable | None = None
    dps: int = 40
    exp_guard: bool = True
    nargs: int = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "nargs", len(self.domain))
        if (self.function is None) != (self.module is None):
            raise ValueError(f"{self.name}: function and module are given together or not at all")

    def implementation(self):
        """The numba dispatcher (imports its module); None for a lowered function."""
        if self.function is None:
            return None
        return getattr(importlib.import_module(self.module), self.function)

    def source_path(self) -> Path | None:
        """The implementation's source file, found without importing it."""
        if self.module is None:
            return None
        return Path(importlib.util.find_spec(self.module).origin)


_RECORDS: dict[str, NumbaSpecial] = {}


def register(record: NumbaSpecial) -> NumbaSpecial:
    """Add a record; a different record under a name already taken is an error."""
    old = _RECORDS.get(record.name)
    if old is not None and old != record:
        raise ValueError(f"special function {record.name!r} is already registered")
    _RECORDS[record.name] = record
    return record


def unregister(name: str) -> None:
    _RECORDS.pop(name)


def records() -> tuple[NumbaSpecial, ...]:
    return tuple(_RECORDS.values())


def get(name: str) -> NumbaSpecial:
    return _RECORDS[name]


def kernel_sources() -> list[Path]:
    """Source files that generated kernels compile in besides their own: the quadrature and
    every registered implementation's module (each once, in registration order)."""
    here = Path(__file__).parent
    paths = [here / "quadrature.py"]
    for r in _RECORDS.values():
        p = r.source_path()
        if p is not None and p not in paths:
            paths.append(p)
    return paths


# --- samplers: each returns a function (rng, n) -> array ----------------------------------------


def uniform(lo, hi):
    return lambda rng, n: rng.uniform(lo, hi, n)


def log_uniform(lo_exp, hi_exp, sign=1.0):
    """sign * 10**U(lo_exp, hi_exp)."""
    return lambda rng, n: sign * 10.0 ** rng.uniform(lo_exp, hi_exp, n)


def both_signs(lo, hi):
    """+-U(lo, hi)."""
    return lambda rng, n: rng.choice([-1.0, 1.0], n) * rng.uniform(lo, hi, n)


def independent(*samplers):
    """Arguments drawn independently, one sampler each."""
    return lambda rng, n: tuple(s(rng, n) for s in samplers)


def points(*rows):
    """Fixed points (rows of arguments), e.g. extreme corners; n must equal len(rows)."""
    cols = tuple(np.array(c, dtype=float) for c in zip(*rows))
    return lambda rng, n: cols


# --- the Gaussian functions (numerics/special.py) -------------------------------------------------

_SPECIAL = "memgenkit.numerics.special"
_RTOL_GAUSS = 1e-12  # a few ulp achieved; see numerics/special.py
_LOG10_1E4 = math.log10(1.0e4)

register(NumbaSpecial("Npdf", "npdf", _SPECIAL, ((-37.0, 37.0),), (
    Piece("full", 5000, independent(uniform(-37.0, 37.0))),
    Piece("core [-6,6]", 2500, independent(uniform(-6.0, 6.0))),
    Piece("tails 30<|x|<37", 2500, independent(both_signs(30.0, 37.0))),
), _RTOL_GAUSS))

register(NumbaSpecial("H", "H", _SPECIAL, ((-40.0, 37.0),), (
    Piece("full", 4000, independent(uniform(-40.0, 37.0))),
    Piece("core [-6,6]", 2000, independent(uniform(-6.0, 6.0))),
    Piece("upper tail [20,37]", 2000, independent(uniform(20.0, 37.0))),
    Piece("lower tail [-40,-6]", 2000, independent(uniform(-40.0, -6.0))),
), _RTOL_GAUSS))

register(NumbaSpecial("LogH", "logH", _SPECIAL, ((-40.0, 1.0e4),), (
    Piece("core [-6,6]", 2000, independent(uniform(-6.0, 6.0))),
    Piece("small |x| 1e-12..1", 250, independent(log_uniform(-12.0, 0.0, -1.0))),
    Piece("small x 1e-12..1", 250, independent(log_uniform(-12.0, 0.0))),
    Piece("negative tail [-40,-6]", 2500, independent(uniform(-40.0, -6.0))),
    Piece("moderate [6,40]", 2000, independent(uniform(6.0, 40.0))),
    Piece("large 10**U(0,4)", 3000, independent(log_uniform(0.0, _LOG10_1E4))),
), _RTOL_GAUSS))

register(NumbaSpecial("GH", "gh", _SPECIAL, ((-37.0, 1.0e4),), (
    Piece("negative [-37,0]", 3000, independent(uniform(-37.0, 0.0))),
    Piece("core [-6,6]", 2000, independent(uniform(-6.0, 6.0))),
    Piece("moderate [6,40]", 2000, independent(uniform(6.0, 40.0))),
    Piece("large 10**U(0,4)", 3000, independent(log_uniform(0.0, _LOG10_1E4))),
    # outside the declared domain: true values below the normal range (absolute error)
    Piece("below domain [-40,-37]", 300, independent(uniform(-40.0, -37.0)), in_domain=False),
), _RTOL_GAUSS))

# log(2 cosh x) = |x| + log1p(exp(-2|x|)): two roundings, no cancellation (both terms >= 0).
register(NumbaSpecial("LogCosh2", "logcosh2", _SPECIAL, ((-1.0e6, 1.0e6),), (
    Piece("core [-5,5]", 4000, independent(uniform(-5.0, 5.0))),
    Piece("small |x| 1e-12..1", 1500, independent(both_signs(1e-12, 1.0))),
    Piece("moderate 5<|x|<40", 2000, independent(both_signs(5.0, 40.0))),
    Piece("large 10**U(1,6)", 1250, independent(log_uniform(1.0, 6.0, -1.0))),
    Piece("large positive 10**U(1,6)", 1250, independent(log_uniform(1.0, 6.0))),
), 1e-15, exp_guard=False))

# --- proximal operators (numerics/prox.py; MoreauLogistic is lowered to explicit()) --------------

_PROX = "memgenkit.numerics.prox"


def _bend(rng, n):
    """omega in [-1.5 W - 10, 10], where an unguarded Newton iteration cycles, over many W."""
    W = np.exp(rng.uniform(-6.0, 10.0, n))
    return rng.uniform(-1.5 * W - 10.0, 10.0), W


_PROX_PIECES = (
    Piece("corners", 5, points((-300.0, 1e3), (300.0, 1e-3), (0.0, 1e-8), (-5.0, 1e6),
                               (40.0, 2.0))),
    Piece("broad", 600, independent(uniform(-40.0, 40.0), lambda rng, n: np.exp(
        rng.uniform(-8.0, 8.0, n)))),
    Piece("bend", 1000, _bend),
)
_PROX_DOMAIN = ((-4.0e4, 300.0), (1e-8, 1e6))

# g(z) = z - omega - W sigma(-z) is evaluated with rounding ~ eps max(|omega|, |z|): the error
# bound is absolute in units of max(1, |omega|) as well as relative.
register(NumbaSpecial("ProxLogistic", "prox_logistic", _PROX, _PROX_DOMAIN, _PROX_PIECES, 1e-15,
                      scale=lambda omega, W: max(1.0, abs(omega)), dps=30, exp_guard=False))
register(NumbaSpecial("MoreauLogistic", None, None, _PROX_DOMAIN, _PROX_PIECES, 1e-13,
                      scale=lambda omega, W: max(1.0, abs(omega)), dps=30, exp_guard=False))

# --- Marchenko-Pastur transforms (lowered to explicit()) -----------------------------------------
# Near psi = 1 and z -> 0- the compiled forms lose ~eps/sqrt|z| (b = z + psi - 1 in g, and
# b'^2 - 4 psi in h, are rounded at the scale of 1 while their exact values are O(sqrt|z|)), so h,
# the transform for use far from the spectrum, is declared down to z = -1e-4 and g down to -1e-6.


def _mp_pieces(z_lo_exp):
    return (
        Piece("broad", 1000, independent(log_uniform(z_lo_exp, 6.0, -1.0),
                                         log_uniform(-3.0, 3.0))),
        Piece("near z = 0", 500, independent(log_uniform(z_lo_exp, -2.0, -1.0),
                                             uniform(0.05, 20.0))),
        Piece("psi near 1", 500, independent(log_uniform(z_lo_exp, 2.0, -1.0),
                                             uniform(0.998, 1.002))),
        # b = z + psi - 1 ~ 0: psi = 1 - z (1 + U(-1e-3, 1e-3))
        Piece("b near 0", 500, lambda rng, n: (lambda z: (z, 1.0 - z * (1.0 + rng.uniform(
            -1e-3, 1e-3, n))))(-10.0 ** rng.uniform(z_lo_exp, -1.0, n))),
    )


register(NumbaSpecial("MPStieltjes", None, None, ((-1e6, -1e-6), (1e-3, 1e3)), _mp_pieces(-6.0),
                      1e-13, dps=30, exp_guard=False))
register(NumbaSpecial("MPResolvent", None, None, ((-1e6, -1e-4), (1e-3, 1e3)), _mp_pieces(-4.0),
                      1e-13, dps=30, exp_guard=False))
