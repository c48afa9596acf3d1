"""Finite-size simulation of the sparse power-law linear model of long-tail memorization.

Model and conventions (theory/models/composition.py states the same)
---------------------------------------------------------------------
* Inputs ``x in {0, +1, -1}^d``: coordinate ``i`` (1-based) is non-zero independently with
  probability ``p_i = min(1, s i^(-a) / Z_a)``, ``Z_a = sum_{i=1}^d i^(-a)``, with a uniform random
  sign.  ``n`` samples form the sparse ``n x d`` matrix ``X``.
* Teacher ``beta*_i = i^(-beta_exp)`` (the paper's linear experiment: ``beta_exp = 0.1``);
  labels ``y = X beta* + sigma xi``, ``xi ~ N(0, I_n)``.
* Learner: ``lam = 0``: the minimum-norm least-squares solution ``w = X^+ y`` (the limit of gradient
  descent from zero on the squared loss; an interpolant whenever ``X`` has full row rank);
  ``lam > 0``: ridge, ``w = argmin |y - X w|^2 + lam |w|^2 = X^T (X X^T + lam I)^(-1) y``.
  Both live in the row space of ``X``, so they are computed from the ``n x n`` Gram matrix
  ``G = X X^T`` (sparse product, then one dense ``n x n`` factorization): ``w = X^T alpha``.
  For ``lam = 0`` the pseudo-inverse of ``G`` (eigendecomposition, eigenvalues below
  ``n * eps * max eig`` dropped) gives ``X^+ = X^T G^+`` also when ``X`` is rank deficient
  (repeated rows at large ``a``).
* Feature classes by their training count ``k_i`` (number of samples with ``x_i != 0``):
  unseen ``k_i = 0``, seen once ``k_i = 1``, common ``k_i >= 2``.
* A seen feature is *recovered* (pinned) when ``e_i`` lies in the row space of ``X``, i.e. the
  noiseless minimum-norm solution gets it right whatever the teacher; detected with a random
  probe ``z`` (drawn with the instance): ``|(X^+ X z)_i - z_i| <= 1e-6`` (exact up to round-off,
  ~1e-12, or off by O(1)).  This is a property of ``X`` alone, so it is the same for noisy
  labels and for ridge.
* Observables (per instance: class totals; reported as ratios of sums over instances, the
  estimator of E[sum over the class] / E[size of the class], with delta-method standard errors):
  ``recovered_fraction`` (recovered seen-once features / seen-once features), ``err_common``,
  ``err_tail_once``, ``err_unseen`` (mean of ``(w_i - beta*_i)^2`` over the class),
  ``loss_in`` = E_x (<w - beta*, x>)^2 = sum_i p_i (w_i - beta*_i)^2 for a fresh sample (excess
  test loss, exact given ``w``, no Monte Carlo over test points), ``loss_ood``: mean over the
  pairs (i, j) of recovered seen-once features that never co-occurred of the error of the test
  input ``x = e_i + e_j`` (with independent random signs), ``E (s_i e_i + s_j e_j) . (w - beta*))^2
  = err_i + err_j``: so loss_ood = 2 x (mean error of a recovered seen-once feature), computed
  exactly from w over all such pairs.

Randomness
----------
Every draw takes a seed; instance ``r`` of a run uses ``SeedSequence(entropy=seed,
spawn_key=(r,))`` split into independent streams for the support, the signs and the noise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy import sparse

from ...theory.blocks.graph import BernoulliGraph

BETA_EXPONENT = 0.1  # default beta*_i = i^(-0.1), the paper's linear experiment
RECOVERY_RTOL = 1e-6
_GRAPH = BernoulliGraph()  # the data block: sample-feature graph, edges with probability p_i


def frequencies(d: int, s: float, a: float) -> np.ndarray:
    """p_i = min(1, s i^(-a) / Z_a), i = 1..d."""
    w = np.arange(1, d + 1, dtype=float) ** (-a)
    return np.minimum(1.0, s * w / w.sum())


def teacher(d: int, beta_exp: float = BETA_EXPONENT) -> np.ndarray:
    return np.arange(1, d + 1, dtype=float) ** (-beta_exp)


def instance_seed(seed: int, r: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(entropy=seed, spawn_key=(r,))


@dataclass
class Instance:
    X: sparse.csr_matrix  # n x d, entries in {0, +1, -1}
    y: np.ndarray
    beta: np.ndarray
    p: np.ndarray
    counts: np.ndarray  # k_i
    probe: np.ndarray  # z ~ N(0, I_d), independent of the data: P_row z detects pinned features


def sample_instance(n: int, d: int, s: float, a: float, sigma: float, seed,
                    beta_exp: float = BETA_EXPONENT) -> Instance:
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    s_sup, s_sign, s_noise, s_probe = (np.random.default_rng(c) for c in _children(ss, 4))
    p = frequencies(d, s, a)
    X, k = _GRAPH.sample(s_sup, n, p, sign_rng=s_sign)
    beta = teacher(d, beta_exp)
    y = X @ beta + sigma * s_noise.standard_normal(n)
    return Instance(X, y, beta, p, k, s_probe.standard_normal(d))


def _children(ss: np.random.SeedSequence, m: int):
    # the children spawn(m) would give, without mutating ss (so a SeedSequence can be reused)
    return [np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (j,),
                                   pool_size=ss.pool_size) for j in range(m)]


def gram(X: sparse.csr_matrix) -> np.ndarray:
    return (X @ X.T).toarray()


def solve_row_space(X: sparse.csr_matrix, y: np.ndarray, lam: float = 0.0) -> np.ndarray:
    """w = X^T alpha: minimum-norm least squares (lam = 0, pseudo-inverse of G = X X^T) or ridge
    (lam > 0, (G + lam I)^(-1)).  Cost: sparse X X^T, one n x n factorization, two sparse
    products; memory O(n^2 + nnz)."""
    X = sparse.csr_matrix(X)
    # empty samples (x = 0) carry no constraint (and no effect on ridge either: their alpha
    # multiplies a zero row) but make G singular: drop them
    keep_rows = np.flatnonzero(np.diff(X.indptr))
    X, y = X[keep_rows], np.asarray(y, float)[keep_rows]
    if lam == 0:
        X, y = merge_duplicate_rows(X, y)
    G = gram(X)
    if lam > 0:
        G[np.diag_indices_from(G)] += lam
        alpha = sla.cho_solve(sla.cho_factor(G, lower=True, check_finite=False), y,
                              check_finite=False)
        return X.T @ alpha
    try:
        # full row rank (the common case for small a): Cholesky, accepted only when G is
        # well conditioned on its pivots (a singular G either fails or gives tiny pivots)
        c = sla.cho_factor(G, lower=True, check_finite=False)
        if np.min(np.abs(np.diag(c[0]))) ** 2 > 1e-8 * np.max(np.diag(G)):
            return X.T @ sla.cho_solve(c, y, check_finite=False)
    except np.linalg.LinAlgError:
        pass
    ev, V = np.linalg.eigh(G)
    keep = ev > G.shape[0] * np.finfo(float).eps * max(ev[-1], 1.0)
    inv = 1.0 / ev[keep]
    alpha = V[:, keep] @ ((V[:, keep].T @ y) * (inv[:, None] if y.ndim == 2 else inv))
    return X.T @ alpha


def merge_duplicate_rows(X: sparse.csr_matrix, y: np.ndarray):
    """Rows equal up to sign collapse to one: c copies of +-x with labels y_j contribute
    sum_j (x.w - (+-y_j))^2 = c (x.w - ybar)^2 + const, i.e. the row sqrt(c) x with label
    sqrt(c) ybar. The least-squares objective, hence X^+ y (its minimum-norm minimizer), is
    unchanged, and repeated rows (frequent at large a) no longer make G singular."""
    X = sparse.csr_matrix(X)
    X.sort_indices()
    n = X.shape[0]
    first = X.data[X.indptr[:-1]]  # sign of the first non-zero of each (non-empty) row
    keys = {}
    group = np.empty(n, dtype=np.int64)
    for r in range(n):
        lo, hi = X.indptr[r], X.indptr[r + 1]
        key = (X.indices[lo:hi].tobytes(), (X.data[lo:hi] * first[r]).tobytes())
        group[r] = keys.setdefault(key, len(keys))
    g = len(keys)
    if g == n:
        return X, y
    cnt = np.bincount(group, minlength=g).astype(float)
    yf = y * (first[:, None] if y.ndim == 2 else first)
    ysum = (np.column_stack([np.bincount(group, weights=col, minlength=g) for col in yf.T])
            if y.ndim == 2 else np.bincount(group, weights=yf, minlength=g))
    rep = np.full(g, -1, dtype=np.int64)
    rep[group[::-1]] = np.arange(n)[::-1]  # first row of each group
    Xr = sparse.diags(np.sqrt(cnt) * first[rep]) @ X[rep]
    scale = np.sqrt(cnt) / cnt
    return sparse.csr_matrix(Xr), (ysum * scale[:, None] if y.ndim == 2 else ysum * scale)


def identifiable(inst: Instance, w0: np.ndarray) -> np.ndarray:
    """e_i in the row space of X (coordinate i pinned by the data), read off the projected probe
    w0 = X^+ X z = P_row z (z ~ N(0, I), drawn with the instance, independent of the teacher):
    w0_i = z_i up to round-off when e_i is in the row space; otherwise w0_i - z_i ~ N(0, 1 -
    P_ii) misses by O(1) (by less than 1e-6 with probability ~1e-6 / sqrt(1 - P_ii)). The
    teacher itself would not do: for beta_exp = 0 all beta*_i are equal and two features that
    share their only sample with equal signs get w0 = beta* without being pinned."""
    return np.abs(w0 - inst.probe) <= RECOVERY_RTOL


def measure(inst: Instance, w: np.ndarray, w0: np.ndarray) -> dict:
    """Per-instance class totals (sums and counts) of the observables; ``w`` the learner's
    solution, ``w0`` the projected probe P_row z (defines which features are recovered)."""
    e2 = (w - inst.beta) ** 2
    k = inst.counts
    once = k == 1
    common = k >= 2
    unseen = k == 0
    ident = identifiable(inst, w0)
    rec = once & ident
    n_rec = int(rec.sum())
    # OOD pairs: recovered seen-once features that never co-occurred (their unique samples
    # differ). Mean over pairs of err_i + err_j, computed exactly from per-row groups.
    X = inst.X.tocsc()
    rec_idx = np.flatnonzero(rec)
    rows_of = X.indices[X.indptr[rec_idx]]  # the single row of each seen-once feature
    e_rec = e2[rec_idx]
    tot_pairs = n_rec * (n_rec - 1) // 2
    same = 0
    same_sum = 0.0
    if n_rec:
        order = np.argsort(rows_of, kind="stable")
        r_sorted, e_sorted = rows_of[order], e_rec[order]
        bounds = np.flatnonzero(np.diff(r_sorted)) + 1
        for g_e in np.split(e_sorted, bounds):
            m = g_e.size
            same += m * (m - 1) // 2
            same_sum += (m - 1) * g_e.sum()
    ood_pairs = tot_pairs - same
    ood_sum = (n_rec - 1) * e_rec.sum() - same_sum if n_rec else 0.0
    return {
        "n_once": int(once.sum()), "n_rec": n_rec,
        "n_common": int(common.sum()), "sum_common": float(e2[common].sum()),
        "n_common_unpinned": int((common & ~ident).sum()),
        "sum_once": float(e2[once].sum()),
        "n_unseen": int(unseen.sum()), "sum_unseen": float(e2[unseen].sum()),
        "loss_in": float(np.dot(inst.p, e2)),
        "ood_pairs": int(ood_pairs), "ood_sum": float(ood_sum),
    }


OBSERVABLES = ("recovered_fraction", "err_common", "err_tail_once", "err_unseen", "loss_in",
               "loss_ood")
_RATIOS = {"recovered_fraction": ("n_rec", "n_once"), "err_common": ("sum_common", "n_common"),
           "err_tail_once": ("sum_once", "n_once"), "err_unseen": ("sum_unseen", "n_unseen"),
           "loss_ood": ("ood_sum", "ood_pairs")}


def run(n, d, s, a, sigma, lam, instances, seed=0, beta_exp=BETA_EXPONENT):
    """Sample ``instances`` instances, solve, and estimate every observable with its standard
    error.  Ratios of sums (E[sum]/E[count]) carry delta-method errors; loss_in is a plain mean."""
    rows = []
    for r in range(instances):
        inst = sample_instance(n, d, s, a, sigma, instance_seed(seed, r), beta_exp)
        Xz = inst.X @ inst.probe
        if lam == 0:  # one factorization for both right-hand sides
            W = solve_row_space(inst.X, np.column_stack([inst.y, Xz]))
            w, w0 = W[:, 0], W[:, 1]
        else:
            w, w0 = solve_row_space(inst.X, inst.y, lam), solve_row_space(inst.X, Xz)
        rows.append(measure(inst, w, w0))
    return summarize(rows)


def ratio_estimate(num, den):
    """sum(num)/sum(den) with its delta-method standard error over independent instances."""
    num, den = np.asarray(num, float), np.asarray(den, float)
    m = num.size
    if den.sum() <= 0:
        return math.nan, math.nan
    R = num.sum() / den.sum()
    if m < 2:
        return float(R), math.nan
    resid = num - R * den
    se = math.sqrt(np.sum(resid ** 2) / (m * (m - 1))) / den.mean()
    return float(R), float(se)


def summarize(rows):
    out = {}
    for name, (nk, dk) in _RATIOS.items():
        out[name] = ratio_estimate([r[nk] for r in rows], [r[dk] for r in rows])
    li = np.array([r["loss_in"] for r in rows])
    out["loss_in"] = (float(li.mean()), float(li.std(ddof=1) / math.sqrt(li.size))
                      if li.size > 1 else math.nan)
    out["instances"] = len(rows)
    out["counts"] = {k: float(np.mean([r[k] for r in rows]))
                     for k in ("n_once", "n_rec", "n_common", "n_common_unpinned", "n_unseen",
                               "ood_pairs")}
    return out
