"""Finite-size simulation of the Gardner capacity of the Rules-and-Facts (RAF) model.

Model and conventions
---------------------
* Inputs ``x_mu ~ N(0, I_N)``, ``mu = 1..P``, load ``alpha = P / N``.
* Teacher ``w*`` Gaussian, rescaled to ``|w*|^2 = N``; teacher field
  ``nu_mu = w* . x_mu / sqrt(N)``.
* Each sample independently is a FACT with probability ``eps`` (label
  ``y = +-1`` uniformly at random) and a RULE otherwise (``y = sign(nu)``,
  with ``sign(0) := +1``, a probability-zero event).
* Question: is there ``w`` with ``|w|^2 = N`` and stabilities
  ``Delta_mu = y_mu w . x_mu / sqrt(N) >= kappa`` for all ``mu``?
  (``kappa >= 0``).
* ``kappa_max(X, y) = max_{|w|^2 = N} min_mu Delta_mu``.  With
  ``G = diag(y) X / sqrt(N)`` and ``u*`` the hard-margin SVM without bias,
  ``u* = argmin |u|^2 / 2  s.t.  G u >= 1``, one has
  ``kappa_max = sqrt(N) / |u*|`` (``= 1/|u*|`` in the ``|w| = 1``
  normalisation).  If the QP is infeasible the data are not linearly
  separable and ``kappa_max <= 0``.
* Feasible at ``kappa`` iff ``kappa_max >= kappa``.  At ``kappa = 0`` the
  question is strict linear separability (``G w >= 1`` solvable, scale
  invariant) and is answered by an LP (HiGHS via ``scipy.optimize.linprog``);
  at ``kappa > 0`` by the QP above (Clarabel interior point).

Randomness
----------
Every random draw is driven by a seed (an ``int`` or a
``numpy.random.SeedSequence``).  A seed is split into four independent
streams (the children ``SeedSequence.spawn(4)`` would give, built without
mutating the parent so a SeedSequence object can be reused): teacher, inputs,
fact mask, fact labels.  Each
stream is consumed sample by sample, so the first ``P`` samples of an instance
do not depend on how many samples are drawn in total (prefix consistency).
In :func:`run_ladder` instance ``i`` at size ``N`` uses
``SeedSequence(entropy=seed, spawn_key=(N, i))``: the same instances are used
for every ``eps``/``kappa`` (common random numbers), results do not depend on
the list of sizes, the order of evaluation, or the number of workers.

Per-instance capacity
---------------------
Feasibility is monotone in ``P`` (constraints are only added), so an instance
(a prefix-consistent stream of samples) has a well-defined capacity
``P_i = max{P : prefix of length P feasible}`` and ``alpha_i = P_i / N``.
It is found exactly (up to solver correctness) by a galloping search started
at the theory guess ``round(alpha_c N)`` followed by bisection.  Every
feasible answer carries a certificate (a weight vector), which is also used
to extend the known-feasible prefix; at ``kappa = 0`` every infeasible answer
carries a Farkas certificate (verified numerically, see :func:`lp_feasibility`).

Finite-size analysis
--------------------
The feasible fraction at ``alpha`` is ``#{i : alpha_i >= alpha} / n``.
The 1/2-crossing ``alpha_half(N)`` is the median of the capacities under the
uniform-jitter lattice convention (median of ``(P_i + U)/N``,
``U ~ U[0,1)``): exactly the point where the linear interpolation of the
empirical feasible fraction ``F(P) = #{P_i >= P}/n`` between integer ``P``
crosses 1/2.  (For ``eps = 1, kappa = 0`` Cover's theorem gives
``F(2N) = 1/2`` exactly, so the population crossing is exactly ``alpha = 2``
at every ``N``.)  Its standard error is the normal-shape estimate
``sqrt(pi/2) s / sqrt(n)`` (``s`` the sample sd of the jittered capacities,
``n`` instances), see :func:`memgenkit.numerics.simulation.stats.median_with_se`
and :data:`MEDIAN_SE_METHOD` for why; the distribution-free order-statistic
se is recorded alongside as a diagnostic (and used instead when instances are
censored).
The extrapolation ``alpha_half(N) = a_inf + b / N`` is a weighted least-squares
fit with the per-N standard errors as known sigmas.  Verdict: PASS iff
``|a_inf - alpha_c| <= 3 se(a_inf)``.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from typing import Callable, NamedTuple, Optional, Sequence

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from . import stats as _stats
from ..pool import worker_pool

__all__ = [
    "SolverError",
    "Instance",
    "SampleStream",
    "sample_instance",
    "instance_seed",
    "LPResult",
    "lp_feasibility",
    "QPResult",
    "max_stability",
    "is_feasible",
    "InstanceCapacity",
    "instance_capacity",
    "PerNResult",
    "LadderResult",
    "run_ladder",
    "analyse_capacities",
    "reanalyse",
    "plot_ladder",
    "format_table",
    "benchmark_solves",
    "cover_probability",
    "VERDICT_RULE",
    "MEDIAN_CI_Z",
    "MEDIAN_SE_METHOD",
]

# Standard error of alpha_half (the median of the jittered capacities):
# normal-shape scale estimate se = sqrt(pi/2) s / sqrt(n), s = sample sd of
# (P_i + U) (see stats.median_with_se).  Why: the se enters the verdict twice
# (WLS weights and se(a_inf)), so its own noise matters.  Calibrated on Cover's
# exact capacity law (eps = 1, kappa = 0; tests/test_simulation_raf_gardner.py)
# with n = 60 instances and the default ladder 25..200 (10^5 ladders):
#   order-statistic se (95 % interval / 1.96): relative scatter ~22 %, WLS
#     z-score sd 1.06, false-FAIL rate of the 3-se verdict 0.68 %;
#   normal-shape se: relative scatter ~9.5 %, mean within +0.5..+2 % of the
#     Monte Carlo sd of the median, z-score sd 1.00, false-FAIL 0.30 %
#     (0.28 % with the exact sigmas, i.e. nominal).
# Shape: finite-N capacity fluctuations are close to normal (Cover's law is a
# binomial tail; on 21 stored RAF ladders, eps in {0.5, 1}, kappa in {0, 0.5,
# 1}, the order-statistic / normal se ratio averages 0.99, skewness ~0.35):
# a shape effect on the se of a few % at most.  The order-statistic se is kept
# in the record (alpha_half_se_order_stat) as a distribution-free cross-check,
# and is used when instances are censored (their values would inflate s).
MEDIAN_SE_METHOD = "normal"
# z of the reported 95 % interval alpha_half_ci95 (and of the order-statistic
# interval of the diagnostic / censored fallback: the wider interval makes the
# order-statistic se less noisy than the 68 % one, ~22 % vs ~33 % scatter).
MEDIAN_CI_Z = 1.96

VERDICT_RULE = "PASS iff |a_inf - alpha_c| <= 3 * se(a_inf)  (a_inf from WLS fit alpha_half(N) = a_inf + b/N)"

# Numerical thresholds of the certificates (see lp_feasibility).
_LP_FEAS_TOL = 1e-11     # certified feasible iff min_mu (G w)_mu > this (w in the box [-1,1]^N)
_LP_INFEAS_TOL = 1e-7    # certified infeasible iff Farkas bound on the box margin <= this


class SolverError(RuntimeError):
    """A solver failed or returned a result that could not be certified."""


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------
def _as_seedseq(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError("seed must be non-negative")
        return np.random.SeedSequence(int(seed))
    raise TypeError("seed must be a non-negative int or a numpy.random.SeedSequence")


def _children(ss: np.random.SeedSequence, k: int):
    """The first ``k`` children ``ss.spawn(k)`` would give, without mutating ``ss``
    (so that reusing a SeedSequence object always reproduces the same draws)."""
    return [np.random.SeedSequence(entropy=ss.entropy, spawn_key=tuple(ss.spawn_key) + (j,),
                                   pool_size=ss.pool_size) for j in range(k)]


def instance_seed(seed, N: int, index: int) -> np.random.SeedSequence:
    """Seed of instance ``index`` at size ``N`` derived from a master ``seed``.

    ``SeedSequence(entropy=seed, spawn_key=(N, index))`` for an int seed; for a
    SeedSequence master its entropy is used and ``(N, index)`` is appended to
    its spawn key.  Independent of everything else in a run.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(entropy=seed.entropy,
                                      spawn_key=tuple(seed.spawn_key) + (int(N), int(index)))
    ss = _as_seedseq(seed)
    return np.random.SeedSequence(entropy=ss.entropy, spawn_key=(int(N), int(index)))


class Instance(NamedTuple):
    """One data set.  ``X``: (P, N) inputs; ``y``: (P,) labels in {-1, +1}
    (float); ``is_fact``: (P,) bool; ``teacher``: (N,) with ``|teacher|^2 = N``."""

    X: np.ndarray
    y: np.ndarray
    is_fact: np.ndarray
    teacher: np.ndarray


class SampleStream:
    """Prefix-consistent, lazily extended stream of RAF samples.

    ``SampleStream(N, eps, seed).take(P)`` returns the first ``P`` samples; the
    result does not depend on previous or later calls (each of the four
    sub-streams is consumed sequentially).  ``G(P)`` gives the matrix
    ``diag(y) X / sqrt(N)`` of the first ``P`` samples.
    """

    def __init__(self, N: int, eps: float, seed):
        if int(N) != N or N < 1:
            raise ValueError("N must be a positive integer")
        if not (0.0 <= eps <= 1.0):
            raise ValueError("eps must lie in [0, 1]")
        self.N = int(N)
        self.eps = float(eps)
        ss_teacher, ss_x, ss_fact, ss_lab = _children(_as_seedseq(seed), 4)
        t = np.random.default_rng(ss_teacher).standard_normal(self.N)
        self.teacher = t * (math.sqrt(self.N) / np.linalg.norm(t))
        self._rng_x = np.random.default_rng(ss_x)
        self._rng_fact = np.random.default_rng(ss_fact)
        self._rng_lab = np.random.default_rng(ss_lab)
        self._X = np.empty((0, self.N))
        self._y = np.empty(0)
        self._fact = np.empty(0, dtype=bool)
        self._G = np.empty((0, self.N))

    @property
    def available(self) -> int:
        return self._X.shape[0]

    def _extend(self, P: int) -> None:
        k = P - self.available
        if k <= 0:
            return
        X = self._rng_x.standard_normal((k, self.N))
        fact = self._rng_fact.random(k) < self.eps
        rand_lab = np.where(self._rng_lab.random(k) < 0.5, -1.0, 1.0)
        nu = X @ self.teacher / math.sqrt(self.N)
        rule_lab = np.where(nu >= 0.0, 1.0, -1.0)
        y = np.where(fact, rand_lab, rule_lab)
        self._X = np.concatenate([self._X, X])
        self._y = np.concatenate([self._y, y])
        self._fact = np.concatenate([self._fact, fact])
        self._G = np.concatenate([self._G, y[:, None] * X / math.sqrt(self.N)])

    def take(self, P: int) -> Instance:
        P = int(P)
        if P < 0:
            raise ValueError("P must be >= 0")
        self._extend(P)
        return Instance(self._X[:P].copy(), self._y[:P].copy(), self._fact[:P].copy(),
                        self.teacher.copy())

    def G(self, P: int) -> np.ndarray:
        """``diag(y) X / sqrt(N)`` for the first ``P`` samples (a view)."""
        self._extend(int(P))
        return self._G[:P]


def sample_instance(N: int, P: int, eps: float, seed) -> Instance:
    """Draw one RAF data set of ``P`` samples in dimension ``N``.

    Returns ``(X, y, is_fact, teacher)``, see :class:`Instance`.  Prefix
    consistent: ``sample_instance(N, P1, eps, s)`` is the first ``P1`` rows of
    ``sample_instance(N, P2, eps, s)`` for ``P1 <= P2``.
    """
    return SampleStream(N, eps, seed).take(P)


def _stability_matrix(X, y) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError("X must be (P, N) and y of length P")
    if not np.all(np.abs(y) == 1):
        raise ValueError("labels must be +-1")
    return y[:, None] * X / math.sqrt(X.shape[1])


# ---------------------------------------------------------------------------
# kappa = 0: linear programming
# ---------------------------------------------------------------------------
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


def _lp_from_G(G: np.ndarray) -> LPResult:
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
    if min_margin > _LP_FEAS_TOL:
        feasible = True
    elif farkas <= _LP_INFEAS_TOL:
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
    return _lp_from_G(_stability_matrix(X, y))


# ---------------------------------------------------------------------------
# kappa > 0: hard-margin SVM QP (Clarabel)
# ---------------------------------------------------------------------------
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


def _qp_from_G(G: np.ndarray, *, tol: float = 1e-9, max_iter: int = 200) -> QPResult:
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
    return _qp_from_G(_stability_matrix(X, y), tol=tol)


def is_feasible(X, y, kappa: float = 0.0) -> bool:
    """Does some ``w`` with ``|w|^2 = N`` give all stabilities ``>= kappa``?

    ``kappa == 0``: strict separability by LP (:func:`lp_feasibility`).
    ``kappa > 0``: ``kappa_max >= kappa`` by QP (:func:`max_stability`); raises
    :class:`SolverError` if ``kappa`` lies inside the certified bracket
    (i.e. within solver tolerance of ``kappa_max``).
    """
    if kappa < 0:
        raise ValueError("kappa must be >= 0")
    if kappa == 0:
        return lp_feasibility(X, y).feasible
    r = max_stability(X, y)
    return _qp_decide(r, kappa)


def _qp_decide(r: QPResult, kappa: float) -> bool:
    if not r.separable:
        return False
    if r.kappa_max >= kappa:
        return True
    if r.kappa_upper < kappa:
        return False
    raise SolverError(f"kappa={kappa} lies inside the certified bracket "
                      f"[{r.kappa_max}, {r.kappa_upper}]")


# ---------------------------------------------------------------------------
# per-instance capacity
# ---------------------------------------------------------------------------
@dataclass
class InstanceCapacity:
    """Capacity of one instance: ``P`` = largest feasible prefix length.

    ``censored`` is True when the prefix of length ``P_cap`` was still feasible
    (then ``P == P_cap`` is only a lower bound).  ``probes`` lists
    ``(P, feasible)`` for every solve, in order; ``n_solves`` is its length.
    """

    N: int
    index: int
    P: int
    alpha: float
    censored: bool
    n_solves: int
    probes: list
    solve_seconds: float
    wall_seconds: float
    n_facts_in_capacity: int

    def to_dict(self):
        return asdict(self)


def _default_step(N: int, alpha_c: float) -> int:
    # Width of the capacity distribution is ~ sqrt(alpha_c N) patterns
    # (Cover: sd(P_i) ~ sqrt(2N)).
    return max(2, int(round(math.sqrt(max(alpha_c, 0.25) * N))))


def instance_capacity(N: int, eps: float, kappa: float, alpha_c: float, seed, *,
                      index: int = -1, P_cap: Optional[int] = None,
                      step: Optional[int] = None) -> InstanceCapacity:
    """Exact capacity ``P_i`` of one instance by galloping search + bisection.

    The search starts at ``round(alpha_c N)`` (theory-informed guess), gallops
    outward with doubling steps (initial step ~ ``sqrt(alpha_c N)``) until the
    bracket ends are *verified* by solves (one feasible, one infeasible), then
    bisects.  A feasible solve at ``P`` also certifies every longer prefix that
    its weight vector still satisfies; an infeasible LP's Farkas certificate
    certifies infeasibility of the prefix ending at its last support index.
    The result is therefore exact for the instance whatever ``alpha_c`` is;
    ``alpha_c`` only affects the cost.  ``P_cap`` (default
    ``max(50 N, 20 alpha_c N)``) caps the search; if the prefix of length
    ``P_cap`` is feasible the result is marked censored.
    """
    if kappa < 0:
        raise ValueError("kappa must be >= 0")
    t_wall = time.perf_counter()
    stream = SampleStream(N, eps, seed)
    if P_cap is None:
        P_cap = int(max(50 * N, math.ceil(20 * max(alpha_c, 0.0) * N)))
    step = _default_step(N, alpha_c) if step is None else int(step)
    guess = int(min(max(1, round(alpha_c * N)), P_cap))
    sqN = math.sqrt(N)

    lo = 0                  # largest prefix length certified feasible (P=0 trivially)
    hi = P_cap + 1          # smallest prefix length certified infeasible (sentinel)
    lo_probed = False       # has a solve certified feasibility (bracket end verified)?
    probes = []
    solve_secs = 0.0

    def probe(P: int) -> bool:
        nonlocal lo, hi, lo_probed, solve_secs
        # look ahead a little so that certificates can extend the feasible prefix
        P_avail = min(P_cap, max(P + step, stream.available))
        Gall = stream.G(P_avail)
        G = Gall[:P]
        if kappa == 0:
            r = _lp_from_G(G)
            solve_secs += r.seconds
            feas = r.feasible
            if feas:
                ext = Gall[P:] @ r.w
                bad = np.nonzero(ext <= _LP_FEAS_TOL)[0]
                P_ok = P + (int(bad[0]) if bad.size else ext.size)
            else:
                lam = r.lam
                supp = np.nonzero(lam > 1e-12 * lam.max())[0] if lam.size and lam.max() > 0 else np.array([], int)
                P_bad = P
                if supp.size:
                    cand = int(supp[-1]) + 1
                    ls = lam[supp]
                    bound = float(np.abs(G[supp].T @ ls).sum() / ls.sum())
                    if cand < P and bound <= _LP_INFEAS_TOL:
                        P_bad = cand
        else:
            r = _qp_from_G(G)
            solve_secs += r.seconds
            feas = _qp_decide(r, kappa)
            if feas:
                if P > 0:
                    nu = np.linalg.norm(r.u)
                    ext = sqN * (Gall[P:] @ r.u) / nu
                    bad = np.nonzero(ext < kappa)[0]
                    P_ok = P + (int(bad[0]) if bad.size else ext.size)
                else:
                    P_ok = 0
            else:
                P_bad = P
        probes.append((int(P), bool(feas)))
        if feas:
            if P_ok >= hi:
                raise SolverError(f"monotonicity violated: prefix {P_ok} certified feasible "
                                  f"but prefix {hi} certified infeasible (N={N})")
            lo = max(lo, P_ok)
            lo_probed = True
        else:
            if P_bad <= lo:
                raise SolverError(f"monotonicity violated: prefix {P_bad} certified infeasible "
                                  f"but prefix {lo} certified feasible (N={N})")
            hi = min(hi, P_bad)
        return feas

    feas0 = probe(guess)
    s = step
    if feas0:
        # gallop upward until an infeasible prefix is found (or the cap)
        while hi > P_cap and lo < P_cap:
            probe(min(P_cap, lo + s))
            s *= 2
    else:
        # gallop downward until a feasible prefix is verified (P = 0 is trivial)
        while not lo_probed:
            target = hi - s
            if target <= 0:
                lo_probed = True      # P = 0 is feasible by definition
                break
            probe(target)
            s *= 2
    while hi - lo > 1 and lo < P_cap:
        probe((lo + hi) // 2)
    censored = lo >= P_cap
    P_i = int(min(lo, P_cap))
    inst = stream.take(P_i)
    return InstanceCapacity(N=int(N), index=int(index), P=P_i, alpha=P_i / N, censored=bool(censored),
                            n_solves=len(probes), probes=probes, solve_seconds=solve_secs,
                            wall_seconds=time.perf_counter() - t_wall,
                            n_facts_in_capacity=int(inst.is_fact.sum()))


def _capacity_task(args):
    N, index, eps, kappa, alpha_c, seed, P_cap = args
    return instance_capacity(N, eps, kappa, alpha_c, instance_seed(seed, N, index),
                             index=index, P_cap=None if P_cap is None else P_cap(N) if callable(P_cap) else P_cap)


# ---------------------------------------------------------------------------
# ladder over N
# ---------------------------------------------------------------------------
@dataclass
class PerNResult:
    """Everything measured at one system size ``N``."""

    N: int
    n_instances: int
    capacities_P: list           # per-instance P_i (instance order)
    censored: list               # per-instance censoring flags
    n_solves: list               # per-instance number of LP/QP solves
    alpha_half: float            # 1/2-crossing of the feasible fraction (interpolated median of alpha_i)
    alpha_half_se: float         # se of alpha_half (method: LadderResult.median_se_method)
    alpha_half_ci95: list        # 95 % interval alpha_half -+ 1.96 se (order-statistic one if censored)
    alpha_half_se_order_stat: float  # distribution-free order-statistic se (diagnostic, noisier)
    mean_alpha: float
    sd_alpha: float
    feasible_fraction: list      # on LadderResult.alpha_grid
    fraction_se: list            # binomial se sqrt(f(1-f)/n)
    wilson_low: list             # one-sigma Wilson interval
    wilson_high: list
    distance_to_alpha_c: float   # alpha_half - alpha_c
    z_to_alpha_c: float          # (alpha_half - alpha_c) / se
    solve_seconds: float
    wall_seconds: float

    def to_dict(self):
        return asdict(self)


@dataclass
class LadderResult:
    """Result of :func:`run_ladder`; JSON-serialisable via :meth:`to_dict`."""

    eps: float
    kappa: float
    alpha_c: float
    Ns: list
    n_instances: int
    seed: int
    alpha_grid: list
    per_N: list                  # list[PerNResult]
    a_inf: float
    a_inf_se: float
    b: float
    b_se: float
    fit: dict                    # stats.WLSResult.to_dict() of alpha_half = a_inf + b/N
    alt_fits: dict               # diagnostics only (not used for the verdict)
    z_inf: float                 # (a_inf - alpha_c) / a_inf_se
    passed: bool
    verdict_rule: str
    trend: dict
    median_se_method: str
    wall_seconds: float
    workers: int
    notes: list = field(default_factory=list)

    def to_dict(self):
        d = asdict(self)
        return _jsonable(d)


def _jsonable(o):
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    if isinstance(o, (np.floating, float)):
        f = float(o)
        return f if math.isfinite(f) else None
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return o


def run_ladder(eps: float, kappa: float, alpha_c: float, Ns: Sequence[int], n_instances: int,
               seed: int, workers: int = 1, progress: Optional[Callable[[int, int], None]] = None,
               alpha_grid: Optional[Sequence[float]] = None, P_cap=None) -> LadderResult:
    """Finite-size ladder for the capacity at (eps, kappa) against theory ``alpha_c``.

    For each ``N`` in ``Ns``: ``n_instances`` per-instance capacities
    (instance ``i`` seeded by ``instance_seed(seed, N, i)``), the feasible
    fraction on ``alpha_grid`` with binomial / Wilson error bars, and the
    1/2-crossing ``alpha_half(N)`` with its standard error (normal-shape
    estimate, see :data:`MEDIAN_SE_METHOD`).
    Then ``alpha_half(N) = a_inf + b / N`` by WLS (known sigmas) and the
    verdict ``PASS iff |a_inf - alpha_c| <= 3 se(a_inf)``.

    ``workers > 1`` distributes instances over a process pool (``numerics.pool``); the
    result is identical for any ``workers`` (only timings differ).
    ``progress(done, total)`` is called after each instance.
    ``alpha_c`` is used as the search guess and as the verdict target; the
    capacities themselves do not depend on it.  ``P_cap``: optional int or
    callable ``N -> int`` capping the search (default see
    :func:`instance_capacity`); censored instances count as feasible at every
    alpha and the median must not fall among them.
    """
    t0 = time.perf_counter()
    Ns = [int(n) for n in Ns]
    if len(set(Ns)) != len(Ns):
        raise ValueError("Ns must be distinct")
    if n_instances < 2:
        raise ValueError("need at least 2 instances per N")
    if not isinstance(seed, (int, np.integer)):
        raise TypeError("run_ladder takes an int seed")
    tasks = [(N, i, float(eps), float(kappa), float(alpha_c), int(seed), P_cap)
             for N in Ns for i in range(n_instances)]
    total = len(tasks)
    results: dict = {}
    if workers is None or workers <= 1:
        for k, t in enumerate(tasks):
            results[(t[0], t[1])] = _capacity_task(t)
            if progress is not None:
                progress(k + 1, total)
    else:
        with worker_pool(min(int(workers), total)) as ex:
            futs = {ex.submit(_capacity_task, t): (t[0], t[1]) for t in tasks}
            for k, fut in enumerate(as_completed(futs)):
                results[futs[fut]] = fut.result()
                if progress is not None:
                    progress(k + 1, total)

    raw = {N: {"capacities_P": [results[(N, i)].P for i in range(n_instances)],
               "censored": [results[(N, i)].censored for i in range(n_instances)],
               "n_solves": [results[(N, i)].n_solves for i in range(n_instances)],
               "solve_seconds": float(sum(results[(N, i)].solve_seconds for i in range(n_instances))),
               "wall_seconds": float(sum(results[(N, i)].wall_seconds for i in range(n_instances)))}
           for N in Ns}
    return analyse_capacities(eps, kappa, alpha_c, raw, seed=seed, alpha_grid=alpha_grid,
                              wall_seconds=time.perf_counter() - t0, workers=workers)


def reanalyse(result, alpha_c: float, alpha_grid=None) -> LadderResult:
    """Redo the finite-size analysis of a finished ladder against a new
    ``alpha_c`` (no new solves).  ``result``: a :class:`LadderResult` or its
    ``to_dict()`` (e.g. loaded from JSON).  The capacities do not depend on the
    ``alpha_c`` used while searching, so this equals a fresh :func:`run_ladder`
    with the new value except for timings and solve counts."""
    per = _per_n_dicts(result)
    raw = {p["N"]: {k: p[k] for k in ("capacities_P", "censored", "n_solves",
                                       "solve_seconds", "wall_seconds")} for p in per}
    return analyse_capacities(_get(result, "eps"), _get(result, "kappa"), alpha_c, raw,
                              seed=_get(result, "seed"), alpha_grid=alpha_grid,
                              wall_seconds=_get(result, "wall_seconds") or 0.0,
                              workers=_get(result, "workers") or 1)


def analyse_capacities(eps: float, kappa: float, alpha_c: float, raw: dict, *, seed: int = -1,
                       alpha_grid=None, wall_seconds: float = 0.0, workers: int = 1) -> LadderResult:
    """Finite-size analysis of per-instance capacities (used by :func:`run_ladder`).

    ``raw`` maps ``N`` to a dict with ``capacities_P`` (list of int) and
    optionally ``censored``, ``n_solves``, ``solve_seconds``, ``wall_seconds``.
    All sizes must have the same number of instances.
    """
    Ns = sorted(int(N) for N in raw)
    n_list = {len(raw[N]["capacities_P"]) for N in Ns}
    if len(n_list) != 1:
        raise ValueError("all sizes must have the same number of instances")
    n_instances = n_list.pop()
    if n_instances < 2:
        raise ValueError("need at least 2 instances per N")
    # common alpha grid
    all_alpha = np.concatenate([np.asarray(raw[N]["capacities_P"], dtype=float) / N for N in Ns])
    if alpha_grid is None:
        lo_a = min(all_alpha.min(), alpha_c) * 0.98
        hi_a = max(all_alpha.max(), alpha_c) * 1.02
        alpha_grid = np.linspace(lo_a, hi_a, 81)
    alpha_grid = np.asarray(alpha_grid, dtype=float)

    per_N = []
    notes = []
    med_method = None
    for N in Ns:
        rN = raw[N]
        P = np.asarray(rN["capacities_P"], dtype=int)
        cens = np.asarray(rN.get("censored", [False] * n_instances), dtype=bool)
        alpha = P / N
        # feasible fraction: censored instances are feasible at every grid alpha
        feas_counts = np.array([np.sum((alpha >= a) | cens) for a in alpha_grid])
        f = feas_counts / n_instances
        wl, wh = _stats.wilson_interval(feas_counts, n_instances, z=1.0)
        if cens.any():
            notes.append(f"N={N}: {int(cens.sum())} censored instance(s) (capacity >= P_cap)")
            if cens.sum() * 2 >= n_instances:
                raise ValueError(f"N={N}: too many censored instances for a median")
            Pm = np.where(cens, P.max() + 10 * N, P)   # push censored values to the top
        else:
            Pm = P
        me_os = _stats.median_with_se(Pm, lattice_spacing=1.0, z=MEDIAN_CI_Z,
                                      method="order-statistic")
        if cens.any():
            # censored values are placeholders: s would be meaningless, the order
            # statistics near the median are not affected
            if me_os.ci_high >= P[cens].min():
                raise ValueError(f"N={N}: median interval reaches censored instances; raise P_cap")
            me = me_os
            notes.append(f"N={N}: order-statistic se used (censored instances)")
        else:
            me = _stats.median_with_se(Pm, lattice_spacing=1.0, z=MEDIAN_CI_Z,
                                       method=MEDIAN_SE_METHOD)
        med_method = me.description if med_method in (None, me.description) else "mixed (see notes)"
        ah, se = me.median / N, me.se / N
        per_N.append(PerNResult(
            N=N, n_instances=n_instances, capacities_P=P.tolist(), censored=cens.tolist(),
            n_solves=list(rN.get("n_solves", [])), alpha_half=ah, alpha_half_se=se,
            alpha_half_ci95=[me.ci_low / N, me.ci_high / N],
            alpha_half_se_order_stat=me_os.se / N, mean_alpha=float(alpha.mean()),
            sd_alpha=float(alpha.std(ddof=1)), feasible_fraction=f.tolist(),
            fraction_se=np.atleast_1d(_stats.binomial_se(feas_counts, n_instances)).tolist(),
            wilson_low=np.atleast_1d(wl).tolist(), wilson_high=np.atleast_1d(wh).tolist(),
            distance_to_alpha_c=ah - alpha_c, z_to_alpha_c=(ah - alpha_c) / se if se > 0 else math.nan,
            solve_seconds=float(rN.get("solve_seconds", 0.0) or 0.0),
            wall_seconds=float(rN.get("wall_seconds", 0.0) or 0.0)))

    # shape cross-check (diagnostic only): the normal-shape se assumes a near-normal
    # density at the median; the order-statistic se does not.  On Cover's exact law
    # log(se_os / se_normal) scatters by ~0.21-0.23 per size (n = 30..60 instances),
    # so a mean over k sizes beyond 3 * 0.22 / sqrt(k) flags a non-normal shape.
    lr = [math.log(p.alpha_half_se_order_stat / p.alpha_half_se) for p in per_N
          if p.alpha_half_se > 0 and p.alpha_half_se_order_stat > 0]
    if lr and not any(any(p.censored) for p in per_N):
        m_lr = float(np.mean(lr))
        if abs(m_lr) > 3 * 0.22 / math.sqrt(len(lr)):
            notes.append(f"order-statistic se / normal-shape se = {math.exp(m_lr):.2f} on average "
                         f"over {len(lr)} sizes (expected 1 +- {0.22 / math.sqrt(len(lr)):.2f}): "
                         "the capacity distribution may be far from normal near its median")

    # extrapolation
    xs = np.array([1.0 / p.N for p in per_N])
    ys = np.array([p.alpha_half for p in per_N])
    ss = np.array([p.alpha_half_se for p in per_N])
    alt_fits = {}
    if len(per_N) >= 2 and np.all(ss > 0):
        fit = _stats.wls_line(xs, ys, ss)
        a_inf, b = fit.params
        a_se, b_se = fit.se
        z_inf = (a_inf - alpha_c) / a_se
        passed = bool(abs(a_inf - alpha_c) <= 3.0 * a_se)
        fit_d = fit.to_dict()
        f2 = _stats.wls_line(np.sqrt(xs), ys, ss)
        alt_fits["a_inf + b/sqrt(N)"] = {**f2.to_dict(),
                                         "z_to_alpha_c": (f2.params[0] - alpha_c) / f2.se[0]}
        w = 1.0 / ss ** 2
        mean_w = float(np.sum(w * ys) / np.sum(w))
        alt_fits["constant"] = {"a": mean_w, "se": float(1.0 / math.sqrt(np.sum(w))),
                                "chi2": float(np.sum(w * (ys - mean_w) ** 2)), "dof": len(ys) - 1}
    else:
        a_inf = b = a_se = b_se = z_inf = math.nan
        passed = False
        fit_d = {}
        notes.append("extrapolation not possible (need >= 2 sizes with se > 0)")

    # trend toward alpha_c as N grows
    order = np.argsort([p.N for p in per_N])
    d = np.array([per_N[k].distance_to_alpha_c for k in order])
    dz = np.array([per_N[k].z_to_alpha_c for k in order])
    trend = {
        "Ns": [per_N[k].N for k in order],
        "distance": d.tolist(),
        "distance_in_se": dz.tolist(),
        "abs_distance_decreasing": bool(np.all(np.diff(np.abs(d)) < 0)) if d.size > 1 else None,
        "closer_at_largest_N": bool(abs(d[-1]) < abs(d[0])) if d.size > 1 else None,
        "same_side": bool(np.all(d > 0) or np.all(d < 0)),
        "slope_b_sign": (None if not math.isfinite(b) else ("+" if b > 0 else "-")),
        "b_over_se": (b / b_se if math.isfinite(b) and b_se > 0 else None),
    }
    return LadderResult(eps=float(eps), kappa=float(kappa), alpha_c=float(alpha_c), Ns=Ns,
                        n_instances=int(n_instances), seed=int(seed),
                        alpha_grid=alpha_grid.tolist(), per_N=per_N, a_inf=float(a_inf),
                        a_inf_se=float(a_se), b=float(b), b_se=float(b_se), fit=fit_d,
                        alt_fits=alt_fits, z_inf=float(z_inf), passed=passed,
                        verdict_rule=VERDICT_RULE, trend=trend,
                        median_se_method=str(med_method),
                        wall_seconds=float(wall_seconds), workers=int(workers or 1),
                        notes=notes)


# ---------------------------------------------------------------------------
# output
# ---------------------------------------------------------------------------
def _get(result, key):
    return result[key] if isinstance(result, dict) else getattr(result, key)


def _per_n_dicts(result):
    return [p if isinstance(p, dict) else p.to_dict() for p in _get(result, "per_N")]


def plot_ladder(result, path) -> str:
    """Write a PNG: feasible fraction vs alpha per N (binomial error bars,
    vertical line at alpha_c) and alpha_half vs 1/N with the WLS extrapolation.
    Accepts a :class:`LadderResult` or its ``to_dict()``.  Returns ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    alpha_c = _get(result, "alpha_c")
    grid = np.asarray(_get(result, "alpha_grid"))
    per = _per_n_dicts(result)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    cmap = plt.get_cmap("viridis")
    for k, p in enumerate(per):
        c = cmap(k / max(1, len(per) - 1))
        f = np.asarray(p["feasible_fraction"])
        e = np.asarray(p["fraction_se"])
        ax1.errorbar(grid, f, yerr=e, color=c, marker=".", ms=3, lw=1, capsize=1.5,
                     label=f"N={p['N']} (n={p['n_instances']})")
    ax1.axvline(alpha_c, color="k", ls="--", lw=1, label=rf"$\alpha_c$={alpha_c:.4g}")
    ax1.axhline(0.5, color="0.6", lw=0.7)
    ax1.set_xlabel(r"$\alpha = P/N$")
    ax1.set_ylabel("feasible fraction")
    ax1.set_title(rf"RAF Gardner: $\epsilon$={_get(result, 'eps'):g}, $\kappa$={_get(result, 'kappa'):g}")
    ax1.legend(fontsize=8)

    x = np.array([1.0 / p["N"] for p in per])
    yv = np.array([p["alpha_half"] for p in per])
    se = np.array([p["alpha_half_se"] for p in per])
    ax2.errorbar(x, yv, yerr=se, fmt="o", color="C0", capsize=3, label=r"$\alpha_{1/2}(N)$")
    a, b = _get(result, "a_inf"), _get(result, "b")
    a_se = _get(result, "a_inf_se")
    if a is not None and b is not None and math.isfinite(a) and math.isfinite(b):
        xx = np.linspace(0, x.max() * 1.05, 50)
        fit = _get(result, "fit")
        cov = np.asarray(fit["cov"]) if fit else np.zeros((2, 2))
        band = np.sqrt(cov[0, 0] + 2 * xx * cov[0, 1] + xx ** 2 * cov[1, 1])
        ax2.plot(xx, a + b * xx, color="C1", label=r"WLS $a_\infty + b/N$")
        ax2.fill_between(xx, a + b * xx - band, a + b * xx + band, color="C1", alpha=0.2)
        ax2.errorbar([0], [a], yerr=[a_se], fmt="s", color="C1", capsize=3,
                     label=rf"$a_\infty$={a:.4f}$\pm${a_se:.4f}")
    ax2.axhline(alpha_c, color="k", ls="--", lw=1, label=r"$\alpha_c$ (theory)")
    ax2.set_xlabel("1/N")
    ax2.set_ylabel(r"$\alpha_{1/2}$")
    ax2.set_title("PASS" if _get(result, "passed") else "FAIL")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def format_table(result) -> str:
    """Plain-text summary table (accepts a LadderResult or its ``to_dict()``)."""
    alpha_c = _get(result, "alpha_c")
    lines = [f"RAF Gardner ladder: eps={_get(result, 'eps'):g}, kappa={_get(result, 'kappa'):g}, "
             f"alpha_c(theory)={alpha_c:.6g}, seed={_get(result, 'seed')}",
             f"{'N':>6} {'inst':>5} {'alpha_half':>11} {'se':>9} {'(a-ac)/se':>10} {'solves/inst':>11}",
             "-" * 57]
    for p in _per_n_dicts(result):
        z = p["z_to_alpha_c"]
        zs = f"{z:+10.2f}" if z is not None and math.isfinite(z) else f"{'nan':>10}"
        lines.append(f"{p['N']:>6d} {p['n_instances']:>5d} {p['alpha_half']:>11.5f} "
                     f"{p['alpha_half_se']:>9.5f} {zs} "
                     f"{(np.mean(p['n_solves']) if p['n_solves'] else float('nan')):>11.2f}")
    lines.append("-" * 57)
    a, se, b = _get(result, "a_inf"), _get(result, "a_inf_se"), _get(result, "b")
    fit = _get(result, "fit") or {}
    if a is not None and math.isfinite(a):
        lines.append(f"extrapolated a_inf = {a:.5f} +- {se:.5f}   (b = {b:+.4f} +- {_get(result, 'b_se'):.4f}; "
                     f"chi2/dof = {fit.get('chi2', float('nan')):.2f}/{fit.get('dof', 0)})")
        lines.append(f"(a_inf - alpha_c)/se = {_get(result, 'z_inf'):+.2f}")
    lines.append(f"verdict: {'PASS' if _get(result, 'passed') else 'FAIL'}   [{VERDICT_RULE}]")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# utilities
# ---------------------------------------------------------------------------
def cover_probability(N: int, P: int) -> float:
    """Cover (1965): probability that P random-labelled points in general
    position in N dimensions are linearly separable by a hyperplane through
    the origin, ``2^(1-P) sum_{k=0}^{N-1} C(P-1, k)`` (exact rational, as float)."""
    if P <= N:
        return 1.0
    from fractions import Fraction
    s = sum(math.comb(P - 1, k) for k in range(N))
    return float(Fraction(s, 2 ** (P - 1)))


def benchmark_solves(N: int, alpha: float, eps: float, kappa: float = 0.0, n_rep: int = 5,
                     seed: int = 0) -> dict:
    """Time single feasibility solves at ``P = round(alpha N)`` (LP if kappa == 0,
    QP otherwise) on ``n_rep`` independent instances; returns timings in seconds."""
    P = int(round(alpha * N))
    times, feas = [], []
    for i in range(n_rep):
        G = SampleStream(N, eps, instance_seed(seed, N, i)).G(P)
        if kappa == 0:
            r = _lp_from_G(G)
            feas.append(r.feasible)
        else:
            r = _qp_from_G(G)
            feas.append(_qp_decide(r, kappa))
        times.append(r.seconds)
    return {"N": N, "P": P, "eps": eps, "kappa": kappa, "solver": "HiGHS LP" if kappa == 0 else "Clarabel QP",
            "seconds": times, "mean_seconds": float(np.mean(times)),
            "median_seconds": float(np.median(times)), "feasible": feas}


def _main(argv=None):
    import argparse
    import json

    ap = argparse.ArgumentParser(description="RAF Gardner finite-size ladder")
    ap.add_argument("--eps", type=float, required=True)
    ap.add_argument("--kappa", type=float, default=0.0)
    ap.add_argument("--alpha-c", type=float, required=True)
    ap.add_argument("--Ns", type=int, nargs="+", required=True)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--json", default=None)
    ap.add_argument("--plot", default=None)
    a = ap.parse_args(argv)

    def prog(done, total):
        print(f"\r{done}/{total}", end="", flush=True)

    res = run_ladder(a.eps, a.kappa, a.alpha_c, a.Ns, a.n, a.seed, workers=a.workers, progress=prog)
    print()
    print(format_table(res))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res.to_dict(), fh, indent=1)
    if a.plot:
        plot_ladder(res, a.plot)


if __name__ == "__main__":  # pragma: no cover
    _main()
