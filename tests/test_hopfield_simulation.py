"""Simulation kernels of the power-law Hopfield model against brute-force numpy references."""
import math

import numpy as np
import pytest

from memgenkit.numerics.simulation import hopfield as hs


def _data(N=40, P=60, D=20, seed=0):
    rng = hs.rng_for(seed, 1)
    F = hs.sample_features(N, D, rng)
    return hs.sample_examples(F, P, 3, 1.5, rng)


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
    assert np.allclose(hs.hebb(ds.X), J, atol=1e-12)


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
    tr = hs.CrossEntropyTrainer(ds.X, lam=1.7, lr=0.1, dtype=np.float64, J0=J0)
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
    a = hs.CrossEntropyTrainer(ds.X, lam=1.0, lr=0.5, dtype=np.float64)
    b = hs.CrossEntropyTrainer(ds.X, lam=1.0, lr=0.5, dtype=np.float32)
    la, lb = a.step(20), b.step(20)
    assert lb == pytest.approx(la, rel=1e-4)
    assert np.max(np.abs(a.J - b.J)) < 1e-4 * np.max(np.abs(a.J))
    assert la < hs.CrossEntropyTrainer(ds.X, dtype=np.float64).gradient()  # loss decreased


def test_synchronous_dynamics_matches_naive_loop_and_async_reaches_fixed_point():
    ds = _data(N=80, P=100, D=40)
    J = hs.CrossEntropyTrainer(ds.X, lr=1.0, dtype=np.float64).J
    X0 = hs.corrupt(ds.X[:5], 0.2, np.random.default_rng(1))
    assert np.all(np.sum(X0 != ds.X[:5], axis=1) == 16)
    fin, best = hs.synchronous(J, X0, ds.X[:5], 6)
    x = X0.astype(float)
    ovs = [np.abs((x * ds.X[:5]).sum(1)) / 80]
    for _ in range(6):
        h = np.array([[sum(J[i, j] * xs[j] for j in range(80)) for i in range(80)] for xs in x])
        x = np.where(h > 0, 1.0, np.where(h < 0, -1.0, x))
        ovs.append(np.abs((x * ds.X[:5]).sum(1)) / 80)
    assert np.allclose(fin, ovs[-1]) and np.allclose(best, np.max(ovs, axis=0))
    # asynchronous: ends at a fixed point (every spin agrees with its field or the field is 0),
    # the overlap it reports is that of the returned state, reproducible with the seed
    fin_a, best_a, Xa = hs.asynchronous(J, X0, ds.X[:5], 200, seed=3, return_states=True)
    h = Xa @ J.T
    assert np.all(Xa * h >= -1e-12)
    assert np.allclose(fin_a, np.abs((Xa * ds.X[:5]).sum(1)) / 80) and np.all(best_a >= fin_a)
    assert np.array_equal(hs.asynchronous(J, X0, ds.X[:5], 200, seed=3)[0], fin_a)


def test_train_test_gap_and_learned_features_run():
    rng = hs.rng_for(2, 1)
    F = hs.sample_features(300, 150, rng)
    tr = hs.sample_examples(F, 300, 3, 1.5, rng)
    te = hs.sample_examples(F, 100, 3, 1.5, rng)
    trainer = hs.CrossEntropyTrainer(tr.X, lam=1.0, lr=2.0)
    first, sets = hs.acquisition_steps(trainer, F[:20], [0, 20])
    res = hs.train_test_reconstruction(trainer.J, tr.X, te.X)
    assert 0 <= res["test"] <= 1 and res["gap"] == pytest.approx(res["train"] - res["test"])
    assert sets[0][0]  # the most frequent feature is stable under Hebb already
