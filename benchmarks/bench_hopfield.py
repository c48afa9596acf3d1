"""Power-law Hopfield benchmarks, each against a baseline run in the same process.

1. One full-batch cross-entropy gradient step at N = 2000, P = 4000 (float32 and float64): its
   achieved flop rate (4 P N^2 flops: two (P, N) x (N, N) products) against a plain numpy matrix
   product of the same shapes (2 P N^2 flops). Target: >= 60%.
2. Zero-temperature dynamics: spin updates per second, synchronous (BLAS on a batch of states) and
   asynchronous (numba, incremental fields), against a plain numpy loop (one spin at a time,
   field recomputed as a dot product; synchronous: one matrix-vector product per state).
3. Peak memory of training at N = 4000 (P = 8000, float32) against the size of J, measured as the
   growth of the process's peak resident set (ru_maxrss) in a fresh subprocess.
4. The hopfield-snr retrieval criterion: one-step fields of K features through (F_K X^T) X
   (O(K P N), what simulation/hopfield_snr.py uses) against forming the Hebb matrix J = X^T X / N and
   applying it (O(P N^2)); the two give identical signs (checked).

Run: python benchmarks/bench_hopfield.py [--quick] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np


def best_of(f, reps):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def bench_gradient(N, P, dtype, reps):
    from memgenkit.numerics.simulation import hopfield_dynamics as hd, hopfield_snr_training as htrain
    rng = hd.rng_for(0, 1)
    X = (2 * rng.integers(0, 2, size=(P, N), dtype=np.int8) - 1)
    tr = htrain.CrossEntropyTrainer(X, lam=1.0, lr=0.1, dtype=dtype)
    tr.step()  # compile / warm up
    t_step = best_of(tr.step, reps)
    A = tr.X.copy()
    B = tr.J.copy()
    C = np.empty((P, N), dtype=dtype)
    np.matmul(A, B, out=C)
    t_mm = best_of(lambda: np.matmul(A, B, out=C), reps)
    rate_step = 4 * P * N * N / t_step
    rate_mm = 2 * P * N * N / t_mm
    return {"N": N, "P": P, "dtype": np.dtype(dtype).name, "t_step_s": t_step, "t_matmul_s": t_mm,
            "gflops_step": rate_step / 1e9, "gflops_matmul": rate_mm / 1e9,
            "ratio": rate_step / rate_mm}


def bench_dynamics(N, B, quick):
    from memgenkit.numerics.simulation import hopfield_dynamics as hd
    rng = np.random.default_rng(0)
    P = N // 10
    X = (2 * rng.integers(0, 2, size=(P, N)) - 1).astype(np.int8)
    J = hd.hebb(X)
    X0 = hd.corrupt(X[:B], 0.3, rng)
    steps = 10
    hd.synchronous(J, X0[:1], X[:1], 1)
    t = best_of(lambda: hd.synchronous(J, X0, X[:B], steps), 2)
    sync = B * N * steps / t
    hd.asynchronous(J, X0[:1], X[:1], 1, 0)
    sweeps = 3
    # fixed sweep count: a corrupted start at alpha = 0.1 takes a few sweeps to converge
    t = best_of(lambda: hd.asynchronous(J, X0, X[:B], sweeps, 0), 2)
    asyn = B * N * sweeps / t  # upper bound on sweeps run; counts checks, not only flips

    x = X0[0].astype(float)

    def np_async():
        y = x.copy()
        for i in rng.permutation(N)[: N if not quick else N // 4]:
            h = J[i] @ y
            if h != 0:
                y[i] = 1.0 if h > 0 else -1.0
    n_async = N if not quick else N // 4
    t = best_of(np_async, 1)
    np_asyn = n_async / t

    def np_sync():
        for b in range(B):
            y = X0[b].astype(float)
            for _ in range(steps):
                h = J @ y
                y = np.where(h > 0, 1.0, np.where(h < 0, -1.0, y))
    t = best_of(np_sync, 1)
    np_sync_rate = B * N * steps / t
    return {"N": N, "batch": B, "sync_updates_per_s": sync, "numpy_sync_loop_per_s": np_sync_rate,
            "sync_ratio": sync / np_sync_rate, "async_updates_per_s": asyn,
            "numpy_async_loop_per_s": np_asyn, "async_ratio": asyn / np_asyn}


_MEM_CHILD = r"""
import resource, sys, tracemalloc, numpy as np
from memgenkit.numerics.simulation import hopfield_dynamics as hd, hopfield_snr_training as htrain
N, P = int(sys.argv[1]), int(sys.argv[2])
rng = hd.rng_for(0, 1)
X = (2 * rng.integers(0, 2, size=(P, N), dtype=np.int8) - 1)
htrain.CrossEntropyTrainer(X[:8, :8], dtype=np.float32).step(1)  # compile outside the measurement
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
tracemalloc.start()
tr = htrain.CrossEntropyTrainer(X, lam=1.0, lr=0.1, dtype=np.float32)
tr.step(2)
_, traced = tracemalloc.get_traced_memory()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(traced, (peak - base) * 1024, tr.J.nbytes, X.nbytes)
"""


def bench_memory(N, P):
    out = subprocess.run([sys.executable, "-c", _MEM_CHILD, str(N), str(P)], capture_output=True,
                         text=True, check=True).stdout.split()
    traced, growth, jbytes, xbytes = map(int, out)
    # expected: J, G (N x N) + X, H float32 (P x N)
    return {"N": N, "P": P, "peak_traced_MB": traced / 2**20, "peak_rss_growth_MB": growth / 2**20,
            "J_MB": jbytes / 2**20, "ratio_to_J": traced / jbytes,
            "model_MB": (2 * jbytes + 2 * P * N * 4) / 2**20}


def bench_one_step(N, P, K, reps):
    from memgenkit.numerics.simulation import hopfield_dynamics as hd, hopfield_snr_data as hdata
    rng = hd.rng_for(0, 3)
    F = hdata.sample_features(N, N // 2, rng)
    X = hdata.sample_examples(F, P, 3, 1.5, rng).X
    Fk = F[:K].astype(np.float64)

    def direct():
        Xf = X.astype(np.float64)
        return (Fk @ Xf.T) @ Xf - P * Fk

    def via_J():
        J = hd.hebb(X, np.float64)
        return N * (Fk @ J)  # J symmetric, zero diagonal
    a, b = direct(), via_J()
    assert np.array_equal(np.sign(np.round(a)), np.sign(np.round(b)))
    t1, t2 = best_of(direct, reps), best_of(via_J, reps)
    return {"N": N, "P": P, "K": K, "t_direct_s": t1, "t_hebb_s": t2, "ratio": t2 / t1}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    res = {}
    N, P = (1000, 2000) if a.quick else (2000, 4000)
    reps = 2 if a.quick else 3
    for dt in (np.float32, np.float64):
        r = bench_gradient(N, P, dt, reps)
        res[f"gradient_{r['dtype']}"] = r
        print(f"gradient step N={N} P={P} {r['dtype']}: {r['t_step_s'] * 1e3:.0f} ms, "
              f"{r['gflops_step']:.1f} GFLOP/s vs numpy matmul {r['gflops_matmul']:.1f} GFLOP/s "
              f"-> {100 * r['ratio']:.0f}% (target >= 60%)")
    d = bench_dynamics(1000 if a.quick else 2000, 16, a.quick)
    res["dynamics"] = d
    print(f"dynamics N={d['N']}: sync {d['sync_updates_per_s']:.3g} updates/s vs numpy loop "
          f"{d['numpy_sync_loop_per_s']:.3g} (x{d['sync_ratio']:.1f}); async "
          f"{d['async_updates_per_s']:.3g} vs numpy loop {d['numpy_async_loop_per_s']:.3g} "
          f"(x{d['async_ratio']:.0f})")
    mN = 2000 if a.quick else 4000
    m = bench_memory(mN, 2 * mN)
    res["memory"] = m
    print(f"training memory N={m['N']} P={m['P']} float32: peak allocated "
          f"{m['peak_traced_MB']:.0f} MB"
          f" = {m['ratio_to_J']:.1f} x J ({m['J_MB']:.0f} MB; peak RSS growth "
          f"{m['peak_rss_growth_MB']:.0f} MB); J, G, X, H: {m['model_MB']:.0f} MB; "
          f"an N x N x P float32 temporary would be {4 * m['N'] ** 2 * m['P'] / 2**30:.0f} GB")
    o = bench_one_step(2000 if a.quick else 4000, 2000 if a.quick else 4000, 30, reps)
    res["one_step"] = o
    print(f"one-step criterion fields N={o['N']} P={o['P']} K={o['K']}: (F X^T) X "
          f"{o['t_direct_s'] * 1e3:.0f} ms vs Hebb J then J F: {o['t_hebb_s'] * 1e3:.0f} ms "
          f"(x{o['ratio']:.1f})")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)
    return res


if __name__ == "__main__":
    main()
