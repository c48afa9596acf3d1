"""raf-rf benchmarks, reported as ratios against a baseline run in the same process.

1. One converged saddle point (square loss, finite width) against a straightforward scipy
   implementation of the same equations: every Marchenko-Pastur average by scipy.integrate.quad
   over the density (plus its atom), the scalar V equation by scipy.optimize.brentq on the same
   bracket, then m and q. Accuracy of both against a 30-digit mpmath solve (tests/numerics/models/test_raf_rf.py's
   reference).
2. A curve of 200 psi values (the double-descent curve) with the toolkit.

Run: python benchmarks/bench_raf_rf.py [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402

POINTS = [dict(alpha=2.0, psi=3.0, eps=0.2, lam=0.1, activation="relu"),
          dict(alpha=1.5, psi=0.5, eps=0.3, lam=0.05, activation="sign")]


def scipy_solve(alpha, psi, eps, lam, mu1, mus):
    from scipy import integrate, optimize
    lo, hi = (1 - math.sqrt(psi)) ** 2, (1 + math.sqrt(psi)) ** 2

    def avg(f):
        val = integrate.quad(lambda s: f(s) * math.sqrt((hi - s) * (s - lo)) / (2 * math.pi * psi
                                                                               * s),
                             lo, hi, epsabs=0, epsrel=1e-12, limit=200)[0]
        return val + (max(0.0, 1 - 1 / psi) * f(0.0) if psi > 1 else 0.0)

    def prior(mh, qh, Vh):
        T = lambda s: mu1**2 * s + mus**2  # noqa: E731
        den = lambda s: lam + Vh * T(s) / psi  # noqa: E731
        return (avg(lambda s: mh * mu1**2 * s / den(s)),
                avg(lambda s: (mh**2 * mu1**2 * s + qh * T(s)) * T(s) / psi / den(s)**2),
                avg(lambda s: T(s) / den(s)))
    kappa = (1 - eps) * math.sqrt(2 / math.pi)
    V = optimize.brentq(lambda v: prior(0, 0, alpha / (1 + v))[2] - v, 0.0,
                        (mu1**2 + mus**2) / lam, xtol=1e-15, rtol=1e-15)
    mh, Vh = alpha * kappa / (1 + V), alpha / (1 + V)
    m = prior(mh, 0, Vh)[0]
    q0 = prior(mh, alpha * (1 - 2 * kappa * m) / (1 + V)**2, Vh)[1]
    q1 = prior(mh, alpha * (2 - 2 * kappa * m) / (1 + V)**2, Vh)[1]
    return np.array([m, q0 / (1 - (q1 - q0)), V])


def bench_point(kw):
    import mpmath as mp

    from memgenkit.numerics.models import get
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_raf_rf import _mp_solution
    m = get("raf-rf")
    v = m.validate(kw)
    m.solve(v)
    t_ours, r = best_of(lambda: m.solve(v), 20)
    x = np.array([r["m"], r["q"], r["V"]])
    args = [v[k] for k in m.param_names()]
    t_base, xb = best_of(lambda: scipy_solve(*args), 3)
    ref = np.array([float(z) for z in _mp_solution(*(mp.mpf(a) for a in args))])
    return {"point": kw, "ours_s": t_ours, "scipy_s": t_base, "speedup": t_base / t_ours,
            "ours_err": float(np.max(np.abs(x - ref) / np.abs(ref))),
            "scipy_err": float(np.max(np.abs(xb - ref) / np.abs(ref)))}


def bench_curve():
    from memgenkit.numerics.models import get
    m = get("raf-rf")
    psis = np.linspace(0.1, 6.0, 200)
    t0 = time.perf_counter()
    ok = sum(m.solve(alpha=2.0, psi=float(s), eps=0.1, lam=1e-4, activation="relu").converged
             for s in psis)
    return {"points": 200, "seconds": time.perf_counter() - t0, "converged": int(ok)}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    res = {"points": [bench_point(kw) for kw in POINTS], "curve": bench_curve()}
    for r in res["points"]:
        print(f"{r['point']}: ours {r['ours_s'] * 1e3:.3f} ms (rel err {r['ours_err']:.1e}), "
              f"scipy quad {r['scipy_s'] * 1e3:.1f} ms (rel err {r['scipy_err']:.1e}), "
              f"speedup {r['speedup']:.0f}x")
    c = res["curve"]
    print(f"psi curve, 200 points: {c['seconds']:.3f} s, {c['converged']}/200 converged")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
