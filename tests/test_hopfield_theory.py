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
from memgenkit.numerics.simulation import hopfield as hs


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
    s = hs.sample_supports(n, D, L, eta, hs.rng_for(5, 1), method)
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
    # leading-order law: N^(1/(2 eta)) exactly, independent of alpha, stricter criterion -> fewer
    k1 = api.solve("hopfield-snr", N=100, eta=1.5, alpha=1.0, alpha_D=20)["k_max_leading"]
    k2 = api.solve("hopfield-snr", N=800, eta=1.5, alpha=3.0, alpha_D=2.5)["k_max_leading"]
    assert k2 / k1 == pytest.approx(8 ** (1 / 3), rel=1e-12)  # same D: same Z(2 eta, D)
    strict = api.solve("hopfield-snr", N=2000, eta=1.5, alpha=1.0, m_star=0.99)
    assert strict["k_max"] <= r["k_max"] and strict["k_max_leading"] < r["k_max_leading"]


def test_snr_signal_matches_hebb_field_monte_carlo():
    """Mean of xi_i h_i . f^k_i over sites vs the derived signal a_L^2 P p_k, for frequent k:
    the field along f^1 from a sampled Hebb matrix (one instance, the mean over N sites)."""
    N, alpha, eta = 2000, 1.0, 1.5
    m = api.model("hopfield-snr")
    feats = m.features({"N": N, "eta": eta, "alpha": alpha})
    rng = hs.rng_for(9, 2)
    F = hs.sample_features(N, 1000, rng)
    ds = hs.sample_examples(F, 2000, 3, eta, rng)
    J = hs.hebb(ds.X)
    counts = hs.feature_counts(ds.supports, 1000)
    for k in range(3):
        h = J @ F[k].astype(float)
        proj = np.mean(h * F[k])
        # signal given the realised count P_k; spread over sites is the noise sigma_k
        pred = 0.25 * counts[k]
        sd = math.sqrt(feats["var_coherent"][k] + feats["var_signal"][k]
                       + feats["var_incoherent"][k])
        assert abs(proj - pred) < 3 * sd / math.sqrt(N) + 0.05 * pred
        assert np.std(h * F[k]) == pytest.approx(sd, rel=0.35)


def test_probability_all_features_learned_matches_sampling():
    """P(S in K) for K = the 12 most frequent of D = 200 features, against 200000 sampled
    supports (3 sigma), and against 1 - p_k when K misses a single feature (exact)."""
    w = hs.powerlaw_weights(200, 1.5)
    p = hs.prob_support_within(w, list(range(12)), 3)
    s = hs.sample_supports(200000, 200, 3, 1.5, hs.rng_for(1, 2))
    emp = np.mean(np.all(s < 12, axis=1))
    assert abs(emp - p) < 3 * math.sqrt(p * (1 - p) / 200000)
    w6 = hs.powerlaw_weights(6, 1.5)
    incl = inclusion_probabilities(6, 1.5, 3)
    assert hs.prob_support_within(w6, [0, 1, 2, 3, 4], 3) == pytest.approx(1 - incl[5], abs=1e-13)
