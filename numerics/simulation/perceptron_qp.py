"""kappa > 0: the largest stability by the hard-margin SVM QP (Clarabel), with a certified bracket.

See :mod:`.perceptron` for the question, ``G`` and ``kappa_max = sqrt(N) / |u*|``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .perceptron import SolverError, stability_matrix

__all__ = ["QPResult", "max_stability", "qp_from_G", "qp_decide"]


@dataclass
class QPResult:
    """Result of :func:`max_stability`.

    separable: whether the QP ``min |u|^2/2 s.t. G u >= 1`` is feasible.
    kappa_max: certified achievable stability ``sqrt(N) min_mu (G u)_mu / |u|``
        of the returned u (a rigorous lower bound, equal to sqrt(N)/|u*| at the
        optimum).  0.0 when not separable (then the true value is <= 0).
    kappa_upper: rigorous upper bound ``sqrt(N) / sqrt(2 D(z))`` from the dual
        objective ``D(z) = sum z - |G^T z|^2 / 2`` (inf if D <= 0); 0.0 when not
        separable.
    u, z: primal / dual solution (z is a Farkas-type certificate when not
        separable).
    """

    separable: bool
    kappa_max: float
    kappa_upper: float
    u: np.ndarray
    z: np.ndarray
    status: str
    iterations: int
    seconds: float
    infeasibility_residual: float = float("nan")


def qp_from_G(G: np.ndarray, *, tol: float = 1e-9, max_iter: int = 200) -> QPResult:
    """:func:`max_stability` on a given stability matrix ``G`` (the capacity search reuses rows)."""
    import clarabel

    P, N = G.shape
    t0 = time.perf_counter()
    if P == 0:
        return QPResult(True, math.inf, math.inf, np.zeros(N), np.zeros(0), "no constraints", 0, 0.0)
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.max_iter = max_iter
    settings.tol_gap_abs = tol
    settings.tol_gap_rel = tol
    settings.tol_feas = tol
    settings.max_threads = 1
    settings.direct_solve_method = "qdldl"
    solver = clarabel.DefaultSolver(
        sparse.identity(N, format="csc"), np.zeros(N), sparse.csc_matrix(-G),
        -np.ones(P), [clarabel.NonnegativeConeT(P)], settings)
    sol = solver.solve()
    secs = time.perf_counter() - t0
    status = str(sol.status)
    u = np.asarray(sol.x, dtype=float)
    z = np.asarray(sol.z, dtype=float)
    iters = int(getattr(sol, "iterations", -1))
    if status in ("PrimalInfeasible", "AlmostPrimalInfeasible"):
        zc = np.clip(z, 0.0, None)
        s = zc.sum()
        resid = float(np.abs(G.T @ zc).sum() / s) if s > 0 else math.inf
        if not np.isfinite(resid) or resid > 1e-3:
            raise SolverError(f"Clarabel reported {status} with a poor certificate "
                              f"(|G^T z|_1/sum z = {resid:.3e}, P={P}, N={N})")
        return QPResult(False, 0.0, 0.0, u, z, status, iters, secs, resid)
    if status not in ("Solved", "AlmostSolved"):
        raise SolverError(f"Clarabel failed: status={status} (P={P}, N={N})")
    nu = np.linalg.norm(u)
    m = G @ u
    if nu == 0 or m.min() <= 0:
        raise SolverError(f"Clarabel returned {status} but u is not separating "
                          f"(min G u = {m.min():.3e}, P={P}, N={N})")
    k_lo = math.sqrt(N) * float(m.min()) / nu
    zc = np.clip(z, 0.0, None)
    D = float(zc.sum() - 0.5 * np.sum((G.T @ zc) ** 2))
    k_hi = math.sqrt(N) / math.sqrt(2.0 * D) if D > 0 else math.inf
    if k_hi < k_lo * (1 - 1e-9):
        raise SolverError(f"inconsistent bounds kappa in [{k_lo}, {k_hi}]")
    return QPResult(True, k_lo, max(k_hi, k_lo), u, z, status, iters, secs)


def max_stability(X, y, *, tol: float = 1e-9) -> QPResult:
    """Largest achievable stability ``kappa_max`` via the hard-margin SVM QP.

    ``u* = argmin |u|^2 / 2  s.t.  y_mu u.x_mu / sqrt(N) >= 1`` solved with
    Clarabel; ``kappa_max = sqrt(N) / |u*|`` for ``|w|^2 = N``.  Returns a
    certified bracket ``[kappa_max, kappa_upper]`` (primal point / dual bound).
    An infeasible QP (not separable) is reported as ``separable=False``; any
    other non-optimal status raises :class:`SolverError`.
    """
    return qp_from_G(stability_matrix(X, y), tol=tol)


def qp_decide(r: QPResult, kappa: float) -> bool:
    """Feasible at ``kappa`` from a QP bracket; :class:`SolverError` when ``kappa`` lies inside it."""
    if not r.separable:
        return False
    if r.kappa_max >= kappa:
        return True
    if r.kappa_upper < kappa:
        return False
    raise SolverError(f"kappa={kappa} lies inside the certified bracket "
                      f"[{r.kappa_max}, {r.kappa_upper}]")
