"""Bayes-optimal learning of the rule on sampled RAF instances: GAMP (generalized approximate
message passing, scalar-variance form) with the exact RAF channel and the Gaussian prior.

This is the independent route for raf-bayes: GAMP on finite instances, not the replica equations.
At its fixed point the estimate w_hat (posterior mean) has overlaps m = w_hat.w*/d and
q = |w_hat|^2/d; the replica theory predicts m = q (Nishimori) = q_theory, and eps_gen =
arccos(m/sqrt q)/pi is the exact error of sign(w_hat.x) on fresh rule samples.

Channel: P(y | nu) = (1-eps) theta(y nu) + eps/2; Z(y, omega, V) = (1-eps) H(-y omega/sqrt V) + eps/2,
g_out = d log Z/d omega, its derivative in closed form. Prior N(0, 1): denoiser R/(1 + Sigma).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from scipy import special

from .raf_erm import sample
from .stats import wls_line

DEFAULT_LADDER = (200, 400, 800)
QUICK_LADDER = (100, 200, 400)


def _gout(y, omega, V, eps):
    sV = math.sqrt(V)
    u = y * omega / sV
    if eps == 0.0:
        r = 2.0 / (math.sqrt(2 * math.pi) * special.erfcx(-u / math.sqrt(2)))  # N(u)/H(-u)
    else:
        Z = (1 - eps) * 0.5 * special.erfc(-u / math.sqrt(2)) + eps / 2
        r = (1 - eps) * np.exp(-u * u / 2) / math.sqrt(2 * math.pi) / Z
    g = y * r / sV
    dg = -u * r / V - g * g
    return g, dg


def gamp(X, y, eps, *, max_iter=500, tol=1e-9, mixing=0.7):
    """Scalar-variance GAMP; returns (w_hat, iterations, converged)."""
    n, d = X.shape
    A = X / math.sqrt(d)
    c = float(np.sum(A * A)) / (n * d)  # mean squared entry (~1/d): scalar-variance GAMP
    w = np.zeros(d)
    v = 1.0
    g = np.zeros(n)
    for it in range(1, max_iter + 1):
        V = v * d * c
        omega = A @ w - V * g
        g_new, dg = _gout(y, omega, V, eps)
        g = (1 - mixing) * g + mixing * g_new if it > 1 else g_new
        Sigma = 1.0 / max(-float(np.mean(dg)) * n * c, 1e-300)
        R = w + Sigma * (A.T @ g)
        w_new = R / (1 + Sigma)
        v_new = Sigma / (1 + Sigma)
        delta = np.max(np.abs(w_new - w))
        w = (1 - mixing) * w + mixing * w_new
        v = (1 - mixing) * v + mixing * v_new
        if delta < tol:
            return w, it, True
    return w, max_iter, False


def measure(alpha, eps, N, instances, seed) -> dict:
    rows = []
    for s in np.random.SeedSequence([int(seed), int(N), 7]).spawn(instances):
        X, y, fact, w_star = sample(N, alpha, eps, s)
        w, it, ok = gamp(X, y, eps)
        m, q = float(w @ w_star / N), float(w @ w / N)
        rows.append({"m": m, "q": q, "eps_gen": math.acos(max(-1, min(1, m / math.sqrt(q))))
                     / math.pi, "converged": ok})
    out = {"unconverged": int(sum(not r["converged"] for r in rows))}
    for k in ("m", "q", "eps_gen"):
        v = np.array([r[k] for r in rows])
        out[k] = {"mean": float(v.mean()), "se": float(v.std(ddof=1) / math.sqrt(len(v)))}
    return out


def verify(model, params, theory, Ns, instances, seed, out_dir, progress=None) -> dict:
    th = {"m": theory["q"], "q": theory["q"], "eps_gen": theory["eps_gen"]}
    per_n = {}
    for i, N in enumerate(Ns):
        per_n[N] = measure(params["alpha"], params["eps"], N, instances, seed)
        if progress:
            progress(i + 1, len(Ns))
    rows, passed = [], True
    for k in ("m", "q", "eps_gen"):
        means = [per_n[N][k]["mean"] for N in Ns]
        ses = [max(per_n[N][k]["se"], 1e-12) for N in Ns]
        f = wls_line([1.0 / N for N in Ns], means, ses)
        icpt, se = f.params[0], f.se[0]
        ok = bool(abs(icpt - th[k]) <= 3 * se + 1e-9)
        passed &= ok
        rows.append({"observable": k, "theory": th[k], "extrapolated": icpt, "se": se,
                     "z": abs(icpt - th[k]) / se, "pass": ok, "means": means, "ses": ses})
    unconv = sum(per_n[N]["unconverged"] for N in Ns)
    passed = bool(passed and unconv == 0)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tag = f"verify-raf-bayes-a{params['alpha']:g}-eps{params['eps']:g}-seed{seed}"
    record = {"model": model.name, "params": params, "Ns": list(Ns), "instances": instances,
              "seed": seed, "rows": rows, "unconverged": unconv, "passed": passed,
              "status": {"converged": theory.converged, "verdict": "PASS" if passed else "FAIL"},
              "derivation_hash": model.derivation_hash}
    path = out / f"{tag}.json"
    path.write_text(json.dumps(record, indent=1, allow_nan=False))
    from .raf_erm import _plot
    figure = _plot(rows, Ns, out / f"{tag}.png")
    lines = [f"raf-bayes verify (GAMP on sampled instances): alpha={params['alpha']:g}, "
             f"eps={params['eps']:g}; N = {list(Ns)}, {instances} instances, seed {seed}",
             f"  {'observable':<10} {'theory':>10} {'N->oo fit':>10} {'se':>9} {'z':>6}  verdict"]
    for r in rows:
        lines.append(f"  {r['observable']:<10} {r['theory']:10.5f} {r['extrapolated']:10.5f} "
                     f"{r['se']:9.5f} {r['z']:6.2f}  {'PASS' if r['pass'] else 'FAIL'}")
    if unconv:
        lines.append(f"  {unconv} GAMP runs did not converge: FAIL")
    lines.append(f"  verdict: {'PASS' if passed else 'FAIL'} (theory m = q: Nishimori)")
    return {"record": record, "table": "\n".join(lines), "figure": str(figure),
            "path": str(path), "passed": passed}
