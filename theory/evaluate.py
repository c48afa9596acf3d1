"""High-precision evaluation of derived expressions with mpmath, and the checks built on it.

``mp_function(expr, symbols)`` turns a sympy expression that may contain Gaussian ``Integral``
nodes into an mpmath callable: every Integral becomes an ``mpmath.quad`` (tanh-sinh) over its
limits, split at the breakpoints given by the caller (where integrands have kinks or short scales).
Special functions are evaluated by the mpmath implementations of their records in
``special_registry``. This path shares nothing with the numba kernels, so it serves as their
independent reference.
"""
from __future__ import annotations

import mpmath as mp
import sympy as sp

from . import special_registry
from .derivation import Check


def mp_function(expr, symbols, breakpoints=()):
    """Return f(*values) evaluating ``expr`` with mpmath (current mp.dps).

    ``breakpoints``: sympy expressions in ``symbols`` where integrands change character; each
    integral's range is split at those that fall strictly inside it.
    """
    expr = sp.sympify(expr)
    symbols = list(symbols)
    integrals = sorted(expr.atoms(sp.Integral), key=sp.default_sort_key)
    placeholders = [sp.Dummy(f"I{i}") for i in range(len(integrals))]
    outer = expr.xreplace(dict(zip(integrals, placeholders)))
    mods = [_mp_namespace(), "mpmath"]
    f_outer = sp.lambdify(symbols + placeholders, outer, modules=mods)
    bp_funcs = [sp.lambdify(symbols, b, modules=mods) for b in breakpoints]
    parts = []
    for integral in integrals:
        (var, lo, hi), = integral.limits
        f_int = sp.lambdify([var] + symbols, integral.function, modules=mods)
        f_lo = sp.lambdify(symbols, lo, modules=mods)
        f_hi = sp.lambdify(symbols, hi, modules=mods)
        parts.append((f_int, f_lo, f_hi))

    def evaluate(*values):
        values = [mp.mpf(v) for v in values]
        cuts = []
        for bf in bp_funcs:
            try:
                c = bf(*values)
            except (ZeroDivisionError, ValueError):
                continue
            if mp.isfinite(c) and mp.im(c) == 0:
                cuts.append(mp.re(c))
        ivals = []
        for f_int, f_lo, f_hi in parts:
            lo, hi = f_lo(*values), f_hi(*values)
            inner = sorted(c for c in cuts if lo < c < hi)
            ivals.append(mp.quad(lambda t: f_int(t, *values), [lo, *inner, hi]))
        return f_outer(*values, *ivals)

    return evaluate


def _mp_namespace():
    """Every registered special function's mpmath implementation, by its sympy class name."""
    return special_registry.mpmath_namespace()


def check_symbolic(difference, detail, simplifier=sp.simplify) -> Check:
    """Passes when ``simplifier(difference)`` is identically zero."""
    residual = simplifier(sp.sympify(difference))
    ok = residual == 0
    return Check("symbolic", bool(ok), detail if ok else f"{detail}; residual {residual}")


def check_numeric(lhs, rhs, symbols, samples, tol, detail, breakpoints=(), dps=30,
                  relative=True) -> Check:
    """Compare two expressions with mpmath at the given sample points (tuples of values)."""
    with mp.workdps(dps):
        f = mp_function(lhs, symbols, breakpoints)
        g = mp_function(rhs, symbols, breakpoints)
        worst = mp.mpf(0)
        for s in samples:
            a, b = f(*s), g(*s)
            err = abs(a - b) / (abs(b) if relative and b != 0 else 1)
            worst = max(worst, err)
    ok = worst <= tol
    return Check("numeric", bool(ok), f"{detail} at {len(samples)} sample points (tol {tol:g})",
                 float(worst))
