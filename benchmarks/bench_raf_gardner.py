"""raf-gardner benchmarks, each reported as a ratio against a baseline run in the same process.

1. One saddle-point solve with warm kernels against a straightforward scipy implementation of the
   same stored equations (scipy.integrate.quad for every Gaussian integral, scipy.optimize.root on
   the stationarity conditions), both set to reach relative 1e-8 (measured against a tight
   scipy run: quad epsrel 1e-13, root xtol 1e-13).
2. alpha_c(eps, kappa) to 1e-10, warm (against the same scipy route: quad + brentq).
3. A 200-point alpha curve with continuation, warm.
4. Start-up of `memgen solve raf-gardner ...` in a fresh process: kernel cache filled, and empty.

Run: python benchmarks/bench_raf_gardner.py [--quick] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _timing import best_of  # noqa: E402  (benchmarks/ is on sys.path when run as a script)

ROOT = Path(__file__).resolve().parents[1]


def scipy_baseline(epsrel, xtol):
    """The stored equations, evaluated with scipy: lambdified integrands + quad, then root."""
    import sympy as sp
    from scipy import integrate, optimize, special

    from memgenkit.theory.derivation import load_json

    d = load_json((ROOT / "derivations" / "raf_gardner.json").read_text())
    params = [p["symbol"] for p in d["parameters"]]

    def npdf(x):
        return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)

    mods = [{"H": lambda x: special.ndtr(-x), "LogH": lambda x: special.log_ndtr(-x),
             "GH": lambda x: math.exp(-0.5 * x * x - special.log_ndtr(-x)) / math.sqrt(2 * math.pi),
             "Npdf": npdf}, "math"]

    def compile_kernel(name, first=None):
        k = next(k for k in d["kernels"] if k["name"] == name)
        k = dict(k, outputs=k["outputs"][:first])
        args = list(k["inputs"]) + params
        cuts = [sp.lambdify(args, c, modules=mods) for c, _ in k["hints"]]
        outs = []
        for _, e in k["outputs"]:
            ints = sorted(e.atoms(sp.Integral), key=sp.default_sort_key)
            ph = [sp.Dummy() for _ in ints]
            outer = sp.lambdify(args + ph, e.xreplace(dict(zip(ints, ph))), modules=mods)
            parts = []
            for I in ints:
                (v, lo, hi), = I.limits
                parts.append((sp.lambdify([v] + args, I.function, modules=mods),
                              sp.lambdify(args, lo, modules=mods),
                              sp.lambdify(args, hi, modules=mods)))
            outs.append((outer, parts))

        def f(*vals):
            pts = []
            for c in cuts:
                try:
                    pts.append(float(c(*vals)))
                except ZeroDivisionError:
                    pass
            res = []
            for outer, parts in outs:
                ivals = []
                for fi, lo, hi in parts:
                    a, b = float(lo(*vals)), float(hi(*vals))
                    inner = [p for p in pts if a < p < b and math.isfinite(p)]
                    if math.isinf(a) or math.isinf(b):
                        # quad cannot take breakpoints on infinite ranges: split by hand
                        edges = [a] + sorted(inner) + [b]
                        val = sum(integrate.quad(fi, edges[i], edges[i + 1], args=vals,
                                                 epsabs=0, epsrel=epsrel, limit=200)[0]
                                  for i in range(len(edges) - 1))
                    else:
                        val = integrate.quad(fi, a, b, args=vals, points=inner or None,
                                             epsabs=0, epsrel=epsrel, limit=200)[0]
                    ivals.append(val)
                res.append(outer(*vals, *ivals))
            return np.array(res)

        return f

    F = compile_kernel("newton", first=2)  # the stationarity equations F_q, F_R
    cap = compile_kernel("capacity")

    def solve(alpha, eps, kappa, x0):
        sol = optimize.root(lambda x: F(x[0], x[1], alpha, eps, kappa), x0, method="hybr",
                            options={"xtol": xtol})
        return sol.x, sol.success

    def capacity(eps, kappa):
        R = optimize.brentq(lambda R: cap(R, 1.0, eps, kappa)[0], 0.0, 1 - 1e-9, xtol=1e-15)
        return cap(R, 1.0, eps, kappa)[2], R

    return solve, capacity


def startup(args_list, env):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", *args_list], env=env,
                   check=True, capture_output=True)
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    from memgenkit.numerics import api

    report = {}
    points = [(1.5, 0.3, 0.0), (0.8, 0.1, 0.5), (5.0, 0.0, 0.0)]
    api.solve("raf-gardner", alpha=1.0, eps=0.2)  # warm the kernels
    # The scipy route at the loosest settings that still give 1e-8 (equal accuracy), and a tight
    # scipy run as the reference both are measured against.
    scipy_solve, scipy_capacity = scipy_baseline(epsrel=1e-9, xtol=1e-9)
    ref_solve, _ = scipy_baseline(epsrel=1e-13, xtol=1e-13)
    rows = []
    for alpha, eps, kappa in points[:1] if a.quick else points:
        model = api.model("raf-gardner")
        x_ref, _ = ref_solve(alpha, eps, kappa, model.initial_guess(
            model.validate({"alpha": alpha, "eps": eps, "kappa": kappa})))
        x0 = model.initial_guess(model.validate({"alpha": alpha, "eps": eps, "kappa": kappa}))
        t_nb, r = best_of(lambda: api.solve("raf-gardner", alpha=alpha, eps=eps, kappa=kappa,
                                            tol=1e-9), 20)
        x_nb = np.array([r["q"], r["R"]])
        t_sp, (x_sp, ok) = best_of(lambda: scipy_solve(alpha, eps, kappa, x0), 1 if a.quick else 3)
        err_nb = float(np.max(np.abs(x_nb - x_ref) / np.abs(x_ref)))
        err_sp = float(np.max(np.abs(x_sp - x_ref) / np.abs(x_ref)))
        rows.append({"alpha": alpha, "eps": eps, "kappa": kappa, "numba_s": t_nb,
                     "scipy_s": t_sp, "ratio": t_sp / t_nb, "numba_rel_err": err_nb,
                     "scipy_rel_err": err_sp, "scipy_converged": bool(ok)})
    report["solve_vs_scipy"] = rows

    caps = []
    for eps, kappa in [(0.5, 0.0), (0.05, 0.0), (0.3, 1.0)][: 1 if a.quick else 3]:
        model = api.model("raf-gardner")
        t_nb, c = best_of(lambda: model._capacity(eps, kappa, 1e-15), 20)
        t_sp, (ac_sp, _) = best_of(lambda: scipy_capacity(eps, kappa), 1)
        caps.append({"eps": eps, "kappa": kappa, "alpha_c": c.alpha_c, "numba_s": t_nb,
                     "scipy_s": t_sp, "ratio": t_sp / t_nb,
                     "rel_diff": abs(c.alpha_c - ac_sp) / c.alpha_c})
    report["capacity"] = caps

    alphas = np.linspace(0.01, 2.5, 200)
    t_curve, cont = best_of(lambda: api.continuation("raf-gardner", "alpha", alphas, eps=0.3,
                                                     both=False), 3)
    t_cold_pts, _ = best_of(lambda: [api.solve("raf-gardner", alpha=x, eps=0.3) for x in alphas],
                            1)
    report["curve_200"] = {"continuation_s": t_curve, "independent_solves_s": t_cold_pts,
                           "converged": int(cont.forward.converged_mask().sum())}

    cmd = ["solve", "raf-gardner", "--set", "alpha=1.5", "eps=0.3", "--json"]
    env = dict(os.environ)
    warm = [startup(cmd, env) for _ in range(3)]
    base = [startup(["--help"], env) for _ in range(3)]
    cold = []
    for _ in range(1 if a.quick else 2):
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(startup(cmd, dict(env, MEMGEN_CACHE_DIR=tmp)))
    py = [best_of(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 1)[0]
          for _ in range(3)]
    report["startup"] = {"warm_cache_s": statistics.median(warm),
                         "empty_cache_s": statistics.median(cold),
                         "memgen_help_s": statistics.median(base),
                         "bare_python_s": statistics.median(py)}

    print("one solve, warm kernels, vs scipy quad + root (same equations, same process)")
    for r in rows:
        print(f"  alpha={r['alpha']:<4} eps={r['eps']:<4} kappa={r['kappa']:<4} numba "
              f"{r['numba_s'] * 1e3:8.2f} ms  scipy {r['scipy_s'] * 1e3:9.1f} ms  ratio "
              f"{r['ratio']:6.0f}x  rel.err numba {r['numba_rel_err']:.1e} scipy "
              f"{r['scipy_rel_err']:.1e}")
    print("alpha_c(eps, kappa), warm, vs scipy quad + brentq")
    for c in caps:
        print(f"  eps={c['eps']:<4} kappa={c['kappa']:<4} alpha_c={c['alpha_c']:.12f} "
              f"{c['numba_s'] * 1e3:6.2f} ms  scipy {c['scipy_s'] * 1e3:8.1f} ms  ratio "
              f"{c['ratio']:5.0f}x  |diff|/alpha_c {c['rel_diff']:.1e}")
    cv = report["curve_200"]
    print(f"200-point alpha curve (eps=0.3) with continuation: {cv['continuation_s'] * 1e3:.0f} ms "
          f"({cv['converged']}/200 converged); 200 independent solves: "
          f"{cv['independent_solves_s'] * 1e3:.0f} ms")
    st = report["startup"]
    print(f"start-up of `memgen {' '.join(cmd)}`: warm cache {st['warm_cache_s']:.2f} s, empty "
          f"cache {st['empty_cache_s']:.2f} s (memgen --help {st['memgen_help_s']:.2f} s, bare "
          f"python {st['bare_python_s']:.2f} s)")
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1))
    return report


if __name__ == "__main__":
    main()
