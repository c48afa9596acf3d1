"""Hidden-manifold data with power-law features for hopfield-snr (finite N, seeded).

Data (the power-law hidden-manifold model):

* D = round(alpha_D N) features f^k in {+-1}^N, i.i.d. uniform;
* each example picks exactly L distinct features, drawn WITHOUT replacement with weights
  pi_k = k^(-eta)/Z(eta, D) (successive sampling: each draw from the weights of the features not yet
  chosen), coefficients c_k = +-1 uniform; xi = sgn(sum_k c_k f^k) (L odd: no ties);
* test examples are fresh draws with the same features.

Two exact samplers of the support: ``rejection`` (draw from the full weights by bisection on the
cumulative sum, redraw on a repeat; conditioned on not repeating, a draw has exactly the law of the
remaining weights, so this is successive sampling; O(L log D) per example) and ``gumbel`` (the L
largest log pi_k + Gumbel_k, O(D) per example). Both are compared with the exact inclusion
probabilities (``prob_support_within``) in the tests.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange


def powerlaw_weights(D: int, eta: float) -> np.ndarray:
    w = np.arange(1, D + 1, dtype=float) ** (-eta)
    return w / w.sum()


@njit(cache=True)
def _supports_rejection(cum, L, u, out):
    P = out.shape[0]
    D = cum.shape[0]
    k = 0
    for mu in range(P):
        n = 0
        while n < L:
            # one uniform per attempt; redraws on a repeat (successive sampling)
            x = u[k % u.shape[0]] * cum[D - 1]
            k += 1
            j = np.searchsorted(cum, x, side="right")
            if j >= D:
                j = D - 1
            dup = False
            for a in range(n):
                if out[mu, a] == j:
                    dup = True
                    break
            if not dup:
                out[mu, n] = j
                n += 1
    return k


def sample_supports(P: int, D: int, L: int, eta: float, rng, method: str = "rejection"):
    """(P, L) int array of distinct feature indices (0-based, k = index + 1), in draw order."""
    if L > D:
        raise ValueError(f"L = {L} distinct features need D >= L (D = {D})")
    w = powerlaw_weights(D, eta)
    out = np.empty((P, L), dtype=np.int64)
    if method == "gumbel":
        logw = np.log(w)
        chunk = max(1, 2_000_000 // D)
        for s in range(0, P, chunk):
            e = min(P, s + chunk)
            keys = logw[None, :] + rng.gumbel(size=(e - s, D))
            top = np.argpartition(-keys, L - 1, axis=1)[:, :L]
            order = np.argsort(-np.take_along_axis(keys, top, 1), axis=1)
            out[s:e] = np.take_along_axis(top, order, 1)
        return out
    if method != "rejection":
        raise ValueError(f"unknown sampler '{method}': rejection or gumbel")
    cum = np.cumsum(w)
    # enough uniforms for the expected number of attempts, topped up if a rare run needs more
    need = int(P * L / max(1e-3, 1.0 - w[:L].sum()) * 1.2) + 64
    while True:
        u = rng.random(need)
        used = _supports_rejection(cum, L, u, out)
        if used <= need:
            return out
        need = used + 64


@njit(cache=True, parallel=True)
def combine(F, supports, signs, out):
    """out[mu] <- sgn(sum_a signs[mu, a] F[supports[mu, a]]) (int8 rows; L odd, so no ties)."""
    P, L = supports.shape
    N = F.shape[1]
    for mu in prange(P):
        for i in range(N):
            s = 0
            for a in range(L):
                s += signs[mu, a] * F[supports[mu, a], i]
            out[mu, i] = 1 if s > 0 else -1


@dataclass
class Dataset:
    F: np.ndarray  # (D, N) int8 features
    supports: np.ndarray  # (P, L) feature indices (0-based)
    signs: np.ndarray  # (P, L) int8 coefficients c = +-1
    X: np.ndarray  # (P, N) int8 examples


def sample_features(N: int, D: int, rng) -> np.ndarray:
    return (2 * rng.integers(0, 2, size=(D, N), dtype=np.int8) - 1).astype(np.int8)


def sample_examples(F, P: int, L: int, eta: float, rng, method="rejection") -> Dataset:
    D, N = F.shape
    if L % 2 == 0:
        raise ValueError(f"L = {L} must be odd (sgn of a sum of L = +-1 terms must not tie)")
    sup = sample_supports(P, D, L, eta, rng, method)
    signs = (2 * rng.integers(0, 2, size=(P, L), dtype=np.int8) - 1).astype(np.int8)
    X = np.empty((P, N), dtype=np.int8)
    combine(F, sup, signs, X)
    return Dataset(F, sup, signs, X)


def feature_counts(supports, D) -> np.ndarray:
    """P_k: the number of examples containing feature k."""
    return np.bincount(supports.ravel(), minlength=D)


def prob_support_within(w, K, L):
    """Exact probability that all L features of an example (successive sampling with weights w,
    normalized over all D features) lie in the index set K: the sum over ordered L-tuples of
    distinct members of K of prod_j w_j/(1 - weight drawn before j)."""
    K = np.asarray(K, dtype=int)
    wk = np.asarray(w, dtype=float)[K]

    def rec(avail, left, depth):
        if depth == 0:
            return 1.0
        tot = 0.0
        for a in np.nonzero(avail)[0]:
            avail[a] = False
            tot += wk[a] / left * rec(avail, left - wk[a], depth - 1)
            avail[a] = True
        return tot

    if len(K) < L:
        return 0.0
    return rec(np.ones(len(K), dtype=bool), 1.0, L)
