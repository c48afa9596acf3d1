"""Timing helper shared by the benchmark scripts (run as `python benchmarks/bench_*.py`)."""
from __future__ import annotations

import time


def best_of(fn, repeat):
    """(fastest wall time over ``repeat`` calls, the last result)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out
