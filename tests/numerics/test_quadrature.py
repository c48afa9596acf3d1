"""Panel quadrature: Gaussian integrals with kinks and short scales, against mpmath."""
import math

import mpmath as mp
import numpy as np
import pytest
from numba import njit

from memgenkit.numerics.quadrature import build_edges, integrate_panels
from memgenkit.numerics.special import H, npdf

NONE = np.array([np.nan]), np.array([np.nan])


@njit
def hinge_like(t):
    # kink at t = 0.37: the integrand of a hinge-loss average
    return npdf(t) * max(0.0, 0.37 - t) ** 1


@njit
def sharp(t):
    # a step of width 1e-7 at t = 0.8, as log H / H terms develop when q -> 1
    return npdf(t) * H((0.8 - t) / 1e-7)


def test_kink_is_a_panel_edge():
    ref = float(mp.quad(lambda t: mp.npdf(t) * (mp.mpf("0.37") - t), [-mp.inf, mp.mpf("0.37")]))
    with_edge = integrate_panels(hinge_like, -math.inf, math.inf, np.array([0.37]),
                                 np.array([0.0]))
    without = integrate_panels(hinge_like, -math.inf, math.inf, *NONE)
    assert abs(with_edge - ref) < 1e-15 * 10
    assert abs(without - ref) > 100 * abs(with_edge - ref)  # the split is what buys accuracy


def test_graded_panels_resolve_short_scales():
    ref = float(mp.quad(lambda t: mp.npdf(t) * mp.erfc((mp.mpf("0.8") - t) / mp.mpf("1e-7")
                                                           / mp.sqrt(2)) / 2,
                        [-mp.inf, mp.mpf("0.8"), mp.inf]))
    graded = integrate_panels(sharp, -math.inf, math.inf, np.array([0.8]), np.array([1e-7]))
    assert graded == pytest.approx(ref, rel=1e-13)


def test_edges_sorted_unique_and_cover_range():
    edges = np.empty(512)
    n = build_edges(-3.0, 2.0, np.array([0.5, 0.5, np.nan, 10.0]),
                    np.array([1e-3, 0.0, 1.0, 1.0]), edges)
    e = edges[:n]
    assert e[0] == -3.0 and e[-1] == 2.0
    assert np.all(np.diff(e) > 0)
    assert 0.5 in e and np.min(np.abs(e - 0.5 - 2.5e-4)) < 1e-15


@pytest.mark.parametrize("k", [0, 1, 2, 4, 7])
def test_gaussian_moments(k):
    @njit
    def f(t):
        return npdf(t) * t ** k
    val = integrate_panels(f, -math.inf, math.inf, *NONE)
    ref = 0.0 if k % 2 else float(mp.fac2(k - 1)) if k else 1.0
    assert val == pytest.approx(ref, abs=1e-14, rel=1e-14)
