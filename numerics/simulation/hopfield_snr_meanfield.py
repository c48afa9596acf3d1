"""Mixture mean field (``mixture_snr``) of hopfield-snr: the predicted outcome of the synchronous
dynamics started at an L-mixture of given features, from the gains and noises of the couplings on
the features and on their odd products (a signal-to-noise theory of the trained network; see
``mixture_meanfield`` for its assumptions).
"""
from __future__ import annotations

import itertools

import numpy as np


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
