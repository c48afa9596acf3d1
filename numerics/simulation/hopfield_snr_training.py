"""Cross-entropy training of a Hopfield network and the features it learns (hopfield-snr).

* Cross-entropy (pseudo-likelihood) training, asymmetric J: loss
  L(J) = (1/P) sum_{mu,i} log(1 + exp(-lam xi_i^mu h_i^mu)) with h^mu = J xi^mu (this ``lam`` is the
  one of the poster; codes writing log(1+exp(-2 lam' xi h)) have lam = 2 lam'). Full-batch gradient
  descent from the Hebb matrix: J <- J - lr grad L, grad_ij = -(lam/P) sum_mu xi_i^mu xi_j^mu
  sigma(-lam xi_i^mu h_i^mu), diagonal kept at zero. Each step is two BLAS products of shapes
  (P, N) x (N, N); the memory is J, the gradient and two (P, N) arrays (examples, and fields
  overwritten in place by xi sigma(-lam xi h)): no N x N x P and no extra N x N temporaries.

A feature k is learned when the dynamics (hopfield_dynamics.reconstruct) started at f^k ends at
overlap > 0.95 (``LEARNED_THRESHOLD``).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .hopfield_dynamics import hebb, reconstruct

LEARNED_THRESHOLD = 0.95


@njit(cache=True, parallel=True)
def _logistic_terms(Hf, Xf, lam, S):
    """S <- xi * sigma(-lam xi h) (S may be Hf itself: each entry is read before it is written);
    returns sum log(1 + exp(-lam xi h))."""
    P, N = Hf.shape
    tot = np.zeros(P)
    for mu in prange(P):
        acc = 0.0
        for i in range(N):
            x = Xf[mu, i]
            y = lam * x * Hf[mu, i]
            # stable softplus(-y) and sigma(-y)
            if y > 0:
                e = math.exp(-y)
                acc += math.log1p(e)
                S[mu, i] = x * (e / (1.0 + e))
            else:
                e = math.exp(y)
                acc += -y + math.log1p(e)
                S[mu, i] = x * (1.0 / (1.0 + e))
        tot[mu] = acc
    return tot.sum()


class CrossEntropyTrainer:
    """Full-batch gradient descent on the pseudo-likelihood loss (module docstring).

    Preallocates J, the gradient and the (P, N) work arrays once; ``step`` reuses them.
    """

    def __init__(self, X, *, lam=1.0, lr=1.0, dtype=np.float32, J0=None):
        self.dtype = np.dtype(dtype)
        self.X = np.ascontiguousarray(X, dtype=self.dtype)
        P, N = self.X.shape
        self.P, self.N, self.lam, self.lr = P, N, float(lam), float(lr)
        self.J = (hebb(self.X, self.dtype.type) if J0 is None
                  else np.array(J0, dtype=self.dtype, copy=True))
        self.H = np.empty((P, N), dtype=self.dtype)  # fields, then overwritten by xi sigma(.)
        self.G = np.empty((N, N), dtype=self.dtype)
        self.loss = math.nan
        self.steps = 0

    def gradient(self):
        """Loss at the current J; the gradient is left in self.G."""
        np.matmul(self.X, self.J.T, out=self.H)  # h^mu = J xi^mu (zero diagonal)
        self.loss = _logistic_terms(self.H, self.X, self.lam, self.H) / self.P
        np.matmul(self.H.T, self.X, out=self.G)  # sum_mu xi_i sigma(.) xi_j
        self.G *= self.dtype.type(-self.lam / self.P)
        np.fill_diagonal(self.G, 0.0)
        return self.loss

    def step(self, n=1):
        for _ in range(n):
            self.gradient()
            self.G *= self.dtype.type(self.lr)  # in place: no N x N temporary
            self.J -= self.G
            self.steps += 1
        return self.loss


def learned_features(J, F, *, steps=20, mode="sync", seed=0, threshold=LEARNED_THRESHOLD):
    """Boolean array: feature k learned (dynamics from f^k ends at overlap > threshold)."""
    fin, _ = reconstruct(J, F, steps=steps, mode=mode, seed=seed)
    return fin > threshold


def k_max(learned) -> int:
    """Number of learned features (features are ordered by frequency)."""
    return int(np.count_nonzero(learned))


def acquisition_steps(trainer: CrossEntropyTrainer, F, checkpoints, *, steps=20, mode="sync"):
    """Train through the sorted ``checkpoints`` (gradient steps); return, per feature, the first
    checkpoint at which it is learned (-1: never) and the learned sets along the way."""
    first = np.full(F.shape[0], -1)
    sets = []
    for c in checkpoints:
        trainer.step(max(0, int(c) - trainer.steps))
        learned = learned_features(trainer.J, F, steps=steps, mode=mode)
        first[(first < 0) & learned] = c
        sets.append(learned)
    return first, sets
