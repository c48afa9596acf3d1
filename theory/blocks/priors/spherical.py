"""Spherical prior: |w|^2 = N, the student uniform on the sphere."""
from __future__ import annotations

import numpy as np
import sympy as sp

from ...evaluate import check_symbolic
from ..base import Pairing, Prior
from ..symbols import R, q


class Spherical(Prior):
    """Spherical student |w|^2 = N: G_S = log(1-q)/2 + (q - R^2)/(2(1-q)), written in overlaps."""

    name = "spherical"

    def order_parameters(self, teacher):
        return [q, R] if teacher else [q]

    def entropic(self, d, teacher=True):
        """Derived from the replica-symmetric overlap matrix: the log-volume of n students at
        overlaps Q_ab = (1-q) delta_ab + q and teacher overlaps R is (N/2) log det(Q - R R^T) (up
        to constants); its eigenvalues are (1-q), (n-1)-fold, and 1-q+n(q-R^2); then n -> 0."""
        r = R if teacher else sp.S(0)
        n = sp.Symbol("n", positive=True)
        lam_bulk = 1 - q
        lam_top = 1 - q + n * (q - r**2)
        diffs = []
        for nn in (2, 3, 4):
            M = sp.Matrix(nn, nn, lambda a, b: (1 if a == b else q) - r**2)
            diffs.append(sp.factor(M.det() - (lam_bulk ** (nn - 1) * lam_top).subs(n, nn)))
        d.step("replica-symmetric overlap matrix",
               "The n x n matrix Q_ab - R^2 with Q_aa = 1, Q_ab = q (a != b) has eigenvalue 1-q with "
               "multiplicity n-1 and 1-q+n(q-R^2) once; checked against explicit determinants at "
               "n = 2, 3, 4.",
               [check_symbolic(sum(sp.Abs(x) for x in diffs), "det identity for n = 2, 3, 4")],
               det_Q=lam_bulk ** (n - 1) * lam_top)
        per_replica = ((n - 1) * sp.log(lam_bulk) + sp.log(lam_top)) / (2 * n)
        G_S = sp.limit(per_replica, n, 0)
        expected_form = sp.log(1 - q) / 2 + (q - r**2) / (2 * (1 - q))
        d.step("entropic term, n -> 0",
               "G_S = lim_{n->0} (1/2n) log det(Q - R R^T), taken by sympy.",
               [check_symbolic(G_S - expected_form, "limit equals log(1-q)/2 + (q-R^2)/(2(1-q))")],
               G_S=G_S)
        return G_S

    def pairings(self, teacher=True):
        # c_q = -2(1-q)^2 and c_R = (1-q) cancel q and R in theta + c dG_S/dtheta (the entropic
        # part of the map is then free of theta).
        out = [Pairing(q, q, -2 * (1 - q) ** 2)]
        return out + [Pairing(R, R, 1 - q)] if teacher else out

    def domain(self, values):
        qq, rr = values.get(q), values.get(R, 0.0)
        return bool(0.0 < qq < 1.0 and rr * rr < qq)

    def q_to_one(self, teacher=True):
        """lim_{q->1} 2(1-q) G_S = 1 - R^2 (the log-volume diverges like (1-R^2)/(2(1-q)))."""
        r = R if teacher else sp.S(0)
        return 1 - r**2

    def sample(self, rng, N):
        w = rng.standard_normal(N)
        return w * np.sqrt(N) / np.linalg.norm(w)
