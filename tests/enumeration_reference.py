"""Plain-numpy references for the exhaustive enumeration (numerics/simulation/enumeration.py):
the instances written out independently of the blocks, and P_max by listing every weight vector.

``draw_instance`` is the instance law that numerics/simulation/blocks.py must reproduce byte for
byte from the declared blocks (tests/numerics/simulation/test_blocks.py), so ising-gardner and
ising-raf keep their instances and verify tables.
"""
import math

import numpy as np

from memgenkit.numerics.simulation.enumeration import capacity, instance_seed


def draw_instance(N: int, P: int, seed_seq, eps: float | None = None):
    """Inputs X ~ N(0, 1)^{P x N} and labels y = +-1 uniform, independent of X (random labels);
    the labels are drawn after the inputs from the same stream. With ``eps`` < 1: then a teacher
    w* = +-1 uniform and the fact mask (each sample a fact with probability eps); rules get
    y = sign(w*.x) (never 0 for Gaussian x), facts keep their random label."""
    rng = np.random.default_rng(seed_seq)
    X = rng.standard_normal((P, N))
    y = np.where(rng.random(P) < 0.5, 1.0, -1.0)
    if eps is not None and eps < 1.0:
        w_star = np.where(rng.random(N) < 0.5, 1.0, -1.0)
        fact = rng.random(P) < eps
        y = np.where(fact, y, np.where(X @ w_star >= 0.0, 1.0, -1.0))
    return X, y


def capacities(N: int, kappa: float, instances: int, seed: int, rows: int | None = None,
               eps: float | None = None):
    """P_max of ``instances`` seeded instances at size N (``rows`` samples drawn per instance,
    default 3N + 10: well above the spherical capacity 2N + O(sqrt(N)) that bounds P_max;
    ``eps``: rules and facts, see ``draw_instance``)."""
    rows = rows or 3 * N + 10
    out = np.empty(instances, dtype=np.int64)
    for k in range(instances):
        X, y = draw_instance(N, rows, instance_seed(seed, N, k), eps)
        out[k] = capacity(X, y, kappa)
    return out


def brute_force_capacity(X, y, kappa: float) -> int:
    """The same P_max by listing all 2^N weight vectors with numpy (test reference, N <= 12)."""
    X = np.asarray(X, float)
    P, N = X.shape
    W = np.array(np.meshgrid(*[[-1.0, 1.0]] * N, indexing="ij")).reshape(N, -1).T
    H = (W @ (np.asarray(y, float)[:, None] * X).T) / math.sqrt(N)  # 2^N x P
    ok = H > kappa if kappa == 0.0 else H >= kappa
    lead = np.where(ok.all(axis=1), P, np.argmin(ok, axis=1))
    return int(lead.max())
