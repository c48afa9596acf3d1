"""Kernel ridge regression (KRR) as a block: the exact predictor, its ridgeless limit, gradient
flow from zero, and the Woodbury update of a resolvent.

Conventions: training inputs X (m points), Gram matrix K = k(X, X) (symmetric PSD), labels y,
test rows Kx = k(x, X), ridge lam >= 0.

* predictor: f(x) = k(x, X) (K + lam I)^{-1} y (exact sympy over QQ(symbols));
* ridgeless: lam -> 0+ gives the min-norm interpolant f(x) = k(x, X) K^+ y;
* gradient flow from zero on (1/2) sum_mu (f(x_mu) - y_mu)^2 + (lam/2) |w|^2 in the RKHS:
  f(x, t) = k(x, X) (K + lam)^{-1} (1 - e^{-(K + lam) t}) y (the spectral filter
  h(e) = (1 - e^{-e t})/e of A = K + lam; h(0) = t), t -> oo gives the predictor;
* Woodbury: (A + U U^T)^{-1} b = A^{-1} b - A^{-1} U (I + U^T A^{-1} U)^{-1} U^T A^{-1} b
  (a low-rank update of the system, e.g. a trained pair added to a comparison graph).

``sample(rng)`` draws a random instance (PSD kernel over m + p points, labels, lam, t);
theory/blocks/checks.py (``PREDICTOR_CHECKS``) checks every method on such instances against
brute-force numpy.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp

from .base import Block


def _dm(M):
    from sympy.polys.matrices import DomainMatrix
    return DomainMatrix.from_Matrix(sp.Matrix(M))


def _mp(M):
    """An mpmath matrix of a sympy matrix (rational entries exact at the working precision)."""
    return mp.matrix([[mp.mpf(x) for x in row] for row in sp.Matrix(M).tolist()])


class KernelRidge(Block):
    """Kernel ridge regression: predictor, ridgeless limit, gradient flow, Woodbury update."""

    kind = "predictor"
    name = "kernel-ridge"

    # -- exact (sympy) ---------------------------------------------------------------------------
    def dual(self, K, y, lam):
        """alpha = (K + lam I)^{-1} y as a DomainMatrix over the field of the entries (exact)."""
        K = sp.Matrix(K)
        dM = _dm(K + lam * sp.eye(K.rows)).to_field()
        return dM.lu_solve(_dm(y).convert_to(dM.domain))

    def predict(self, Kx, K, y, lam, domain=False):
        """f = k(x, X) (K + lam I)^{-1} y, one entry per row of ``Kx`` (exact). ``domain``: the
        DomainMatrix column (fast exact comparison of rational functions), else a sympy Matrix."""
        alpha = self.dual(K, y, lam)
        f = _dm(Kx).convert_to(alpha.domain) * alpha
        return f if domain else f.to_Matrix()

    def ridgeless(self, Kx, K, y):
        """lim lam -> 0+ of the predictor: the min-norm interpolant k(x, X) K^+ y (exact)."""
        return sp.Matrix(Kx) * sp.Matrix(K).pinv() * sp.Matrix(y)

    def woodbury(self, A, U, b):
        """(A + U U^T)^{-1} b through A^{-1} and the small system I + U^T A^{-1} U (exact)."""
        A, U, b = sp.Matrix(A), sp.Matrix(U), sp.Matrix(b)
        Ai = _dm(A).to_field().inv().to_Matrix()
        x0 = Ai * b
        M = sp.eye(U.cols) + U.T * Ai * U
        return x0 - Ai * U * M.inv() * (U.T * x0)

    # -- gradient flow (mpmath, any precision) ---------------------------------------------------
    @staticmethod
    def flow_filter(e, t):
        """h(e) = (1 - e^{-e t})/e, the gradient-flow filter of one eigenvalue e of K + lam
        (h(0) = t)."""
        return (1 - mp.exp(-e * t)) / e if e != 0 else mp.mpf(t)

    def flow(self, Kx, K, y, lam, t):
        """f(x, t) = k(x, X) h(K + lam) y, gradient flow from zero at time t (t = inf: the
        predictor), as a list, in mpmath at the working precision."""
        K, Kx, y = _mp(K), _mp(Kx), _mp(y)
        A = K + mp.mpf(lam) * mp.eye(K.rows)
        E, Q = mp.eighe(A)
        if t == mp.inf:
            h = [1 / e for e in E]
        else:
            h = [self.flow_filter(e, mp.mpf(t)) for e in E]
        alpha = Q * mp.diag(h) * Q.T * y
        return [sum(Kx[a, b] * alpha[b] for b in range(K.rows)) for a in range(Kx.rows)]

    # -- generic checks --------------------------------------------------------------------------
    def sample(self, rng, m=None, p=None, rank=None):
        """A random instance {K, Kx, y, lam, t, U}: a PSD kernel over m training and p test points
        (integer features, so the kernel is exact; rank <= m, so it may be singular), labels
        +-1, lam in (0, 2], t in (0, 4], and a rank-2 update U (m x 2) for Woodbury."""
        m = m or int(rng.integers(3, 7))
        p = p or int(rng.integers(2, 5))
        rank = rank or int(rng.integers(1, m + 1))
        F = rng.integers(-2, 3, size=(m + p, rank))
        G = F @ F.T
        return {"K": sp.Matrix(G[:m, :m].tolist()), "Kx": sp.Matrix(G[m:, :m].tolist()),
                "y": sp.Matrix(rng.choice([-1, 1], size=m).tolist()),
                "lam": sp.Rational(int(rng.integers(1, 21)), 10),
                "t": sp.Rational(int(rng.integers(1, 41)), 10),
                "U": sp.Matrix(rng.integers(-1, 2, size=(m, 2)).tolist())}

    @staticmethod
    def to_numpy(M):
        return np.array(sp.Matrix(M).tolist(), dtype=float)
