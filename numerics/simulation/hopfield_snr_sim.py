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

The cross-entropy checks (``generalization``: memorization -> generalization, the learned-feature
prediction of test reconstruction and its refinement by the mixture mean field, sequential
acquisition) run at N = gen_N with the training options of ``GEN_OPTIONS`` (lam, lr, train_steps,
n_eval, k_test; gen_alphas), reachable as verify/simulate keywords or --set NAME=VALUE.

What the learned-feature prediction misses (measured at N = 500, seed 0): about 77 % of the test
examples whose features are all learned are reconstructed, because (i) a fresh draw repeats a
training example exactly in 21-53 % of the cases (power-law supports), and those are memorized
(reconstructed ~100 % up to alpha = 2), while (ii) of the unseen ones only 39-60 % are: the
trained network gives each feature its own gain g_k (falling with the rank k), and a mixture
whose strongest feature outweighs the others relative to the noise loses the sites where that
feature dissents and slides onto it (89-98 % of these failures end at overlap > 0.95 with one of
their own features, overlap ~a_L = 1/2 with the example). More steps (200 -> 800), other
thresholds (0.9, 0.8 instead of 0.95, learned at 0.99) change P(rec | all learned) by < 5 points.
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
           progress=None, gen_opts=None, generalization=None):
    """``gen_opts``: training options of the cross-entropy checks (``gen_options``); they run unless
    ``quick`` (``generalization`` = True/False overrides; giving options implies True)."""
    from ..errors import InputError, ParameterError
    base = {"eta": 1.5, "L": 3, "alpha_D": 0.5, "alpha": 1.0}
    base.update(params)
    base.pop("N", None)
    gen_opts = dict(gen_opts or {})
    gopt = gen_options(gen_opts)
    run_gen = generalization if generalization is not None else (not quick or bool(gen_opts))
    if gen_opts and not run_gen:
        raise InputError(f"training options {', '.join(sorted(gen_opts))} given with "
                         "generalization=False")
    if run_gen:
        vg = model.validate({**base, "N": gopt["gen_N"]})  # eta, L, alpha_D ranges
        if int(round(vg["alpha_D"] * gopt["gen_N"])) < vg["L"]:
            raise ParameterError("gen_N", gopt["gen_N"],
                                 f"an integer with alpha_D gen_N >= L = {int(vg['L'])}")
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
    if run_gen:
        gen = run_generalization(gopt, eta, int(base["L"]), float(base["alpha_D"]), seed)
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
    figure = _plot(rows, arows, fit, expo, out / f"{stem}.png", gen)
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


def run_generalization(gopt, eta, L, alpha_D, seed, alphas=None, verdicts=True):
    return generalization(gopt["gen_N"], eta, L, alpha_D,
                          gopt["gen_alphas"] if alphas is None else alphas, lam=gopt["lam"],
                          lr=gopt["lr"], train_steps=gopt["train_steps"],
                          checkpoints=gopt["checkpoints"], n_eval=gopt["n_eval"],
                          k_test=gopt["k_test"], seed=seed, verdicts=verdicts)


def simulate_training(model, v, seed, options):
    """Cross-entropy training at the model's (N, eta, L, alpha_D, alpha): train and test
    reconstruction, learned features, the bare and the refined (mean-field) predictions."""
    from ..errors import InputError
    if "gen_N" in options or "gen_alphas" in options:
        raise InputError("simulate trains at the parameters N and alpha: gen_N and gen_alphas "
                         "are options of verify")
    gopt = gen_options(options)
    gopt["gen_N"] = int(v["N"])
    g = run_generalization(gopt, float(v["eta"]), int(v["L"]), float(v["alpha_D"]), seed,
                           alphas=(float(v["alpha"]),), verdicts=False)
    record = {"model": model.name, "params": v, "seed": seed, "training": g,
              "derivation_hash": model.derivation_hash, "versions": model._versions()}
    return {"record": record, "table": "hopfield-snr simulate (one training; instances unused)"
            "\n" + format_generalization(g)}


def _plot(rows, arows, fit, expo, path, gen=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker  # noqa: F401  (matplotlib.ticker.NullFormatter below)
    fig, ax = plt.subplots(1, 3 if gen else 2, figsize=(13.5 if gen else 9, 3.6))
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
    ax[0].set_xticks(Ns, [f"{x:g}" for x in Ns])
    ax[0].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax[0].set_xlabel("N")
    ax[0].set_ylabel("k_max")
    ax[0].legend(fontsize=7)
    ax[1].errorbar([r["alpha"] for r in arows], [np.mean(r["k_max"]) for r in arows],
                   [np.std(r["k_max"]) for r in arows], fmt="o")
    ax[1].set_xlabel("alpha")
    ax[1].set_ylabel(f"k_max at N = {arows[0]['N']}")
    if gen:
        gr = gen["rows"]
        a = np.array([r["alpha"] for r in gr])
        n = gen["n_eval"]
        meas = np.array([r["test_reconstructed"] for r in gr])
        ax[2].errorbar(a, meas, np.sqrt(meas * (1 - meas) / n), fmt="o", label="test rec. (sim)")
        ax[2].plot(a, [r["predicted_all_learned"] for r in gr], "s--", mfc="none",
                   label="P(S in learned set)")
        ax[2].plot(a, [r["empirical_all_learned"] for r in gr], "x", label="all learned (sim)")
        ax[2].plot(a, [r["meanfield_predicted"] for r in gr], "d:", mfc="none",
                   label="mixture mean field")
        ax[2].plot(a, [r["train"] for r in gr], "^", ms=4, label="train overlap")
        ax[2].set_xscale("log")
        ax[2].set_xticks(a, [f"{x:g}" for x in a])
        ax[2].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax[2].set_xlabel("alpha (cross-entropy training)")
        ax[2].set_ylabel(f"fraction, N = {gen['N']}")
        ax[2].set_ylim(0, 1.05)
        ax[2].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --- cross-entropy training: memorization -> generalization, learned features, acquisition ----
GEN_ALPHAS = (0.25, 0.5, 1.0, 2.0, 4.0)
# Training options of ``generalization`` (reachable from verify/simulate keyword arguments and
# from --set on the command line): name -> (default, kind, lower, upper, description).
GEN_OPTIONS = {
    "gen_N": (500, "int", 20, 20000, "N of the cross-entropy checks"),
    "lam": (1.0, "float", 0.0, None, "inverse temperature of the loss log(1+exp(-lam xi h))"),
    "lr": (0.5, "float", 0.0, None, "gradient-descent step size"),
    "train_steps": (200, "int", 1, 100000, "full-batch gradient steps from Hebb"),
    "n_eval": (400, "int", 10, 100000, "test examples (and train examples) evaluated per alpha"),
    "k_test": (120, "int", 1, 100000, "features tested for being learned (the most frequent)"),
}
CHECKPOINT_FRACTIONS = (0.0, 0.05, 0.125, 0.25, 0.5, 1.0)
NECESSITY_BOUND = 0.05


def gen_options(options: dict) -> dict:
    """Validated training options (defaults filled). Floats given for integer options (the CLI's
    --set parses numbers as floats) must be whole. Raises ParameterError naming the option and its
    allowed range; ``gen_alphas`` (a sequence of at least two increasing positive alphas) and
    ``checkpoints`` (increasing gradient-step counts from 0, the last one the number of steps)
    are accepted too."""
    from ..errors import ParameterError
    out = {}
    for name, (default, kind, lo, hi, _) in GEN_OPTIONS.items():
        v = options.get(name)
        if v is None:
            out[name] = default
            continue
        if kind == "int":
            rng = f"an integer in [{lo}, {hi}]"
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise ParameterError(name, v, rng) from None
            if not math.isfinite(f) or f != int(f) or not lo <= f <= hi:
                raise ParameterError(name, v, rng)
            out[name] = int(f)
        else:
            rng = f"a finite number > {lo:g}"
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise ParameterError(name, v, rng) from None
            if not math.isfinite(f) or f <= lo:
                raise ParameterError(name, v, rng)
            out[name] = f
    alphas = options.get("gen_alphas")
    if alphas is None:
        out["gen_alphas"] = GEN_ALPHAS
    else:
        rng = "at least two increasing positive finite alphas"
        try:
            a = tuple(float(x) for x in alphas)
        except (TypeError, ValueError):
            raise ParameterError("gen_alphas", alphas, rng) from None
        if len(a) < 2 or not all(math.isfinite(x) and x > 0 for x in a) or \
                any(b <= c for c, b in zip(a, a[1:])):
            raise ParameterError("gen_alphas", alphas, rng)
        out["gen_alphas"] = a
    cps = options.get("checkpoints")
    if cps is None:
        T = out["train_steps"]
        out["checkpoints"] = tuple(sorted({int(round(f * T)) for f in CHECKPOINT_FRACTIONS}))
    else:
        rng = "increasing integers from 0 (gradient steps at which features are tested)"
        try:
            c = tuple(int(x) for x in cps)
            ok = all(float(x) == int(x) for x in cps)
        except (TypeError, ValueError):
            raise ParameterError("checkpoints", cps, rng) from None
        if not ok or len(c) < 2 or c[0] < 0 or any(b <= a for a, b in zip(c, c[1:])):
            raise ParameterError("checkpoints", cps, rng)
        if options.get("train_steps") is not None and c[-1] != out["train_steps"]:
            raise ParameterError("checkpoints", cps,
                                 f"a last checkpoint equal to train_steps = {out['train_steps']}")
        out["checkpoints"], out["train_steps"] = c, c[-1]
    return out


def split_gen_options(params: dict, kw: dict) -> tuple[dict, dict]:
    """(model parameters, training options): options may come as keyword arguments or inside
    ``params`` (the CLI's --set); giving one both ways with different values is an error."""
    from ..errors import InputError
    params = dict(params)
    names = set(GEN_OPTIONS) | {"gen_alphas", "checkpoints"}
    opts = {k: v for k, v in kw.items() if v is not None}
    for k in list(params):
        if k in names:
            v = params.pop(k)
            if k in opts and opts[k] != v:
                raise InputError(f"option '{k}' given twice with different values ({v!r} in the "
                                 f"parameters, {opts[k]!r} as a keyword)")
            opts[k] = v
    return params, opts


def generalization(N=500, eta=1.5, L=3, alpha_D=0.5, alphas=GEN_ALPHAS, *, lam=1.0, lr=0.5,
                   train_steps=200, checkpoints=None, n_eval=400, k_test=120, dyn_steps=20,
                   seed=0, progress=None, verdicts=True):
    """Cross-entropy training (float32, full batch, from Hebb; loss log(1+exp(-lam xi h)) per site
    and example, averaged over examples) at each alpha; measurements after ``train_steps`` steps
    (features tested at the ``checkpoints``, by default 0, 5, 12.5, 25, 50, 100 % of the steps).
    Reconstruction: synchronous dynamics, ``dyn_steps`` steps, from the example itself; an
    example counts as reconstructed when its final overlap exceeds 0.95. Test examples are fresh
    draws; with power-law weights a fresh draw often repeats a training example exactly (same
    support and signs, up to a global sign): such a test example is "seen" and is reported apart.

    Verdicts (each able to fail):
    * memorization -> generalization: the train-test gap at the smallest alpha exceeds the one at
      the largest alpha by more than 3 standard errors;
    * features explain test reconstruction: P(reconstructed | all L features learned) -
      P(reconstructed | not all learned) > 3 standard errors (pooled over alpha);
    * inclusion law: at every alpha the fraction of test examples whose features are all learned
      agrees with P(S in learned set), computed exactly from the learned set, within 3 binomial
      standard errors (the theory's combinatorics against the sampler);
    * necessity: among unseen test examples with a feature not learned, the fraction
      reconstructed has a 3-sigma Wilson upper bound <= 0.05 (pooled over alpha): the prediction
      says zero, and 0.05 is an order of magnitude below P(reconstructed | all learned, unseen);
    * upper bound: at every alpha, measured test reconstruction <= P(S in learned set) + 3 se;
    * refined prediction: the mixture mean field (``hopfield.mixture_snr``: the feature gains and
      noises measured on the trained couplings, never the examples) classifies the test examples
      as reconstructed / not better than the bare criterion "all features learned": McNemar
      z = (b - c)/sqrt(b + c) > 3, pooled over alpha (b: examples only the mean field gets right,
      c: only the bare criterion);
    * sequential acquisition in training time and in data set size: Spearman correlation between
      the frequency rank k and the first checkpoint (resp. alpha) at which k is learned is
      positive with p < 0.0027.
    The refined prediction's fraction against the measured one (paired z) and the bare
    prediction's z are reported. ``verdicts=False`` (one alpha, e.g. from ``simulate``) skips the
    pooled verdicts that need several alphas.
    """
    from scipy import stats as sps

    from .stats import wilson_interval
    if checkpoints is None:
        checkpoints = tuple(sorted({int(round(f * train_steps)) for f in CHECKPOINT_FRACTIONS}))
    D = int(round(alpha_D * N))
    K = min(D, k_test)
    w = hs.powerlaw_weights(D, eta)
    rows = []
    rec_all, rec_not = [], []
    first_alpha = np.full(K, np.inf)
    tot = {"b": 0, "c": 0, "not_unseen": 0, "not_unseen_rec": 0, "all_unseen": 0,
           "all_unseen_rec": 0}
    for ai, alpha in enumerate(alphas):
        rng = hs.rng_for(seed, 900, N, int(round(alpha * 1000)))
        F = hs.sample_features(N, D, rng)
        P = max(1, int(round(alpha * N)))
        tr = hs.sample_examples(F, P, L, eta, rng)
        te = hs.sample_examples(F, n_eval, L, eta, rng)
        trainer = hs.CrossEntropyTrainer(tr.X, lam=lam, lr=lr, dtype=np.float32)
        first, _ = hs.acquisition_steps(trainer, F[:K], checkpoints, steps=dyn_steps)
        learned = first >= 0
        J = trainer.J
        ftr, _ = hs.reconstruct(J, tr.X[:n_eval], steps=dyn_steps)
        fte, bte, xfin = hs.synchronous(J, te.X, te.X, dyn_steps, return_states=True)
        rec = fte > hs.LEARNED_THRESHOLD
        allk = np.array([all(k < K and learned[k] for k in s) for s in te.supports])
        train_keys = set(hs.example_keys(tr.X))
        seen = np.array([k in train_keys for k in hs.example_keys(te.X)])
        mf_ov = hs.mixture_snr(J, F, te.supports, steps=dyn_steps)
        mf = mf_ov > hs.LEARNED_THRESHOLD
        rec_all.extend(rec[allk].tolist())
        rec_not.extend(rec[~allk].tolist())
        n = len(rec)
        pred = hs.prob_support_within(w, np.nonzero(learned)[0], L)
        frac = float(rec.mean())
        se_pred = math.sqrt(max(pred * (1 - pred), 1e-12) / n)
        emp = float(allk.mean())
        z_incl = (emp - pred) / se_pred
        gap = float(ftr.mean() - fte.mean())
        gap_se = math.sqrt(ftr.var(ddof=1) / len(ftr) + fte.var(ddof=1) / len(fte))
        never = checkpoints[-1] * 10 + 1  # not learned by the end: after every checkpoint
        t_acq = np.where(first >= 0, first, never)
        rho, pval = sps.spearmanr(np.arange(1, K + 1), t_acq)
        first_alpha[np.isinf(first_alpha) & learned] = alpha
        # the failures of "all features learned": where did the state go? (overlap with the
        # example's own features at the end)
        fail = allk & ~rec
        own = np.array([np.max(np.abs(F[s].astype(np.float32) @ x)) / N
                        for s, x in zip(te.supports[fail], xfin[fail])])
        collapse = float(np.mean(own > hs.LEARNED_THRESHOLD)) if fail.any() else None
        d = rec.astype(float) - mf
        sd = d.std(ddof=1) if n > 1 else 0.0
        # None: undefined (every example disagrees the same way; JSON has no inf)
        z_mf = float(d.mean() / (sd / math.sqrt(n))) if sd > 0 else (0.0 if d.mean() == 0
                                                                     else None)
        b = int(np.sum((mf == rec) & (allk != rec)))
        c = int(np.sum((mf != rec) & (allk == rec)))

        def cnt(mask):
            return int(mask.sum()), int((rec & mask).sum())
        n_as, r_as = cnt(allk & seen)
        n_au, r_au = cnt(allk & ~seen)
        n_ns, r_ns = cnt(~allk & seen)
        n_nu, r_nu = cnt(~allk & ~seen)
        tot["b"] += b
        tot["c"] += c
        tot["not_unseen"] += n_nu
        tot["not_unseen_rec"] += r_nu
        tot["all_unseen"] += n_au
        tot["all_unseen_rec"] += r_au
        rows.append({"alpha": alpha, "P": P, "loss": float(trainer.loss),
                     "train": float(ftr.mean()), "test": float(fte.mean()),
                     "test_max": float(bte.mean()), "gap": gap, "gap_se": gap_se,
                     "n_learned": int(learned.sum()),
                     "learned_not_prefix": int(np.sum(~learned[:int(learned.sum())])),
                     "test_reconstructed": frac, "predicted_all_learned": float(pred),
                     "z_prediction": (frac - pred) / se_pred,
                     "empirical_all_learned": emp, "z_inclusion": float(z_incl),
                     "seen_fraction": float(seen.mean()),
                     "rec_given_all": float(rec[allk].mean()) if allk.any() else None,
                     "counts": {"all_seen": [n_as, r_as], "all_unseen": [n_au, r_au],
                                "not_seen": [n_ns, r_ns], "not_unseen": [n_nu, r_nu]},
                     "failures_collapsed_on_own_feature": collapse,
                     "meanfield_predicted": float(mf.mean()), "z_meanfield": z_mf,
                     "meanfield_agreement": float(np.mean(mf == rec)),
                     "bare_agreement": float(np.mean(allk == rec)),
                     "mcnemar_b": b, "mcnemar_c": c,
                     "spearman_time": float(rho), "spearman_time_p": float(pval)})
        if progress:
            progress(ai + 1, len(alphas))
    ra, rn = np.array(rec_all, float), np.array(rec_not, float)
    d_rec = ra.mean() - rn.mean() if len(ra) and len(rn) else -math.inf  # fails the verdict
    d_se = math.sqrt(ra.var() / max(len(ra), 1) + rn.var() / max(len(rn), 1))
    out = {"N": N, "eta": eta, "L": L, "alpha_D": alpha_D, "lam": lam, "lr": lr,
           "train_steps": int(checkpoints[-1]), "checkpoints": list(checkpoints),
           "n_eval": n_eval, "k_test": k_test, "dyn_steps": dyn_steps, "seed": seed,
           "rows": rows,
           "p_rec_all_learned": float(ra.mean()) if len(ra) else None,
           "p_rec_not_all": float(rn.mean()) if len(rn) else None,
           "d_rec": float(d_rec) if math.isfinite(d_rec) else None, "d_rec_se": float(d_se)}
    if not verdicts:
        return out
    g0, g1 = rows[0], rows[-1]
    z_gap = (g0["gap"] - g1["gap"]) / math.hypot(g0["gap_se"], g1["gap_se"])
    t_rho, t_p = g1["spearman_time"], g1["spearman_time_p"]
    acq_alpha = np.where(np.isinf(first_alpha), alphas[-1] * 10, first_alpha)
    a_rho, a_p = sps.spearmanr(np.arange(1, K + 1), acq_alpha)
    nn, kn = tot["not_unseen"], tot["not_unseen_rec"]
    nec_hi = float(wilson_interval(kn, nn, z=3.0)[1]) if nn else None
    na, ka = tot["all_unseen"], tot["all_unseen_rec"]
    all_lo = float(wilson_interval(ka, na, z=3.0)[0]) if na else None
    B, C = tot["b"], tot["c"]
    z_mc = (B - C) / math.sqrt(B + C) if B + C else 0.0
    v = {
        "memorization_to_generalization": bool(z_gap > 3),
        "features_explain_test": bool(d_rec > 3 * d_se),
        "inclusion_law": bool(all(abs(r["z_inclusion"]) <= 3 for r in rows)),
        "necessity": bool(nn > 0 and nec_hi is not None and nec_hi <= NECESSITY_BOUND),
        "upper_bound": bool(all(r["z_prediction"] <= 3 for r in rows)),
        "refined_meanfield": bool(z_mc > 3),
        "sequential_in_time": bool(t_rho > 0 and t_p < 0.0027),
        "sequential_in_alpha": bool(a_rho > 0 and a_p < 0.0027),
    }
    out.update({"z_gap": float(z_gap), "spearman_alpha": float(a_rho),
                "spearman_alpha_p": float(a_p),
                "necessity": {"n": nn, "reconstructed": kn, "upper_3sigma": nec_hi,
                              "bound": NECESSITY_BOUND},
                "all_learned_unseen": {"n": na, "reconstructed": ka, "lower_3sigma": all_lo},
                "mcnemar": {"b": B, "c": C, "z": float(z_mc)},
                "verdicts": v, "passed": all(v.values())})
    return out


def _f(x, spec):
    """Format a number, or '-' for None (undefined)."""
    return "-" if x is None else format(x, spec)


def format_generalization(g):
    ok = {True: "PASS", False: "FAIL"}
    lines = [f"cross-entropy training: N={g['N']}, eta={g['eta']:g}, L={g['L']}, alpha_D="
             f"{g['alpha_D']:g}, lam={g['lam']:g} (loss log(1+exp(-lam xi h))), lr={g['lr']:g}, "
             f"{g['train_steps']} full-batch steps from Hebb, {g['n_eval']} test examples",
             "   alpha  train   test    gap    learned  seen  test rec.  P(S in K) z_pred  "
             "emp S in K z_incl  mean-field z_mf   rec|all (seen/unseen)"]
    for r in g["rows"]:
        c = r["counts"]

        def frac(nk):
            return f"{nk[1] / nk[0]:.2f}" if nk[0] else "-"
        lines.append(f"  {r['alpha']:5.2f}  {r['train']:.3f}  {r['test']:.3f}  {r['gap']:+.3f}"
                     f"  {r['n_learned']:4d}   {r['seen_fraction']:.2f}   "
                     f"{r['test_reconstructed']:.3f}     {r['predicted_all_learned']:.3f}  "
                     f"{r['z_prediction']:+5.1f}   {r['empirical_all_learned']:.3f}    "
                     f"{r['z_inclusion']:+5.1f}   {r['meanfield_predicted']:.3f}    "
                     f"{_f(r['z_meanfield'], '+5.1f')}   {_f(r['rec_given_all'], '.2f')} "
                     f"({frac(c['all_seen'])}/{frac(c['all_unseen'])})")
    if "verdicts" not in g:
        return "\n".join(lines)
    v = g["verdicts"]
    nec, mc = g["necessity"], g["mcnemar"]
    au = g["all_learned_unseen"]
    col = [r["failures_collapsed_on_own_feature"] for r in g["rows"]]
    zd = None if g["d_rec"] is None else g["d_rec"] / max(g["d_rec_se"], 1e-300)
    lines += [f"  memorization -> generalization: gap falls by {g['z_gap']:.1f} sigma "
              f"{ok[v['memorization_to_generalization']]}",
              f"  P(rec | all features learned) = {_f(g['p_rec_all_learned'], '.3f')} vs "
              f"P(rec | not) = {_f(g['p_rec_not_all'], '.3f')} (difference {_f(zd, '.1f')} "
              f"sigma) {ok[v['features_explain_test']]}",
              f"  inclusion law: |z_incl| <= 3 at every alpha {ok[v['inclusion_law']]}",
              f"  necessity: unseen test examples with a feature not learned: "
              f"{nec['reconstructed']}/{nec['n']} reconstructed, 3-sigma upper bound "
              f"{_f(nec['upper_3sigma'], '.3f')} <= {nec['bound']:g} {ok[v['necessity']]} "
              f"(all learned, unseen: {au['reconstructed']}/{au['n']}, 3-sigma lower bound "
              f"{_f(au['lower_3sigma'], '.3f')})",
              f"  upper bound: test rec. <= P(S in K) + 3 se at every alpha "
              f"{ok[v['upper_bound']]}",
              f"  refined (mixture mean field on the trained couplings) vs 'all learned': "
              f"McNemar b = {mc['b']}, c = {mc['c']}, z = {mc['z']:.1f} "
              f"{ok[v['refined_meanfield']]}",
              "  failures with all features learned that end on one of their own features: "
              + ", ".join(_f(x, ".2f") for x in col),
              "  sequential acquisition: in training time rho = "
              f"{g['rows'][-1]['spearman_time']:+.2f}"
              f" {ok[v['sequential_in_time']]}; in data set size rho = {g['spearman_alpha']:+.2f} "
              f"{ok[v['sequential_in_alpha']]}"]
    return "\n".join(lines)
