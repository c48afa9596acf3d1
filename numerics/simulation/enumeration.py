"""Exhaustive enumeration of binary weights: the capacity of one perceptron instance.

An instance is inputs X (P x N), labels y = +-1 and a margin kappa. A weight vector w in
{-1, +1}^N satisfies constraint mu when y_mu w.x_mu/sqrt(N) >= kappa (strictly > 0 at kappa = 0,
the sign perceptron). The instance's capacity is

    P_max = max_w  L(w),   L(w) = the number of leading constraints mu = 1, 2, ... that w satisfies,

the largest P such that some w satisfies the first P constraints (an instance is a stream of
samples; P_max/N is its critical load). It is found by a Gray-code walk over the hypercube: one
weight flips per step and the fields h_mu = y_mu w.x_mu/sqrt(N) are updated in O(K), K = best + 1
the only constraints whose fields matter (a w beats the best so far only if it satisfies the first
best + 1). The w -> -w symmetry maps the fields to -h: the walk covers the half cube w_N = +1 and
tests w (h_mu >= kappa) and -w (-h_mu >= kappa) with the same fields, halving the work.

Ties: with Gaussian inputs a field equals the threshold with probability zero. The incremental
updates drift by rounding (~1e-16 per step); every ``RESYNC`` steps the fields are recomputed from
scratch, so they stay within ~1e-12 of the exact sums, far below any field the walk compares
(the chance that a field of the decisive w lies within 1e-12 of the threshold is ~1e-12).

Instances are drawn by numerics/simulation/blocks.py from a model's declared blocks, seeded by
``instance_seed(seed, N, index)`` (numpy SeedSequence: the same seed gives the same bytes); models
verify through it, and it runs this walk. The tests hold a plain-numpy draw of the same instances
and a brute-force listing of the weights (tests/enumeration_reference.py).
This module names no model.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

RESYNC = 4096  # steps between recomputations of the fields from scratch


def instance_seed(seed: int, N: int, index: int) -> np.random.SeedSequence:
    """Seed of instance ``index`` at size ``N`` from the master ``seed`` (independent streams)."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(int(N), int(index)))


@njit(cache=True)
def _capacity(xi, kappa, strict, resync):
    """P_max of the constraints xi_mu . w >= kappa (> kappa when ``strict``); xi = y x/sqrt(N).
    Returns (P_max, number of field vectors examined)."""
    P, N = xi.shape
    w = np.ones(N)
    h = np.zeros(P)
    best = 0
    K = 1  # fields h[0:K] are maintained; K = min(best + 1, P)
    for i in range(N):
        h[0] += xi[0, i]
    n_half = 1 << (N - 1)  # w[N-1] = +1 throughout; -w covers the other half
    examined = 0
    for step in range(n_half):
        if step > 0:
            s, bit = step, 0
            while (s & 1) == 0:
                s >>= 1
                bit += 1
            w[bit] = -w[bit]
            dw = 2.0 * w[bit]
            for mu in range(K):
                h[mu] += dw * xi[mu, bit]
            if step % resync == 0:
                for mu in range(K):
                    acc = 0.0
                    for i in range(N):
                        acc += xi[mu, i] * w[i]
                    h[mu] = acc
        examined += 1
        for sgn in (1.0, -1.0):
            L = 0
            while L < K:
                v = sgn * h[L]
                if (v > kappa) if strict else (v >= kappa):
                    L += 1
                else:
                    break
            if L < K or L <= best:
                continue
            # a new best: this w (times sgn) satisfies the first K constraints; extend
            best = L
            while best < P:
                acc = 0.0
                for i in range(N):
                    acc += xi[best, i] * w[i]
                h[best] = acc
                K = best + 1
                v = sgn * acc
                if (v > kappa) if strict else (v >= kappa):
                    best += 1
                else:
                    break
            K = min(best + 1, P)
            if best == P:
                return best, examined
    return best, examined


def capacity(X, y, kappa: float) -> int:
    """P_max of the instance (X, y, kappa) (see the module docstring); raises ValueError when
    every one of the P constraints is satisfiable (P_max = P: draw more samples)."""
    X = np.asarray(X, dtype=float)
    P, N = X.shape
    if N < 2 or N > 40:
        raise ValueError(f"exhaustive enumeration needs 2 <= N <= 40 (got N={N})")
    xi = np.ascontiguousarray(np.asarray(y, float)[:, None] * X / math.sqrt(N))
    best, _ = _capacity(xi, float(kappa), kappa == 0.0, RESYNC)
    if best >= P:
        raise ValueError(f"all P = {P} constraints are satisfiable: P_max is not reached")
    return int(best)


def seconds_per_instance(N: int, alpha: float) -> float:
    """Rough one-core wall time of one enumeration: 2^(N-1) steps of ~(alpha N + 4) field updates
    at ~1 ns each (measured at N = 15..23 on the 2-core test machine, good to a factor of 2)."""
    return 2.0 ** (N - 1) * (alpha * N + 4.0) * 1.0e-9
