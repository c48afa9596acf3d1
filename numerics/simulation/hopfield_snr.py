"""Finite-N checks of the Hebbian signal-to-noise theory (model hopfield-snr).

The retrieval criterion, measured exactly as the theory defines it: one synchronous step
x = sgn(J f^k) from the feature itself (Hebb couplings, zero diagonal; a zero field keeps the
spin), the one-step overlap m_k = f^k.x/N, averaged over independent data instances (features,
supports, signs). Feature k is retrieved when the mean m_k reaches m_star; k_max is the largest k
with every j <= k retrieved. One instance's m_k is not self-averaging (its crosstalk is frozen by
the overlaps f^l.f^k/N of that instance), so the comparison is between the instance mean and the
theory's data average, with standard errors from the spread over instances; the fields come from
h = (F_K X^T) X / N - (P/N) F_K (integers in float64: exact), O(K P N), no N x N matrix.

Verdicts (``verify``; the default run adds the cross-entropy checks of ``generalization``):

* overlaps: at every N of the ladder, max over k <= K of |z_k| <= z_K, z_k = (mean m_k - m_k
  theory)/se_k and z_K the two-sided 0.001 Bonferroni quantile for K features; se_k is the
  spread over instances / sqrt(n) (floored at the binomial sqrt(4 e (1 - e)/(N n)),
  e = (1 - m_k)/2 from the theory), and in the tail (e < TAIL_ERROR = 0.01) the distribution-
  free sqrt((1 - m_k^2)/n) (see TAIL_ERROR);
* k_max: at every N and alpha, |k_max(sim) - k_max(theory)| <= 3 se, se from a seeded bootstrap
  over instances, floored at 0.5 (integer resolution);
* the alpha scan at N = 2000 (quick: 1000): the same k_max comparison at alpha = 0.5, 1, 2 (the
  theory's finite-N k_max depends on alpha; only the N -> oo law does not).

Clean mixtures (``signs="plus"``, c = +1): the same measurement, outside the theory (the
co-occurring features add coherently); reported by ``clean_mixture_overlaps``.

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

import math

import numpy as np

from ..records import make_record, write_record
from . import hopfield_dynamics as hd, hopfield_snr_data as hdata, hopfield_snr_meanfield as hmf
from . import hopfield_snr_training as htrain

DEFAULT_LADDER = (1000, 2000, 4000)
QUICK_LADDER = (1000, 2000)
ALPHAS = (0.5, 1.0, 2.0)
DEFAULT_INSTANCES = 64
QUICK_INSTANCES = 32
BOOTSTRAP = 400
# Theory error rate e = (1 - m_k)/2 below which a feature is in the tail: there the per-instance
# overlap is all-or-nothing (the noise is dominated by a few frozen overlaps f^l.f^k/N, e.g. with
# feature 1, and only the rare instance where one is large flips sites), so a sample of instances
# rarely contains the event and its spread underestimates the error; the tail uses the
# distribution-free bound sqrt((1 - m^2)/n) instead.
TAIL_ERROR = 0.01


def one_step_overlaps(N, eta, L, alpha_D, alpha, seed, instance, K, signs="random"):
    """m_k = f^k.sgn(J f^k)/N for k = 1..K on one data instance (Hebb, zero diagonal)."""
    rng = hd.rng_for(seed, 77, N, int(round(alpha * 1000)), instance)
    D = int(round(alpha_D * N))
    P = max(1, int(round(alpha * N)))
    F = hdata.sample_features(N, D, rng)
    if signs == "random":
        X = hdata.sample_examples(F, P, L, eta, rng).X
    elif signs == "plus":
        sup = hdata.sample_supports(P, D, L, eta, rng)
        X = np.empty((P, N), dtype=np.int8)
        hdata.combine(F, sup, np.ones((P, L), dtype=np.int8), X)
    else:
        raise ValueError(f"signs '{signs}': random or plus")
    K = min(K, D)
    Fk = F[:K].astype(np.float64)
    Xf = X.astype(np.float64)
    Nh = (Fk @ Xf.T) @ Xf - P * Fk  # N h, exact integers
    x = np.where(Nh == 0, Fk, np.sign(Nh))
    return np.einsum("kn,kn->k", x, Fk) / N


def _kmax_of(m, m_star):
    ok = m >= m_star
    return int(np.argmin(ok)) if not ok.all() else len(m)


def criterion_point(model, v, instances, seed, K=None, signs="random"):
    """Theory and simulation of the one-step criterion at the validated parameters ``v``."""
    from scipy.special import ndtri
    th = model.solve(v)
    if not th.converged:
        raise ValueError(th.status["message"])
    N = int(v["N"])
    K = K or (2 * th["k_max"] + 10)
    f = model.features(v, K=K)
    K = len(f["p"])
    ms = np.array([one_step_overlaps(N, v["eta"], int(v["L"]), v["alpha_D"], v["alpha"], seed,
                                     i, K, signs) for i in range(instances)])
    mean = ms.mean(0)
    sd = ms.std(0, ddof=1) if instances > 1 else np.full(K, np.nan)
    mth = f["m_one_step"]
    e = np.clip((1 - mth) / 2, 0, 0.5)
    se = np.maximum(sd / math.sqrt(instances), np.sqrt(4 * e * (1 - e) / (N * instances)))
    # tail: the distribution-free bound Var(m) <= 1 - E[m]^2 (m in [-1, 1]) replaces the sample se
    tail = e < TAIL_ERROR
    se = np.where(tail, np.maximum(se, np.sqrt((1 - mth**2) / instances)), se)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, (mean - mth) / se, np.where(mean == mth, 0.0, np.inf))
    zK = float(-ndtri(0.001 / (2 * K)))
    zmax = float(np.max(np.abs(z)))
    ksim = _kmax_of(mean, v["m_star"])
    rng = np.random.default_rng([seed, 4242, N, instances])
    boot = [_kmax_of(ms[rng.integers(0, instances, instances)].mean(0), v["m_star"])
            for _ in range(BOOTSTRAP)]
    kse = max(float(np.std(boot, ddof=1)), 0.5)
    return {"N": N, "alpha": float(v["alpha"]), "instances": instances, "K": K, "signs": signs,
            "m_sim": mean.tolist(), "m_se": se.tolist(), "m_theory": mth.tolist(),
            "z": z.tolist(), "tail": tail.tolist(), "max_abs_z": zmax, "z_bound": zK,
            "overlaps_pass": bool(zmax <= zK),
            "k_max_sim": ksim, "k_max_se": kse, "k_max_theory": int(th["k_max"]),
            "k_max_leading": float(th["k_max_leading"]),
            "z_k_max": (ksim - th["k_max"]) / kse,
            "k_max_pass": bool(abs(ksim - th["k_max"]) <= 3 * kse)}


def clean_mixture_overlaps(N, eta=1.5, L=3, alpha_D=0.5, alpha=1.0, instances=16, seed=0, K=10):
    """Mean and se of the one-step overlap m_k, k = 1..K, for clean mixtures (c = +1)."""
    ms = np.array([one_step_overlaps(N, eta, L, alpha_D, alpha, seed, i, K, "plus")
                   for i in range(instances)])
    return ms.mean(0), ms.std(0, ddof=1) / math.sqrt(instances)


def _point_lines(r, kshow=None):
    ks = kshow or sorted({1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 40} & set(range(1, r["K"] + 1))
                         | {r["k_max_theory"], r["k_max_theory"] + 1} & set(range(1, r["K"] + 1)))
    out = []
    for k in ks:
        out.append(f"    k={k:3d}  m sim {r['m_sim'][k - 1]:.4f} +- {r['m_se'][k - 1]:.4f}  "
                   f"theory {r['m_theory'][k - 1]:.4f}  z {r['z'][k - 1]:+5.2f}")
    return out


def simulate(model, v, instances, seed):
    N = int(v["N"])
    r = criterion_point(model, v, instances, seed)
    record = make_record(model, v, {"overlaps_pass": bool(r["overlaps_pass"]),
                                    "k_max_pass": bool(r["k_max_pass"])},
                         instances=instances, seed=seed, criterion=r)
    lines = [f"hopfield-snr simulate: N={N}, eta={v['eta']:g}, L={int(v['L'])}, "
             f"alpha_D={v['alpha_D']:g}, alpha={v['alpha']:g}, {instances} instances; one "
             f"synchronous step from f^k, overlap averaged over instances"]
    lines += _point_lines(r)
    lines.append(f"  max |z| over k <= {r['K']}: {r['max_abs_z']:.2f} (bound {r['z_bound']:.2f}; "
                 f"theory m_k > 0.98: distribution-free se)")
    lines.append(f"  k_max (mean m_k >= m* = {v['m_star']:g}): sim {r['k_max_sim']} +- "
                 f"{r['k_max_se']:.2f}, theory {r['k_max_theory']} (z = {r['z_k_max']:+.2f}), "
                 f"leading order {r['k_max_leading']:.2f}")
    return {"record": record, "table": "\n".join(lines)}


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
    instances = instances or (QUICK_INSTANCES if quick else DEFAULT_INSTANCES)
    eta = float(base["eta"])
    Nbig = 1000 if quick else 2000
    alphas = [a for a in ALPHAS if abs(a - float(base["alpha"])) > 1e-12 or Nbig not in Ns]
    total = len(Ns) + len(alphas)
    rows, done = [], 0
    for N in Ns:
        rows.append(criterion_point(model, model.validate({**base, "N": N}), instances, seed))
        done += 1
        if progress:
            progress(done, total)
    arows = [r for r in rows if r["N"] == Nbig]
    for a in alphas:
        arows.append(criterion_point(model, model.validate({**base, "N": Nbig, "alpha": a}),
                                     instances, seed))
        done += 1
        if progress:
            progress(done, total)
    arows.sort(key=lambda r: r["alpha"])
    allrows = rows + [r for r in arows if r not in rows]
    pass_m = all(r["overlaps_pass"] for r in allrows)
    pass_k = all(r["k_max_pass"] for r in allrows)
    gen = None
    if run_gen:
        gen = run_generalization(gopt, eta, int(base["L"]), float(base["alpha_D"]), seed)
    passed = bool(pass_m and pass_k and (gen is None or gen["passed"]))
    record = make_record(model, base, {"verdict": "PASS" if passed else "FAIL"}, ladder=rows,
                         alpha_scan=arows, generalization=gen, overlaps_passed=pass_m,
                         k_max_passed=pass_k, exponent_theory=1.0 / (2.0 * eta),
                         passed=passed, seed=seed, instances=instances)
    path = write_record(record, out_dir, f"verify-hopfield-snr-eta{eta:g}-seed{seed}")
    figure = _plot(rows, arows, path.with_suffix(".png"), gen)
    ok = {True: "PASS", False: "FAIL"}
    lines = [f"hopfield-snr verify: eta={eta:g}, L={int(base['L'])}, alpha_D={base['alpha_D']:g}, "
             f"{instances} instances per point (seed {seed}), derivation {model.derivation_hash}",
             "  criterion: one synchronous step from f^k, overlap averaged over instances; "
             "retrieved when it reaches m_star",
             "       N  alpha  max|z_k| (bound)   k_max sim      theory   z     leading"]
    for r in allrows:
        lines.append(f"  {r['N']:6d}  {r['alpha']:5.2f}  {r['max_abs_z']:5.2f} ({r['z_bound']:.2f})"
                     f"  {ok[r['overlaps_pass']]}  {r['k_max_sim']:3d} +- {r['k_max_se']:4.2f}"
                     f"  {r['k_max_theory']:4d}  {r['z_k_max']:+5.2f} {ok[r['k_max_pass']]}"
                     f"  {r['k_max_leading']:6.2f}")
    lines.append(f"  one-step overlaps within the Bonferroni bound at every point {ok[pass_m]}")
    lines.append(f"  k_max within 3 se at every point {ok[pass_k]}")
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
    # a simulation without a verdict (verdicts=False): its status says just that
    record = make_record(model, v, {"verdict": None}, seed=seed, training=g)
    return {"record": record, "table": "hopfield-snr simulate (one training; instances unused)"
            "\n" + format_generalization(g)}


def _plot(rows, arows, path, gen=None):
    from ..plotting import pyplot
    plt = pyplot()
    import matplotlib.ticker  # (NullFormatter, ScalarFormatter below)
    fig, ax = plt.subplots(1, 3 if gen else 2, figsize=(13.5 if gen else 9, 3.6))
    for r in rows:
        k = np.arange(1, r["K"] + 1)
        line = ax[0].errorbar(k, r["m_sim"], r["m_se"], fmt="o", ms=3, label=f"N = {r['N']}")
        ax[0].plot(k, r["m_theory"], "-", color=line[0].get_color())
    ax[0].axhline(0.95, color="k", lw=0.5, ls=":")
    ax[0].set_xscale("log")
    ax[0].set_xlabel("feature rank k")
    ax[0].set_ylabel("one-step overlap m_k")
    ax[0].legend(fontsize=7)
    for rr, mk in ((rows, "o"), (arows, "s")):
        ax[1].errorbar([r["N"] * (1 if mk == "o" else 1.03) for r in rr],
                       [r["k_max_sim"] for r in rr], [r["k_max_se"] for r in rr], fmt=mk,
                       label="sim" if mk == "o" else "sim, alpha scan")
    ax[1].plot([r["N"] for r in rows], [r["k_max_theory"] for r in rows], "x", label="theory")
    ax[1].plot([r["N"] for r in rows], [r["k_max_leading"] for r in rows], "--",
               label="leading law")
    ax[1].set_xscale("log")
    ax[1].set_yscale("log")
    Ns = [r["N"] for r in rows]
    ax[1].set_xticks(Ns, [f"{x:g}" for x in Ns])
    ax[1].xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax[1].yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
    ax[1].yaxis.set_minor_formatter(matplotlib.ticker.ScalarFormatter())
    ax[1].set_xlabel("N")
    ax[1].set_ylabel("k_max")
    ax[1].legend(fontsize=7)
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
    w = hdata.powerlaw_weights(D, eta)
    rows = []
    rec_all, rec_not = [], []
    first_alpha = np.full(K, np.inf)
    tot = {"b": 0, "c": 0, "not_unseen": 0, "not_unseen_rec": 0, "all_unseen": 0,
           "all_unseen_rec": 0}
    for ai, alpha in enumerate(alphas):
        rng = hd.rng_for(seed, 900, N, int(round(alpha * 1000)))
        F = hdata.sample_features(N, D, rng)
        P = max(1, int(round(alpha * N)))
        tr = hdata.sample_examples(F, P, L, eta, rng)
        te = hdata.sample_examples(F, n_eval, L, eta, rng)
        trainer = htrain.CrossEntropyTrainer(tr.X, lam=lam, lr=lr, dtype=np.float32)
        first, _ = htrain.acquisition_steps(trainer, F[:K], checkpoints, steps=dyn_steps)
        learned = first >= 0
        J = trainer.J
        ftr, _ = hd.reconstruct(J, tr.X[:n_eval], steps=dyn_steps)
        fte, bte, xfin = hd.synchronous(J, te.X, te.X, dyn_steps, return_states=True)
        rec = fte > htrain.LEARNED_THRESHOLD
        allk = np.array([all(k < K and learned[k] for k in s) for s in te.supports])
        train_keys = set(hd.example_keys(tr.X))
        seen = np.array([k in train_keys for k in hd.example_keys(te.X)])
        mf_ov = hmf.mixture_snr(J, F, te.supports, steps=dyn_steps)
        mf = mf_ov > htrain.LEARNED_THRESHOLD
        rec_all.extend(rec[allk].tolist())
        rec_not.extend(rec[~allk].tolist())
        n = len(rec)
        pred = hdata.prob_support_within(w, np.nonzero(learned)[0], L)
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
        collapse = float(np.mean(own > htrain.LEARNED_THRESHOLD)) if fail.any() else None
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
