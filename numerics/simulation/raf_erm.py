"""Finite-size ERM on sampled Rules-and-Facts instances, and the theory-vs-simulation verdict.

Every draw takes a seed (numpy SeedSequence children per N and instance). The learner is the one of
theory/models/raf_erm.py in its primal form: features (mu1 x/sqrt(d), mustar e_mu), i.e. the
Gaussian-equivalent kernel K = mu1^2 XX^T/d + mustar^2 I.

* square loss: closed-form kernel ridge, a = (K + lam I)^{-1} y, predictions K a;
* hinge / logistic: scikit-learn's LinearSVC (hinge, dual coordinate descent) and
  LogisticRegression (lbfgs), fit_intercept=False, C = 1/lam on the explicit features (trusted
  solvers; never a home-made one). Where liblinear does not converge (small lam: large C) the
  hinge fit is the soft-margin QP solved by Clarabel, certified by its KKT conditions. A logistic
  fit that stops short of stationarity (separable data at tiny lam: the minimizer exists, but its
  norm ~ log(1/lam) is out of lbfgs' reach at this tolerance) is flagged ``runaway`` rather than
  returned as a number.

Observables per instance: eps_gen = arccos(m/sqrt q)/pi from the instance's own overlaps (exact for
fresh Gaussian inputs), eps_mem and eps_train_rule from the trained predictions on the training
facts and rules, train_loss = (sum loss + lam/2 |theta|^2)/n, and m, q.
With ``exact_kernel`` (an activation in EXACT_KERNELS) the simulation uses the activation's exact
random-feature kernel instead: kernel ridge regression for the square loss, scikit-learn on
features of the exact kernel matrix (Phi Phi^T = K) for hinge and logistic; eps_gen is then measured
on fresh test samples, and m, q are not defined and not compared: a test of Gaussian equivalence.
Verdict: per observable, a WLS fit of the per-N means against 1/N; the intercept must lie within
3 standard errors (plus 1e-9) of the theory value.
"""
from __future__ import annotations

import math

import numpy as np

DEFAULT_LADDER = (100, 200, 400)
QUICK_LADDER = (60, 120, 240)
OBSERVABLES = ("eps_gen", "eps_mem", "eps_train_rule", "train_loss", "m", "q")


def sample(N: int, alpha: float, eps: float, seed):
    """X (n x d), labels y, fact mask, teacher w* (|w*|^2 = d)."""
    rng = np.random.default_rng(seed)
    n = max(2, int(round(alpha * N)))
    w_star = rng.standard_normal(N)
    w_star *= math.sqrt(N) / np.linalg.norm(w_star)
    X = rng.standard_normal((n, N))
    nu = X @ w_star / math.sqrt(N)
    fact = rng.random(n) < eps
    y = np.where(nu >= 0, 1.0, -1.0)
    y[fact] = rng.choice([-1.0, 1.0], size=int(fact.sum()))
    return X, y, fact, w_star


def _loss(loss, margin):
    if loss == "square":
        return 0.5 * (1 - margin) ** 2
    if loss == "hinge":
        return np.maximum(0.0, 1 - margin)
    return np.logaddexp(0.0, -margin)


def fit(params, X, y):
    """Train; returns (u, f_train, objective, runaway) with u = mu1 w the field weights."""
    loss, lam, mu1, mustar = params["loss"], params["lam"], params["mu1"], params["mustar"]
    n, N = X.shape
    if loss == "square":
        K = mu1**2 * (X @ X.T) / N + mustar**2 * np.eye(n)
        a = np.linalg.solve(K + lam * np.eye(n), y)
        f = K @ a
        u = mu1**2 * (X.T @ a) / math.sqrt(N)  # field weights: h(x) = u.x/sqrt(N)
        obj = float(np.sum(_loss(loss, y * f)) + lam / 2 * a @ K @ a)
        return u, f, obj, False
    F = mu1 * X / math.sqrt(N)
    if mustar > 0:
        F = np.hstack([F, mustar * np.eye(n)])
    theta, f, obj, runaway = _fit_sklearn(loss, F, y, lam)
    return mu1 * theta[:N], f, obj, runaway


def _fit_sklearn(loss, F, y, lam):
    """min_theta sum loss(y, F theta) + (lam/2)|theta|^2 by scikit-learn (C = 1/lam, no
    intercept); returns (theta, f, objective, runaway)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC
    C = 1.0 / lam
    with warnings.catch_warnings(record=True) as caught:
        # recorded, not raised: a raised warning would leave the estimator without coef_
        warnings.simplefilter("always", ConvergenceWarning)
        if loss == "hinge":
            # liblinear's dual coordinate descent visits the samples in a random order;
            # random_state=None draws it from numpy's global state, so two runs stop at
            # different points within tol (1e-12 apart). A fixed order makes the fit a
            # function of the data alone: same seed, same bytes.
            clf = LinearSVC(loss="hinge", C=C, fit_intercept=False, dual=True, tol=1e-10,
                            max_iter=200000, random_state=0)
        else:
            clf = LogisticRegression(C=C, fit_intercept=False, tol=1e-12, max_iter=100000)
        clf.fit(F, y)
    # the solver could not reach the minimizer at this tolerance
    runaway = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    if runaway and loss == "hinge":
        # Large C = 1/lam (small ridge) stalls liblinear's coordinate descent; the soft-margin
        # SVM is a QP, solved exactly by Clarabel and certified by its KKT conditions.
        theta, ok = _hinge_qp(F, y, lam)
        f = F @ theta
        obj = float(np.sum(_loss(loss, y * f)) + lam / 2 * theta @ theta)
        return theta, f, obj, (False if ok else "unconverged")
    theta = clf.coef_.ravel()
    f = F @ theta
    # Stationarity of the objective, checked by us: lam theta = sum_mu -loss'(y f) y F_mu (a
    # subgradient for the hinge). A solver stopped short of it (the separable case as lam -> 0,
    # where the minimizer's norm runs away) is flagged rather than trusted.
    if loss == "logistic":
        grad = lam * theta - F.T @ (y / (1.0 + np.exp(np.clip(y * f, -700, 700))))
        rel = np.linalg.norm(grad) / max(lam * np.linalg.norm(theta), 1e-300)
        runaway = runaway or not rel < 1e-4
    # Not converged: on separating fits that is the lam -> 0 runaway of the norm.
    if runaway and loss == "logistic" and not np.all(y * f > 0):
        runaway = "unconverged"
    obj = float(np.sum(_loss(loss, y * f)) + lam / 2 * theta @ theta)
    return theta, f, obj, runaway


def _hinge_qp(F, y, lam, tol=1e-10):
    """min_theta sum max(0, 1 - y F theta) + (lam/2)|theta|^2 as the QP
    min (lam/2)|theta|^2 + sum xi, y F theta + xi >= 1, xi >= 0 (Clarabel, one thread); returns
    (theta, certified). Certified: the duals a of the margin constraints lie in [0, 1] and
    lam theta = F^T (a y) (the KKT conditions of the hinge objective) to 1e-6 relative."""
    import clarabel
    from scipy import sparse
    n, p = F.shape
    G = y[:, None] * F
    P = sparse.block_diag([lam * sparse.identity(p), sparse.csc_matrix((n, n))], format="csc")
    c = np.concatenate([np.zeros(p), np.ones(n)])
    A = sparse.vstack([sparse.hstack([-sparse.csc_matrix(G), -sparse.identity(n)]),
                       sparse.hstack([sparse.csc_matrix((n, p)), -sparse.identity(n)])],
                      format="csc")
    b = np.concatenate([-np.ones(n), np.zeros(n)])
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = tol
    settings.max_threads = 1
    settings.direct_solve_method = "qdldl"
    sol = clarabel.DefaultSolver(P, c, A, b, [clarabel.NonnegativeConeT(2 * n)], settings).solve()
    x = np.asarray(sol.x, float)
    theta = x[:p]
    a = np.asarray(sol.z, float)[:n]
    kkt = np.linalg.norm(lam * theta - G.T @ a) / max(lam * np.linalg.norm(theta), 1e-300)
    ok = (str(sol.status) in ("Solved", "AlmostSolved") and kkt < 1e-6
          and a.min() > -1e-6 and a.max() < 1 + 1e-6)
    return theta, bool(ok)


EXACT_KERNELS = ("relu", "sign", "erf", "linear")


def exact_kernel(act, A, B, N):
    """The random-feature kernel E_w s(w.a/sqrt N) s(w.b/sqrt N), w ~ N(0, I), in closed form
    (arc-cosine for relu and sign, Williams' kernel for erf): the exact kernel, not its Gaussian
    linearization mu0^2 + mu1^2 a.b/N + mustar^2 delta."""
    G = A @ B.T / N
    na = np.sqrt(np.sum(A * A, axis=1) / N)[:, None]
    nb = np.sqrt(np.sum(B * B, axis=1) / N)[None, :]
    if act == "linear":
        return G
    if act == "erf":
        return 2 / np.pi * np.arcsin(np.clip(2 * G / np.sqrt((1 + 2 * na**2) * (1 + 2 * nb**2)),
                                             -1, 1))
    c = np.clip(G / (na * nb), -1.0, 1.0)
    th = np.arccos(c)
    if act == "sign":
        return 1 - 2 * th / np.pi
    return na * nb / (2 * np.pi) * (np.sin(th) + (np.pi - th) * c)  # relu


def _kernel_features(K):
    """Phi with Phi Phi^T = K (eigendecomposition; directions with eigenvalues below 1e-12 of the
    largest dropped), and the map c = B theta from weights on Phi to kernel coefficients
    (f(x) = k(x)^T c, the representer form)."""
    w, Q = np.linalg.eigh(K)
    keep = w > 1e-12 * w.max()
    Q, w = Q[:, keep], w[keep]
    return Q * np.sqrt(w), Q / np.sqrt(w)


def measure_instance_exact_kernel(params, N, seed, n_test_factor=4) -> dict:
    """ERM with the exact kernel of params['activation'] (eps_gen on n_test = 4 N fresh rule
    samples per instance). Square loss: kernel ridge regression a = (K + lam I)^-1 y. Hinge and
    logistic: scikit-learn's LinearSVC / LogisticRegression on features Phi with Phi Phi^T = K
    (the representer theorem makes this the exact kernel machine; |theta|^2 is the RKHS norm)."""
    X, y, fact, w_star = sample(N, params["alpha"], params["eps"], seed)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng = np.random.default_rng(ss.spawn(1)[0])  # test inputs: a child stream of the instance
    lam, loss = params["lam"], params["loss"]
    K = exact_kernel(params["activation"], X, X, N)
    runaway = False
    if loss == "square":
        a = np.linalg.solve(K + lam * np.eye(len(y)), y)
        f = K @ a
        obj = float(np.sum(_loss(loss, y * f)) + lam / 2 * a @ K @ a)
    else:
        Phi, B = _kernel_features(K)
        theta, f, obj, runaway = _fit_sklearn(loss, Phi, y, lam)
        a = B @ theta
    Xt = rng.standard_normal((n_test_factor * N, N))
    yt = np.where(Xt @ w_star >= 0, 1.0, -1.0)
    ft = exact_kernel(params["activation"], Xt, X, N) @ a
    wrong = y * f < 0
    return {"eps_gen": float(np.mean(yt * ft < 0)),
            "eps_mem": float(wrong[fact].mean()) if fact.any() else math.nan,
            "eps_train_rule": float(wrong[~fact].mean()) if (~fact).any() else math.nan,
            "train_loss": obj / len(y),
            "m": math.nan, "q": math.nan, "runaway": runaway is True,
            "unconverged": bool(runaway),
            "n_fact": int(fact.sum()), "n_rule": int((~fact).sum())}


def measure_instance(params, N, seed) -> dict:
    if params.get("exact_kernel"):
        return measure_instance_exact_kernel(params, N, seed)
    X, y, fact, w_star = sample(N, params["alpha"], params["eps"], seed)
    u, f, obj, runaway = fit(params, X, y)
    m = float(u @ w_star / N)
    q = float(u @ u / N)
    wrong = y * f < 0
    return {"eps_gen": math.acos(max(-1.0, min(1.0, m / math.sqrt(q)))) / math.pi,
            "eps_mem": float(wrong[fact].mean()) if fact.any() else math.nan,
            "eps_train_rule": float(wrong[~fact].mean()) if (~fact).any() else math.nan,
            "train_loss": obj / len(y), "m": m, "q": q, "runaway": runaway is True,
            "unconverged": bool(runaway),
            "n_fact": int(fact.sum()), "n_rule": int((~fact).sum())}


def _seeds(seed, N, instances):
    ss = np.random.SeedSequence([int(seed), int(N)])
    return ss.spawn(instances)


def measure(params, N, instances, seed, instance=None) -> dict:
    """Per-instance observables (``instance(params, N, seed)``, default this module's
    measure_instance) over seeded instances: mean, se and count of each, and failure counts."""
    from threadpoolctl import threadpool_limits  # a scikit-learn dependency
    instance = instance or measure_instance
    # What is guaranteed: the same seed gives the same bytes on one machine (same CPU kernels of
    # the same numpy/scipy/scikit-learn builds), whatever the thread settings. The draws come
    # from the seed alone (SeedSequence children); liblinear's sample order is fixed
    # (random_state=0); and BLAS/LAPACK run on one thread here, because a threaded OpenBLAS
    # splits the sums of a matrix product or solve differently for different thread counts
    # (results 1e-13 apart). Another CPU or library build may still round differently.
    with threadpool_limits(limits=1):
        rows = [instance(params, N, s) for s in _seeds(seed, N, instances)]
    out = {"runaway": int(sum(r["runaway"] for r in rows)),
           "unconverged": int(sum(r["unconverged"] for r in rows)),
           "n_fact": int(sum(r["n_fact"] for r in rows)),
           "n_rule": int(sum(r["n_rule"] for r in rows))}
    for k in OBSERVABLES:
        vals = np.array([r[k] for r in rows], float)
        vals = vals[np.isfinite(vals)]
        if len(vals) < 2:  # not measured (m, q of an exact nonlinear kernel)
            continue
        out[k] = {"mean": float(vals.mean()), "se": float(vals.std(ddof=1) / math.sqrt(len(vals))),
                  "n": int(len(vals))}
    return out


def format_simulation(params, N, instances, seed, stats, theory) -> str:
    lines = [f"raf-erm simulate: N={N}, loss={params['loss']}, alpha={params['alpha']:g}, "
             f"eps={params['eps']:g}, lam={params['lam']:g}, mu1={params['mu1']:g}, "
             f"mustar={params['mustar']:g}; {instances} instances (seed {seed})"]
    if stats["unconverged"]:
        lines.append(f"  WARNING: {stats['unconverged']} fits did not converge, "
                     f"{stats['runaway']} of them separating the training set (runaway norm)")
    for k in OBSERVABLES:
        if k not in stats:
            continue
        th = theory.get(k)
        lines.append(f"  {k:<15} {stats[k]['mean']:.5f} +- {stats[k]['se']:.5f}"
                     + (f"   theory {th:.5f}" if th is not None else ""))
    return "\n".join(lines)


def verify(model, params, theory, Ns, instances, seed, out_dir, progress=None) -> dict:
    tag = (f"verify-raf-erm-{params['loss']}{'-exactK' if params.get('exact_kernel') else ''}"
           f"-a{params['alpha']:g}-eps{params['eps']:g}-"
           f"lam{params['lam']:g}-mu1{params['mu1']:.4g}-mus{params['mustar']:.4g}-seed{seed}")
    header = (f"raf-erm verify: loss={params['loss']}, alpha={params['alpha']:g}, "
              f"eps={params['eps']:g}, lam={params['lam']:g}, mu1={params['mu1']:.4g}, "
              f"mustar={params['mustar']:.4g}; N = {list(Ns)}, {instances} instances, seed {seed}"
              + (f"; simulated with the exact {params['activation']} kernel"
                 if params.get("exact_kernel") else ""))
    return ladder_verdict(model, params, theory, Ns, instances, seed, out_dir, progress,
                          measure=measure, tag=tag, header=header)


def ladder_verdict(model, params, theory, Ns, instances, seed, out_dir, progress, *, measure,
                   tag, header) -> dict:
    """Measure at each N (``measure(params, N, instances, seed)``), extrapolate every observable
    linearly in 1/N (WLS) and compare with the theory at 3 se (numerics/ladder.py); write the
    record and a figure. Shared by raf-erm and raf-rf."""
    from ..ladder import Estimate, run_ladder
    th = dict(theory.observables)
    th.update({"m": theory.order_params["m"], "q": theory.order_params["q"]})

    def at(N):
        st = measure(params, N, instances, seed)
        out = {k: Estimate(st[k]["mean"], _se_floor(k, st, th[k]), st[k]["n"])
               for k in OBSERVABLES if k in st}
        out["unconverged"] = st["unconverged"]
        return out
    return run_ladder(model, params, theory={k: th[k] for k in OBSERVABLES if k in th},
                      measure=at, Ns=Ns, instances=instances, seed=seed, out_dir=out_dir,
                      tag=tag, header=header, progress=progress,
                      status={"converged": theory.converged}, unconverged_key="runaway",
                      unconverged_note="fits did not converge (runaway norm on separable data, "
                      "or the solver stopped short of stationarity)", name_width=15)


def _se_floor(k, stats, p_theory):
    """Standard error of a per-N mean. For the error fractions the spread over instances
    underestimates the error when errors are rare (zero counts give se = 0): the binomial
    error of the pooled count, sqrt(p(1-p)/M) with p the theory value (at least 1/M), is a floor."""
    se = stats[k]["se"]
    if k in ("eps_mem", "eps_train_rule"):
        M = stats["n_fact" if k == "eps_mem" else "n_rule"]
        p = min(max(p_theory, 1.0 / M), 0.5)
        se = max(se, math.sqrt(p * (1 - p) / M))
    return max(se, 1e-12)
