"""ti-krr numerics: closed forms (generated kernels + Woodbury) against independent references.

References: brute-force KRR on the explicit training set (dense pair-kernel matrix, numpy), sparse
direct solves of (L + mu) r = s (scipy), mpmath, Gauss-Hermite quadrature. No expected value in
this file comes from the code under test.
"""
import json
import math

import mpmath as mp
import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.linalg import spsolve

from memgenkit.numerics import api
from memgenkit.numerics.cli import main
from memgenkit.numerics.errors import InputError
from memgenkit.numerics.simulation import ti_krr as sim
from mp_reference import path_laplacian_plus_ridge

M = api.model("ti-krr")


def closure(n, exc):
    """reach[i, j]: a chain of trained relations leads from item i + 1 to item j + 1 (i beats
    i + 1 for adjacent pairs, a beats b per exception a>b), by Warshall's algorithm."""
    reach = np.zeros((n, n), bool)
    for k in range(n - 1):
        reach[k, k + 1] = True
    for a, b in exc:
        reach[a - 1, b - 1] = True
    for k in range(n):
        reach |= reach[:, k:k + 1] & reach[k:k + 1, :]
    return reach


def closure_test_pairs(n, exc):
    """Untrained pairs i < j that the transitive closure orders (i above j): mask on i < j."""
    reach = closure(n, exc)
    iu, ju = np.triu_indices(n, 1)
    out = np.zeros((n, n), bool)
    out[iu, ju] = reach[iu, ju] & ~reach[ju, iu]
    for k in range(n - 1):
        out[k, k + 1] = False
    for a, b in exc:
        out[b - 1, a - 1] = False
    return out


def random_instance(rng, n_lo=4, n_hi=30, max_exc=3):
    n = int(rng.integers(n_lo, n_hi + 1))
    exc = set()
    for _ in range(int(rng.integers(0, max_exc + 1))):
        b = int(rng.integers(1, n - 1))
        exc.add((int(rng.integers(b + 2, n + 1)), b))
    return n, sorted(exc)


def spec(exc):
    return ",".join(f"{a}>{b}" for a, b in exc)


def test_closed_form_matches_brute_force_krr():
    """1e-12 agreement at 60 random (n, exceptions, c, lam), ridgeless and c = 0 included."""
    rng = np.random.default_rng(1)
    for k in range(60):
        n, exc = random_instance(rng)
        c = [0.0, float(rng.uniform(0.01, 0.98))][k % 2]
        lam = [0.0, float(10 ** rng.uniform(-2, 2))][(k // 2) % 2]
        if c == 0.0 and lam == 0.0:
            lam = 0.0  # c = lam = 0: the min-norm interpolant (pseudo-inverse)
        F = M.margin_matrix(n=n, c=c, lam=lam, exceptions=spec(exc))
        B = sim.brute_force_krr(n, exc, c, lam)
        assert np.max(np.abs(F - B)) <= 1e-12 * max(1.0, np.max(np.abs(B))), (n, exc, c, lam)


def test_constant_kernel_part_only_rescales_the_ridge():
    rng = np.random.default_rng(2)
    for _ in range(10):
        n, exc = random_instance(rng, 5, 15, 2)
        c, lam, kd = rng.uniform(0, 0.9), 10 ** rng.uniform(-1, 1), rng.uniform(0.05, 0.9)
        B = sim.brute_force_krr(n, exc, c, lam, kd=kd)
        F = M.margin_matrix(n=n, c=c, lam=lam / (1 - kd), exceptions=spec(exc))
        assert np.max(np.abs(F - B)) < 1e-12


@pytest.mark.parametrize("t", [0.3, 2.0, 25.0])
def test_gradient_flow_matches_brute_force(t):
    rng = np.random.default_rng(3)
    for _ in range(8):
        n, exc = random_instance(rng, 4, 14, 2)
        c = float(rng.choice([0.0, rng.uniform(0.05, 0.9)]))
        lam = float(rng.choice([0.0, rng.uniform(0.05, 2.0)]))
        F = M.margin_matrix(n=n, c=c, lam=lam, exceptions=spec(exc), t=t)
        B = sim.brute_force_krr(n, exc, c, lam, t=t)
        assert np.max(np.abs(F - B)) < 1e-11, (n, exc, c, lam, t)


def test_long_gradient_flow_reaches_ridge_regression():
    F = M.margin_matrix(n=9, c=0.4, lam=0.2, exceptions="6>3", t=400.0)
    B = sim.brute_force_krr(9, [(6, 3)], 0.4, 0.2)
    assert np.max(np.abs(F - B)) < 1e-12


def _sparse_scores(n, exc, mu):
    """(L + mu) r = s by a sparse direct solve; at mu = 0 with r_n = 0 (grounded)."""
    rows, cols, vals = [], [], []
    for a, b in [(k, k + 1) for k in range(1, n)] + exc:
        rows += [a - 1, b - 1, a - 1, b - 1]
        cols += [a - 1, b - 1, b - 1, a - 1]
        vals += [1.0, 1.0, -1.0, -1.0]
    L = sparse.csr_matrix((vals, (rows, cols)), shape=(n, n)) + mu * sparse.eye(n)
    s = np.zeros(n)
    s[0], s[-1] = 1.0, -1.0
    for a, b in exc:
        s[a - 1] += 1
        s[b - 1] -= 1
    if mu == 0:
        r = np.zeros(n)
        r[:-1] = spsolve(sparse.csc_matrix(L[:-1, :-1]), s[:-1])
        return r
    return spsolve(sparse.csc_matrix(L), s)


@pytest.mark.parametrize("mu", [0.0, 1e-3, 0.5, 30.0, 1e4])
def test_large_n_scores_against_sparse_solve(mu):
    n, exc = 1000, [(300, 120), (610, 580), (905, 400), (999, 2), (60, 10)]
    r = M.scores(n, exc, mu)
    ref = _sparse_scores(n, exc, mu)
    dr, dref = r - r[-1], ref - ref[-1]
    # conditioning of the mu -> 0 route: G ~ 1/(n mu), so allow eps/(n mu) absolute
    tol = 1e-12 * np.max(np.abs(dref)) + (1e-14 / (n * mu) if mu > 0 else 0)
    assert np.max(np.abs(dr - dref)) <= tol


def test_green_kernel_against_mpmath_inverse():
    rng = np.random.default_rng(4)
    p = lambda n: np.array([float(n), 0.0, 0.0])  # noqa: E731
    with mp.workdps(30):
        for _ in range(6):
            n = int(rng.integers(3, 25))
            mu = float(10 ** rng.uniform(-3, 2))
            A = path_laplacian_plus_ridge(n, mu)
            inv = A ** -1
            for a in range(1, n + 1):
                for b in range(a, n + 1):
                    g = M.call("green", [a, b, mu], p(n))[0]
                    # exp(-x theta) carries the rounding of its argument: eps n theta relative
                    theta = 2 * math.asinh(math.sqrt(mu) / 2)
                    ref = float(inv[a - 1, b - 1])
                    assert abs(g - ref) <= 1e-15 * abs(ref) * (2 + n * theta)


def test_green0_is_a_generalized_inverse():
    for n in (3, 7, 40):
        X = np.array([[M.call("green0", [min(a, b), max(a, b)], np.array([n, 0, 0.0]))[0]
                       for b in range(1, n + 1)] for a in range(1, n + 1)])
        L = M.laplacian(n, [])
        assert np.allclose(L @ X, np.eye(n) - 1.0 / n, atol=1e-12 * n)


def test_plain_ti_margin_kernel_against_brute_force():
    for n, c, lam in [(5, 0.2, 0.1), (12, 0.7, 0.0), (30, 0.0, 3.0), (9, 0.95, 20.0)]:
        B = sim.brute_force_krr(n, [], c, lam)
        mu = M.mu(c, lam)
        for i in range(1, n + 1):
            for j in range(i + 2, n + 1):
                f = M.call("ti_margin", [i, j, mu], np.array([n, c, lam]))[0]
                assert abs(f - B[i - 1, j - 1]) < 1e-12 * max(1, abs(B[i - 1, j - 1]))


def test_ti_effects_without_exceptions():
    """All test pairs correct for every c < 1 and lam >= 0; symbolic distance effect; terminal-item
    effect (strict for mu > 0; margins equal j - i at c = lam = 0)."""
    rng = np.random.default_rng(5)
    cases = [(n, c, lam) for n in (4, 7, 16) for c in (0.0, 0.3, 0.9, 0.999)
             for lam in (0.0, 0.01, 1.0, 1e4)] + [(int(rng.integers(3, 60)),
                                                  float(rng.uniform(0, 0.999)),
                                                  float(10 ** rng.uniform(-3, 3)))
                                                 for _ in range(20)]
    for n, c, lam in cases:
        F = M.margin_matrix(n=n, c=c, lam=lam)
        B = sim.brute_force_krr(n, [], c, lam)
        assert np.max(np.abs(F - B)) < 1e-10 * max(1, np.max(np.abs(B)))
        iu, ju = np.triu_indices(n, 1)
        assert np.all(F[iu, ju] > 0), (n, c, lam)
        test = ju > iu + 1
        assert np.all(F[iu[test], ju[test]] > 0)
        mu = 2 * (c + lam) / (1 - c)
        for i in range(n):  # distance effect on test pairs: f(i, j) grows with j >= i + 2
            step = np.diff(F[i, i + 2:])
            # increments decay like e^{-d theta} away from the ends; once n theta is large they
            # fall below double resolution, where only monotonicity to rounding is testable
            if n * math.sqrt(mu) < 20:
                assert np.all(step > 0)
            else:
                assert np.all(step >= -1e-15 * np.max(np.abs(F)))
        if c == 0.0 and lam == 0.0:
            assert np.allclose(F[iu, ju], ju - iu, atol=1e-12)
            continue
        for d in range(2, n - 1):  # terminal-item effect at fixed distance d
            diag = np.array([F[i, i + d] for i in range(n - d)])
            ends = max(diag[0], diag[-1])
            if len(diag) > 2:
                assert np.all(diag[1:-1] <= ends)
            assert abs(diag[0] - diag[-1]) < 1e-12 * max(1, abs(diag[0]))  # mirror symmetry


def test_terminal_effect_is_strict_at_positive_mu():
    F = M.margin_matrix(n=10, c=0.2, lam=0.3)
    for d in (2, 3, 5):
        diag = [F[i, i + d] for i in range(10 - d)]
        assert diag[0] > max(diag[1:-1])
        assert diag[0] > diag[len(diag) // 2] * (1 + 1e-6)


def test_boundary_thresholds_flip_brute_force_signs():
    """Every reported threshold: the brute-force margin of that pair has opposite signs just
    below and just above c*; between thresholds the set of wrong pairs is constant."""
    for n, exc, lam in [(8, [(5, 3)], 0.0), (10, [(7, 2)], 0.1), (12, [(8, 3), (11, 9)], 0.05)]:
        b = api.boundary("ti-krr", n=n, lam=lam, exceptions=spec(exc))
        assert b.converged
        rows = [r for r in b.observables["thresholds"] if r["c_star"] is not None]
        assert rows, (n, exc)
        for r in rows:
            i, j = map(int, r["pair"].split("-"))
            cs = r["c_star"]
            lo = sim.brute_force_krr(n, exc, max(cs - 1e-6, 0), lam)[i - 1, j - 1]
            hi = sim.brute_force_krr(n, exc, cs + 1e-6, lam)[i - 1, j - 1]
            assert lo * hi < 0
            assert (lo > 0) == (r["direction"] == "fails")
            # mu(c*, lam) = mu*
            assert abs(2 * (cs + lam) / (1 - cs) - r["mu_star"]) < 1e-9 * r["mu_star"]
        cstars = sorted(r["c_star"] for r in rows)
        assert cstars == [r["c_star"] for r in rows]  # ordered by which fails first
        # a brute-force scan over c finds no sign change the boundary missed
        test = closure_test_pairs(n, exc)
        grid = np.linspace(0, 0.995, 120)
        sign = [np.sign(sim.brute_force_krr(n, exc, c, lam))[test] for c in grid]
        flips = sum(int(np.sum(sign[k] != sign[k + 1])) for k in range(len(grid) - 1))
        assert flips == sum(1 for r in rows if r["c_star"] <= 0.995)


def random_loops(rng, n, kmax=4):
    """1..kmax exceptions; the loops [b, a] fall apart, overlap, touch or nest at random."""
    exc = set()
    for _ in range(int(rng.integers(1, kmax + 1))):
        b = int(rng.integers(1, n - 1))
        exc.add((int(rng.integers(b + 2, min(n, b + 1 + int(rng.integers(1, n))) + 1)), b))
    return sorted(exc)


def test_groups_follow_the_transitive_closure():
    """Test pairs (codes 2, 3, 4, 6) are exactly the untrained pairs that the closure of the
    trained relations orders; code 5 exactly the untrained pairs with chains both ways."""
    rng = np.random.default_rng(11)
    cases = [(10, [(5, 3), (8, 6)]), (12, [(6, 3), (8, 5)]), (12, [(5, 3), (7, 5)]),
             (12, [(10, 2), (6, 4)]), (9, [(9, 1)])]
    cases += [(n, random_loops(rng, n, 6)) for n in rng.integers(3, 40, 60).tolist()]
    for n, exc in cases:
        Gp = M.pair_groups(n, exc)
        reach = closure(n, exc)
        iu, ju = np.triu_indices(n, 1)
        trained = np.zeros((n, n), bool)
        trained[iu[ju == iu + 1], ju[ju == iu + 1]] = True
        for a, b in exc:
            trained[b - 1, a - 1] = True
        g = Gp[iu, ju]
        assert np.array_equal(np.isin(g, M.TEST_GROUPS), closure_test_pairs(n, exc)[iu, ju])
        both = reach[iu, ju] & reach[ju, iu] & ~trained[iu, ju]
        assert np.array_equal(g == 5, both), (n, exc)
        assert np.array_equal(np.isin(g, (0, 1)), trained[iu, ju])
        assert not np.any(reach[ju, iu] & ~reach[iu, ju])  # never "j above i" for i < j


def brute_force_thresholds(n, exc, lam, c_max, grid=161):
    """Sign changes in c of every closure-ordered test pair's brute-force KRR margin: a grid in
    [0, c_max], then bisection to 1e-13 in c. Signs below 1e-9 max |f| count as unresolved and
    never make a change. Returns ([(pair, direction, c*)], wrong pairs at c = 0)."""
    test = closure_test_pairs(n, exc)
    pairs = list(zip(*np.nonzero(test)))

    def signs(c):
        B = sim.brute_force_krr(n, exc, c, lam)
        return np.where(np.abs(B) > 1e-9 * np.max(np.abs(B)), np.sign(B), 0)

    cs = np.linspace(0.0, c_max, grid)
    S = np.array([signs(c) for c in cs])
    events = []
    for i, j in pairs:
        prev, last = S[0, i, j], 0.0
        for k in range(1, grid):
            s = S[k, i, j]
            if s != 0 and prev != 0 and s != prev:
                lo, hi = last, cs[k]
                while hi - lo > 1e-13:
                    mid = 0.5 * (lo + hi)
                    if sim.brute_force_krr(n, exc, mid, lam)[i, j] * prev > 0:
                        lo = mid
                    else:
                        hi = mid
                events.append((f"{i + 1}-{j + 1}", "fails" if prev > 0 else "recovers",
                               0.5 * (lo + hi)))
            if s != 0:
                prev, last = s, cs[k]
    wrong0 = sorted(f"{i + 1}-{j + 1}" for i, j in pairs if S[0, i, j] < 0)
    return sorted(events, key=lambda e: e[2]), wrong0


def test_boundary_against_brute_force_scan_with_several_loops():
    """Random n in 5..12, several exceptions (loops apart, overlapping, touching, nested), random
    lam: the thresholds with c* <= 0.8, their directions, the first failing pair and its c*
    match a brute-force scan over every pair the transitive closure orders."""
    rng = np.random.default_rng(12)
    cases = [(10, [(5, 3), (8, 6)], 0.0), (12, [(6, 3), (8, 5)], 0.05),
             (11, [(5, 3), (7, 5)], 0.2), (12, [(10, 2), (6, 4)], 0.0)]
    for _ in range(14):
        n = int(rng.integers(5, 13))
        cases.append((n, random_loops(rng, n, 4), float(rng.choice([0.0, 10 ** rng.uniform(
            -2, -0.3)]))))
    c_max = 0.8
    for n, exc, lam in cases:
        b = api.boundary("ti-krr", n=n, lam=lam, exceptions=spec(exc)).observables
        events, wrong0 = brute_force_thresholds(n, exc, lam, c_max)
        test = closure_test_pairs(n, exc)
        for r in b["thresholds"]:
            i, j = map(int, r["pair"].split("-"))
            assert test[i - 1, j - 1], (n, exc, r)  # only pairs with an expected order
        ours = [(r["pair"], r["direction"], r["c_star"]) for r in b["thresholds"]
                if r["c_star"] is not None and r["c_star"] <= c_max]
        assert sorted(e[:2] for e in events) == sorted(o[:2] for o in ours), (n, exc, lam)
        got = {o[:2]: o[2] for o in ours}
        for p, d, c in events:
            assert abs(got[(p, d)] - c) < 1e-9, (n, exc, lam, p, c, got[(p, d)])
        assert sorted(b["wrong_at_c0"]) == wrong0, (n, exc, lam)
        fails = [e for e in events if e[1] == "fails"]
        if fails:  # pairs related by symmetry can fail at the same c*
            tied = {p for p, _, c in fails if c < fails[0][2] + 1e-9}
            assert b["first_failure"] in tied, (n, exc, lam, fails[0], b["first_failure"])
            assert abs(b["c_first_failure"] - fails[0][2]) < 1e-9
        else:
            assert b["first_failure"] is None or b["c_first_failure"] > c_max


def test_issue_example_different_loops_fail_first():
    """n = 10, exceptions 5>3 and 8>6, ridgeless: 3 > 4 > 5 > 6 > 7 > 8 is a chain of trained
    pairs and no chain leads back, so 3-8 has an expected order; it fails first, well below
    the c* = 0.2835 of 6-9 (brute-force bisection)."""
    b = api.boundary("ti-krr", n=10, lam=0.0, exceptions="5>3,8>6").observables
    events, _ = brute_force_thresholds(10, [(5, 3), (8, 6)], 0.0, 0.8)
    assert events[0][:2] == ("3-8", "fails") and events[0][2] < 0.2
    assert b["first_failure"] == "3-8" and abs(b["c_first_failure"] - events[0][2]) < 1e-9
    six_nine = next(r for r in b["thresholds"] if r["pair"] == "6-9")
    assert six_nine["c_star"] > 0.28
    r = api.solve("ti-krr", n=10, c=0.2, lam=0.0, exceptions="5>3,8>6").observables
    assert "3-8" in r["wrong_pairs"]
    assert r["groups"]["different_loops"]["count"] == 9 - 1  # {3,4,5} x {6,7,8} but 5-6
    assert r["groups"]["both_in_loop"] == {"count": 0}  # inside a loop: trained pairs only


def test_boundary_example_values():
    """n = 8, exception 5>3, ridgeless: pair 3-6 fails first; mu* of pair 2-5 is the golden-ratio
    number (sqrt(5) - 1)/2, checked against an exact rational bisection of the brute force."""
    b = api.boundary("ti-krr", n=8, lam=0.0, exceptions="5>3").observables
    assert b["first_failure"] == "3-6" and b["wrong_at_c0"] == []
    row = next(r for r in b["thresholds"] if r["pair"] == "2-5")
    assert abs(row["mu_star"] - (math.sqrt(5) - 1) / 2) < 1e-12


def test_pair_groups_and_summaries():
    r = api.solve("ti-krr", n=10, c=0.5, lam=0.2, exceptions="7>4")
    g = r.observables["groups"]
    # loop [4, 7]: within = both in {1..3} or {8..10} non-adjacent: (1,3), (8,10)
    assert g["within_section"]["count"] == 2
    assert g["cross_section"]["count"] == 3 * 3
    assert g["both_in_loop"]["count"] == 2  # (4,6), (5,7); (4,7) is the exception
    assert g["one_in_loop"]["count"] == 6 * 4 - 2  # minus the adjacent (3,4), (7,8)
    assert g["training"]["count"] == 9 and g["exception"]["count"] == 1
    total = sum(v["count"] for v in g.values())
    assert total == 45
    margins = r.observables["margins"]
    assert len(margins) == 45 and set(margins) >= {"1-10", "4-7"}
    B = sim.brute_force_krr(10, [(7, 4)], 0.5, 0.2)
    assert abs(margins["4-7"] - B[3, 6]) < 1e-12
    assert r.observables["exceptions"]["7>4"]["learned"] == (B[3, 6] < 0)


def test_network_kernel_conjunctivity_against_quadrature():
    """c of the depth-L NNGP and NTK from scipy quadratures of the layer maps (conditioning on
    u: E[relu(v)|u] = m Phi(m/s) + s phi(m/s), P(v>0|u) = Phi(m/s), m = rho u)."""
    from scipy.integrate import quad
    from scipy.stats import norm

    def layer(rho):  # E[2 relu(u) relu(v)], E[2 1(u>0) 1(v>0)] at correlation rho
        if rho >= 1 - 1e-15:
            return 1.0, 1.0
        s = math.sqrt(1 - rho**2)
        k = quad(lambda u: 2 * u * norm.pdf(u) * (rho * u * norm.cdf(rho * u / s)
                                                  + s * norm.pdf(rho * u / s)), 0, np.inf,
                 epsabs=1e-13, epsrel=1e-13)[0]
        kd = quad(lambda u: 2 * norm.pdf(u) * norm.cdf(rho * u / s), 0, np.inf,
                  epsabs=1e-13, epsrel=1e-13)[0]
        return k, kd

    for depth in (1, 2, 3):
        vals_k, vals_t = [], []
        for rho0 in (0.0, 0.5, 1.0):
            k, th = rho0, rho0
            for _ in range(depth):
                kk, kd = layer(k)
                th = kk + th * kd
                k = kk
            vals_k.append(k)
            vals_t.append(th)
        for vals, ntk in ((vals_k, False), (vals_t, True)):
            K0, Kh, K1 = vals
            c_ref = (K1 - 2 * Kh + K0) / (K1 - K0)
            assert abs(M.network_kernel(depth, ntk)["c"] - c_ref) < 1e-10


def test_network_kernels_increase_conjunctivity_with_depth():
    cs = [M.network_kernel(d)["c"] for d in range(0, 30, 3)]
    assert cs[0] == 0.0 and all(np.diff(cs) > 0) and cs[-1] < 1


def test_depth_solve_equals_family_at_network_c():
    r = api.solve("ti-krr", n=7, depth=2, ntk=1, lam=0.3, exceptions="5>2")
    net = M.network_kernel(2, True)
    F = sim.brute_force_krr(7, [(5, 2)], net["c"], 0.3 / net["scale"])
    m = r.observables["margins"]
    assert max(abs(m[f"{i}-{j}"] - F[i - 1, j - 1]) for i in range(1, 8)
               for j in range(i + 1, 8)) < 1e-12


@pytest.fixture
def large_n_paths(monkeypatch):
    """Run the large-n paths (pair scan, pruned threshold refinement) at small n."""
    monkeypatch.setattr(M, "FULL_MARGINS_MAX", 3)
    monkeypatch.setattr(M, "LIST_MAX", 5)


def test_pair_scan_against_brute_force(large_n_paths):
    """The pair-by-pair summaries: group counts / min / max / mean, wrong and unresolved pairs,
    per-distance statistics and requested margins against brute-force KRR margins and the
    closure (Warshall) of the trained relations."""
    rng = np.random.default_rng(13)
    for k in range(12):
        n = int(rng.integers(6, 30))
        exc = random_loops(rng, n, 4) if k % 3 else []
        c, lam = float(rng.uniform(0, 0.9)), float(rng.choice([0.0, 10 ** rng.uniform(-2, 1)]))
        obs = api.solve("ti-krr", n=n, c=c, lam=lam, exceptions=spec(exc),
                        pairs=f"1-{n},{n}-1,2-1").observables
        assert "margins" not in obs
        B = sim.brute_force_krr(n, exc, c, lam)
        test = closure_test_pairs(n, exc)
        iu, ju = np.triu_indices(n, 1)
        tol = 1e-10 * max(1.0, np.max(np.abs(B)))
        wrong = [f"{i + 1}-{j + 1}" for i, j in zip(iu, ju) if test[i, j] and B[i, j] < -tol]
        assert obs["wrong_pair_count"] == len(wrong) and obs["wrong_pairs"] == wrong[:5]
        g = obs["groups"]
        tp = [g[name] for code, name in M.GROUP_NAMES.items() if code in M.TEST_GROUPS]
        assert sum(x["count"] for x in tp) == int(test.sum())
        f_test = B[test]
        if f_test.size:
            assert abs(min(x["min"] for x in tp if x["count"]) - f_test.min()) < tol
        bd = obs["by_distance"]
        for d, cnt, mean, mn, w in zip(bd["distance"], bd["count"], bd["mean"], bd["min"],
                                       bd["wrong"]):
            sel = test & (np.subtract.outer(np.arange(n), np.arange(n)) == -d)
            assert cnt == int(sel.sum()) and abs(mean - B[sel].mean()) < tol
            assert abs(mn - B[sel].min()) < tol and w == int((B[sel] < -tol).sum())
        assert sum(bd["count"]) == int(test.sum())
        for key, f in obs["pair_margins"].items():
            i, j = map(int, key.split("-"))
            assert abs(f - B[i - 1, j - 1]) < tol, (key, f, B[i - 1, j - 1])


def test_pruned_boundary_matches_full_list(monkeypatch):
    """Large n refines only the earliest LIST_MAX thresholds (and the earliest failure): they
    equal the head of the full list."""
    for n, e, lam in [(30, "20>8", 0.1), (24, "9>4,16>11", 0.0), (20, "12>3,15>10", 0.3)]:
        full = api.boundary("ti-krr", n=n, lam=lam, exceptions=e).observables
        monkeypatch.setattr(M, "FULL_MARGINS_MAX", 3)
        monkeypatch.setattr(M, "LIST_MAX", 4)
        part = api.boundary("ti-krr", n=n, lam=lam, exceptions=e).observables
        monkeypatch.undo()
        head = [r for r in full["thresholds"] if r["c_star"] is not None]
        # > 16: the bounded event buffer (4 LIST_MAX) was compacted on the way
        assert part["threshold_count"] == len(full["thresholds"]) > 16
        assert [r["pair"] for r in part["thresholds"][:4]] == [r["pair"] for r in head[:4]]
        for a, b in zip(part["thresholds"], head):
            assert abs(a["c_star"] - b["c_star"]) < 1e-12 and a["direction"] == b["direction"]
        assert part["first_failure"] == full["first_failure"]
        assert abs(part["c_first_failure"] - full["c_first_failure"]) < 1e-12
        assert part["wrong_at_c0"] == full["wrong_at_c0"][:4]


@pytest.mark.parametrize("verb,sizes,extra,opts", [
    ("solve", (200, 400), {"c": 0.3}, {}),  # every margin
    ("solve", (3000, 6000), {"c": 0.3}, {}),  # pair-by-pair scan above FULL_MARGINS_MAX
    ("solve", (100, 200), {"c": 0.3, "t": 2.0}, {}),  # gradient flow
    ("boundary", (20, 40), {}, {}),
    ("simulate", (12, 24), {}, {"N": 512, "instances": 2}),
])
def test_cost_memory_against_tracemalloc(verb, sizes, extra, opts):
    """The memory formula of TiKrr.cost is within [0.5, 1.2] of the traced peak at two sizes
    (so it scales with n as the computation does)."""
    import tracemalloc
    for n in sizes:
        p = {"n": n, "lam": 0.1, "exceptions": f"{n // 2}>{n // 5},{n - 3}>{n - 8}", **extra}
        run = {"solve": lambda: M.solve(p), "boundary": lambda: M.boundary(p),
               "simulate": lambda: M.simulate(p, **opts)}[verb]
        run()  # compile and load kernels outside the measurement
        tracemalloc.start()
        try:
            run()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        est = M.cost(verb, p, **opts).memory
        assert 0.5 <= peak / est <= 1.2, (verb, n, peak, est)


def test_cost_refuses_and_large_n_fits():
    """At n = 20000 the margins are summarized pair by pair (kilobytes per item, not n^2
    doubles); a dense gradient flow of that size is refused by resources.check."""
    from memgenkit.numerics import resources
    small = M.cost("solve", {"n": 20000, "c": 0.3, "lam": 0.1, "exceptions": "300>120"})
    assert small.memory < 2e7
    big = M.cost("solve", {"n": 20000, "c": 0.3, "lam": 0.1, "t": 1.0})
    resources.set_max_memory(8e9)
    try:
        resources.check(small, "ti-krr solve")
        with pytest.raises(InputError, match="n\\^2"):
            resources.check(big, "ti-krr solve")
    finally:
        resources.set_max_memory(None)


def test_input_errors(capsys):
    for params in ({"n": 3.5}, {"n": 8, "c": 1.0}, {"n": 8, "lam": -1},
                   {"n": 8, "exceptions": "5>4"}, {"n": 8, "exceptions": "9>2"},
                   {"n": 8, "exceptions": "5-3"}, {"n": 8, "exceptions": "5>3,5>3"},
                   {"n": 8, "t": -1}, {"n": 8, "depth": 1.5}, {"n": 8, "c": 0.2, "depth": 1},
                   {"n": 8, "ntk": 1}, {"n": 8, "pairs": "3-3"}, {"n": 8, "pairs": "3-9"},
                   {"n": 8, "pairs": "3>5"}, {"n": 8, "pairs": "1-2-3"}):
        with pytest.raises(InputError):
            api.solve("ti-krr", params)
    assert main(["solve", "ti-krr", "--set", "n=8", "--exceptions", "4>3"]) == 2
    assert "not an exception" in capsys.readouterr().err
    with pytest.raises(InputError, match="n <= 2000"):
        M.figures({"n": 2001, "c": 0.1})


def test_cli_json_margins(capsys):
    assert main(["solve", "ti-krr", "--set", "n=6", "c=0.3", "lam=0.1", "--exceptions", "5>2",
                 "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    B = sim.brute_force_krr(6, [(5, 2)], 0.3, 0.1)
    assert d["params"]["exceptions"] == "5>2"
    for key, v in d["observables"]["margins"].items():
        i, j = map(int, key.split("-"))
        assert i < j and abs(v - B[i - 1, j - 1]) < 1e-12
    assert main(["boundary", "ti-krr", "--set", "n=8", "lam=0", "--exceptions", "5>3",
                 "--json"]) == 0
    b = json.loads(capsys.readouterr().out)
    assert b["observables"]["first_failure"] == "3-6"


def test_solve_and_boundary_do_not_import_sympy():
    import subprocess
    import sys
    code = ("import sys; from memgenkit.numerics import api; "
            "r = api.solve('ti-krr', n=9, c=0.2, lam=0.1, exceptions='6>3'); "
            "api.boundary('ti-krr', n=9, lam=0.1, exceptions='6>3'); "
            "assert r.converged; print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_strong_regularization_signs_resolved_or_flagged():
    """Far from the items with nonzero net wins, margins are e^{-d theta}-small differences of
    nearly equal scores. Every pair the model calls resolved has the sign (and 1e-5 relative
    accuracy) of a 120-digit mpmath solve of (L + mu) r = s; the others are listed."""
    n, exc = 40, [(25, 12)]
    for c in (0.9, 0.99, 0.999):
        r = M.solve({"n": n, "c": c, "lam": 0.1, "exceptions": "25>12"})
        mu = r.observables["mu"]
        with mp.workdps(120):
            A = mp.matrix(M.laplacian(n, exc).tolist()) + mp.mpf(mu) * mp.eye(n)
            ref = mp.lu_solve(A, mp.matrix(M.net_wins(n, exc).tolist()))
        unresolved = set(r.observables["unresolved_pairs"])
        assert unresolved  # this regime has them
        for key, f in r.observables["margins"].items():
            i, j = map(int, key.split("-"))
            if j == i + 1 or (j, i) in [(25, 12)] or key in unresolved:
                continue
            exact = float(ref[i - 1] - ref[j - 1])
            assert np.sign(f) == np.sign(exact) and abs(f - exact) <= 1e-5 * abs(exact), key


def test_figures_are_written(tmp_path):
    paths = M.figures({"n": 9, "c": 0.3, "lam": 0.05, "exceptions": "6>3"}, out_dir=tmp_path)
    assert len(paths) == 2 and all((tmp_path / p.split("/")[-1]).stat().st_size > 10000
                                   for p in paths)
