"""Feasibility of one data set at margin kappa, and the exact capacity of one instance.

Per-instance capacity
---------------------
Feasibility is monotone in ``P`` (constraints are only added), so an instance
(a prefix-consistent stream of samples, :class:`.raf_samples.SampleStream`) has
a well-defined capacity ``P_i = max{P : prefix of length P feasible}`` and
``alpha_i = P_i / N``.  It is found exactly (up to solver correctness) by a
galloping search started at the theory guess ``round(alpha_c N)`` followed by
bisection.  Every feasible answer carries a certificate (a weight vector),
which is also used to extend the known-feasible prefix; at ``kappa = 0`` every
infeasible answer carries a Farkas certificate (verified numerically, see
:func:`.perceptron_lp.lp_feasibility`).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Optional

import numpy as np

from .perceptron import SolverError
from .perceptron_lp import LP_FEAS_TOL, LP_INFEAS_TOL, lp_feasibility, lp_from_G
from .perceptron_qp import max_stability, qp_decide, qp_from_G
from .raf_samples import SampleStream

__all__ = ["is_feasible", "InstanceCapacity", "instance_capacity"]


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
    return qp_decide(r, kappa)


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
            r = lp_from_G(G)
            solve_secs += r.seconds
            feas = r.feasible
            if feas:
                ext = Gall[P:] @ r.w
                bad = np.nonzero(ext <= LP_FEAS_TOL)[0]
                P_ok = P + (int(bad[0]) if bad.size else ext.size)
            else:
                lam = r.lam
                supp = np.nonzero(lam > 1e-12 * lam.max())[0] if lam.size and lam.max() > 0 else np.array([], int)
                P_bad = P
                if supp.size:
                    cand = int(supp[-1]) + 1
                    ls = lam[supp]
                    bound = float(np.abs(G[supp].T @ ls).sum() / ls.sum())
                    if cand < P and bound <= LP_INFEAS_TOL:
                        P_bad = cand
        else:
            r = qp_from_G(G)
            solve_secs += r.seconds
            feas = qp_decide(r, kappa)
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
