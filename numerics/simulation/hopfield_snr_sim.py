"""Finite-N checks of the Hebbian signal-to-noise theory (model hopfield-snr).

k_max from simulation: a Hebb network on sampled power-law data; a feature k is learned when the
synchronous dynamics (20 steps) started at f^k ends at overlap > 0.95; k_max counts the learned
features among the first K (K = 6 x the theory k_max plus 10: rarer features have a vanishing
signal-to-noise ratio, so testing them only costs time).

Verdicts (``verify``):

* exponent: the slope of log k_max against log N (weighted least squares over the ladder, errors
  from the spread over instances) lies within 3 standard errors of the derived 1/(2 eta);
* no trend with alpha: at the largest N, the slope of k_max against alpha over the alpha values is
  within 3 standard errors of zero.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from . import hopfield as hs
from .stats import wls_line

DEFAULT_LADDER = (500, 1000, 2000, 4000)
QUICK_LADDER = (400, 800, 1600)
ALPHAS = (0.5, 1.0, 2.0)


def measure_kmax(N, eta, L, alpha_D, alpha, seed, instance, k_test):
    rng = hs.rng_for(seed, N, int(round(alpha * 1000)), instance)
    D = int(round(alpha_D * N))
    P = max(1, int(round(alpha * N)))
    F = hs.sample_features(N, D, rng)
    ds = hs.sample_examples(F, P, L, eta, rng)
    J = hs.hebb(ds.X, np.float32)
    K = min(D, k_test)
    learned = hs.learned_features(J, F[:K], steps=20, mode="sync")
    return hs.k_max(learned), learned


def simulate(model, v, instances, seed):
    N = int(v["N"])
    th = model.solve(v)
    K = 6 * th["k_max"] + 10
    ks = [measure_kmax(N, v["eta"], int(v["L"]), v["alpha_D"], v["alpha"], seed, i, K)[0]
          for i in range(instances)]
    mean = float(np.mean(ks))
    se = float(np.std(ks, ddof=1) / math.sqrt(len(ks))) if len(ks) > 1 else math.nan
    record = {"model": model.name, "params": v, "instances": instances, "seed": seed,
              "k_max_sim": ks, "k_max_sim_mean": mean, "k_max_sim_se": se,
              "theory": {"k_max": th["k_max"], "k_max_leading": th["k_max_leading"]},
              "derivation_hash": model.derivation_hash, "versions": model._versions()}
    table = (f"hopfield-snr simulate: N={N}, eta={v['eta']:g}, L={int(v['L'])}, "
             f"alpha_D={v['alpha_D']:g}, alpha={v['alpha']:g}, {instances} instances\n"
             f"  learned features (Hebb, sync, overlap > 0.95): {ks} -> {mean:.2f} +- {se:.2f}\n"
             f"  theory k_max (one-step criterion m* = {v['m_star']:g}) = {th['k_max']}, "
             f"leading order {th['k_max_leading']:.2f}")
    return {"record": record, "table": table}


def verify(model, params, *, Ns=None, instances=None, seed=0, out_dir="memgen-out", quick=False,
           progress=None):
    base = {"eta": 1.5, "L": 3, "alpha_D": 0.5, "alpha": 1.0}
    base.update(params)
    base.pop("N", None)
    Ns = list(Ns or (QUICK_LADDER if quick else DEFAULT_LADDER))
    instances = instances or (3 if quick else 4)
    eta = float(base["eta"])
    alphas = ALPHAS
    rows = []
    total = len(Ns) + len(alphas) - 1
    done = 0
    for N in Ns:
        v = model.validate({**base, "N": N})
        th = model.solve(v)
        K = 6 * th["k_max"] + 10
        ks = [measure_kmax(N, eta, int(v["L"]), v["alpha_D"], v["alpha"], seed, i, K)[0]
              for i in range(instances)]
        rows.append({"N": N, "alpha": v["alpha"], "k_max": ks, "theory_k_max": th["k_max"],
                     "theory_leading": th["k_max_leading"]})
        done += 1
        if progress:
            progress(done, total)
    Nbig = Ns[-1]
    arows = [r for r in rows if r["N"] == Nbig]
    for a in alphas:
        if any(abs(r["alpha"] - a) < 1e-12 for r in arows):
            continue
        v = model.validate({**base, "N": Nbig, "alpha": a})
        th = model.solve(v)
        K = 6 * th["k_max"] + 10
        ks = [measure_kmax(Nbig, eta, int(v["L"]), v["alpha_D"], a, seed, i, K)[0]
              for i in range(instances)]
        arows.append({"N": Nbig, "alpha": a, "k_max": ks, "theory_k_max": th["k_max"],
                      "theory_leading": th["k_max_leading"]})
        done += 1
        if progress:
            progress(done, total)
    # exponent: log mean k_max vs log N; se of log mean by the delta method
    x = np.log([r["N"] for r in rows])
    means = np.array([np.mean(r["k_max"]) for r in rows])
    ses = np.array([max(np.std(r["k_max"], ddof=1), 0.5) / math.sqrt(len(r["k_max"]))
                    for r in rows])  # floor: k_max is an integer (resolution 1)
    fit = wls_line(x, np.log(means), ses / means)
    expo = 1.0 / (2.0 * eta)
    z_expo = (fit.params[1] - expo) / fit.se[1]
    pass_expo = abs(z_expo) <= 3.0
    ax = np.array([r["alpha"] for r in arows])
    am = np.array([np.mean(r["k_max"]) for r in arows])
    ase = np.array([max(np.std(r["k_max"], ddof=1), 0.5) / math.sqrt(len(r["k_max"]))
                    for r in arows])
    afit = wls_line(ax, am, ase)
    z_alpha = afit.params[1] / afit.se[1]
    pass_alpha = abs(z_alpha) <= 3.0
    passed = bool(pass_expo and pass_alpha)
    record = {"model": model.name, "params": base, "ladder": rows, "alpha_scan": arows,
              "exponent": {"fit": float(fit.params[1]), "se": float(fit.se[1]), "theory": expo,
                           "z": float(z_expo), "passed": bool(pass_expo)},
              "alpha_trend": {"slope": float(afit.params[1]), "se": float(afit.se[1]),
                              "z": float(z_alpha), "passed": bool(pass_alpha)},
              "passed": passed, "seed": seed, "instances": instances,
              "derivation_hash": model.derivation_hash, "versions": model._versions()}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"verify-hopfield-snr-eta{eta:g}-seed{seed}"
    figure = _plot(rows, arows, fit, expo, out / f"{stem}.png")
    path = out / f"{stem}.json"
    path.write_text(json.dumps(record, indent=1, default=float))
    lines = [f"hopfield-snr verify: eta={eta:g}, L={int(base['L'])}, alpha_D={base['alpha_D']:g}, "
             f"{instances} instances per point (seed {seed}), derivation {model.derivation_hash}",
             "       N  alpha   k_max (sim)            mean   theory  leading"]
    for r in rows + [r for r in arows if r not in rows]:
        lines.append(f"  {r['N']:6d}  {r['alpha']:5.2f}   {str(r['k_max']):20s} "
                     f"{np.mean(r['k_max']):6.2f}   {r['theory_k_max']:6d}  "
                     f"{r['theory_leading']:7.2f}")
    lines.append(f"  exponent: fit {fit.params[1]:.3f} +- {fit.se[1]:.3f} vs 1/(2 eta) = "
                 f"{expo:.3f} (z = {z_expo:+.2f}) {'PASS' if pass_expo else 'FAIL'}")
    lines.append(f"  alpha trend at N={Nbig}: slope {afit.params[1]:+.3f} +- {afit.se[1]:.3f} "
                 f"(z = {z_alpha:+.2f}) {'PASS' if pass_alpha else 'FAIL'}")
    lines.append(f"  verdict: {'PASS' if passed else 'FAIL'}")
    return {"record": record, "table": "\n".join(lines), "figure": str(figure),
            "path": str(path), "passed": passed}


def _plot(rows, arows, fit, expo, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.6))
    Ns = np.array([r["N"] for r in rows], dtype=float)
    ax[0].errorbar(Ns, [np.mean(r["k_max"]) for r in rows],
                   [np.std(r["k_max"]) for r in rows], fmt="o", label="Hebb simulation")
    ax[0].plot(Ns, [r["theory_k_max"] for r in rows], "s", mfc="none", label="SNR theory")
    ax[0].plot(Ns, np.exp(fit.params[0]) * Ns ** fit.params[1], "-",
               label=f"fit slope {fit.params[1]:.3f}")
    ax[0].plot(Ns, np.mean(rows[0]["k_max"]) * (Ns / Ns[0]) ** expo, "--",
               label=f"N^(1/(2 eta)) = N^{expo:.3f}")
    ax[0].set_xscale("log")
    ax[0].set_yscale("log")
    ax[0].set_xlabel("N")
    ax[0].set_ylabel("k_max")
    ax[0].legend(fontsize=7)
    ax[1].errorbar([r["alpha"] for r in arows], [np.mean(r["k_max"]) for r in arows],
                   [np.std(r["k_max"]) for r in arows], fmt="o")
    ax[1].set_xlabel("alpha")
    ax[1].set_ylabel(f"k_max at N = {arows[0]['N']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
