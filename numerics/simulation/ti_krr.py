"""Finite checks of ti-krr that no derived formula wrote.

1. Brute-force KRR: the explicit training set (adjacent pairs and exceptions, both orders), the pair
   kernel K((i,j),(k,l)) = kd + (1-kd)[(1-c)(d_ik + d_jl)/2 + c d_ik d_jl] as a dense matrix,
   alpha = (K + lam I)^{-1} y (lam = c = 0: the pseudo-inverse, the min-norm interpolant), or the
   gradient-flow filter from an eigendecomposition of K.
2. Random-feature ReLU networks: input x = (e_i, e_j)/sqrt(2), `depth` fixed random layers
   h <- sqrt(2) relu(W h) (He scaling, W ~ N(0, 1/fan_in)), readout trained by ridge lam on the
   training pairs. As width -> oo the readout kernel is the depth-`depth` NNGP.
3. Wide one-hidden-layer networks trained by full-batch gradient descent on (1/2) sum (f - y)^2,
   NTK parametrization f(x) = m^{-1/2} sum_k a_k sqrt(2) relu(w_k . x), w ~ N(0, I), a ~ N(0, 1),
   hidden units in pairs (w, a), (w, -a) so that f = 0 at initialization (same NTK), all weights
   trained until the training residual is below 1e-9: the lazy-regime limit is the ridgeless NTK
   interpolant.

Statistics of `memgen verify ti-krr` (per network kind, widths m_1 < ... < m_K, S seeds each):
* per pair (i < j, all n(n-1)/2 pairs): seed mean and its standard error at every width; a WLS line
  mean(m) = f_oo + b/m (finite-width bias of a kernel estimate is O(1/m), fluctuations O(m^-1/2));
  z = (f_oo - f_theory)/se(f_oo). PASS needs max |z| <= z_crit, the two-sided Bonferroni
  threshold for a family-wise 3-sigma level (p = 0.0027) over the pairs, from Student's t with
  S - 1 degrees of freedom (the standard errors are estimated from S seeds);
* error against width: RMS over pairs of (network - theory) per seed, its seed mean and SE per
  width, and a WLS fit of log(error) against log(m); PASS needs slope + 3 se < 0 (the error
  shrinks with width); the slope itself is reported (-1/2 expected);
* sign pattern near the exception: at the largest width, every pair whose theory margin is further
  than 3 SE from zero must have the theory's sign in the seed mean (so the pairs that the theory
  answers against the rule are answered against the rule by the networks, and only those).
Brute-force: max |closed form - brute force| over random (n, exceptions, c, lam) <= 1e-12 times
max(1, max |f|). Overall PASS iff all hold.
"""
from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

DEFAULT_WIDTHS = (256, 1024, 4096, 16384)
SE_FLOOR = 1e-8  # numerical resolution of a network margin (GD stops at residual 1e-9)
QUICK_WIDTHS = (128, 512, 2048)


def seed_for(seed, width: int, index: int) -> np.random.SeedSequence:
    """Independent stream for seed ``index`` at width ``width`` from a master ``seed``."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(int(width), int(index)))


def training_set(n: int, exc):
    pairs, y = [], []
    for k in range(1, n):
        pairs += [(k, k + 1), (k + 1, k)]
        y += [1.0, -1.0]
    for a, b in exc:
        pairs += [(a, b), (b, a)]
        y += [1.0, -1.0]
    return pairs, np.array(y)


def all_pairs(n: int):
    return [(a, b) for a in range(1, n + 1) for b in range(1, n + 1) if a != b]


def _to_matrix(n, pairs, values):
    F = np.zeros((n, n))
    for (a, b), v in zip(pairs, values):
        F[a - 1, b - 1] = v
    return F


def pair_kernel_matrix(P, Q, c, kd=0.0):
    P, Q = np.asarray(P), np.asarray(Q)
    e1 = (P[:, None, 0] == Q[None, :, 0]).astype(float)
    e2 = (P[:, None, 1] == Q[None, :, 1]).astype(float)
    return kd + (1 - kd) * ((1 - c) * (e1 + e2) / 2 + c * e1 * e2)


def brute_force_krr(n, exc, c, lam, kd=0.0, t=None):
    """Margin matrix F[i-1, j-1] = f(i, j) of KRR (or gradient flow at time t) on the explicit
    training set with the dense pair kernel."""
    tr, y = training_set(n, exc)
    ap = all_pairs(n)
    K = pair_kernel_matrix(tr, tr, c, kd)
    Kx = pair_kernel_matrix(ap, tr, c, kd)
    if t is None:
        if lam > 0 or c > 0:
            alpha = np.linalg.solve(K + lam * np.eye(len(tr)), y)
        else:
            alpha = np.linalg.pinv(K, rcond=1e-10, hermitian=True) @ y
    else:
        ev, Q = np.linalg.eigh(K)
        ev = np.clip(ev, 0, None) + lam
        h = np.where(ev > 1e-12, -np.expm1(-ev * t) / np.where(ev > 1e-12, ev, 1), t)
        alpha = Q @ (h * (Q.T @ y))
    return _to_matrix(n, ap, Kx @ alpha)


def pair_inputs(n, pairs):
    X = np.zeros((len(pairs), 2 * n))
    for k, (a, b) in enumerate(pairs):
        X[k, a - 1] = X[k, n + b - 1] = 1 / math.sqrt(2)
    return X


def rf_margins(n, exc, lam, width, seed, depth=1):
    """Random-feature ReLU network: fixed random hidden layers, readout trained by ridge lam."""
    rng = np.random.default_rng(seed)
    tr, y = training_set(n, exc)
    ap = all_pairs(n)
    H = pair_inputs(n, ap)
    for _ in range(depth):
        W = rng.standard_normal((H.shape[1], width)) / math.sqrt(H.shape[1] if _ else 1.0)
        H = math.sqrt(2) * np.maximum(H @ W, 0.0)
    Phi = H / math.sqrt(width)
    idx = [ap.index(p) for p in tr]
    Pt = Phi[idx]
    Kt = Pt @ Pt.T
    if lam > 0:
        alpha = np.linalg.solve(Kt + lam * np.eye(len(tr)), y)
    else:
        alpha = np.linalg.lstsq(Kt, y, rcond=None)[0]
    return _to_matrix(n, ap, Phi @ (Pt.T @ alpha))


@njit(cache=True)
def _gd_train(I, J, y, W, A, s, eta, tol, max_steps):
    """Full-batch GD on (1/2) sum_t (f(x_t) - y_t)^2 for f(x) = s sum_k A_k relu(W_k . x), with
    x_t = (e_I + e_J)/sqrt(2) (two nonzeros): plain loops, no BLAS threads (the matrices are
    small and a shared machine makes threaded BLAS slow). Updates W, A in place; returns the
    number of steps taken (max_steps if the residual never fell below tol)."""
    T = I.size
    m = A.size
    r2 = 1.0 / math.sqrt(2.0)
    h = np.empty((T, m))
    e = np.empty(T)
    for step in range(max_steps + 1):
        worst = 0.0
        for t in range(T):
            acc = 0.0
            for k in range(m):
                hv = (W[k, I[t]] + W[k, J[t]]) * r2
                h[t, k] = hv
                if hv > 0.0:
                    acc += A[k] * hv
            e[t] = s * acc - y[t]
            worst = max(worst, abs(e[t]))
        if worst < tol:
            return step
        if step == max_steps:
            break
        for k in range(m):
            gA = 0.0
            ak = A[k]
            for t in range(T):
                hv = h[t, k]
                if hv > 0.0:
                    gA += hv * e[t]
                    g = eta * s * e[t] * ak * r2
                    W[k, I[t]] -= g
                    W[k, J[t]] -= g
            A[k] = ak - eta * s * gA
    return max_steps


def gd_margins(n, exc, width, seed, tol=1e-9, max_steps=20000):
    """One hidden layer, NTK parametrization, f = 0 at init, full-batch GD on all weights until
    max |f - y| < tol on the training pairs. Returns (F, steps)."""
    rng = np.random.default_rng(seed)
    half = width // 2
    m = 2 * half
    tr, y = training_set(n, exc)
    ap = all_pairs(n)
    w = rng.standard_normal((half, 2 * n))
    a = rng.standard_normal(half)
    W = np.ascontiguousarray(np.vstack([w, w]))
    A = np.concatenate([a, -a])
    s = math.sqrt(2.0 / m)
    I = np.array([p[0] - 1 for p in tr], dtype=np.int64)
    J = np.array([n + p[1] - 1 for p in tr], dtype=np.int64)
    # Step size from the empirical NTK at initialization: eta = 1 / lambda_max.
    Xt = pair_inputs(n, tr)
    h = Xt @ W.T
    act = np.maximum(h, 0.0)
    der = (h > 0).astype(float)
    ntk = s**2 * (act @ act.T + (der * A**2) @ der.T * (Xt @ Xt.T))
    eta = 1.0 / np.linalg.eigvalsh(ntk)[-1]
    steps = _gd_train(I, J, y, W, A, s, eta, tol, max_steps)
    Xa = pair_inputs(n, ap)
    fa = s * np.maximum(Xa @ W.T, 0.0) @ A
    return _to_matrix(n, ap, fa), int(steps)


# -- verification -------------------------------------------------------------------------------
def brute_force_section(model, rng, count=30):
    """Closed forms against brute-force KRR at random (n, exceptions, c, lam)."""
    worst, rows = 0.0, []
    for k in range(count):
        n = int(rng.integers(4, 31))
        E = int(rng.integers(0, 4))
        exc = set()
        for _ in range(E):
            b = int(rng.integers(1, n - 1))
            exc.add((int(rng.integers(b + 2, n + 1)), b))
        exc = sorted(exc)
        c = float(rng.choice([0.0, rng.uniform(0.01, 0.95)]))
        lam = float(rng.choice([0.0, 10 ** rng.uniform(-2, 1.5)])) if c > 0 else \
            float(10 ** rng.uniform(-2, 1.5))
        spec = ",".join(f"{a}>{b}" for a, b in exc)
        F = model.margin_matrix(n=n, c=c, lam=lam, exceptions=spec)
        B = brute_force_krr(n, exc, c, lam)
        err = float(np.max(np.abs(F - B)) / max(1.0, np.max(np.abs(B))))
        worst = max(worst, err)
        rows.append({"n": n, "exceptions": spec, "c": c, "lam": lam, "error": err})
    return {"instances": rows, "max_error": worst, "passed": bool(worst <= 1e-12)}


def _network_section(kind, theory, samples, widths, pairs_mask):
    """Statistics of one network kind. samples[w] = array (S, n, n)."""
    from scipy.stats import t as student_t

    from .stats import wls_fit, wls_line
    n = theory.shape[0]
    iu, ju = np.triu_indices(n, 1)
    th = theory[iu, ju]
    means, ses, errs, err_se = [], [], [], []
    for w in widths:
        F = samples[w][:, iu, ju]
        S = F.shape[0]
        means.append(F.mean(0))
        ses.append(F.std(0, ddof=1) / math.sqrt(S))
        rms = np.sqrt(np.mean((F - th) ** 2, axis=1))
        errs.append(float(rms.mean()))
        err_se.append(float(rms.std(ddof=1) / math.sqrt(S)))
    means, ses = np.array(means), np.array(ses)
    inv_w = 1.0 / np.array(widths, float)
    f_inf, f_inf_se = np.empty(len(th)), np.empty(len(th))
    for p in range(len(th)):
        # floor: GD fits the training pairs only to 1e-9 (their seed spread can vanish)
        fit = wls_line(inv_w, means[:, p], np.sqrt(ses[:, p] ** 2 + SE_FLOOR ** 2))
        f_inf[p], f_inf_se[p] = fit.params[0], fit.se[0]
    z = (f_inf - th) / f_inf_se
    # Standard errors come from S seeds: Student t with S - 1 degrees of freedom, Bonferroni
    # over the pairs at a family-wise two-sided 3-sigma level (p = 0.0027).
    S = samples[widths[0]].shape[0]
    z_crit = float(student_t.isf(0.0027 / (2 * len(th)), S - 1))
    lw = np.log(np.array(widths, float))
    slope_fit = wls_fit(np.column_stack([np.ones_like(lw), lw]), np.log(errs),
                        np.array(err_se) / np.array(errs))
    slope, slope_se = slope_fit.params[1], slope_fit.se[1]
    # Sign pattern at the largest width among confidently signed pairs.
    m_last, se_last = means[-1], ses[-1]
    confident = np.abs(th) > 3 * np.sqrt(se_last ** 2 + SE_FLOOR ** 2)
    mismatch = [f"{i + 1}-{j + 1}" for k, (i, j) in enumerate(zip(iu, ju))
                if confident[k] and np.sign(m_last[k]) != np.sign(th[k])]
    wrong_theory = [f"{i + 1}-{j + 1}" for k, (i, j) in enumerate(zip(iu, ju))
                    if pairs_mask[i, j] and th[k] <= 0]
    wrong_net = [f"{i + 1}-{j + 1}" for k, (i, j) in enumerate(zip(iu, ju))
                 if pairs_mask[i, j] and m_last[k] <= 0]
    passed = bool(np.max(np.abs(z)) <= z_crit and slope + 3 * slope_se < 0 and not mismatch)
    return {"kind": kind, "widths": list(widths), "rms_error": errs, "rms_error_se": err_se,
            "slope": float(slope), "slope_se": float(slope_se), "max_abs_z": float(np.max(
                np.abs(z))), "z_crit": z_crit, "worst_pair": f"{iu[np.argmax(np.abs(z))] + 1}-"
            f"{ju[np.argmax(np.abs(z))] + 1}", "extrapolated": f_inf.tolist(),
            "extrapolated_se": f_inf_se.tolist(), "theory": th.tolist(),
            "mean_largest": m_last.tolist(), "se_largest": se_last.tolist(),
            "sign_mismatches": mismatch, "confident_pairs": int(confident.sum()),
            "wrong_pairs_theory": wrong_theory, "wrong_pairs_network": wrong_net,
            "passed": passed}


def run_verify(model, v, widths, instances, seed, quick=False, progress=None):
    n = v["n"]
    exc_spec = v["exceptions"]
    from ..common.ti_krr_exceptions import parse_exceptions
    exc = parse_exceptions(exc_spec, n)
    rng = np.random.default_rng(np.random.SeedSequence(entropy=int(seed), spawn_key=(0,)))
    t0 = time.perf_counter()
    brute = brute_force_section(model, rng, count=12 if quick else 40)
    Gp = model.pair_groups(n, exc)
    test_mask = np.isin(Gp, model.TEST_GROUPS)
    rf_params = {"n": n, "exceptions": exc_spec, "lam": v["lam"], "depth": 1, "ntk": 0}
    gd_params = {"n": n, "exceptions": exc_spec, "lam": 0.0, "depth": 1, "ntk": 1}
    th_rf = model.margin_matrix(rf_params)
    th_gd = model.margin_matrix(gd_params)
    total = 2 * len(widths) * instances
    if progress:
        progress(0, total)
    rf, gd, gd_steps = {}, {}, {}
    for w in widths:
        rf[w] = np.array([rf_margins(n, exc, v["lam"], w, seed_for(seed, w, k))
                          for k in range(instances)])
        if progress:
            progress(instances)
        outs = [gd_margins(n, exc, w, seed_for(seed + 7919, w, k)) for k in range(instances)]
        gd[w] = np.array([o[0] for o in outs])
        gd_steps[w] = int(max(o[1] for o in outs))
        if progress:
            progress(instances)
    net_rf = model.network_kernel(1, False)
    net_gd = model.network_kernel(1, True)
    sec_rf = _network_section("random features (NNGP, ridge lam)", th_rf, rf, widths, test_mask)
    sec_gd = _network_section("gradient descent (NTK, lam = 0)", th_gd, gd, widths, test_mask)
    sec_rf["kernel"] = {"c": net_rf["c"], "lam_family": v["lam"] / net_rf["scale"]}
    sec_gd["kernel"] = {"c": net_gd["c"], "lam_family": 0.0}
    sec_gd["max_gd_steps"] = gd_steps
    iu, ju = np.triu_indices(n, 1)
    return {"brute_force": brute, "random_features": sec_rf, "gradient_descent": sec_gd,
            "pairs": [f"{i + 1}-{j + 1}" for i, j in zip(iu, ju)],
            "groups": [model.GROUP_NAMES[int(Gp[i, j])] for i, j in zip(iu, ju)],
            "instances": instances, "seed": seed, "seconds": time.perf_counter() - t0,
            "passed": bool(brute["passed"] and sec_rf["passed"] and sec_gd["passed"])}


def format_verify(res, v, derivation_hash):
    b = res["brute_force"]
    lines = [f"ti-krr verify: n={v['n']}, exceptions={v['exceptions']!r}, lam={v['lam']:g}; "
             f"derivation {derivation_hash}; {res['instances']} seeds per width",
             f"  closed form vs brute-force KRR: {len(b['instances'])} random (n, exceptions, c,"
             f" lam), max relative error {b['max_error']:.2e} (tol 1e-12): "
             f"{'PASS' if b['passed'] else 'FAIL'}"]
    for key in ("random_features", "gradient_descent"):
        s = res[key]
        lines.append(f"  {s['kind']}: kernel c = {s['kernel']['c']:.6f}, "
                     f"lam_family = {s['kernel']['lam_family']:.6g}")
        lines.append("    width    rms error (+- se)")
        for w, e, se in zip(s["widths"], s["rms_error"], s["rms_error_se"]):
            lines.append(f"    {w:>6}   {e:.5f} +- {se:.5f}")
        lines.append(f"    error ~ width^{s['slope']:.3f} (+- {s['slope_se']:.3f}); extrapolated "
                     f"margins vs theory: max |z| = {s['max_abs_z']:.2f} (pair {s['worst_pair']},"
                     f" Bonferroni 3-sigma limit {s['z_crit']:.2f})")
        lines.append(f"    pairs against the rule: theory {s['wrong_pairs_theory']}, networks "
                     f"(largest width) {s['wrong_pairs_network']}; sign mismatches among "
                     f"{s['confident_pairs']} confident pairs: {s['sign_mismatches']}")
        lines.append(f"    {'PASS' if s['passed'] else 'FAIL'}")
    lines.append(f"  verdict: {'PASS' if res['passed'] else 'FAIL'} ({res['seconds']:.1f} s)")
    return "\n".join(lines)


# -- figures ------------------------------------------------------------------------------------
def plot_verify(res, path):
    from ..plotting import pyplot
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    for ax, key in zip(axes[:2], ("random_features", "gradient_descent")):
        s = res[key]
        w = np.array(s["widths"], float)
        ax.errorbar(w, s["rms_error"], yerr=s["rms_error_se"], fmt="o-", capsize=3)
        ref = s["rms_error"][0] * (w / w[0]) ** -0.5
        ax.plot(w, ref, "k--", lw=0.8, label="width^-1/2")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width")
        ax.set_ylabel("RMS margin error vs kernel theory")
        ax.set_title(f"{s['kind']}\nslope {s['slope']:.2f} +- {s['slope_se']:.2f}", fontsize=9)
        ax.legend(fontsize=8)
    ax = axes[2]
    for key, mk in (("random_features", "o"), ("gradient_descent", "s")):
        s = res[key]
        ax.errorbar(s["theory"], s["mean_largest"], yerr=s["se_largest"], fmt=mk, ms=4,
                    label=key.replace("_", " "), capsize=2)
    lim = max(abs(v) for key in ("random_features", "gradient_descent")
              for v in res[key]["theory"]) * 1.1
    ax.plot([-lim, lim], [-lim, lim], "k-", lw=0.6)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_xlabel("kernel theory margin f(i, j)")
    ax.set_ylabel("network margin (largest width, seed mean)")
    ax.legend(fontsize=8)
    fig.suptitle(f"ti-krr verify: {'PASS' if res['passed'] else 'FAIL'}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_figures(model, v, out_dir):
    """Margin matrices without / with the exceptions, and the threshold diagram."""
    from pathlib import Path
    from ..plotting import pyplot
    plt = pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n = v["n"]
    exc_spec = v["exceptions"] or "6>3"
    base = {k: v[k] for k in ("n", "c", "lam", "t", "depth", "ntk") if k in v}
    kern = (f"c={v['c']:g}" if "c" in v else
            f"depth-{v['depth']} {'NTK' if v.get('ntk') else 'NNGP'}")
    paths = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    for ax, spec in zip(axes, ("", exc_spec)):
        F = model.margin_matrix({**base, "exceptions": spec})
        lim = np.max(np.abs(F))
        im = ax.imshow(F, cmap="RdBu", vmin=-lim, vmax=lim)
        ax.set_xticks(range(n), [str(k) for k in range(1, n + 1)], fontsize=7)
        ax.set_yticks(range(n), [str(k) for k in range(1, n + 1)], fontsize=7)
        ax.set_xlabel("item j")
        ax.set_ylabel("item i")
        Gp = model.pair_groups(n, model_parse(spec, n))
        for i, j in zip(*np.nonzero(np.isin(Gp, model.TEST_GROUPS) & (F <= 0))):
            ax.text(j, i, "x", ha="center", va="center", fontsize=8)
        ax.set_title(f"f(i, j), n={n}, {kern}, lam={v['lam']:g}, exceptions "
                     f"{spec or 'none'}\n(x: test pair answered against the rule)", fontsize=8)
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    p = out / f"ti-krr-margins-n{n}.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(str(p))

    # Threshold diagram: margins depend on (c, lam) only through mu = 2 (c + lam)/(1 - c).
    from ..common.ti_krr_exceptions import parse_exceptions
    exc = parse_exceptions(exc_spec, n)
    Gp = model.pair_groups(n, exc)
    test = np.isin(Gp, model.TEST_GROUPS)
    mus = np.concatenate([[0.0], np.logspace(-4, 4, 400)])
    wrong = []
    for m in mus:
        r = model.scores(n, exc, m)
        wrong.append(int(np.sum(test & ((r[:, None] - r[None, :]) <= 0))))
    res = model.boundary({"n": n, "lam": 0.0, "exceptions": exc_spec})
    mstars = [row["mu_star"] for row in res.observables["thresholds"]] or [1.0]
    top = max(m for m in mstars if m < 1e3) if any(m < 1e3 for m in mstars) else 1.0
    cmax = min(0.99, 1.15 * top / (top + 2))  # c* at lam = 0 of the last threshold
    lmax = 0.6 * top  # lam* at c = 0 is mu*/2
    cs = np.linspace(0, cmax, 300)
    ls = np.linspace(0, lmax, 300)
    C, Lm = np.meshgrid(cs, ls)
    MU = 2 * (C + Lm) / (1 - C)
    W = np.interp(MU, mus, wrong)
    fig, ax = plt.subplots(figsize=(6, 4.6))
    pc = ax.pcolormesh(C, Lm, np.round(W), cmap="viridis", shading="auto")
    fig.colorbar(pc, ax=ax, label="test pairs answered against the rule")
    for row in res.observables["thresholds"]:
        ms = row["mu_star"]
        ax.plot(cs, ms * (1 - cs) / 2 - cs, "w-", lw=0.8)
    ax.set_xlim(0, cmax)
    ax.set_ylim(0, lmax)
    ax.set_xlabel("conjunctivity c")
    ax.set_ylabel("ridge lam")
    ax.set_title(f"thresholds (lines 2(c + lam) = mu*(1 - c)), n={n}, exceptions {exc_spec}",
                 fontsize=9)
    fig.tight_layout()
    p = out / f"ti-krr-thresholds-n{n}.png"
    fig.savefig(p, dpi=110)
    plt.close(fig)
    paths.append(str(p))
    return paths


def model_parse(spec, n):
    from ..common.ti_krr_exceptions import parse_exceptions
    return parse_exceptions(spec, n)
