"""raf-erm benchmarks, each reported as a ratio against a baseline run in the same process.

1. One converged saddle point per loss (square, hinge, logistic) with warm kernels, against a
   straightforward scipy implementation of the same stored equations: the channel and prior
   kernels of derivations/raf_erm.json lambdified to numpy/scipy, every Gaussian integral by
   scipy.integrate.quad (split at the stored hints), the logistic prox by scipy.optimize.brentq
   inside the integrand; the same Anderson iteration (numerics/solvers.py) drives both, to the
   same tolerance. Accuracy of both is measured against a tight scipy run (quad epsrel 1e-13).
   "ours" is the default solve: the Anderson loop compiled into the generated module with the
   kernels (numerics/drivers.py, cached on disk); also timed: the same iteration driven from
   Python (method="anderson-py"). The square loss is also timed in its closed form; its scipy baseline integrates the integral
   form of the channel (the stored kernel being closed form).
2. A grid of (alpha, lam) points for hinge (cold starts; --grid N for N x N).
3. Small ridge in the separable regime (hinge, eps = 0, alpha = 30, lam = 1e-5, where the
   iteration crawls: eigenvalue 0.9988): the default solve (compiled Anderson, then Newton on
   (m/sqrt q, log q, log V)) against the Python iterations alone (method="anderson-py": Anderson
   then damped), which is what ran before and did not converge.

Run: python benchmarks/bench_raf_erm.py [--quick] [--grid N] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
POINT = dict(alpha=2.0, eps=0.2, lam=0.1, mu1=1.0, mustar=0.3)


def scipy_map(loss, epsrel):
    """prior(channel(x)) from the stored expressions, evaluated with scipy quad."""
    import sympy as sp
    from scipy import integrate, optimize, special

    from memgenkit.theory.derivation import load_json
    d = load_json((ROOT / "derivations" / "raf_erm.json").read_text())
    params = [p["symbol"] for p in d["parameters"]]
    kern = {k["name"]: k for k in d["kernels"]}

    def npdf(x):
        return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)

    def H(x):
        return 0.5 * special.erfc(x / math.sqrt(2))

    def prox(om, W):
        def g(z):
            return z - om - W * special.expit(-z)
        return optimize.brentq(g, om, om + W, xtol=1e-15, rtol=4e-16)

    mods = [{"Npdf": npdf, "H": H, "LogH": lambda x: special.log_ndtr(-x),
             "GH": lambda x: npdf(x) / H(x), "ProxLogistic": prox}, "math"]

    def compile_kernel(k):
        ins = list(k["inputs"]) + params
        exprs = [e for _, e in k["outputs"]]
        ints = sorted(set().union(*[e.atoms(sp.Integral) for e in exprs]),
                      key=sp.default_sort_key)
        ph = [sp.Dummy() for _ in ints]
        outer = [sp.lambdify(ins + ph, e.xreplace(dict(zip(ints, ph))), modules=mods)
                 for e in exprs]
        parts = []
        for I in ints:
            (var, lo, hi), = I.limits
            parts.append((sp.lambdify([var] + ins, I.function, modules=mods),
                          sp.lambdify(ins, lo, modules=mods), sp.lambdify(ins, hi, modules=mods)))
        cuts = [sp.lambdify(ins, c, modules=mods) for c, _ in k["hints"]]

        def f(x, p):
            args = list(x) + list(p)
            cs = []
            for c in cuts:
                try:
                    v = float(c(*args))
                except (ZeroDivisionError, ValueError):
                    continue
                if math.isfinite(v):
                    cs.append(v)
            vals = []
            for fi, flo, fhi in parts:
                lo, hi = float(flo(*args)), float(fhi(*args))
                lo, hi = max(lo, -12.0), min(hi, 12.0)  # Gaussian weight < 1e-32 beyond
                pts = sorted([lo, *[c for c in cs if lo < c < hi], hi])
                vals.append(sum(integrate.quad(lambda t: fi(t, *args), a, b, epsabs=0,
                                               epsrel=epsrel, limit=200)[0]
                                for a, b in zip(pts[:-1], pts[1:]) if b > a))
            return np.array([o(*args, *vals) for o in outer])
        return f

    k_ch = kern[f"channel_{loss}"]
    if loss == "square":
        # The stored square kernel is closed form; the baseline integrates the integral form
        # (the channel term of the derivation, differentiated under the integral sign).
        step = next(s for s in d["steps"] if s["name"] == "channel term, square loss")
        ch_int = step["expressions"]["Phi_ch"]
        syms = {s.name: s for s in ch_int.free_symbols}
        al = next(p for p in params if p.name == "alpha")
        mm, qq, VV = k_ch["inputs"]
        k_ch = dict(k_ch, outputs=[("mhat", al * sp.diff(ch_int, mm)),
                                   ("qhat", 2 * al * sp.diff(ch_int, VV)),
                                   ("Vhat", -2 * al * sp.diff(ch_int, qq))])
        del syms
    ch, pr = compile_kernel(k_ch), compile_kernel(kern["prior"])

    def T(x, p):
        return pr(ch(x, p), p)
    return T


def timeit(fn, repeat=3):
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_point(loss, tol=1e-10):
    from memgenkit.numerics import api
    from memgenkit.numerics.solvers import anderson
    m = api.model("raf-erm")
    v = m.validate(dict(POINT, loss=loss))
    p = m.pvec(v)
    m.solve(v, iterate=True)  # warm the kernels (and load the cached driver)
    t_ours, r = timeit(lambda: m.solve(v, iterate=True, tol=tol), repeat=5)
    x_ours = np.array([r["m"], r["q"], r["V"]])
    T_base = scipy_map(loss, 1e-10)
    T_ref = scipy_map(loss, 1e-13)
    x0 = m.initial_guess(v)
    t_base, (x_base, st) = timeit(lambda: anderson(lambda x: T_base(x, p), x0, mixing=0.5,
                                                   tol=tol, inside=m.inside), repeat=1)
    x_ref, st_ref = anderson(lambda x: T_ref(x, p), x_base, mixing=0.5, tol=1e-13,
                             inside=m.inside)
    out = {"loss": loss, "ours_s": t_ours, "scipy_s": t_base, "speedup": t_base / t_ours,
           "ours_err": float(np.max(np.abs(x_ours - x_ref) / np.abs(x_ref))),
           "scipy_err": float(np.max(np.abs(x_base - x_ref) / np.abs(x_ref))),
           "iterations": r.status["iterations"]}
    # the same Anderson iteration driven from Python (kernels called one by one)
    t_py, r_py = timeit(lambda: m.solve(v, iterate=True, tol=tol, method="anderson-py"))
    x_py = np.array([r_py["m"], r_py["q"], r_py["V"]])
    out.update(py_s=t_py, py_speedup=t_base / t_py,
               py_err=float(np.max(np.abs(x_py - x_ref) / np.abs(x_ref))))
    if loss == "square":
        t_cf, _ = timeit(lambda: m.solve(v), repeat=20)
        out["closed_form_s"] = t_cf
        out["closed_form_speedup"] = t_base / t_cf
    return out


def bench_grid(n, loss="hinge"):
    from memgenkit.numerics import api
    m = api.model("raf-erm")
    alphas = np.linspace(0.5, 5.0, n)
    lams = np.logspace(-3, 1, n)
    m.solve(dict(POINT, loss=loss))
    t0 = time.perf_counter()
    conv = sum(m.solve(dict(POINT, alpha=a, lam=lam, loss=loss)).converged
               for a in alphas for lam in lams)
    return {"grid": f"{n}x{n}", "loss": loss, "seconds": time.perf_counter() - t0,
            "converged": int(conv), "points": n * n}


def bench_small_ridge(params=None):
    from memgenkit.numerics import api
    m = api.model("raf-erm")
    v = dict(params or dict(alpha=30.0, eps=0.0, lam=1e-5, loss="hinge"))
    m.solve(dict(v, alpha=2.0, lam=0.1))  # warm the kernels and the driver
    t_ours, r = timeit(lambda: m.solve(v), repeat=3)
    t_py, r_py = timeit(lambda: m.solve(v, method="anderson-py"), repeat=1)
    return {"params": v, "ours_s": t_ours, "ours_converged": r.converged,
            "ours_method": r.status["method"], "py_s": t_py, "py_converged": r_py.converged,
            "ratio": t_py / t_ours}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="square and hinge only, 10x10 grid")
    ap.add_argument("--grid", type=int, default=None)
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    losses = ("square", "hinge") if a.quick else ("square", "hinge", "logistic")
    res = {"points": [bench_point(loss) for loss in losses],
           "grid": bench_grid(a.grid or (10 if a.quick else 100)),
           "small_ridge": bench_small_ridge()}
    for r in res["points"]:
        line = (f"{r['loss']:<9} ours {r['ours_s'] * 1e3:8.2f} ms ({r['iterations']} it, rel err "
                f"{r['ours_err']:.1e})  scipy quad {r['scipy_s']:8.2f} s (rel err "
                f"{r['scipy_err']:.1e})  speedup {r['speedup']:8.0f}x")
        line += (f"; Python-driven Anderson {r['py_s'] * 1e3:.2f} ms ({r['py_speedup']:.0f}x, "
                 f"rel err {r['py_err']:.1e})")
        if "closed_form_s" in r:
            line += (f"; closed form {r['closed_form_s'] * 1e6:.0f} us "
                     f"({r['closed_form_speedup']:.0f}x)")
        print(line)
    g = res["grid"]
    print(f"grid {g['grid']} ({g['loss']}, cold starts): {g['seconds']:.2f} s, "
          f"{g['converged']}/{g['points']} converged")
    sr = res["small_ridge"]
    print(f"small ridge {sr['params']}: ours {sr['ours_s']:.3f} s (converged="
          f"{sr['ours_converged']}, {sr['ours_method']}); Python iterations {sr['py_s']:.2f} s "
          f"(converged={sr['py_converged']}); ratio {sr['ratio']:.0f}x")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
