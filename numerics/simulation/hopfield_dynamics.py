"""Associative memories on hidden-manifold data with power-law features (finite N, seeded).

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
probabilities in the tests.

Network: x_i(t+1) = sgn(h_i), h_i = sum_{j != i} J_ij x_j; a zero field keeps the current spin.

* Hebb: J = (1/N) sum_mu xi^mu xi^mu^T, zero diagonal.
* Cross-entropy (pseudo-likelihood) training, asymmetric J: loss
  L(J) = (1/P) sum_{mu,i} log(1 + exp(-lam xi_i^mu h_i^mu)) with h^mu = J xi^mu (this ``lam`` is the
  one of the poster; codes writing log(1+exp(-2 lam' xi h)) have lam = 2 lam'). Full-batch gradient
  descent from the Hebb matrix: J <- J - lr grad L, grad_ij = -(lam/P) sum_mu xi_i^mu xi_j^mu
  sigma(-lam xi_i^mu h_i^mu), diagonal kept at zero. Each step is two BLAS products of shapes
  (P, N) x (N, N); the memory is J, the gradient and two (P, N) arrays (examples, and fields
  overwritten in place by xi sigma(-lam xi h)): no N x N x P and no extra N x N temporaries.

Reconstruction: start from an example (optionally a fraction ``flip`` of spins flipped), run the
dynamics for ``steps`` steps (synchronous: all spins at once; asynchronous: sweeps over a random
permutation, ``steps`` sweeps at most, stopping at a fixed point), and record the overlap x.xi/N
at the end and its maximum over time (synchronous dynamics can 2-cycle). A feature k is learned
when the dynamics started at f^k ends at overlap > 0.95.

Mixture mean field (``mixture_snr``): the predicted outcome of the synchronous dynamics started
at an L-mixture of given features, from the gains and noises of the couplings on the features
and on their odd products (a signal-to-noise theory of the trained network; see
``mixture_meanfield`` for its assumptions).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

LEARNED_THRESHOLD = 0.95


def rng_for(seed, *keys) -> np.random.Generator:
    """Independent, reproducible streams: one per (seed, keys...)."""
    return np.random.default_rng([int(seed)] + [int(k) for k in keys])


# --- data ------------------------------------------------------------------------------------
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
def _combine(F, supports, signs, out):
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
    _combine(F, sup, signs, X)
    return Dataset(F, sup, signs, X)


def feature_counts(supports, D) -> np.ndarray:
    """P_k: the number of examples containing feature k."""
    return np.bincount(supports.ravel(), minlength=D)


# --- couplings -------------------------------------------------------------------------------
def hebb(X, dtype=np.float64) -> np.ndarray:
    """J = X^T X / N with zero diagonal (one BLAS product)."""
    N = X.shape[1]
    Xf = X.astype(dtype, copy=False)
    J = Xf.T @ Xf
    J *= 1.0 / N
    np.fill_diagonal(J, 0.0)
    return J


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


# --- dynamics --------------------------------------------------------------------------------
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


def learned_features(J, F, *, steps=20, mode="sync", seed=0, threshold=LEARNED_THRESHOLD):
    """Boolean array: feature k learned (dynamics from f^k ends at overlap > threshold)."""
    fin, _ = reconstruct(J, F, steps=steps, mode=mode, seed=seed)
    return fin > threshold


def k_max(learned) -> int:
    """Number of learned features (features are ordered by frequency)."""
    return int(np.count_nonzero(learned))


def train_test_reconstruction(J, X_train, X_test, *, flip=0.0, steps=20, mode="sync", seed=0):
    """Mean final and max-over-time overlaps on train and test examples, and the test gap."""
    tr_f, tr_b = reconstruct(J, X_train, flip=flip, steps=steps, mode=mode, seed=seed)
    te_f, te_b = reconstruct(J, X_test, flip=flip, steps=steps, mode=mode, seed=seed + 1)
    return {"train": float(tr_f.mean()), "test": float(te_f.mean()),
            "train_max": float(tr_b.mean()), "test_max": float(te_b.mean()),
            "gap": float(tr_f.mean() - te_f.mean())}


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


# --- signal-to-noise mean field of mixture states on given couplings -------------------------
def field_gains(J, V):
    """For each +-1 row v of V: the gain g = v.(J v)/N of the field J v along v, and the variance
    s2 = mean_i ((J v)_i - g v_i)^2 of the rest of that field (one BLAS product)."""
    V = np.asarray(V, dtype=J.dtype)
    H = (V @ J.T).astype(np.float64)  # row b: (J v_b)^T
    Vd = V.astype(np.float64)
    g = np.einsum("ij,ij->i", H, Vd) / V.shape[1]
    s2 = np.mean((H - g[:, None] * Vd) ** 2, axis=1)
    return g, s2


def _odd_subsets(L):
    return [T for r in range(1, L + 1, 2) for T in itertools.combinations(range(L), r)]


def mixture_meanfield(g, s2, L, steps=20):
    """Signal-to-noise mean field of the synchronous dynamics started at an L-mixture.

    An example xi = sgn(sum_a s_a), s_a = c_a f^a, is a Boolean function of the L signs s at each
    site; its Walsh expansion has only odd terms: xi = sum_T w_T chi_T with chi_T = prod_{a in T}
    s_a over the odd subsets T (|T| = 1: the features, w = a_L; |T| = 3, ...: their products).
    The couplings enter only through how they act on each chi_T: J chi_T = g_T chi_T + noise of
    variance s2_T (``field_gains`` on f^a and on products of features; both are independent of
    the signs c). A state is summarized by y_p = overlap with xi on the sites of sign pattern p
    (2^L classes, each a fraction 2^-L of the sites); its Walsh coefficients are m_T =
    E_p[y_p xi_p chi_T(p)], the field at class p has mean xi_p sum_T g_T m_T chi_T(p) along xi_p
    and Gaussian noise of variance sum_T m_T^2 s2_T (the noises of different T and of different
    sites treated as independent), so one synchronous step maps y_p -> 1 - 2 H(mean_p / sigma).
    Starting at y = 1 (the example), ``steps`` steps; returns the final overlap |E_p y_p| with
    xi. With equal gains and small noise the mixture is a fixed point; when one feature's gain
    exceeds what the others can hold (for L = 3: g_c > g_a + g_b + g_T, up to the noise) the
    sites where it dissents flip and the state slides onto that feature (overlap a_L with xi).

    g, s2: arrays (n, n_T) in the order of the odd subsets of range(L) (singletons first, then
    by size, lexicographic). Vectorized over the n rows.
    """
    from scipy.special import erf
    g = np.atleast_2d(np.asarray(g, float))
    s2 = np.atleast_2d(np.asarray(s2, float))
    subsets = _odd_subsets(L)
    pats = np.array(list(itertools.product((1.0, -1.0), repeat=L)))
    xi = np.sign(pats.sum(1))
    chi = np.array([[np.prod(p[list(T)]) for T in subsets] for p in pats])  # (2^L, n_T)
    y = np.ones((g.shape[0], pats.shape[0]))
    for _ in range(steps):
        m = (y * xi) @ chi / pats.shape[0]
        mean = xi * ((g * m) @ chi.T)
        sig = np.sqrt(np.sum(m * m * s2, axis=1))[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.where(sig > 0, erf(mean / (np.sqrt(2.0) * np.maximum(sig, 1e-300))),
                         np.sign(mean))
    return np.abs(y.mean(axis=1))


def mixture_snr(J, F, supports, steps=20):
    """``mixture_meanfield`` for each row of ``supports`` (feature indices into F): the predicted
    final overlap of the synchronous dynamics started at any mixture of those features. The
    gains are measured on the features and on their odd products, never on the examples."""
    supports = np.asarray(supports)
    L = supports.shape[1]
    subsets = _odd_subsets(L)
    uniq, inv = np.unique(np.sort(supports, axis=1), axis=0, return_inverse=True)
    inv = np.ravel(inv)
    feats = np.unique(uniq)
    gf, sf = field_gains(J, F[feats])
    pos = {int(k): i for i, k in enumerate(feats)}
    g = np.empty((len(uniq), len(subsets)))
    s2 = np.empty_like(g)
    for j, T in enumerate(subsets[:L]):
        idx = [pos[int(k)] for k in uniq[:, T[0]]]
        g[:, j], s2[:, j] = gf[idx], sf[idx]
    high = subsets[L:]
    if high:
        chunk = max(1, 4096 // len(high))
        for s in range(0, len(uniq), chunk):
            u = uniq[s:s + chunk]
            V = np.stack([np.prod(F[r[list(T)]].astype(np.int8), axis=0, dtype=np.int8)
                          for r in u for T in high])
            gg, ss = field_gains(J, V)
            g[s:s + len(u), L:] = gg.reshape(len(u), len(high))
            s2[s:s + len(u), L:] = ss.reshape(len(u), len(high))
    return mixture_meanfield(g, s2, L, steps)[inv]


def example_keys(X):
    """Hashable key per +-1 row, equal for x and -x (the dynamics is sign symmetric)."""
    X = np.asarray(X, dtype=np.int8)
    s = np.where(X[:, :1] < 0, -1, 1).astype(np.int8)
    return [r.tobytes() for r in X * s]
