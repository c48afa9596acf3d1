"""hopfield-ags and hopfield-snr against independent references.

References: the AGS zero-temperature equations written out by hand in mpmath (never the stored
derivation), the literature values alpha_c ~ 0.138, m ~ 0.967 (Amit, Gutfreund, Sompolinsky 1987),
brute-force enumeration of draws without replacement, and Monte Carlo sampling with 3-sigma checks.
"""
import itertools
import math

import mpmath as mp
import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.numerics.errors import InputError
from memgenkit.numerics.models.hopfield_snr import inclusion_probabilities
from memgenkit.numerics.simulation import hopfield_dynamics as hd, hopfield_snr_data as hdata


def _mp_ags_capacity():
    """AGS in the classic variable y = m/sqrt(2 alpha r): sqrt(alpha) = erf(y)/(sqrt2 y) -
    sqrt(2/pi) exp(-y^2); alpha_c is its maximum over y (mpmath, 30 digits)."""
    with mp.workdps(30):
        g = lambda y: mp.erf(y) / (mp.sqrt(2) * y) - mp.sqrt(2 / mp.pi) * mp.exp(-y * y)
        y_c = mp.findroot(lambda y: mp.diff(g, y), 1.5)
        return float(g(y_c) ** 2), float(mp.erf(y_c))


def test_ags_capacity_matches_mpmath_and_literature():
    b = api.boundary("hopfield-ags")
    assert b.converged
    a_ref, m_ref = _mp_ags_capacity()
    assert abs(b["alpha_c"] - a_ref) < 1e-12
    assert abs(b["m"] - m_ref) < 1e-7  # m is flat to first order at the maximum: sqrt(tol)
    assert round(b["alpha_c"], 3) == 0.138 and round(b["m"], 3) == 0.967  # AGS 1987


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1, 0.13])
def test_ags_retrieval_overlap_matches_mpmath(alpha):
    r = api.solve("hopfield-ags", alpha=alpha)
    assert r.converged
    with mp.workdps(30):
        # Amit's textbook form: m = erf(y), y (sqrt(2 alpha) + (2/sqrt(pi)) e^{-y^2}) = erf(y)
        y = mp.findroot(lambda y: y * (mp.sqrt(2 * alpha) + 2 / mp.sqrt(mp.pi) * mp.exp(-y * y))
                        - mp.erf(y), 1 / math.sqrt(2 * alpha))
        assert abs(r["m"] - float(mp.erf(y))) < 1e-12


def test_ags_derivation_declares_the_pairing_and_the_generated_module_carries_it():
    """The stationarity equations are stored in the natural order (df0/dm, df0/dC, df0/dr) and
    the derivation declares m <- df0/dm, C <- df0/dr, r <- df0/dC: the stored metadata, the
    fixed-point step and the generated PAIRING agree; at a point the generated equations match
    the AGS equations written out by hand (mpmath) and T - x = c F[PAIRING]."""
    import json

    from memgenkit.numerics import models
    decl = models.MODELS["hopfield-ags"]
    stored = json.loads((decl.derivations_dir / f"{decl.stem}.json").read_text())
    assert stored["metadata"]["pairing"] == [0, 2, 1]  # (m, C, r) <- F[(m, r, C)]
    step = next(s for s in stored["steps"] if s["name"] == "fixed-point form")
    assert "m <- dphi/dm, C <- dphi/dr, r <- dphi/dC" in step["description"]
    model = models.get("hopfield-ags")
    assert tuple(model.module.PAIRING) == tuple(stored["metadata"]["pairing"])
    assert model.module.KERNELS["newton"][1][:3] == ("F_m", "F_C", "F_r")
    m, C, r, alpha = 0.8, 0.3, 1.4, 0.1
    x, p = np.array([m, C, r]), np.array([alpha])
    out = model.call("newton", x, p)
    F, c = out[:3], out[12:]
    with mp.workdps(30):
        s = mp.sqrt(alpha * r)
        hand = [m - mp.erf(m / (mp.sqrt(2) * s)), alpha / 2 * (r - 1 / (1 - C) ** 2),
                alpha / 2 * (C - 2 * mp.npdf(m / s) / s)]
    assert max(abs(float(h) - f) for h, f in zip(hand, F)) < 1e-14
    T = model.call("fixed_point", x, p)
    assert np.max(np.abs(T - x - c * F[list(model.module.PAIRING)])) < 1e-14


def test_ags_above_capacity_reports_no_solution():
    r = api.solve("hopfield-ags", alpha=0.14)
    assert not r.converged and "alpha_c" in r.status["message"]
    with pytest.raises(InputError):
        api.solve("hopfield-ags", alpha=-1)


def _enumerate(w, L):
    p = np.zeros(len(w))
    for seq in itertools.permutations(range(len(w)), L):
        pr, left = 1.0, 1.0
        for j in seq:
            pr *= w[j] / left
            left -= w[j]
        p[list(seq)] += pr
    return p


@pytest.mark.parametrize("D,L,eta", [(7, 3, 1.5), (6, 5, 0.8), (8, 1, 2.0)])
def test_inclusion_probabilities_match_enumeration(D, L, eta):
    w = np.arange(1, D + 1) ** -eta
    w /= w.sum()
    assert np.max(np.abs(inclusion_probabilities(D, eta, L) - _enumerate(w, L))) < 1e-13


@pytest.mark.parametrize("method", ["rejection", "gumbel"])
def test_samplers_follow_exact_inclusion_law(method):
    D, L, eta, n = 400, 3, 1.5, 40000
    p = inclusion_probabilities(D, eta, L)
    s = hdata.sample_supports(n, D, L, eta, hd.rng_for(5, 1), method)
    assert all(len(set(row)) == L for row in s[:2000])
    c = np.bincount(s.ravel(), minlength=D) / n
    z = (c[:20] - p[:20]) / np.sqrt(p[:20] * (1 - p[:20]) / n)
    assert np.max(np.abs(z)) < 3.5  # 20 features; the naive L pi_k is far off for k = 1:
    assert abs(L * (np.arange(1, D + 1) ** -eta / np.sum(np.arange(1, D + 1) ** -eta))[0]
               - c[0]) > 10 * math.sqrt(p[0] * (1 - p[0]) / n)


def test_snr_theory_consistency():
    r = api.solve("hopfield-snr", N=2000, eta=1.5, alpha=1.0)
    assert r.converged and abs(r["sum_p"] - 3) < 1e-12
    assert r["a_L"] == pytest.approx(0.5, abs=1e-15)
    # u_star = H^-1(0.025) = 1.959964 (normal quantile, by mpmath)
    assert r["u_star"] == pytest.approx(float(-mp.sqrt(2) * mp.erfinv(2 * 0.025 - 1)), abs=1e-12)
    # s1 = sum p_k^2 and gamma = lim p_k/pi_k from the exact inclusion law (independent numpy)
    p = inclusion_probabilities(1000, 1.5, 3)
    assert r["s1"] == pytest.approx(float(np.sum(p * p)), rel=1e-13)
    w = hdata.powerlaw_weights(1000, 1.5)
    assert r["gamma"] == pytest.approx(p[-1] / w[-1], rel=1e-3)  # rarest feature: O(w_D)
    # leading-order law: N^(1/(2 eta)) exactly at the same D, independent of alpha
    k1 = api.solve("hopfield-snr", N=100, eta=1.5, alpha=1.0, alpha_D=20)["k_max_leading"]
    k2 = api.solve("hopfield-snr", N=800, eta=1.5, alpha=3.0, alpha_D=2.5)["k_max_leading"]
    assert k2 / k1 == pytest.approx(8 ** (1 / 3), rel=1e-12)
    strict = api.solve("hopfield-snr", N=2000, eta=1.5, alpha=1.0, m_star=0.99)
    assert strict["k_max"] <= r["k_max"] and strict["k_max_leading"] < r["k_max_leading"]
    # k_max is where the one-step overlap crosses m_star
    assert r["m_at_k_max"] >= 0.95 > r["m_after_k_max"]


def test_snr_field_moments_match_hebb_fields():
    """Mean and variance of f^k_i h_i over sites and 24 instances (N = 1000) against the derived
    signal S_k and sigma_k^2 (all four variance terms), for k = 1..30; errors from the spread
    over instances (the instance is the independent unit: its crosstalk is frozen)."""
    N, alpha, eta, K, n = 1000, 1.0, 1.5, 30, 24
    m = api.model("hopfield-snr")
    f = m.features({"N": N, "eta": eta, "alpha": alpha}, K=K)
    var = f["var_coherent"] + f["var_signal"] + f["var_count"] + f["var_incoherent"]
    means, sq = [], []
    for inst in range(n):
        rng = hd.rng_for(31, inst)
        F = hdata.sample_features(N, 500, rng)
        X = hdata.sample_examples(F, N, 3, eta, rng).X.astype(float)
        Fk = F[:K].astype(float)
        u = ((Fk @ X.T) @ X / N - Fk) * Fk  # f^k_i h_i, zero diagonal (P/N = 1)
        means.append(u.mean(1))
        sq.append((u * u).mean(1))
    means, sq = np.array(means), np.array(sq)
    mu, mu_se = means.mean(0), means.std(0, ddof=1) / math.sqrt(n)
    z_mean = (mu - f["signal"]) / mu_se
    # E[(f h)^2] = S^2 + sigma^2 over the data (the count fluctuation is part of sigma^2)
    m2, m2_se = sq.mean(0), sq.std(0, ddof=1) / math.sqrt(n)
    z_var = (m2 - f["signal"] ** 2 - var) / m2_se
    assert np.max(np.abs(z_mean)) < 3.6, z_mean  # 30 features: Bonferroni 0.01
    assert np.max(np.abs(z_var)) < 3.6, z_var
    # the coherent crosstalk is the dominant noise for the rare features
    assert np.all(f["var_coherent"][10:] > f["var_signal"][10:] + f["var_count"][10:])


def test_one_step_criterion_matches_simulation_N1000():
    """The retrieval criterion itself: instance-mean one-step overlaps m_k at N = 1000 (40
    instances) against the theory (bulk features, Bonferroni bound) and k_max within 3 se."""
    from memgenkit.numerics.simulation import hopfield_snr as ss
    m = api.model("hopfield-snr")
    r = ss.criterion_point(m, m.validate({"N": 1000}), 40, seed=3)
    assert r["overlaps_pass"], (r["max_abs_z"], r["z_bound"])
    assert r["k_max_pass"], (r["k_max_sim"], r["k_max_se"], r["k_max_theory"])
    assert r["K"] - sum(r["tail"]) >= 10  # the sample-se comparison covers the crossing


@pytest.mark.slow
@pytest.mark.parametrize("N,alpha", [(2000, 1.0), (4000, 1.0), (2000, 0.5), (2000, 2.0)])
def test_one_step_criterion_matches_simulation_large_N(N, alpha):
    from memgenkit.numerics.simulation import hopfield_snr as ss
    m = api.model("hopfield-snr")
    r = ss.criterion_point(m, m.validate({"N": N, "alpha": alpha}), 64, seed=5)
    assert r["overlaps_pass"], (r["max_abs_z"], r["z_bound"])
    assert r["k_max_pass"], (r["k_max_sim"], r["k_max_se"], r["k_max_theory"])


def test_clean_mixtures_saturate_below_one():
    """c = +1 (clean mixtures): feature 1's one-step overlap stays far below 1 and does not
    approach it when N doubles, while the random-sign theory (and simulation) give m_1 = 1: the
    coherent co-occurrence term of the derivation scales like the signal. The derived large-N
    limit m_inf(k) (exact conditional support law, 16 partners enumerated) matches the
    simulation at N = 1000 for k = 1, 2, 3 (12 instances, 3 se)."""
    from memgenkit.numerics.models.hopfield_snr import clean_mixture_limit
    from memgenkit.numerics.simulation import hopfield_snr as ss
    m1, se1 = ss.clean_mixture_overlaps(1000, instances=12, seed=1, K=3)
    m2, se2 = ss.clean_mixture_overlaps(2000, instances=12, seed=1, K=3)
    assert m1[0] + 3 * se1[0] < 0.95 and m2[0] + 3 * se2[0] < 0.95
    # a Gaussian (random-sign) deficit would shrink by far more than half when N doubles
    assert (1 - m2[0]) > 0.7 * (1 - m1[0]) - 3 * math.hypot(se1[0], se2[0])
    assert api.solve("hopfield-snr", N=1000)["m_1"] == pytest.approx(1.0, abs=1e-12)
    for k in (1, 2, 3):
        pt, lo, hi = clean_mixture_limit(500, 1.5, k)
        assert lo <= pt <= hi
        assert abs(m1[k - 1] - pt) < 3 * se1[k - 1], (k, m1[k - 1], se1[k - 1], pt)


def test_clean_mixture_limit_by_enumeration():
    """With D = 7 features and M = 6 every partner is enumerated (tau = 0): the limit is the
    exact E_g sgn(sum_S w_S sgn(1 + g_l + g_m)), recomputed here from the enumerated supports."""
    from memgenkit.numerics.models.hopfield_snr import clean_mixture_limit
    D, eta, k = 7, 1.2, 2
    w = np.arange(1, D + 1) ** -eta
    w /= w.sum()
    pi = {}
    for seq in itertools.permutations(range(D), 3):
        pr, left = 1.0, 1.0
        for j in seq:
            pr *= w[j] / left
            left -= w[j]
        key = frozenset(seq)
        pi[key] = pi.get(key, 0.0) + pr
    sup = [(tuple(sorted(S - {k - 1})), v) for S, v in pi.items() if k - 1 in S]
    tot = sum(v for _, v in sup)
    others = [j for j in range(D) if j != k - 1]
    m = 0.0
    for gs in itertools.product((1, -1), repeat=D - 1):
        g = dict(zip(others, gs))
        A = sum(v * (1 if g[a] + g[b] + 1 > 0 else -1) for (a, b), v in sup) / tot
        m += np.sign(A) / 2 ** (D - 1)
    pt, lo, hi = clean_mixture_limit(D, eta, k, M=D - 1)
    assert pt == pytest.approx(m, abs=1e-12) and lo == pytest.approx(m, abs=1e-12)
    assert hi == pytest.approx(m, abs=1e-12) and m < 1


def test_kmax_approaches_the_leading_law():
    """The exact-theory k_max over the leading law (N gamma^2/(u*^2 Z1^2 s1))^(1/(2 eta)) tends
    to 1 as N grows at fixed D (the finite-N terms fall like 1/sqrt(N)), and the poster's form
    with p_l = L pi_l is off by the constant (gamma^2 Z2/(Z1^2 s1))^(1/(2 eta)) (1.40 at
    eta = 1.5)."""
    gaps = []
    for N in (1e3, 1e4, 1e5, 1e6):
        r = api.solve("hopfield-snr", N=N, alpha_D=5000 / N)
        gaps.append(abs(r["k_max"] / r["k_max_leading"] - 1))
        const = (r["gamma"] ** 2 * r["Z_2eta"] / (r["Z_eta"] ** 2 * r["s1"])) ** (1 / 3)
        assert r["k_max_leading"] / r["k_max_poster"] == pytest.approx(const, rel=1e-12)
    assert gaps[-1] < 0.05 and gaps[-1] < gaps[0]


def test_snr_nonfinite_and_huge_sizes():
    from memgenkit.numerics.errors import InputError
    from memgenkit.numerics.resources import Cost
    with pytest.raises(InputError, match="alpha"):  # inf is not a value (input contract)
        api.solve("hopfield-snr", alpha=math.inf)
    r = api.solve("hopfield-snr", alpha=1e300)  # finite, but the noise overflows
    assert not r.converged and "non-finite" in r.status["message"]
    from memgenkit.numerics import resources
    resources.set_max_seconds(60.0)  # the inclusion law over D = 5e6 features: minutes
    try:
        with pytest.raises(InputError, match="estimated time"):
            api.solve("hopfield-snr", N=1e7)
    finally:
        resources.set_max_seconds(None)
    m = api.model("hopfield-snr")
    c1 = m.cost("solve", m.validate({"N": 1e4}))
    c2 = m.cost("solve", m.validate({"N": 1e6}))
    assert isinstance(c1, Cost) and c2.memory == pytest.approx(100 * c1.memory)
    s = m.cost("simulate", m.validate({"N": 4000, "alpha": 2.0}))
    assert s.memory > 5 * 8000 * 4000  # the P x N examples at least


def test_probability_all_features_learned_matches_sampling():
    """P(S in K) for K = the 12 most frequent of D = 200 features, against 200000 sampled
    supports (3 sigma), and against 1 - p_k when K misses a single feature (exact)."""
    w = hdata.powerlaw_weights(200, 1.5)
    p = hdata.prob_support_within(w, list(range(12)), 3)
    s = hdata.sample_supports(200000, 200, 3, 1.5, hd.rng_for(1, 2))
    emp = np.mean(np.all(s < 12, axis=1))
    assert abs(emp - p) < 3 * math.sqrt(p * (1 - p) / 200000)
    w6 = hdata.powerlaw_weights(6, 1.5)
    incl = inclusion_probabilities(6, 1.5, 3)
    assert hdata.prob_support_within(w6, [0, 1, 2, 3, 4], 3) == pytest.approx(1 - incl[5], abs=1e-13)
