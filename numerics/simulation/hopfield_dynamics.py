"""Hebb couplings and zero-temperature dynamics of a Hopfield network (finite N, seeded), shared by
the simulations of hopfield-ags (hopfield_ags.py) and hopfield-snr (hopfield_snr.py).

Network: x_i(t+1) = sgn(h_i), h_i = sum_{j != i} J_ij x_j; a zero field keeps the current spin.

* Hebb: J = (1/N) sum_mu xi^mu xi^mu^T, zero diagonal.

Reconstruction: start from an example (optionally a fraction ``flip`` of spins flipped), run the
dynamics for ``steps`` steps (synchronous: all spins at once; asynchronous: sweeps over a random
permutation, ``steps`` sweeps at most, stopping at a fixed point), and record the overlap x.xi/N
at the end and its maximum over time (synchronous dynamics can 2-cycle).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


def rng_for(seed, *keys) -> np.random.Generator:
    """Independent, reproducible streams: one per (seed, keys...)."""
    return np.random.default_rng([int(seed)] + [int(k) for k in keys])


def hebb(X, dtype=np.float64) -> np.ndarray:
    """J = X^T X / N with zero diagonal (one BLAS product)."""
    N = X.shape[1]
    Xf = X.astype(dtype, copy=False)
    J = Xf.T @ Xf
    J *= 1.0 / N
    np.fill_diagonal(J, 0.0)
    return J


def synchronous(J, X0, ref, steps, return_states=False):
    """Synchronous zero-T dynamics of a batch of states (rows of X0), BLAS per step.

    Returns (final overlap, max overlap over t = 0..steps) with the reference rows ``ref``, and
    the final states when ``return_states``.
    """
    Jt = np.ascontiguousarray(J.T)
    x = np.array(X0, dtype=J.dtype)
    r = np.asarray(ref, dtype=J.dtype)
    N = x.shape[1]
    ov = np.abs(np.einsum("ij,ij->i", x, r)) / N
    best = ov.copy()
    for _ in range(steps):
        h = x @ Jt
        x = np.where(h > 0, 1.0, np.where(h < 0, -1.0, x)).astype(J.dtype)
        ov = np.abs(np.einsum("ij,ij->i", x, r)) / N
        np.maximum(best, ov, out=best)
    return (ov, best, x) if return_states else (ov, best)


@njit(cache=True)
def _async_one(JT, x, ref, order_seed, sweeps):
    """Asynchronous sweeps over random permutations; fields updated incrementally (column j of
    J is the row j of JT, contiguous). Stops at a fixed point. Returns (final, max) overlaps."""
    N = x.shape[0]
    h = np.zeros(N)
    for j in range(N):
        if x[j] != 0:
            xj = x[j]
            for i in range(N):
                h[i] += JT[j, i] * xj
    ov = 0.0
    for i in range(N):
        ov += x[i] * ref[i]
    best = abs(ov) / N
    np.random.seed(order_seed)
    for _ in range(sweeps):
        perm = np.random.permutation(N)
        flips = 0
        for t in range(N):
            i = perm[t]
            new = x[i]
            if h[i] > 0:
                new = 1.0
            elif h[i] < 0:
                new = -1.0
            if new != x[i]:
                d = new - x[i]
                x[i] = new
                ov += d * ref[i]
                for a in range(N):
                    h[a] += JT[i, a] * d
                flips += 1
                if abs(ov) / N > best:
                    best = abs(ov) / N
        if flips == 0:
            break
    return abs(ov) / N, best


@njit(cache=True, parallel=True)
def _async_batch(JT, X, ref, seeds, sweeps, fin, best):
    for b in prange(X.shape[0]):
        fin[b], best[b] = _async_one(JT, X[b], ref[b], seeds[b], sweeps)  # X[b] updated in place


def asynchronous(J, X0, ref, sweeps, seed, return_states=False):
    """Asynchronous zero-T dynamics of each row of X0 (at most ``sweeps`` sweeps, stopping at a
    fixed point). Returns (final overlap, max overlap) with the rows of ``ref``, and the final
    states when ``return_states``."""
    JT = np.ascontiguousarray(np.asarray(J, dtype=np.float64).T)
    X = np.array(X0, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    B = X.shape[0]
    seeds = rng_for(seed, 7).integers(0, 2**31 - 1, size=B)
    fin, best = np.empty(B), np.empty(B)
    _async_batch(JT, X, ref, seeds, int(sweeps), fin, best)
    return (fin, best, X) if return_states else (fin, best)


def corrupt(X, flip: float, rng) -> np.ndarray:
    """Copy of the +-1 rows of X with exactly round(flip N) spins of each row flipped."""
    X = np.array(X, dtype=np.int8)
    if flip <= 0:
        return X
    P, N = X.shape
    n = int(round(flip * N))
    for mu in range(P):
        idx = rng.choice(N, size=n, replace=False)
        X[mu, idx] *= -1
    return X


def reconstruct(J, X, *, flip=0.0, steps=20, mode="sync", seed=0):
    """Final and max-over-time overlaps of the dynamics started at (corrupted) rows of X."""
    rng = rng_for(seed, 11)
    X0 = corrupt(X, flip, rng)
    if mode == "sync":
        return synchronous(J, X0, X, steps)
    if mode == "async":
        return asynchronous(J, X0, X, steps, seed)
    raise ValueError(f"unknown dynamics '{mode}': sync or async")


def train_test_reconstruction(J, X_train, X_test, *, flip=0.0, steps=20, mode="sync", seed=0):
    """Mean final and max-over-time overlaps on train and test examples, and the test gap."""
    tr_f, tr_b = reconstruct(J, X_train, flip=flip, steps=steps, mode=mode, seed=seed)
    te_f, te_b = reconstruct(J, X_test, flip=flip, steps=steps, mode=mode, seed=seed + 1)
    return {"train": float(tr_f.mean()), "test": float(te_f.mean()),
            "train_max": float(tr_b.mean()), "test_max": float(te_b.mean()),
            "gap": float(tr_f.mean() - te_f.mean())}


def example_keys(X):
    """Hashable key per +-1 row, equal for x and -x (the dynamics is sign symmetric)."""
    X = np.asarray(X, dtype=np.int8)
    s = np.where(X[:, :1] < 0, -1, 1).astype(np.int8)
    return [r.tobytes() for r in X * s]
