"""Classic checks of the Hebb Hopfield network with random patterns (model hopfield-ags).

* One-step flip probability: starting at a stored pattern, a spin flips when its crosstalk beats
  the signal (N-1)/N. For site i of pattern mu the crosstalk times N is a sum of M = (P-1)(N-1)
  independent +-1 terms, so at finite N the flip probability is exactly P(S_M < -(N-1)) (a binomial
  tail; a zero field keeps the spin), which tends to H(sqrt((N-1)/(P-1))) -> H(1/sqrt(alpha)).
* Symmetric L-mixtures at alpha -> 0 (P = L patterns): the state sgn(xi^1 + ... + xi^L) is a fixed
  point whose overlap with each pattern is a_L = binom(L-1, (L-1)/2)/2^(L-1): 1/2, 3/8, 5/16.
* Capacity by simulation: asynchronous zero-temperature dynamics from each stored pattern; the
  fraction of patterns retrieved (final overlap > 0.9) against alpha at each N of a ladder; the
  crossing of 1/2, alpha_50(N), approaches the replica value as N grows. Verdict: |alpha_50(N) -
  alpha_c| decreases along the ladder; the linear extrapolation in N^(-1/2) (the shared ladder's
  WLS fit, numerics/ladder.py ``extrapolate``, with the standard error of each alpha_50(N) from
  :func:`alpha_50_estimate`) is reported with its se and z against the RS alpha_c but without a
  verdict (finite-N corrections are large, the dynamics stop in metastable states, and replica
  symmetry breaking shifts alpha_c slightly, to ~0.1382).

The flip and mixture verdicts: |simulation - theory| <= 3 standard errors.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats as sps

from .. import ladder
from ..records import make_record, write_record

from . import hopfield_dynamics as hd


def random_patterns(P, N, rng):
    return (2 * rng.integers(0, 2, size=(P, N), dtype=np.int8) - 1).astype(np.int8)


def exact_flip_probability(N, P):
    """P(sum of (P-1)(N-1) fair +-1 < -(N-1)) = P(B < (M - N + 1)/2), B ~ Bin(M, 1/2)."""
    M = (P - 1) * (N - 1)
    thr = (M - (N - 1)) / 2.0  # flip iff B < thr
    kmax = math.ceil(thr) - 1
    return float(sps.binom.cdf(kmax, M, 0.5))


def one_step_flips(N, alpha, instances, seed):
    P = max(2, int(round(alpha * N)))
    flips = total = 0
    for i in range(instances):
        X = random_patterns(P, N, hd.rng_for(seed, 101, N, i))
        J = hd.hebb(X)
        h = X.astype(float) @ J
        flips += int(np.count_nonzero(X * h < 0))
        total += P * N
    p = flips / total
    se = math.sqrt(max(p * (1 - p), 1e-300) / total)
    return {"N": N, "P": P, "flips": flips, "sites": total, "p_sim": p, "se": se,
            "p_exact_finite_N": exact_flip_probability(N, P),
            "p_gauss_finite_N": float(sps.norm.sf(math.sqrt((N - 1) / (P - 1)))),
            "H_1_over_sqrt_alpha": float(sps.norm.sf(1 / math.sqrt(P / N)))}


def a_L(L):
    return math.comb(L - 1, (L - 1) // 2) / 2 ** (L - 1)


def mixture_overlaps(N, L, instances, seed, steps=10):
    vals = []
    for i in range(instances):
        X = random_patterns(L, N, hd.rng_for(seed, 202, N, L, i)).astype(float)
        x = np.sign(X.sum(0))
        for _ in range(steps):
            # Hebb field through the patterns (rank L, no N x N matrix): h = J x with J_ii = 0
            h = X.T @ (X @ x) / N - (L / N) * x
            x = np.where(h > 0, 1.0, np.where(h < 0, -1.0, x))
        vals.extend((X @ x) / N)
    vals = np.array(vals)
    return {"L": L, "N": N, "mean": float(vals.mean()),
            "se": float(vals.std(ddof=1) / math.sqrt(len(vals))), "theory": a_L(L)}


RETRIEVED = 0.9  # final overlap above which a start counts as retrieved


def _final_overlaps(N, alpha, instances, seed, sweeps=50):
    """P and, per instance, the final overlaps of the asynchronous dynamics started at the first
    min(P, 10) stored patterns (instance i: patterns from rng_for(seed, 303, N, i))."""
    P = max(1, int(round(alpha * N)))
    per = []
    for i in range(instances):
        X = random_patterns(P, N, hd.rng_for(seed, 303, N, i))
        J = hd.hebb(X)
        n = min(P, 10)
        fin, _ = hd.asynchronous(J, X[:n], X[:n], sweeps, seed * 1000 + i)
        per.append(np.asarray(fin, float))
    return P, per


def retrieval_overlaps(N, alpha, instances, seed, sweeps=50):
    P, per = _final_overlaps(N, alpha, instances, seed, sweeps)
    ms = np.concatenate(per)
    return {"P": P, "m_mean": float(ms.mean()), "m_se": float(ms.std(ddof=1) / math.sqrt(len(ms)))
            if len(ms) > 1 else math.nan, "m_median": float(np.median(ms)),
            "retrieved_fraction": float(np.mean(ms > RETRIEVED))}


def alpha_50_estimate(alphas, retrieved, starts):
    """alpha_50, the alpha where the retrieved fraction crosses 1/2, and its one-sigma standard
    error, from per-instance counts: ``retrieved[i][j]`` of ``starts[i][j]`` starts of instance i
    at ``alphas[j]`` were retrieved. Returns (alpha_50, se, j) with j the lower bracketing grid
    point (alpha_50 = nan, se = nan, j = None without a crossing).

    The fraction at alpha_j is pooled, f_j = sum_i k_ij / sum_i n_ij; alpha_50 is the linear
    interpolation between the first bracket with f_j >= 1/2 > f_(j+1):
    alpha_50 = alpha_j + (f_j - 1/2)/(f_j - f_(j+1)) (alpha_(j+1) - alpha_j).
    se: the delta method through that interpolation, d alpha_50/d f_j = D (1/2 - f_(j+1))/d^2 and
    d alpha_50/d f_(j+1) = D (f_j - 1/2)/d^2 (D the grid step, d = f_j - f_(j+1)), with the
    covariance of (f_j, f_(j+1)) estimated over INSTANCES (cluster / ratio-estimator covariance,
    cov(f_j, f_l) = I/(I-1) sum_i e_ij e_il / (n_j n_l), e_ij = k_ij - f_j n_ij, n_j = sum_i n_ij).
    Why not the plain binomial error of each fraction: the starts of one instance share its
    couplings, and the grid points share patterns (the same seeded stream, the first rows
    coincide), so the starts are neither independent within an instance nor across alphas; both
    correlations are positive and the binomial error would understate the se (the test of this
    function shows it on a synthetic ladder, where the cluster se is calibrated). The se is
    statistical only: the bias of the linear interpolation on a finite grid is not in it."""
    a = np.asarray(alphas, float)
    k = np.asarray(retrieved, float)
    n = np.asarray(starts, float)
    if k.shape != n.shape or k.ndim != 2 or k.shape[1] != a.size:
        raise ValueError("retrieved and starts: instances x alphas arrays matching alphas")
    I = k.shape[0]
    nj = n.sum(0)
    f = k.sum(0) / nj
    for j in range(a.size - 1):
        if f[j] >= 0.5 > f[j + 1]:
            D, d = a[j + 1] - a[j], f[j] - f[j + 1]
            a50 = a[j] + (f[j] - 0.5) / d * D
            g = np.array([D * (0.5 - f[j + 1]) / d ** 2, D * (f[j] - 0.5) / d ** 2])
            e = (k[:, j:j + 2] - f[j:j + 2] * n[:, j:j + 2]) / nj[j:j + 2]
            cov = e.T @ e * (I / (I - 1)) if I > 1 else np.full((2, 2), np.nan)
            return float(a50), float(math.sqrt(max(g @ cov @ g, 0.0))), j
    return math.nan, math.nan, None


def capacity_ladder(Ns, alphas, instances, seed):
    rows = []
    for N in Ns:
        k, n = [], []
        for a in alphas:
            _, per = _final_overlaps(N, a, instances, seed)
            k.append([int(np.count_nonzero(m > RETRIEVED)) for m in per])
            n.append([m.size for m in per])
        k, n = np.array(k).T, np.array(n).T  # instances x alphas
        fr = [float(v) for v in k.sum(0) / n.sum(0)]
        a50, se, _ = alpha_50_estimate(alphas, k, n)
        rows.append({"N": N, "alphas": list(alphas), "retrieved_fraction": fr, "alpha_50": a50,
                     "alpha_50_se": se})
    return rows


def verify_classic(model, a_c, m_c, params, *, Ns=None, instances=None, seed=0,
                   out_dir="memgen-out", quick=False, progress=None):
    alpha = float(params.get("alpha", 0.1))
    N = int(Ns[-1]) if Ns else (1000 if quick else 2000)
    inst = instances or (10 if quick else 20)
    flip = one_step_flips(N, alpha, inst, seed)
    flip["z"] = (flip["p_sim"] - flip["p_exact_finite_N"]) / max(flip["se"], 1e-300)
    flip["passed"] = bool(abs(flip["z"]) <= 3)
    mix = []
    for L in (3, 5, 7):
        r = mixture_overlaps(20000 if quick else 50000, L, 4 if quick else 10, seed)
        r["z"] = (r["mean"] - r["theory"]) / r["se"]
        r["passed"] = bool(abs(r["z"]) <= 3)
        mix.append(r)
    cap = cap_fit = None
    cap_ok = True
    if not quick:
        cap = capacity_ladder(Ns or (250, 500, 1000, 2000),
                              [0.10, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.20, 0.22], inst, seed)
        pts = [(r["N"], r["alpha_50"], r["alpha_50_se"]) for r in cap
               if math.isfinite(r["alpha_50"])]
        dist = [abs(a - a_c) for _, a, _ in pts]
        # approach: the distance to the replica value shrinks along the ladder
        cap_ok = len(pts) >= 2 and all(d1 < d0 for d0, d1 in zip(dist, dist[1:]))
        if len(pts) >= 2:
            # the shared ladder's WLS fit in N^-1/2, each alpha_50(N) weighted by its se; the
            # 3-se comparison with the RS alpha_c is reported, not a verdict (module docstring)
            row = ladder.extrapolate([n for n, _, _ in pts], [a for _, a, _ in pts],
                                     [max(s, 1e-12) for _, _, s in pts], a_c,
                                     scaling="1/sqrt(N)")
            cap_fit = {"x": "N^-1/2", "intercept": float(row["extrapolated"]),
                       "slope": float(row["slope"]), "se": float(row["se"]),
                       "slope_se": float(row["slope_se"]), "z": float(row["z"]),
                       "within_3se": bool(row["pass"]), "chi2": float(row["chi2"]),
                       "dof": int(row["dof"]), "cov": row["cov"], "theory": a_c,
                       "Ns": [n for n, _, _ in pts], "means": [a for _, a, _ in pts],
                       "ses": [s for _, _, s in pts],
                       "se_method": "delta method through the interpolation, covariance over "
                                    "instances (alpha_50_estimate)", "verdict": False}
    passed = bool(flip["passed"] and all(r["passed"] for r in mix) and cap_ok)
    record = make_record(model, {"alpha": alpha}, {"verdict": "PASS" if passed else "FAIL"},
                         alpha=alpha, flip=flip, mixtures=mix, capacity_ladder=cap,
                         capacity_extrapolation=cap_fit, capacity_approaches=bool(cap_ok),
                         theory={"alpha_c": a_c, "m_c": m_c}, passed=passed, seed=seed)
    path = write_record(record, out_dir, f"verify-hopfield-ags-seed{seed}")
    figure = _plot(flip, mix, cap, a_c, alpha, path.with_suffix(".png"), cap_fit)
    lines = [f"hopfield-ags verify (seed {seed}); RS theory alpha_c = {a_c:.9f}, "
             f"m(alpha_c) = {m_c:.6f}",
             f"  one-step flip, N={flip['N']}, P={flip['P']}: sim {flip['p_sim']:.3e} +- "
             f"{flip['se']:.1e}; exact finite N {flip['p_exact_finite_N']:.3e} (z = "
             f"{flip['z']:+.2f}) {'PASS' if flip['passed'] else 'FAIL'}; H(1/sqrt(alpha)) = "
             f"{flip['H_1_over_sqrt_alpha']:.3e}"]
    for r in mix:
        lines.append(f"  L={r['L']} mixture overlap, N={r['N']}: {r['mean']:.5f} +- {r['se']:.5f}"
                     f" vs a_L = {r['theory']:.5f} (z = {r['z']:+.2f}) "
                     f"{'PASS' if r['passed'] else 'FAIL'}")
    if cap:
        for row in cap:
            lines.append(f"  capacity N={row['N']}: retrieved fraction "
                         + " ".join(f"{a:.2f}:{f:.2f}" for a, f in
                                    zip(row["alphas"], row["retrieved_fraction"]))
                         + f" -> alpha_50 = {row['alpha_50']:.4f} +- {row['alpha_50_se']:.4f}")
    if cap:
        lines.append(f"  |alpha_50(N) - alpha_c| shrinks along the ladder: "
                     f"{'PASS' if cap_ok else 'FAIL'}"
                     + (f"; WLS extrapolation in N^-1/2: alpha_50(oo) = "
                        f"{cap_fit['intercept']:.4f} +- {cap_fit['se']:.4f}, z = "
                        f"{cap_fit['z']:.2f} from the RS alpha_c (chi2/dof = {cap_fit['chi2']:.2f}/"
                        f"{cap_fit['dof']}; reported, no verdict)" if cap_fit else ""))
    lines.append(f"  verdict: {'PASS' if passed else 'FAIL'}")
    return {"record": record, "table": "\n".join(lines), "figure": str(figure), "path": str(path),
            "passed": passed}


def _plot(flip, mix, cap, a_c, alpha, path, cap_fit=None):
    """One-step flip probability against H(1/sqrt(alpha)) and the exact finite-N tail; the
    mixture overlaps against a_L; the retrieved fraction along the capacity ladder and the
    ladder's extrapolation of alpha_50(N) in N^-1/2 (full run)."""
    from ..plotting import pyplot
    plt = pyplot()
    ncol = 2 + bool(cap) + bool(cap_fit)
    fig, ax = plt.subplots(1, ncol, figsize=(4.5 * ncol, 3.6))
    a = np.linspace(max(0.03, 0.4 * alpha), max(0.3, 1.5 * alpha), 200)
    ax[0].semilogy(a, sps.norm.sf(1 / np.sqrt(a)), "-", label="H(1/sqrt(alpha))")
    N = flip["N"]
    Ps = np.unique(np.maximum(2, np.round(a * N)).astype(int))
    ax[0].semilogy(Ps / N, [exact_flip_probability(N, P) for P in Ps], "--",
                   label=f"exact binomial tail, N = {N}")
    ax[0].errorbar([flip["P"] / N], [flip["p_sim"]], [3 * flip["se"]], fmt="o", capsize=3,
                   label=f"Hebb simulation (3 se), z = {flip['z']:+.2f}")
    ax[0].set_xlabel("alpha = P/N")
    ax[0].set_ylabel("one-step flip probability")
    ax[0].legend(fontsize=7)
    Ls = [r["L"] for r in mix]
    ax[1].errorbar(Ls, [r["mean"] for r in mix], [3 * r["se"] for r in mix], fmt="o",
                   capsize=3, label="simulation (3 se), z = "
                   + ", ".join(f"{r['z']:+.1f}" for r in mix))
    ax[1].plot(Ls, [r["theory"] for r in mix], "s", mfc="none", ms=9,
               label="a_L = binom(L-1,(L-1)/2)/2^(L-1)")
    ax[1].set_xticks(Ls)
    ax[1].set_xlabel("L (symmetric L-mixture, alpha -> 0)")
    ax[1].set_ylabel("overlap with each pattern")
    ax[1].legend(fontsize=7)
    if cap:
        for row in cap:
            ax[2].plot(row["alphas"], row["retrieved_fraction"], "o-", ms=3,
                       label=f"N = {row['N']}")
        ax[2].axvline(a_c, color="k", ls=":", label=f"RS alpha_c = {a_c:.4f}")
        ax[2].axhline(0.5, color="gray", lw=0.5)
        ax[2].set_xlabel("alpha")
        ax[2].set_ylabel("retrieved fraction (overlap > 0.9)")
        ax[2].legend(fontsize=7)
    if cap_fit:
        row = {"observable": "alpha_50 (reported, no verdict)", "means": cap_fit["means"],
               "ses": cap_fit["ses"], "extrapolated": cap_fit["intercept"],
               "slope": cap_fit["slope"], "cov": cap_fit["cov"], "se": cap_fit["se"],
               "theory": a_c}
        ladder.draw_extrapolation(ax[3], row, cap_fit["Ns"], scaling="1/sqrt(N)",
                                  theory_label="RS alpha_c")
        ax[3].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
