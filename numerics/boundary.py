"""Phase-boundary finder: bracketed root of a boundary condition, with its error reported."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq


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


def find_root(g, lo, hi, *, xtol=1e-15, rtol=4 * np.finfo(float).eps, max_iter=200, scan=0):
    """Root of g on [lo, hi] by Brent's method.

    If g(lo) and g(hi) have the same sign, ``scan`` > 0 evaluates g on that many interior points
    and takes the first sign change; without one the result says so (converged False), it never
    guesses. The reported error is the final bracket width, which Brent guarantees to contain a root.
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
    # Track the bracket ourselves: brentq returns a point, we want a certified interval.
    evals = []

    def wrapped(x):
        v = g(x)
        evals.append((x, v))
        return v

    root, info = brentq(wrapped, lo, hi, xtol=xtol, rtol=rtol, maxiter=max_iter,
                        full_output=True, disp=False)
    # Nearest evaluated points on either side with the end signs: a certified bracket.
    left = max((x for x, v in evals if v * glo > 0 and x <= root), default=lo)
    right = min((x for x, v in evals if v * ghi > 0 and x >= root), default=hi)
    width = max(right - left, abs(root) * rtol)
    return RootResult(float(root), (float(left), float(right)), abs(g(root)), float(width),
                      info.iterations, bool(info.converged), info.flag)
