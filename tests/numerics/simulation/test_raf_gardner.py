"""Tests for the raf-gardner simulation (memgenkit.numerics.simulation.raf_gardner and the
modules it assembles: raf_samples, perceptron*, capacity_search, capacity_ladder,
raf_gardner_report) and .stats.

Fast by default; the long statistical ladders are marked ``slow``.
"""

import functools
import itertools
import json
import math

import numpy as np
import pytest

from memgenkit.numerics.simulation import (capacity_ladder, capacity_search, perceptron,
                                           perceptron_lp, perceptron_qp, raf_gardner_report,
                                           raf_samples)
from memgenkit.numerics.simulation import raf_gardner as rg
from memgenkit.numerics.simulation import stats as st


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _cover_survival(N, P_max):
    """F(P) = P(P_i >= P) = Cover's separability probability, P = 0..P_max+1."""
    return np.array([1.0] + [perceptron.cover_probability(N, P) for P in range(1, P_max + 2)])


def _sample_cover_capacities(N, n, rng):
    """Draw capacities P_i from Cover's exact distribution (no LPs)."""
    F = _cover_survival(N, 6 * N)
    pmf = F[:-1] - F[1:]                      # P(P_i = P), P = 0..6N
    cdf = np.cumsum(pmf)
    return np.searchsorted(cdf, rng.random(n) * cdf[-1])


def _linear_scan_capacity(N, eps, kappa, seed, P_max):
    stream = raf_samples.SampleStream(N, eps, seed)
    for P in range(1, P_max + 1):
        inst = stream.take(P)
        if not capacity_search.is_feasible(inst.X, inst.y, kappa):
            return P - 1
    return P_max


# ---------------------------------------------------------------------------
# sampling
# ---------------------------------------------------------------------------
def test_sampling_conventions_and_prefix_consistency():
    N = 30
    a = raf_samples.sample_instance(N, 40, 0.3, 123)
    b = raf_samples.sample_instance(N, 100, 0.3, 123)
    for u, v in zip(a, b):
        if u.ndim == 2 or u.shape[0] == 40:
            np.testing.assert_array_equal(u, v[: u.shape[0]])
    np.testing.assert_array_equal(a.teacher, b.teacher)
    # lazy extension in several steps gives the same stream
    s = raf_samples.SampleStream(N, 0.3, 123)
    s.take(7)
    s.take(55)
    c = s.take(100)
    np.testing.assert_array_equal(c.X, b.X)
    np.testing.assert_array_equal(c.y, b.y)
    assert math.isclose(np.sum(b.teacher ** 2), N, rel_tol=1e-12)
    nu = b.X @ b.teacher / math.sqrt(N)
    rules = ~b.is_fact
    np.testing.assert_array_equal(b.y[rules], np.where(nu[rules] >= 0, 1.0, -1.0))
    assert set(np.unique(b.y)) <= {-1.0, 1.0}
    # different seeds differ; eps = 0 has no facts; eps = 1 only facts
    assert not np.array_equal(raf_samples.sample_instance(N, 5, 0.3, 124).X, a.X[:5])
    assert not raf_samples.sample_instance(N, 200, 0.0, 1).is_fact.any()
    assert raf_samples.sample_instance(N, 200, 1.0, 1).is_fact.all()
    frac = raf_samples.sample_instance(5, 20000, 0.25, 9).is_fact.mean()
    assert abs(frac - 0.25) < 4 * math.sqrt(0.25 * 0.75 / 20000)
    # reusing one SeedSequence object reproduces the instance
    ss = raf_samples.instance_seed(0, N, 1)
    np.testing.assert_array_equal(raf_samples.sample_instance(N, 9, 0.3, ss).X, raf_samples.sample_instance(N, 9, 0.3, ss).X)
    # instance seeds are distinct and reproducible
    s1, s2 = raf_samples.instance_seed(0, 20, 3), raf_samples.instance_seed(0, 20, 3)
    assert s1.generate_state(4).tolist() == s2.generate_state(4).tolist()
    assert raf_samples.instance_seed(0, 20, 4).generate_state(4).tolist() != s1.generate_state(4).tolist()
    assert raf_samples.instance_seed(0, 40, 3).generate_state(4).tolist() != s1.generate_state(4).tolist()


# ---------------------------------------------------------------------------
# (a) Cover's formula at eps = 1, kappa = 0
# ---------------------------------------------------------------------------
def test_cover_probability_values():
    assert perceptron.cover_probability(10, 20) == 0.5
    assert perceptron.cover_probability(5, 5) == 1.0
    assert perceptron.cover_probability(1, 2) == 0.5      # two points on a line: same side 1/2
    assert math.isclose(perceptron.cover_probability(2, 4), 2 ** -3 * (1 + 3))


@pytest.mark.parametrize("N,P", [(10, 16), (10, 20), (12, 30)])
def test_cover_formula_direct_lp(N, P):
    n = 300
    feas = [perceptron_lp.lp_feasibility(*raf_samples.sample_instance(N, P, 1.0, raf_samples.instance_seed(11, N, i))[:2]).feasible
            for i in range(n)]
    p = perceptron.cover_probability(N, P)
    f = np.mean(feas)
    assert abs(f - p) <= 3 * st.binomial_se(0, n, p=p), (f, p)


def test_cover_formula_from_capacities():
    N, n = 10, 400
    caps = np.array([capacity_search.instance_capacity(N, 1.0, 0.0, 2.0, raf_samples.instance_seed(5, N, i)).P
                     for i in range(n)])
    for P in (17, 20, 23):
        p = perceptron.cover_probability(N, P)
        f = np.mean(caps >= P)
        assert abs(f - p) <= 3 * st.binomial_se(0, n, p=p), (P, f, p)
    # P <= N points in general position are always separable
    assert caps.min() >= N


# ---------------------------------------------------------------------------
# exactness of the per-instance capacity search
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("eps,kappa,alpha_guess", [(1.0, 0.0, 2.0), (0.5, 0.0, 2.5), (1.0, 0.0, 0.3),
                                                   (1.0, 0.0, 7.0), (1.0, 0.5, 0.8), (0.3, 0.7, 3.0)])
def test_capacity_search_matches_linear_scan(eps, kappa, alpha_guess):
    N = 8
    for i in range(4):
        seed = raf_samples.instance_seed(3, N, i)
        ic = capacity_search.instance_capacity(N, eps, kappa, alpha_guess, seed)
        assert not ic.censored
        assert ic.P == _linear_scan_capacity(N, eps, kappa, seed, 12 * N)
        assert ic.n_solves == len(ic.probes)


def test_capacity_censoring():
    # eps = 0: only rules, always separable (the teacher) -> capacity hits the cap
    ic = capacity_search.instance_capacity(10, 0.0, 0.0, 2.0, 1, P_cap=60)
    assert ic.censored and ic.P == 60


# ---------------------------------------------------------------------------
# (b) QP route vs LP route; the QP against an exact active-set enumeration
# ---------------------------------------------------------------------------
def test_qp_separability_agrees_with_lp():
    N = 25
    agree = 0
    for i in range(30):
        P = 40 + i                              # scan through the transition (~2N)
        X, y, _, _ = raf_samples.sample_instance(N, P, 1.0, raf_samples.instance_seed(7, N, i))
        lp = perceptron_lp.lp_feasibility(X, y)
        qp = perceptron_qp.max_stability(X, y)
        assert lp.feasible == qp.separable, (P, lp, qp.status)
        if qp.separable:
            # kappa -> 0+: feasible at tiny kappa, same as LP
            assert capacity_search.is_feasible(X, y, min(1e-6, 0.5 * qp.kappa_max))
        else:
            assert not capacity_search.is_feasible(X, y, 1e-6)
        agree += 1
    assert agree == 30


def _exact_max_stability(G):
    """Solver-free hard-margin SVM ``min |u|^2/2 s.t. G u >= 1`` by enumerating active sets.

    The optimum is the min-norm solution of ``G_S u = 1`` on its support ``S``
    (``u = G_S^T z_S``, ``z_S = (G_S G_S^T)^{-1} 1``), so among every subset with
    ``|S| <= N`` the candidates whose ``u`` is primal feasible are compared and the
    shortest wins; it is then certified on its own by KKT (``z_S > 0``, all other
    slacks > 0).  Exact up to rounding for the tiny sizes used here (at most
    ``sum_k C(P, k)`` k x k solves).  Returns ``(u, z, cond)`` with ``cond`` the
    condition number of the winning Gram matrix ``G_S G_S^T``.
    """
    P, N = G.shape
    best = None
    for k in range(1, min(N, P) + 1):
        for S in itertools.combinations(range(P), k):
            GS = G[list(S)]
            K = GS @ GS.T
            cond = np.linalg.cond(K)
            if not np.isfinite(cond) or cond > 1e10:
                continue                                  # rank-deficient S: not a support
            zS = np.linalg.solve(K, np.ones(k))
            u = GS.T @ zS
            # a candidate is feasible up to the rounding of its own solve
            if (G @ u).min() >= 1 - 100 * cond * _EPS:
                if best is None or u @ u < best[0] @ best[0]:
                    z = np.zeros(P)
                    z[list(S)] = zS
                    best = (u, z, cond)
    assert best is not None, "not separable"
    return best


_EPS = np.finfo(float).eps


@pytest.mark.parametrize("eps,N,P,seed", [(0.5, 4, 7, 1), (1.0, 5, 6, 2), (0.0, 3, 9, 3), (0.2, 6, 10, 4),
                                          (0.5, 6, 12, 6)])
def test_qp_kappa_max_exact_active_set_and_duality_gap(eps, N, P, seed):
    """The QP's kappa_max against an exact, solver-free reference, and its KKT certificate.

    (A reference from a local optimiser's line search is path-dependent: SLSQP
    stops with 'Positive directional derivative' on one of these instances with
    scipy 1.17; the active-set enumeration has no path.)
    """
    X, y, _, _ = raf_samples.sample_instance(N, P, eps, seed)
    qp = perceptron_qp.max_stability(X, y)
    assert qp.separable and perceptron_lp.lp_feasibility(X, y).feasible
    G = y[:, None] * X / math.sqrt(N)
    u_ex, z_ex, cond = _exact_max_stability(G)
    # the reference is the optimum by its own KKT certificate, and nondegenerate
    # (strict complementarity), so the optimum is unique and the comparison sharp
    on = z_ex > 0
    rnd = 100 * cond * _EPS                              # rounding of the k x k solve
    np.testing.assert_allclose(G[on] @ u_ex, 1.0, atol=rnd)
    assert z_ex[on].min() > 1e-6 * z_ex.max() and (G[~on] @ u_ex).min() > 1 + 1e-6
    k_ex = math.sqrt(N) / np.linalg.norm(u_ex)

    # QP certificate.  Primal: u rescaled to feasibility; dual: z >= 0.
    m = G @ qp.u
    assert m.min() > 0 and qp.z.min() >= -1e-12 * qp.z.max()
    u1 = qp.u / m.min()
    z = np.clip(qp.z, 0, None)
    primal, dual = 0.5 * u1 @ u1, z.sum() - 0.5 * np.sum((G.T @ z) ** 2)
    gap = primal - dual
    # weak duality against the exact optimum 0.5 |u*|^2 (up to rounding) ...
    opt = 0.5 * u_ex @ u_ex
    assert dual <= opt * (1 + rnd) and primal >= opt * (1 - rnd), (dual, opt, primal)
    # ... and the gap closed to the solver's requested accuracy (tol = 1e-9 on the
    # relative gap and on feasibility; rescaling u costs at most 2 tol more): 10x margin
    assert gap <= 30e-9 * primal, gap / primal
    # strong convexity of |u|^2/2 (resp. of the dual in G^T z) turns the gap into a
    # distance to the exact optimum: |u1 - u*|, |G^T z - u*| <= sqrt(2 gap)
    bound = math.sqrt(2 * max(gap, 0.0)) + rnd * np.linalg.norm(u_ex)
    assert np.linalg.norm(u1 - u_ex) <= bound
    assert np.linalg.norm(G.T @ z - u_ex) <= bound
    # the certified bracket contains the exact kappa_max and is tight
    assert qp.kappa_max <= k_ex * (1 + rnd) and qp.kappa_upper >= k_ex * (1 - rnd)
    assert qp.kappa_upper - qp.kappa_max < 1e-6 * k_ex
    # decisions just below / above the exact value
    assert capacity_search.is_feasible(X, y, k_ex * (1 - 1e-6))
    assert not capacity_search.is_feasible(X, y, k_ex * (1 + 1e-6))


def test_lp_certificates():
    N, P = 15, 45
    X, y, _, _ = raf_samples.sample_instance(N, P, 1.0, 42)
    r = perceptron_lp.lp_feasibility(X, y)
    G = y[:, None] * X / math.sqrt(N)
    if r.feasible:
        assert np.min(G @ r.w) > 0
    else:
        assert r.farkas_bound <= 1e-7 and np.all(r.lam >= 0)
    # separable by construction (eps = 0): certificate margin positive
    X0, y0, _, _ = raf_samples.sample_instance(N, 5 * N, 0.0, 42)
    r0 = perceptron_lp.lp_feasibility(X0, y0)
    assert r0.feasible and np.min((y0[:, None] * X0) @ r0.w) > 0


# ---------------------------------------------------------------------------
# statistics helpers
# ---------------------------------------------------------------------------
def test_stats_basic():
    assert math.isclose(st.binomial_se(30, 100), math.sqrt(0.3 * 0.7 / 100))
    lo, hi = st.wilson_interval(0, 20)
    assert lo == 0.0 and 0 < hi < 0.1
    lo, hi = st.wilson_interval(10, 20, z=1.96)
    assert math.isclose(lo, 0.2993, abs_tol=1e-3) and math.isclose(hi, 0.7007, abs_tol=1e-3)
    # lattice quantile = linear interpolation of the survival function
    v = np.array([38, 39, 40, 40, 41, 42])
    # F(P) = #(v >= P)/6 : F(40) = 4/6, F(41) = 2/6 -> crossing 1/2 at 40.5
    assert math.isclose(st.lattice_quantile(v, 0.5), 40.5)
    # WLS recovers a noiseless line exactly; errors follow (X^T W X)^-1
    x = np.array([0.05, 0.025, 0.0125])
    fit = st.wls_line(x, 2.0 + 3.0 * x, np.array([0.1, 0.05, 0.02]))
    assert np.allclose(fit.params, [2.0, 3.0]) and fit.chi2 < 1e-20 and fit.dof == 1
    Xd = np.column_stack([np.ones(3), x]) / np.array([0.1, 0.05, 0.02])[:, None]
    assert np.allclose(fit.cov, np.linalg.inv(Xd.T @ Xd))
    # continuous median se vs the asymptotic 1/(2 f sqrt(n)) for N(0,1)
    rng = np.random.default_rng(0)
    ses = [st.median_with_se(rng.standard_normal(400)).se for _ in range(50)]
    assert abs(np.mean(ses) / (math.sqrt(math.pi / 2) / 20) - 1) < 0.1


def test_median_se_methods_basic():
    # normal-shape se: sqrt(pi/2) s / sqrt(n); lattice data add the jitter variance spacing^2/12
    v = np.array([38, 39, 40, 40, 41, 42])
    m = st.median_with_se(v, lattice_spacing=1.0, z=2.0, method="normal")
    s2 = np.var(v, ddof=1) + 1.0 / 12.0
    assert math.isclose(m.median, 40.5) and math.isclose(m.se, math.sqrt(math.pi / 2 * s2 / 6))
    assert math.isclose(m.ci_high - m.ci_low, 4.0 * m.se) and m.method == "normal"
    assert st.median_with_se(v, lattice_spacing=1.0).method == "order-statistic"
    with pytest.raises(ValueError):
        st.median_with_se(v, method="bootstrap")
    # continuous N(0,1): the exact sd of the median of n = 400 normal draws is within
    # ~0.5 % of the asymptotic sqrt(pi/2)/sqrt(n); the estimate averages to it
    rng = np.random.default_rng(1)
    ses = [st.median_with_se(rng.standard_normal(400), method="normal").se for _ in range(200)]
    assert abs(np.mean(ses) / (math.sqrt(math.pi / 2) / 20) - 1) < 0.02


def _cover_ladders(Ns, n, R, seed):
    """R finite-size analyses (capacity_ladder.analyse_capacities, the verify code path) of exact
    Cover capacities (eps = 1, kappa = 0: population 1/2-crossing exactly alpha = 2)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(R):
        raw = {N: {"capacities_P": _sample_cover_capacities(N, n, rng).tolist()} for N in Ns}
        out.append(capacity_ladder.analyse_capacities(1.0, 0.0, 2.0, raw))
    return out


@pytest.mark.slow  # a calibration study (2000 Cover ladders); fast: the verdict on one ladder
# (test_cover_ladder_passes) and the quick verify (tests/numerics/models/test_raf_gardner_verify.py)
def test_median_se_and_verdict_calibrated_on_exact_cover_distribution():
    """Cover's exact capacity law (no LPs), default ladder and 60 instances: the
    normal-shape se of the median used by run_ladder matches the Monte Carlo sd of
    the median within a few %, scatters much less than the order-statistic se
    (relative sd ~9.5 % vs ~22 %), and the WLS 1/N extrapolation z-score against
    alpha_c = 2 is ~N(0, 1).  (With the order-statistic se its sd is ~1.06 and the
    false-FAIL rate of the 3-se verdict ~0.7 %; with the normal-shape se 1.00 and
    ~0.30 %, against 0.28 % with the exact sigmas: 10^5-ladder figures.)"""
    Ns, n, R = (25, 50, 100, 200), 60, 2000
    res = _cover_ladders(Ns, n, R, seed=2024)
    med = np.array([[p.alpha_half for p in r.per_N] for r in res])
    se = np.array([[p.alpha_half_se for p in r.per_N] for r in res])
    se_os = np.array([[p.alpha_half_se_order_stat for p in r.per_N] for r in res])
    assert all(r.notes == [] for r in res[:50])        # no censoring, shape check quiet
    for k, N in enumerate(Ns):
        sd_true = np.std(med[:, k], ddof=1)
        # population crossing is exactly 2 at every N (Cover: F(2N) = 1/2): honest 1/N fit
        assert abs(np.mean(med[:, k]) - 2.0) < 4 * sd_true / math.sqrt(R)
        ratio, ratio_os = np.mean(se[:, k]) / sd_true, np.mean(se_os[:, k]) / sd_true
        assert 0.95 < ratio < 1.08, (N, ratio)
        assert 0.9 < ratio_os < 1.15, (N, ratio_os)
        cv, cv_os = np.std(se[:, k]) / np.mean(se[:, k]), np.std(se_os[:, k]) / np.mean(se_os[:, k])
        assert cv < 0.12 and cv < 0.6 * cv_os, (N, cv, cv_os)
    # full verdict: z of a_inf from the WLS line in 1/N with the estimated sigmas
    z = np.array([r.z_inf for r in res])
    x = 1.0 / np.array(Ns)
    z_os = np.array([(f.params[0] - 2.0) / f.se[0] for f in
                     (st.wls_line(x, med[i], se_os[i]) for i in range(R))])
    assert abs(z.mean()) < 0.1 and 0.93 < z.std() < 1.07, (z.mean(), z.std())
    assert z.std() < z_os.std(), (z.std(), z_os.std())
    assert np.mean(np.abs(z) > 3) < 0.01
    assert np.mean([r.passed for r in res]) == np.mean(np.abs(z) <= 3)


def test_censored_ladder_falls_back_to_order_statistic_se():
    rng = np.random.default_rng(3)
    raw = {N: {"capacities_P": _sample_cover_capacities(N, 40, rng).tolist()} for N in (20, 40)}
    P = raw[40]["capacities_P"]
    i = int(np.argmax(P))
    raw[40]["censored"] = [j == i for j in range(40)]   # the largest capacity hit the cap
    res = capacity_ladder.analyse_capacities(1.0, 0.0, 2.0, raw)
    p20, p40 = res.per_N
    assert p20.alpha_half_se != p20.alpha_half_se_order_stat        # normal-shape se
    assert p40.alpha_half_se == p40.alpha_half_se_order_stat        # fallback
    assert any("order-statistic se used" in s for s in res.notes)
    assert res.median_se_method == "mixed (see notes)"


# ---------------------------------------------------------------------------
# (c) Cover ladder passes, (d) independence of workers, output helpers
# ---------------------------------------------------------------------------
def test_cover_ladder_passes(tmp_path):
    res = rg.run_ladder(1.0, 0.0, 2.0, [20, 40, 80], 60, seed=1)
    table = raf_gardner_report.format_table(res)
    print(table)
    assert res.passed, table
    assert abs(res.a_inf - 2.0) <= 3 * res.a_inf_se
    for p in res.per_N:
        assert abs(p.alpha_half - 2.0) <= 3.5 * p.alpha_half_se
        f = np.array(p.feasible_fraction)
        assert np.all(np.diff(f) <= 0) and f[0] == 1.0
    d = res.to_dict()
    s = json.dumps(d, allow_nan=False)
    assert json.loads(s)["passed"] is True
    out = raf_gardner_report.plot_ladder(res, tmp_path / "ladder.png")
    assert (tmp_path / "ladder.png").stat().st_size > 10_000 and out.endswith(".png")
    raf_gardner_report.plot_ladder(d, tmp_path / "ladder2.png")          # also from the dict
    assert "PASS" in table and "alpha_half" in table and "a_inf" in raf_gardner_report.format_table(d)
    # re-analysis from the JSON dict reproduces the result; a new alpha_c only moves the verdict
    again = capacity_ladder.reanalyse(json.loads(s), 2.0)
    assert _strip_timing(again.to_dict()) == _strip_timing(d)
    moved = capacity_ladder.reanalyse(d, 2.5)
    assert moved.a_inf == res.a_inf and not moved.passed


_TIMING_KEYS = {"wall_seconds", "solve_seconds", "workers"}


def _strip_timing(o):
    if isinstance(o, dict):
        return {k: _strip_timing(v) for k, v in o.items() if k not in _TIMING_KEYS}
    if isinstance(o, list):
        return [_strip_timing(v) for v in o]
    return o


def test_results_independent_of_workers():
    calls = []
    kw = dict(eps=0.5, kappa=0.0, alpha_c=2.5, Ns=[10, 16], n_instances=8, seed=3)
    r1 = rg.run_ladder(**kw, workers=1, progress=lambda d, t: calls.append((d, t)))
    r2 = rg.run_ladder(**kw, workers=2)
    assert calls[-1] == (16, 16) and len(calls) == 16
    assert _strip_timing(r1.to_dict()) == _strip_timing(r2.to_dict())
    # kappa > 0 route as well
    kw = dict(eps=1.0, kappa=0.5, alpha_c=0.85, Ns=[10, 14], n_instances=5, seed=4)
    assert (_strip_timing(rg.run_ladder(**kw, workers=1).to_dict())
            == _strip_timing(rg.run_ladder(**kw, workers=2).to_dict()))


def test_capacities_do_not_depend_on_alpha_c_guess():
    a = rg.run_ladder(1.0, 0.0, 2.0, [12], 10, seed=8)
    b = rg.run_ladder(1.0, 0.0, 3.3, [12], 10, seed=8)
    assert a.per_N[0].capacities_P == b.per_N[0].capacities_P


# ---------------------------------------------------------------------------
# (e) slow: eps = 0.5 against the theory capacity
# ---------------------------------------------------------------------------
@pytest.fixture
def alpha_c_theory():
    """alpha_c(eps, kappa) from memgenkit.numerics.api.boundary, or skip."""
    try:
        from memgenkit.numerics import api
    except Exception:  # noqa: BLE001 - any import failure means "not available"
        pytest.skip("theory not available")
    if not hasattr(api, "boundary"):
        pytest.skip("theory not available")

    def get(eps, kappa):
        return float(api.boundary("raf-gardner", eps=eps, kappa=kappa).observables["alpha_c"])

    return get


@pytest.mark.slow
def test_raf_ladder_eps_half_against_theory(alpha_c_theory, tmp_path):
    eps, kappa = 0.5, 0.0
    alpha_c = alpha_c_theory(eps, kappa)
    res = rg.run_ladder(eps, kappa, alpha_c, [25, 50, 100, 200], 60, seed=2, workers=2)
    table = raf_gardner_report.format_table(res)
    print(table)
    raf_gardner_report.plot_ladder(res, tmp_path / "raf_eps05.png")
    assert res.passed, table


def _gardner_alpha_c(kappa):
    from scipy.integrate import quad
    val, _ = quad(lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi) * (t + kappa) ** 2,
                  -kappa, np.inf)
    return 1.0 / val


def test_gardner_integral_reference_values():
    # Gardner (1988) in this module's convention (|w|^2 = N, Delta = y w.x / sqrt(N)):
    # alpha_c(0) = 2 (Cover), alpha_c(1) = 0.51957...
    assert abs(_gardner_alpha_c(0.0) - 2.0) < 1e-9
    assert abs(_gardner_alpha_c(1.0) - 0.519572) < 1e-5


@pytest.mark.slow
def test_gardner_ladder_kappa_one():
    """eps = 1, kappa = 1 against Gardner's alpha_c = 1 / int_{-1}^inf Dt (t+1)^2 = 0.51957.

    (Note: a quoted value "0.3637" for eps = 1, kappa = 1 does not match
    Gardner's formula in this convention; 0.3637 corresponds to kappa ~ 1.336.)
    """
    alpha_c = _gardner_alpha_c(1.0)
    res = rg.run_ladder(1.0, 1.0, alpha_c, [50, 100, 200, 400], 60, seed=5, workers=2)
    table = raf_gardner_report.format_table(res)
    print(table)
    assert res.passed, table
