"""Bracketed root of a scalar function by Brent's method, with its error reported.

The one root finder of the numerics: declared boundaries (boundaries.py) and the models' own
boundary conditions call :func:`find_root`. This module names no model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class RootResult:
    value: float
    bracket: tuple[float, float]
    residual: float  # |g| at the returned value
    error: float  # width of the final bracket: the root lies within value +- error
    iterations: int
    converged: bool
    message: str = ""

    def to_dict(self):
        return {"value": self.value, "bracket": list(self.bracket), "residual": self.residual,
                "error": self.error, "iterations": self.iterations,
                "converged": self.converged, "message": self.message}


def find_root(g, lo, hi, *, xtol=1e-15, rtol=np.finfo(float).eps, max_iter=200, scan=0):
    """Root of g on [lo, hi] by Brent's method.

    If g(lo) and g(hi) have the same sign, ``scan`` > 0 evaluates g on that many interior points
    and takes the first sign change; without one the result says so (converged False), it never
    guesses. The reported error is the width of the final bracket, which holds a sign change of g.
    """
    glo, ghi = g(lo), g(hi)
    if not (math.isfinite(glo) and math.isfinite(ghi)):
        return RootResult(math.nan, (lo, hi), math.nan, math.inf, 0, False,
                          "condition not finite at the bracket ends")
    if glo == 0.0:
        return RootResult(lo, (lo, lo), 0.0, 0.0, 0, True, "root at the lower end")
    if ghi == 0.0:
        return RootResult(hi, (hi, hi), 0.0, 0.0, 0, True, "root at the upper end")
    if glo * ghi > 0 and scan:
        prev_x, prev_g = lo, glo
        for k in range(1, scan + 1):
            x = lo + (hi - lo) * k / (scan + 1)
            gx = g(x)
            if math.isfinite(gx) and gx * prev_g <= 0:
                lo, hi, glo, ghi = prev_x, x, prev_g, gx
                break
            prev_x, prev_g = x, gx
    if glo * ghi > 0:
        return RootResult(math.nan, (lo, hi), math.nan, math.inf, 0, False,
                          f"no sign change of the boundary condition on [{lo:g}, {hi:g}]")
    root, other, fr, iters, ok = _zeroin(g, lo, hi, glo, ghi, xtol, rtol, max_iter)
    left, right = min(root, other), max(root, other)
    return RootResult(float(root), (float(left), float(right)), abs(fr),
                      float(max(right - left, 0.0)), iters, ok,
                      "converged" if ok else "max_iter reached")


def _zeroin(f, a, b, fa, fb, xtol, rtol, max_iter):
    """Brent's method (Brent 1973, 'zeroin'): inverse quadratic / secant steps guarded by
    bisection. Returns (b, c, f(b), iterations, converged) where the root lies between b and c.

    Written here rather than imported from scipy.optimize because importing scipy.optimize costs
    ~0.4 s, a third of the CLI start-up, for this one function.
    """
    c, fc = a, fa
    d = e = b - a
    for it in range(1, max_iter + 1):
        if fb * fc > 0:
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol1 = 2 * rtol * abs(b) + 0.5 * xtol
        xm = 0.5 * (c - b)
        if abs(xm) <= tol1 or fb == 0:
            return b, c, fb, it, True
        if abs(e) >= tol1 and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:
                p, q = 2 * xm * s, 1 - s
            else:
                q, r = fa / fc, fb / fc
                p = s * (2 * xm * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            if 2 * p < min(3 * xm * q - abs(tol1 * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = xm
        else:
            d = e = xm
        a, fa = b, fb
        b = b + (d if abs(d) > tol1 else (tol1 if xm > 0 else -tol1))
        fb = f(b)
        if not math.isfinite(fb):
            return b, c, fb, it, False
    return b, c, fb, max_iter, False
