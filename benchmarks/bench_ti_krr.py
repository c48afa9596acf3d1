"""ti-krr benchmarks, each a ratio against a baseline run in the same process.

1. All margins (every ordered pair) for n items with 5 exceptions: the closed form (generated
   Green's-function kernel + Woodbury, `TiKrr.margin_matrix`) against brute-force KRR on the same
   task (dense pair-kernel matrix of the 2(n-1) + 10 training pairs, numpy solve, then the kernel
   rows of all n(n-1) pairs, in chunks). Both agree to ~1e-12; the scaling exponent of each is
   fitted over n.
2. The thresholds (`memgen boundary ti-krr`) for n = 12 against a brute-force scan (dense KRR over
   a grid of c, then bisection on each sign change to the same 1e-12 in c).
3. Large n: `solve` above FULL_MARGINS_MAX summarizes pair by pair (no n x n matrix) -- its time
   and traced peak memory at n = 3000 against the dense all-margins solve of the same n (forced),
   and at n = 20000 (peak memory against the 8 n^2 bytes of one n x n matrix).
4. Start-up of `memgen solve ti-krr ...` in a fresh process (kernel cache filled).

The n = 1000 row of (1) is the timing that used to be a unit test: its ratio against brute force
is printed (full run; --quick stops at n = 400).

Run: python benchmarks/bench_ti_krr.py [--quick] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _timing import best_of  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

EXC = [(0.30, 0.12), (0.61, 0.58), (0.905, 0.40), (0.999, 0.002), (0.06, 0.01)]


def exceptions_for(n):
    out = set()
    for fa, fb in EXC:
        a, b = max(3, round(fa * n)), max(1, round(fb * n))
        if a >= b + 2:
            out.add((a, b))
    return sorted(out)


def brute_force_all_margins(n, exc, c, lam, chunk=4096):
    """Dense KRR on the explicit training set; margins of all ordered pairs (no reduction)."""
    from memgenkit.numerics.simulation.ti_krr import pair_kernel_matrix, training_set
    tr, y = training_set(n, exc)
    K = pair_kernel_matrix(tr, tr, c)
    alpha = np.linalg.solve(K + lam * np.eye(len(tr)), y)
    T = np.array(tr)
    pairs = np.array([(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b])
    F = np.zeros((n, n))
    for k in range(0, len(pairs), chunk):
        P = pairs[k:k + chunk]
        # kernel rows of the chunk: K = (1-c)(d_ik + d_jl)/2 + c d_ik d_jl, entry by entry
        e1 = P[:, None, 0] == T[None, :, 0]
        e2 = P[:, None, 1] == T[None, :, 1]
        F[P[:, 0] - 1, P[:, 1] - 1] = ((1 - c) / 2) * (e1 @ alpha + e2 @ alpha) \
            + c * ((e1 & e2) @ alpha)
    return F


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    from memgenkit.numerics import api
    model = api.model("ti-krr")
    c, lam = 0.3, 0.1
    sizes = [100, 200, 400] if a.quick else [100, 200, 400, 700, 1000]
    model.margin_matrix(n=50, c=c, lam=lam, exceptions="30>10")  # warm the kernels
    rows = []
    for n in sizes:
        exc = exceptions_for(n)
        spec = ",".join(f"{x}>{y}" for x, y in exc)
        t_cf, F = best_of(lambda: model.margin_matrix(n=n, c=c, lam=lam, exceptions=spec), 20)
        t_sc, _ = best_of(lambda: model.scores(n, exc, model.mu(c, lam)), 50)
        t_bf, B = best_of(lambda: brute_force_all_margins(n, exc, c, lam), 1)
        err = float(np.max(np.abs(F - B)) / np.max(np.abs(B)))
        rows.append({"n": n, "exceptions": len(exc), "closed_form_s": t_cf, "scores_only_s": t_sc,
                     "brute_force_s": t_bf, "ratio": t_bf / t_cf, "max_rel_diff": err})
    ln = np.log([r["n"] for r in rows])
    slope = {k: float(np.polyfit(ln[-3:], np.log([r[k] for r in rows][-3:]), 1)[0])
             for k in ("closed_form_s", "scores_only_s", "brute_force_s")}

    # Thresholds: boundary vs a brute-force scan in c with bisection.
    from memgenkit.numerics.simulation.ti_krr import brute_force_krr
    boundary = []
    for n, exc, spec in [(12, [(7, 4)], "7>4")] + ([] if a.quick else [(40, [(25, 12)], "25>12")]):
        t_b, res = best_of(lambda: model.boundary({"n": n, "lam": lam, "exceptions": spec}), 3)
        test = np.isin(model.pair_groups(n, exc), model.TEST_GROUPS)

        def scan():
            # up to c = 0.9: beyond, far pairs' margins fall below double resolution and the
            # dense solve's signs are noise (the model flags those pairs as unresolved)
            grid = np.linspace(0, 0.9, 400)

            def sgn(g):
                B = brute_force_krr(n, exc, g, lam)
                return np.where(np.abs(B) > 1e-10 * np.max(np.abs(B)), np.sign(B), np.nan)

            signs = [sgn(g) for g in grid]
            roots = {}
            for k in range(len(grid) - 1):
                flip = signs[k] * signs[k + 1] < 0  # both resolved, opposite signs
                for i, j in zip(*np.nonzero(test & flip)):
                    lo, hi = grid[k], grid[k + 1]
                    s_lo = signs[k][i, j]
                    while hi - lo > 1e-12:
                        mid = 0.5 * (lo + hi)
                        if np.sign(brute_force_krr(n, exc, mid, lam)[i, j]) == s_lo:
                            lo = mid
                        else:
                            hi = mid
                    roots[f"{i + 1}-{j + 1}"] = 0.5 * (lo + hi)
            return roots

        t_scan, roots = best_of(scan, 1)
        ours = {r["pair"]: r["c_star"] for r in res.observables["thresholds"]
                if r["c_star"] is not None and r["c_star"] <= 0.9}
        agree = set(ours) == set(roots) and all(abs(ours[p] - roots[p]) < 1e-9 for p in ours)
        boundary.append({"n": n, "exceptions": spec, "lam": lam, "boundary_s": t_b,
                         "scan_s": t_scan, "ratio": t_scan / t_b, "thresholds": len(ours),
                         "agree": bool(agree)})

    # Large n: pair-by-pair scan against the dense solve at the same n, and traced peaks.
    import tracemalloc

    def traced(f):
        tracemalloc.start()
        try:
            f()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    large = []
    n4 = 3000
    spec4 = ",".join(f"{x}>{y}" for x, y in exceptions_for(n4))
    model.solve(n=n4, c=c, lam=lam, exceptions=spec4)  # compile the scan
    t_scan, _ = best_of(lambda: model.solve(n=n4, c=c, lam=lam, exceptions=spec4), 3)
    full = model.FULL_MARGINS_MAX
    model.FULL_MARGINS_MAX = n4
    try:
        t_dense, _ = best_of(lambda: model.solve(n=n4, c=c, lam=lam, exceptions=spec4), 1)
        m_dense = traced(lambda: model.solve(n=n4, c=c, lam=lam, exceptions=spec4))
    finally:
        model.FULL_MARGINS_MAX = full
    m_scan = traced(lambda: model.solve(n=n4, c=c, lam=lam, exceptions=spec4))
    large.append({"n": n4, "scan_s": t_scan, "dense_s": t_dense, "ratio": t_dense / t_scan,
                  "scan_peak_bytes": m_scan, "dense_peak_bytes": m_dense})
    if not a.quick:
        n20 = 20000
        spec20 = ",".join(f"{x}>{y}" for x, y in exceptions_for(n20))
        t20, _ = best_of(lambda: model.solve(n=n20, c=c, lam=lam, exceptions=spec20), 1)
        m20 = traced(lambda: model.solve(n=n20, c=c, lam=lam, exceptions=spec20))
        large.append({"n": n20, "scan_s": t20, "scan_peak_bytes": m20,
                      "one_matrix_bytes": 8.0 * n20 ** 2,
                      "cost_estimate_bytes": model.cost("solve", {"n": n20, "c": c, "lam": lam,
                                                                  "exceptions": spec20}).memory})

    cmd = [sys.executable, "-m", "memgenkit.numerics.cli", "solve", "ti-krr", "--set", "n=1000",
           "c=0.3", "lam=0.1", "--exceptions", "300>120,610>580", "--json"]
    subprocess.run(cmd, check=True, capture_output=True)
    starts = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        starts.append(time.perf_counter() - t0)
    report = {"all_margins": rows, "scaling_exponent_last3": slope, "boundary": boundary,
              "large_n": large,
              "startup_solve_n1000_json_s": statistics.median(starts)}

    print("all margins (n x n), c=0.3, lam=0.1, 5 exceptions: closed form vs brute-force KRR")
    for r in rows:
        print(f"  n={r['n']:>5}  closed form {r['closed_form_s'] * 1e3:8.2f} ms (scores only "
              f"{r['scores_only_s'] * 1e3:6.3f} ms)  brute force {r['brute_force_s']:8.3f} s  "
              f"ratio {r['ratio']:9.0f}x  max rel diff {r['max_rel_diff']:.1e}")
    print("  scaling exponents (last three n): closed form n^{closed_form_s:.2f} (scores "
          "n^{scores_only_s:.2f}), brute force n^{brute_force_s:.2f}".format(**slope))
    for b in boundary:
        print(f"thresholds n={b['n']} {b['exceptions']} lam={b['lam']}: boundary "
              f"{b['boundary_s'] * 1e3:.1f} ms, brute-force c scan (400 points in [0, 0.9]) + "
              f"bisection {b['scan_s']:.2f} s, ratio {b['ratio']:.0f}x, {b['thresholds']} thresholds in "
              f"c <= 0.9, agree to 1e-9: {b['agree']}")
    for r in large:
        if "dense_s" in r:
            print(f"solve n={r['n']}: pair-by-pair scan {r['scan_s']:.3f} s, peak "
                  f"{r['scan_peak_bytes'] / 1e6:.2f} MB; dense all-margins solve {r['dense_s']:.2f}"
                  f" s, peak {r['dense_peak_bytes'] / 1e6:.0f} MB; time ratio {r['ratio']:.1f}x")
        else:
            print(f"solve n={r['n']}: pair-by-pair scan {r['scan_s']:.2f} s, traced peak "
                  f"{r['scan_peak_bytes'] / 1e6:.2f} MB (cost estimate "
                  f"{r['cost_estimate_bytes'] / 1e6:.2f} MB; one n x n matrix "
                  f"{r['one_matrix_bytes'] / 1e9:.1f} GB)")
    print(f"start-up of `memgen solve ti-krr --set n=1000 ... --json` (warm cache, 499500 margins "
          f"in JSON): {report['startup_solve_n1000_json_s']:.2f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
