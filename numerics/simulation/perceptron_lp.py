"""kappa = 0: strict linear separability by an LP (HiGHS), certified both ways.

See :mod:`.perceptron` for the question and the stability matrix ``G``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

from .perceptron import SolverError, stability_matrix

__all__ = ["LPResult", "lp_feasibility", "lp_from_G", "LP_FEAS_TOL", "LP_INFEAS_TOL"]

# Numerical thresholds of the certificates (see lp_feasibility).
LP_FEAS_TOL = 1e-11     # certified feasible iff min_mu (G w)_mu > this (w in the box [-1,1]^N)
LP_INFEAS_TOL = 1e-7    # certified infeasible iff Farkas bound on the box margin <= this


@dataclass
class LPResult:
    """Result of :func:`lp_feasibility`.

    feasible: strict linear separability (exists w with y_mu w.x_mu > 0 for all mu).
    w: the LP weight vector (in the box [-1, 1]^N); a certificate when feasible.
    min_margin: ``min_mu (G w)_mu`` evaluated directly (G = diag(y) X / sqrt(N)).
    box_margin: the LP optimum t* = max_{w in box} min_mu (G w)_mu.
    farkas_bound: ``|G^T lam|_1 / sum(lam)`` for the dual vector lam >= 0, a
        rigorous upper bound on t* (weak duality); ~0 certifies infeasibility.
    lam: dual multipliers (Farkas certificate when infeasible).
    """

    feasible: bool
    w: np.ndarray
    min_margin: float
    box_margin: float
    farkas_bound: float
    lam: np.ndarray
    status: int
    message: str
    seconds: float


def lp_from_G(G: np.ndarray) -> LPResult:
    """:func:`lp_feasibility` on a given stability matrix ``G`` (the capacity search reuses rows)."""
    P, N = G.shape
    t0 = time.perf_counter()
    if P == 0:
        return LPResult(True, np.zeros(N), math.inf, math.inf, math.inf, np.zeros(0), 0,
                        "no constraints", 0.0)
    # max t  s.t.  G w >= t 1,  -1 <= w_i <= 1,  t free.
    # (The zero-objective form "G w >= 1, w free" makes HiGHS report model
    # status 'Unknown' on infeasible instances near capacity; this bounded
    # form is always feasible and bounded and yields both certificates.)
    c = np.zeros(N + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-G, np.ones((P, 1))])
    b_ub = np.zeros(P)
    bounds = [(-1.0, 1.0)] * N + [(None, None)]
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    secs = time.perf_counter() - t0
    if res.status != 0 or res.x is None:
        raise SolverError(f"HiGHS LP failed: status={res.status}: {res.message}")
    w = np.asarray(res.x[:N])
    t_star = float(-res.fun)
    lam = np.clip(-np.asarray(res.ineqlin.marginals, dtype=float), 0.0, None)
    margins = G @ w
    min_margin = float(margins.min())
    s = lam.sum()
    farkas = float(np.abs(G.T @ lam).sum() / s) if s > 0 else math.inf
    if min_margin > LP_FEAS_TOL:
        feasible = True
    elif farkas <= LP_INFEAS_TOL:
        feasible = False
    else:
        raise SolverError(
            f"LP result could not be certified: min margin of w = {min_margin:.3e}, "
            f"Farkas bound = {farkas:.3e}, t* = {t_star:.3e} (P={P}, N={N})")
    return LPResult(feasible, w, min_margin, t_star, farkas, lam, int(res.status),
                    str(res.message), secs)


def lp_feasibility(X, y) -> LPResult:
    """Strict linear separability of ``(X, y)`` by an LP (HiGHS).

    Solves ``t* = max_{w in [-1,1]^N} min_mu (G w)_mu`` with
    ``G = diag(y) X / sqrt(N)``; the data are separable iff ``t* > 0``, which is
    the same question as the scale-invariant system ``G w >= 1``.  The answer
    is certified both ways: *feasible* requires the returned ``w`` to satisfy
    ``min_mu (G w)_mu > 1e-11`` on direct evaluation; *infeasible* requires the
    dual vector ``lam >= 0`` to give ``|G^T lam|_1 / sum(lam) <= 1e-7``, which
    bounds ``t*`` from above by weak duality.  Anything else raises
    :class:`SolverError`.
    """
    return lp_from_G(stability_matrix(X, y))
