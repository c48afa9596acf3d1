"""Solvers for saddle-point equations: damped fixed point, Anderson acceleration, Newton.

Conventions:

* ``mixing`` is the weight on the NEW iterate: x <- (1 - mixing) x + mixing T(x). mixing = 1 is
  plain iteration; small mixing is heavy damping. (Some codes call the weight on the old iterate
  "damping"; we never use that word.)
* Every solver returns a :class:`SolveStatus` (converged, iterations, residual, method, message).
  The residual is max_i |T_i(x) - x_i|, the fixed-point mismatch in units of the order
  parameters, whatever the method, so residuals are comparable across methods. Converged means
  residual < tol, or (Newton only) a Newton correction below tol with the residual at rounding
  level (< 1e-8), which the message then says.
* ``inside(x)`` is the open domain of the order parameters; a step that leaves it is shortened
  (fixed point, Newton) or restarted from plain damped iteration (Anderson). A solver never returns
  a point outside the domain as converged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class SolveStatus:
    converged: bool
    iterations: int
    residual: float
    method: str
    message: str = ""
    trace: list = field(default_factory=list, repr=False)

    def to_dict(self):
        return {"converged": bool(self.converged), "iterations": int(self.iterations),
                "residual": float(self.residual), "method": self.method,
                "message": self.message}


def _finite(v):
    return bool(np.all(np.isfinite(v)))


def _residual(T, x):
    tx = T(x)
    if not _finite(tx):
        return tx, math.inf
    return tx, float(np.max(np.abs(tx - x)))


def fixed_point(T, x0, *, mixing=0.5, tol=1e-12, max_iter=5000, inside=None, trace=False):
    """Damped iteration x <- (1-mixing) x + mixing T(x)."""
    if not 0.0 < mixing <= 1.0:
        raise ValueError(f"mixing must be in (0, 1], got {mixing}")
    x = np.array(x0, dtype=float)
    hist = []
    res = math.inf
    for it in range(1, max_iter + 1):
        tx, res = _residual(T, x)
        if trace:
            hist.append(res)
        if res < tol:
            return x, SolveStatus(True, it, res, "fixed-point", "", hist)
        if not math.isfinite(res):
            return x, SolveStatus(False, it, res, "fixed-point", "map not finite", hist)
        step = mixing
        new = (1 - step) * x + step * tx
        while inside is not None and not inside(new) and step > 1e-12:
            step *= 0.5
            new = (1 - step) * x + step * tx
        if inside is not None and not inside(new):
            return x, SolveStatus(False, it, res, "fixed-point", "left the domain", hist)
        x = new
    return x, SolveStatus(False, max_iter, res, "fixed-point", "max_iter reached", hist)


def anderson(T, x0, *, mixing=0.5, memory=5, tol=1e-12, max_iter=2000, inside=None,
             trace=False):
    """Anderson acceleration (type II) of the damped map, with restart on domain violations."""
    x = np.array(x0, dtype=float)
    X, G = [], []  # histories of iterates and of residual vectors g = T(x) - x
    hist = []
    res = math.inf
    for it in range(1, max_iter + 1):
        tx, res = _residual(T, x)
        if trace:
            hist.append(res)
        if res < tol:
            return x, SolveStatus(True, it, res, "anderson", "", hist)
        if not math.isfinite(res):
            return x, SolveStatus(False, it, res, "anderson", "map not finite", hist)
        g = tx - x
        X.append(x.copy())
        G.append(g)
        if len(X) > memory + 1:
            X.pop(0)
            G.pop(0)
        new = x + mixing * g
        if len(X) > 1:
            dG = np.array([G[i + 1] - G[i] for i in range(len(G) - 1)]).T
            dX = np.array([X[i + 1] - X[i] for i in range(len(X) - 1)]).T
            gamma, *_ = np.linalg.lstsq(dG, g, rcond=None)
            new = x + mixing * g - (dX + mixing * dG) @ gamma
        if (inside is not None and not inside(new)) or not _finite(new):
            X, G = [], []  # restart: the extrapolation left the domain
            step = mixing
            new = x + step * g
            while inside is not None and not inside(new) and step > 1e-12:
                step *= 0.5
                new = x + step * g
            if inside is not None and not inside(new):
                return x, SolveStatus(False, it, res, "anderson", "left the domain", hist)
        x = new
    return x, SolveStatus(False, max_iter, res, "anderson", "max_iter reached", hist)


def newton(system, x0, *, tol=1e-12, max_iter=100, inside=None, trace=False):
    """Newton on the stationarity equations F(x) = 0 with the analytic Jacobian.

    ``system(x)`` returns (F, J, g) with g = T(x) - x the fixed-point mismatch, so one call gives
    the step, and the same call at the trial point gives its residual and the next step.
    Backtracking keeps the iterate in the domain and requires the residual not to grow by more
    than a factor 2 (a mild safeguard; a saddle is not a minimum of anything).
    """
    x = np.array(x0, dtype=float)
    hist = []

    def evaluate(z):
        f, jac, g = system(z)
        # sums are finite iff every entry is (cheaper than three isfinite passes)
        ok = math.isfinite(float(f.sum()) + float(jac.sum()) + float(g.sum()))
        return f, jac, (float(np.max(np.abs(g))) if ok else math.inf)

    f, jac, res = evaluate(x)
    for it in range(1, max_iter + 1):
        if trace:
            hist.append(res)
        if res < tol:
            return x, SolveStatus(True, it, res, "newton", "", hist)
        if not math.isfinite(res):
            return x, SolveStatus(False, it, res, "newton", "equations not finite", hist)
        try:
            dx = np.linalg.solve(jac, -f)
        except np.linalg.LinAlgError:
            return x, SolveStatus(False, it, res, "newton", "singular Jacobian", hist)
        if np.max(np.abs(dx)) <= tol * max(1.0, float(np.max(np.abs(x)))) and res < 1e-8:
            # The Newton correction is below tol: x is as exact as double precision allows,
            # even if rounding in T keeps |T(x) - x| slightly above tol (q very close to 1).
            return x, SolveStatus(True, it, res, "newton",
                                  f"step {np.max(np.abs(dx)):.1e} < tol; residual at rounding "
                                  "level", hist)
        step = 1.0
        while step > 1e-10:
            new = x + step * dx
            if inside is None or inside(new):
                nf, njac, new_res = evaluate(new)
                if new_res <= 2 * res or new_res < tol:
                    break
            step *= 0.5
        else:
            return x, SolveStatus(False, it, res, "newton", "line search failed", hist)
        x, f, jac, res = new, nf, njac, new_res
    return x, SolveStatus(res < tol, max_iter, res, "newton",
                          "" if res < tol else "max_iter reached", hist)


def hybrid(system, T, x0, *, mixing=0.5, tol=1e-12, switch=1e-3, inside=None, trace=False,
           max_iter=2000):
    """Newton from ``x0``; if it fails, damped iteration to ``switch`` and Newton again; then
    Anderson; then heavily damped iteration. A hard point costs time, not correctness: whichever
    stage converges first is returned, and the message says which stages failed and why.
    """
    iters, hist, failures = 0, [], []

    def run(stage, fn, *args, **kws):
        nonlocal iters, hist
        x, st = fn(*args, **kws)
        iters += st.iterations
        hist += st.trace
        if not st.converged:
            failures.append(f"{stage}: {st.message}")
        return x, st

    common = dict(tol=tol, inside=inside, trace=trace)
    x, st = run("newton", newton, system, x0, max_iter=50, **common)
    if st.converged:
        return x, SolveStatus(True, iters, st.residual, "hybrid", st.message, hist)
    xd, _ = run("damped", fixed_point, T, x0, mixing=mixing, tol=switch, max_iter=max_iter,
                inside=inside, trace=trace)
    for stage, fn, kws in (
            ("newton after damping", newton, dict(max_iter=100)),
            ("anderson", anderson, dict(mixing=mixing, max_iter=max_iter)),
            ("damped", fixed_point, dict(mixing=mixing * 0.25, max_iter=max_iter * 5))):
        args = (system, xd) if fn is newton else (T, xd)
        x, st = run(stage, fn, *args, **kws, **common)
        if st.converged:
            return x, SolveStatus(True, iters, st.residual, "hybrid",
                                  "; ".join(failures + [f"{stage} converged {st.message}"]),
                                  hist)
    return x, SolveStatus(False, iters, st.residual, "hybrid", "; ".join(failures), hist)


METHODS = ("hybrid", "newton", "anderson", "fixed-point")


def iterate_map(T, x0, *, method="anderson", mixing=0.5, **common):
    """Iterate x <- T(x): damped fixed point (``method="fixed-point"``), or Anderson that falls
    back to a damped iteration (mixing at most 0.3) when it does not converge; plain damped
    iteration is slower but more robust. ``common``: tol, max_iter, inside, trace."""
    if method == "fixed-point":
        return fixed_point(T, x0, mixing=mixing, **common)
    x, st = anderson(T, x0, mixing=mixing, **common)
    if not st.converged:
        x, st = fixed_point(T, x0, mixing=min(mixing, 0.3), **common)
    return x, st
