"""Finite-size simulation of the Gardner capacity of the Rules-and-Facts (RAF) model.

The pieces, one job per module:

* :mod:`.raf_samples`: the RAF data (teacher, rules and facts), seeded and prefix consistent;
* :mod:`.perceptron`: the question (stabilities ``>= kappa`` at ``|w|^2 = N``), solved by
  :mod:`.perceptron_lp` at ``kappa = 0`` (HiGHS LP) and :mod:`.perceptron_qp` at ``kappa > 0``
  (Clarabel QP), every answer certified;
* :mod:`.capacity_search`: the exact capacity ``P_i`` of one instance;
* :mod:`.capacity_ladder`: the 1/2-crossing per size, its ``a_inf + b/N`` extrapolation and the
  verdict;
* :mod:`.raf_gardner_report`: the figure and the text table.

This module assembles them into the ladder :func:`run_ladder`, and holds the names the
raf-gardner model calls (``numerics/models/raf_gardner.py``).

Instance ``i`` at size ``N`` uses ``SeedSequence(entropy=seed, spawn_key=(N, i))``: the same
instances are used for every ``eps``/``kappa`` (common random numbers), results do not depend on
the list of sizes, the order of evaluation, or the number of workers.
"""

from __future__ import annotations

import time
from concurrent.futures import as_completed
from typing import Callable, Optional, Sequence

import numpy as np

from ..pool import worker_pool
from .capacity_ladder import LadderResult, analyse_capacities
from .capacity_search import instance_capacity, is_feasible
from .raf_gardner_report import format_table, plot_ladder
from .raf_samples import instance_seed, sample_instance

__all__ = ["run_ladder", "sample_instance", "instance_seed", "is_feasible", "plot_ladder",
           "format_table"]


def _capacity_task(args):
    N, index, eps, kappa, alpha_c, seed, P_cap = args
    return instance_capacity(N, eps, kappa, alpha_c, instance_seed(seed, N, index),
                             index=index, P_cap=None if P_cap is None else P_cap(N) if callable(P_cap) else P_cap)


def run_ladder(eps: float, kappa: float, alpha_c: float, Ns: Sequence[int], n_instances: int,
               seed: int, workers: int = 1, progress: Optional[Callable[[int, int], None]] = None,
               alpha_grid: Optional[Sequence[float]] = None, P_cap=None) -> LadderResult:
    """Finite-size ladder for the capacity at (eps, kappa) against theory ``alpha_c``.

    For each ``N`` in ``Ns``: ``n_instances`` per-instance capacities
    (instance ``i`` seeded by ``instance_seed(seed, N, i)``), the feasible
    fraction on ``alpha_grid`` with binomial / Wilson error bars, and the
    1/2-crossing ``alpha_half(N)`` with its standard error (normal-shape
    estimate, see :data:`.capacity_ladder.MEDIAN_SE_METHOD`).
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
