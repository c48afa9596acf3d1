"""Finite-N checks of the Hebbian signal-to-noise theory (model hopfield-snr).

k_max from simulation: a Hebb network on sampled power-law data; a feature k is learned when the
synchronous dynamics (20 steps) started at f^k ends at overlap > 0.95; k_max counts the learned
features among the first K (K = 6 x the theory k_max plus 10: rarer features have a vanishing
signal-to-noise ratio, so testing them only costs time).

Verdicts (``verify``; the default run adds the cross-entropy checks of ``generalization``):

* exponent: the slope of log k_max against log N (weighted least squares over the ladder, errors
  from the spread over instances, floored at 0.5/sqrt(instances) because k_max is an integer and
  a zero spread would give a point infinite weight) lies within 3 standard errors of the derived
  1/(2 eta);
* no trend with alpha: at the largest N (--quick: the second largest), the slope of k_max
  against alpha over the alpha values is within 3 standard errors of zero.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from . import hopfield as hs
from .stats import wls_line

DEFAULT_LADDER = (500, 1000, 2000, 4000)
QUICK_LADDER = (1000, 2000, 4000)
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
    instances = instances or (2 if quick else 4)
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
    # alpha scan at the largest N (quick: the second largest, to stay within seconds)
    Nbig = Ns[-2] if quick and len(Ns) > 2 else Ns[-1]
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
    gen = None
    if not quick:
        gen = generalization(500, eta, int(base["L"]), float(base["alpha_D"]), seed=seed)
    passed = bool(pass_expo and pass_alpha and (gen is None or gen["passed"]))
    record = {"model": model.name, "params": base, "ladder": rows, "alpha_scan": arows,
              "generalization": gen,
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
    if gen is not None:
        lines.append(format_generalization(gen))
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


# --- cross-entropy training: memorization -> generalization, learned features, acquisition ----
GEN_ALPHAS = (0.25, 0.5, 1.0, 2.0, 4.0)
GEN_CHECKPOINTS = (0, 10, 25, 50, 100, 200)


def generalization(N=500, eta=1.5, L=3, alpha_D=0.5, alphas=GEN_ALPHAS, *, lam=1.0, lr=0.5,
                   checkpoints=GEN_CHECKPOINTS, n_eval=400, k_test=120, seed=0, progress=None):
    """Cross-entropy training (float32, full batch, from Hebb) at each alpha; measurements after
    the last checkpoint. Reconstruction: synchronous dynamics, 20 steps, from the example itself.
    A test example counts as reconstructed when its final overlap exceeds 0.95.

    Verdicts (each a 3-sigma statement):
    * memorization -> generalization: the train-test gap at the smallest alpha exceeds the one at
      the largest alpha by more than 3 standard errors;
    * features explain test reconstruction: P(reconstructed | all L features learned) -
      P(reconstructed | not all learned) > 3 standard errors (pooled over alpha);
    * sequential acquisition in training time and in data set size: Spearman correlation between
      the frequency rank k and the first checkpoint (resp. alpha) at which k is learned is
      positive with p < 0.0027.
    The prediction P(test example reconstructed) = P(S in learned set), computed exactly from the
    inclusion law, is reported against the measured fraction with its z-score.
    """
    from scipy import stats as sps
    D = int(round(alpha_D * N))
    K = min(D, k_test)
    w = hs.powerlaw_weights(D, eta)
    rows = []
    rec_all, rec_not = [], []
    first_alpha = np.full(K, np.inf)
    spearman_time = []
    for ai, alpha in enumerate(alphas):
        rng = hs.rng_for(seed, 900, N, int(round(alpha * 1000)))
        F = hs.sample_features(N, D, rng)
        P = max(1, int(round(alpha * N)))
        tr = hs.sample_examples(F, P, L, eta, rng)
        te = hs.sample_examples(F, n_eval, L, eta, rng)
        trainer = hs.CrossEntropyTrainer(tr.X, lam=lam, lr=lr, dtype=np.float32)
        first, _ = hs.acquisition_steps(trainer, F[:K], checkpoints)
        learned = first >= 0
        Xtr = tr.X[:n_eval]
        ftr, _ = hs.reconstruct(trainer.J, Xtr)
        fte, bte = hs.reconstruct(trainer.J, te.X)
        rec = fte > hs.LEARNED_THRESHOLD
        allk = np.array([all(k < K and learned[k] for k in s) for s in te.supports])
        rec_all.extend(rec[allk].tolist())
        rec_not.extend(rec[~allk].tolist())
        pred = hs.prob_support_within(w, np.nonzero(learned)[0], L)
        frac = float(rec.mean())
        se_frac = math.sqrt(max(pred * (1 - pred), 1e-12) / len(rec))
        gap = float(ftr.mean() - fte.mean())
        gap_se = math.sqrt(ftr.var(ddof=1) / len(ftr) + fte.var(ddof=1) / len(fte))
        never = checkpoints[-1] * 10  # not learned by the end: after every checkpoint
        t_acq = np.where(first >= 0, first, never)
        rho, pval = sps.spearmanr(np.arange(1, K + 1), t_acq)
        spearman_time.append((float(rho), float(pval)))
        first_alpha[np.isinf(first_alpha) & learned] = alpha
        rows.append({"alpha": alpha, "P": P, "loss": float(trainer.loss),
                     "train": float(ftr.mean()), "test": float(fte.mean()),
                     "test_max": float(bte.mean()), "gap": gap, "gap_se": gap_se,
                     "n_learned": int(learned.sum()),
                     "learned_not_prefix": int(np.sum(~learned[:int(learned.sum())])),
                     "test_reconstructed": frac, "predicted_all_learned": float(pred),
                     "z_prediction": (frac - pred) / se_frac,
                     "empirical_all_learned": float(allk.mean()),
                     "spearman_time": float(rho), "spearman_time_p": float(pval)})
        if progress:
            progress(ai + 1, len(alphas))
    ra, rn = np.array(rec_all, float), np.array(rec_not, float)
    d_rec = ra.mean() - rn.mean()
    d_se = math.sqrt(ra.var() / max(len(ra), 1) + rn.var() / max(len(rn), 1))
    g0, g1 = rows[0], rows[-1]
    z_gap = (g0["gap"] - g1["gap"]) / math.hypot(g0["gap_se"], g1["gap_se"])
    last = rows[-1]
    t_rho, t_p = last["spearman_time"], last["spearman_time_p"]
    acq_alpha = np.where(np.isinf(first_alpha), alphas[-1] * 10, first_alpha)
    a_rho, a_p = sps.spearmanr(np.arange(1, K + 1), acq_alpha)
    verdicts = {
        "memorization_to_generalization": bool(z_gap > 3),
        "features_explain_test": bool(d_rec > 3 * d_se),
        "sequential_in_time": bool(t_rho > 0 and t_p < 0.0027),
        "sequential_in_alpha": bool(a_rho > 0 and a_p < 0.0027),
    }
    return {"N": N, "eta": eta, "L": L, "alpha_D": alpha_D, "lam": lam, "lr": lr,
            "checkpoints": list(checkpoints), "rows": rows, "z_gap": float(z_gap),
            "p_rec_all_learned": float(ra.mean()), "p_rec_not_all": float(rn.mean()),
            "d_rec": float(d_rec), "d_rec_se": float(d_se),
            "spearman_alpha": float(a_rho), "spearman_alpha_p": float(a_p),
            "verdicts": verdicts, "passed": all(verdicts.values())}


def format_generalization(g):
    lines = [f"cross-entropy training: N={g['N']}, eta={g['eta']:g}, L={g['L']}, alpha_D="
             f"{g['alpha_D']:g}, lam={g['lam']:g} (loss log(1+exp(-lam xi h))), lr={g['lr']:g}, "
             f"{g['checkpoints'][-1]} full-batch steps from Hebb",
             "   alpha  train   test    gap     learned  test rec.  P(S in learned)  z    "
             "spearman(k, t_acq)"]
    for r in g["rows"]:
        lines.append(f"  {r['alpha']:5.2f}  {r['train']:.3f}  {r['test']:.3f}  {r['gap']:+.3f}   "
                     f"{r['n_learned']:4d}     {r['test_reconstructed']:.3f}      "
                     f"{r['predicted_all_learned']:.3f}        {r['z_prediction']:+5.1f}  "
                     f"{r['spearman_time']:+.2f}")
    v = g["verdicts"]
    ok = {True: "PASS", False: "FAIL"}
    lines += [f"  memorization -> generalization: gap falls by {g['z_gap']:.1f} sigma "
              f"{ok[v['memorization_to_generalization']]}",
              f"  P(rec | all features learned) = {g['p_rec_all_learned']:.3f} vs P(rec | not) = "
              f"{g['p_rec_not_all']:.3f} (difference {g['d_rec'] / g['d_rec_se']:.1f} sigma) "
              f"{ok[v['features_explain_test']]}",
              "  sequential acquisition: in training time rho = "
              f"{g['rows'][-1]['spearman_time']:+.2f}"
              f" {ok[v['sequential_in_time']]}; in data set size rho = {g['spearman_alpha']:+.2f} "
              f"{ok[v['sequential_in_alpha']]}"]
    return "\n".join(lines)
