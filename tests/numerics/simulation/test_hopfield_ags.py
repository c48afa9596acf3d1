"""numerics/simulation/hopfield_ags.py: the standard error of the capacity alpha_50 (delta method
through the interpolation, covariance over instances) is calibrated on a synthetic ladder whose
starts are correlated within an instance and across alphas, as in the Hebb simulation; the plain
binomial error is not. The capacity ladder's pooled fractions are retrieval_overlaps's."""
import math

import numpy as np
import pytest

from memgenkit.numerics.simulation import hopfield_ags as hc

ALPHAS = np.array([0.10, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.20, 0.22])  # verify's grid


def _synthetic(rng, instances=20, starts=10, s_inst=0.01, s_start=0.01):
    """Start s of instance i is retrieved at every alpha below its threshold t_is = 0.142 +
    s_inst z_i + s_start z_is: one threshold per start (common to all alphas, like the shared
    patterns) and one shift per instance (like its shared couplings)."""
    t = (0.142 + s_inst * rng.standard_normal((instances, 1))
         + s_start * rng.standard_normal((instances, starts)))
    k = (ALPHAS[None, None, :] < t[:, :, None]).sum(1)
    return k, np.full_like(k, starts)


def _binomial_se(k, n, j):
    """The naive error: independent binomial fractions at the two bracketing grid points."""
    f, N = k.sum(0) / n.sum(0), n.sum(0)
    D, d = ALPHAS[j + 1] - ALPHAS[j], f[j] - f[j + 1]
    g = np.array([D * (0.5 - f[j + 1]) / d ** 2, D * (f[j] - 0.5) / d ** 2])
    return math.sqrt(float((g ** 2 * f[j:j + 2] * (1 - f[j:j + 2]) / N[j:j + 2]).sum()))


def test_alpha_50_se_is_calibrated_on_a_correlated_synthetic_ladder():
    rng = np.random.default_rng(20261202)
    a50, se, naive = [], [], []
    for _ in range(400):
        k, n = _synthetic(rng)
        a, s, j = hc.alpha_50_estimate(ALPHAS, k, n)
        a50.append(a), se.append(s), naive.append(_binomial_se(k, n, j))
    a50, se, naive = map(np.array, (a50, se, naive))
    assert np.all(np.isfinite(a50))
    spread = a50.std(ddof=1)  # the true sampling error, over 400 independent ladders
    # 400 replicates: the spread itself is known to ~4 %
    assert 0.85 < se.mean() / spread < 1.15, (se.mean(), spread)
    assert 0.6 < np.mean(np.abs(a50 - a50.mean()) < se) < 0.76  # ~68 % within 1 se
    assert naive.mean() < 0.7 * spread  # the binomial error understates it (correlated starts)


def test_alpha_50_interpolation_and_no_crossing():
    k = np.array([[10, 6, 2], [10, 8, 4]])
    n = np.full_like(k, 10)
    a, s, j = hc.alpha_50_estimate([0.1, 0.2, 0.3], k, n)
    # f = (1, 0.7, 0.3): the crossing lies between 0.2 and 0.3, halfway
    assert j == 1 and a == pytest.approx(0.25) and s > 0
    a, s, j = hc.alpha_50_estimate([0.1, 0.2, 0.3], np.full_like(k, 9), n)
    assert math.isnan(a) and math.isnan(s) and j is None
    with pytest.raises(ValueError, match="retrieved and starts"):
        hc.alpha_50_estimate([0.1, 0.2], k, n)


def test_capacity_ladder_fractions_are_retrieval_overlaps():
    rows = hc.capacity_ladder([60], [0.1, 0.2], 2, 3)
    assert rows[0]["retrieved_fraction"] == [
        hc.retrieval_overlaps(60, a, 2, 3)["retrieved_fraction"] for a in (0.1, 0.2)]
