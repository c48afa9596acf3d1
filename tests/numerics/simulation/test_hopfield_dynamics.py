"""Simulation kernels of the power-law Hopfield model against brute-force numpy references."""
import math

import numpy as np
import pytest

from memgenkit.numerics.simulation import hopfield_dynamics as hd, hopfield_snr_data as hdata
from memgenkit.numerics.simulation import hopfield_snr_meanfield as hmf, hopfield_snr_training as htrain


def _data(N=40, P=60, D=20, seed=0):
    rng = hd.rng_for(seed, 1)
    F = hdata.sample_features(N, D, rng)
    return hdata.sample_examples(F, P, 3, 1.5, rng)


def test_examples_are_sign_of_feature_sums():
    ds = _data()
    ref = np.sign(sum(ds.signs[:, a, None] * ds.F[ds.supports[:, a]].astype(int)
                      for a in range(3)))
    assert np.array_equal(ds.X, ref)
    assert all(len(set(r)) == 3 for r in ds.supports)


def test_hebb_matches_outer_products():
    ds = _data()
    N = ds.X.shape[1]
    J = sum(np.outer(x, x) for x in ds.X.astype(float)) / N
    np.fill_diagonal(J, 0)
    assert np.allclose(hd.hebb(ds.X), J, atol=1e-12)


def _loss_loop(J, X, lam):
    P, N = X.shape
    tot = 0.0
    for mu in range(P):
        for i in range(N):
            h = sum(J[i, j] * X[mu, j] for j in range(N) if j != i)
            tot += math.log1p(math.exp(-lam * X[mu, i] * h))
    return tot / P


def test_gradient_matches_loop_and_finite_difference():
    ds = _data(N=12, P=15, D=8)
    X = ds.X.astype(float)
    rng = np.random.default_rng(3)
    J0 = rng.normal(size=(12, 12)) * 0.3
    np.fill_diagonal(J0, 0)
    tr = htrain.CrossEntropyTrainer(ds.X, lam=1.7, lr=0.1, dtype=np.float64, J0=J0)
    loss = tr.gradient()
    assert loss == pytest.approx(_loss_loop(J0, X, 1.7), rel=1e-12)
    eps = 1e-6
    for (i, j) in [(0, 1), (3, 7), (11, 2)]:
        Jp, Jm = J0.copy(), J0.copy()
        Jp[i, j] += eps
        Jm[i, j] -= eps
        fd = (_loss_loop(Jp, X, 1.7) - _loss_loop(Jm, X, 1.7)) / (2 * eps)
        assert tr.G[i, j] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    assert np.all(np.diag(tr.G) == 0)


def test_float32_training_tracks_float64():
    ds = _data(N=60, P=120, D=30)
    a = htrain.CrossEntropyTrainer(ds.X, lam=1.0, lr=0.5, dtype=np.float64)
    b = htrain.CrossEntropyTrainer(ds.X, lam=1.0, lr=0.5, dtype=np.float32)
    la, lb = a.step(20), b.step(20)
    assert lb == pytest.approx(la, rel=1e-4)
    assert np.max(np.abs(a.J - b.J)) < 1e-4 * np.max(np.abs(a.J))
    assert la < htrain.CrossEntropyTrainer(ds.X, dtype=np.float64).gradient()  # loss decreased


def test_synchronous_dynamics_matches_naive_loop_and_async_reaches_fixed_point():
    ds = _data(N=80, P=100, D=40)
    J = htrain.CrossEntropyTrainer(ds.X, lr=1.0, dtype=np.float64).J
    X0 = hd.corrupt(ds.X[:5], 0.2, np.random.default_rng(1))
    assert np.all(np.sum(X0 != ds.X[:5], axis=1) == 16)
    fin, best = hd.synchronous(J, X0, ds.X[:5], 6)
    x = X0.astype(float)
    ovs = [np.abs((x * ds.X[:5]).sum(1)) / 80]
    for _ in range(6):
        h = np.array([[sum(J[i, j] * xs[j] for j in range(80)) for i in range(80)] for xs in x])
        x = np.where(h > 0, 1.0, np.where(h < 0, -1.0, x))
        ovs.append(np.abs((x * ds.X[:5]).sum(1)) / 80)
    assert np.allclose(fin, ovs[-1]) and np.allclose(best, np.max(ovs, axis=0))
    # asynchronous: ends at a fixed point (every spin agrees with its field or the field is 0),
    # the overlap it reports is that of the returned state, reproducible with the seed
    fin_a, best_a, Xa = hd.asynchronous(J, X0, ds.X[:5], 200, seed=3, return_states=True)
    h = Xa @ J.T
    assert np.all(Xa * h >= -1e-12)
    assert np.allclose(fin_a, np.abs((Xa * ds.X[:5]).sum(1)) / 80) and np.all(best_a >= fin_a)
    assert np.array_equal(hd.asynchronous(J, X0, ds.X[:5], 200, seed=3)[0], fin_a)


def test_train_test_gap_and_learned_features_run():
    rng = hd.rng_for(2, 1)
    F = hdata.sample_features(300, 150, rng)
    tr = hdata.sample_examples(F, 300, 3, 1.5, rng)
    te = hdata.sample_examples(F, 100, 3, 1.5, rng)
    trainer = htrain.CrossEntropyTrainer(tr.X, lam=1.0, lr=2.0)
    first, sets = htrain.acquisition_steps(trainer, F[:20], [0, 20])
    res = hd.train_test_reconstruction(trainer.J, tr.X, te.X)
    assert 0 <= res["test"] <= 1 and res["gap"] == pytest.approx(res["train"] - res["test"])
    assert sets[0][0]  # the most frequent feature is stable under Hebb already


def test_field_gains_and_states_match_brute_force():
    ds = _data(N=30, P=40, D=10)
    J = htrain.CrossEntropyTrainer(ds.X, lr=1.0, dtype=np.float64).J
    g, s2 = hmf.field_gains(J, ds.F[:4])
    for a in range(4):
        f = ds.F[a].astype(float)
        h = np.array([sum(J[i, j] * f[j] for j in range(30)) for i in range(30)])
        assert g[a] == pytest.approx(f @ h / 30, rel=1e-12)
        assert s2[a] == pytest.approx(np.mean((h - g[a] * f) ** 2), rel=1e-12)
    fin, best, x = hd.synchronous(J, ds.X[:3], ds.X[:3], 5, return_states=True)
    assert np.allclose(fin, np.abs((x * ds.X[:3]).sum(1)) / 30)
    keys = hd.example_keys(np.vstack([ds.X[:2], -ds.X[:1]]))
    assert keys[0] == keys[2] and keys[0] != keys[1]


def test_mixture_meanfield_walsh_start_and_known_couplings():
    """The mean field starts at the Walsh coefficients of the majority (a_L on each feature) and,
    on couplings of known structure J = sum_a g_a f^a f^a^T/N + s Z/sqrt(N) (Z Gaussian) at small
    noise, predicts what the synchronous dynamics does: the 3-mixture is kept for equal or mildly
    unequal gains and collapses onto the strong feature (overlap a_3 = 1/2 with the example) when
    its gain beats the other two by more than the noise. (At larger noise, s = 0.3, the mean field,
    which redraws the noise at every step and has no reaction term, keeps a symmetric mixture that
    the dynamics loses: it is a small-noise theory.)"""
    import itertools
    from math import comb
    for L in (3, 5, 7):
        pats = np.array(list(itertools.product((1.0, -1.0), repeat=L)))
        assert np.mean(np.sign(pats.sum(1)) * pats[:, 0]) == comb(L - 1, (L - 1) // 2) / 2 ** (L - 1)
        # no noise, equal gains, no higher-order gain: the mixture is a fixed point
        nT = 2 ** (L - 1)
        g = np.zeros((1, nT))
        g[0, :L] = 1.0
        assert hmf.mixture_meanfield(g, np.zeros((1, nT)), L)[0] == pytest.approx(1.0)
    N = 2000
    rng = np.random.default_rng(5)
    F = hdata.sample_features(N, 3, rng)
    Z = (rng.normal(size=(N, N)) / np.sqrt(N)).astype(np.float32)
    c = np.array([1, -1, 1])
    X = np.sign((c[:, None] * F).sum(0))[None, :].astype(np.int8)
    # finite-N spread of the overlap a_3 of the example with the feature it collapses onto
    tol = 3 * np.sqrt((1 - 0.25) / N)
    for gains, s in (((1, 1, 1), 0.1), ((1, 1.2, 1.4), 0.1), ((1, 1, 1.6), 0.1),
                     ((1, 1, 1), 0.2)):
        J = (F.T.astype(np.float32) * np.float32(gains)) @ F.astype(np.float32) / N + s * Z
        np.fill_diagonal(J, 0)
        sim = hd.synchronous(J, X, X, 20)[0][0]
        mf = hmf.mixture_snr(J, F, np.array([[0, 1, 2]]))[0]
        assert abs(mf - sim) < tol, (gains, s, mf, sim)
        assert (sim > 0.95) == (mf > 0.95) == (gains[2] < 1.5)
