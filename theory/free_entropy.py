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

from dataclasses import dataclass, field

import sympy as sp

from .derivation import Derivation
from .evaluate import check_symbolic
from .gaussian import tidy


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
    """phi(theta; params) = G_S + alpha * G_E, with its derivatives.

    ``pairing`` (theory.blocks.base.Pairing, one per order parameter) declares which
    stationarity equation updates which order parameter in the fixed-point map; ``gradient``
    optionally gives dG_S/dsigma in a stable moment form (checked by the prior's block checks),
    used instead of sympy's derivative of the entropic term.
    """

    order_params: list
    entropic: sp.Expr
    energetic: sp.Expr
    alpha: sp.Symbol
    pairing: list = field(default_factory=list)
    gradient: dict = field(default_factory=dict)

    @property
    def phi(self):
        return self.entropic + self.alpha * self.energetic

    def _dS(self, th):
        return self.gradient[th] if th in self.gradient else sp.diff(self.entropic, th)

    def stationarity(self):
        if not self.gradient:
            return [tidy(sp.diff(self.phi, th)) for th in self.order_params]
        return [tidy(self._dS(th) + self.alpha * sp.diff(self.energetic, th))
                for th in self.order_params]

    def jacobian(self):
        F = self.stationarity()
        return [[tidy(sp.diff(Fi, th)) for th in self.order_params] for Fi in F]

    def pairs(self, preconditioner: dict | None = None):
        """(theta, sigma, c) for every order parameter, in order; the pairing must be a
        permutation of the order parameters (each equation used once)."""
        if preconditioner is not None:
            return [(th, th, preconditioner[th]) for th in self.order_params]
        by_theta = {p.theta: p for p in self.pairing}
        out = [(th, by_theta[th].sigma, by_theta[th].c) for th in self.order_params]
        sigmas = [s for _, s, _ in out]
        if sorted(map(str, sigmas)) != sorted(map(str, self.order_params)):
            raise ValueError(f"pairing {sigmas} is not a permutation of {self.order_params}")
        return out

    def fixed_point_map(self, d: Derivation, preconditioner: dict | None = None):
        """theta_i <- theta_i + c_i dphi/dsigma(i), with the rearrangement verified symbolically.

        ``preconditioner[theta_i] = c_i`` pairs each theta with its own equation (sigma = theta);
        without it the declared ``pairing`` is used. The check: T_i - theta_i = c_i F_sigma(i)
        identically, so (c_i != 0, sigma a permutation) the map's fixed points are exactly the
        stationary points.
        """
        F = dict(zip(self.order_params, self.stationarity()))
        T, checks, entropic_parts = [], [], []
        for th, sg, c in self.pairs(preconditioner):
            Ti = sp.cancel(th + c * self._dS(sg)) + c * self.alpha * tidy(sp.diff(
                self.energetic, sg))
            T.append(Ti)
            checks.append(check_symbolic(Ti - th - c * F[sg], f"T_{th} - {th} = c_{th} F_{sg}"))
            entropic_parts.append(sp.simplify(th + c * self._dS(sg)))
        pairing_note = "" if all(th == sg for th, sg, _ in self.pairs(preconditioner)) else (
            " Pairing (order parameter <- equation of): " + ", ".join(
                f"{th} <- dphi/d{sg}" for th, sg, _ in self.pairs(preconditioner)) + ".")
        d.step("fixed-point form",
               "Each stationarity equation F_i = 0 is rearranged as theta_i = theta_i + c_i F_i "
               "with preconditioner c_i; the entropic part of the right-hand side is shown."
               + pairing_note,
               checks,
               **{f"c_{th}": c for th, _, c in self.pairs(preconditioner)},
               **{f"T_{th}_entropic": e for th, e in zip(self.order_params, entropic_parts)})
        return T

    def preconditioners(self, preconditioner: dict | None = None):
        """c_i in the order of the order parameters."""
        return [c for _, _, c in self.pairs(preconditioner)]

    def pairing_indices(self, preconditioner: dict | None = None):
        """index of sigma(i) for each i: the solver's fixed-point step is c_i F[sigma(i)]."""
        idx = {str(th): i for i, th in enumerate(self.order_params)}
        return [idx[str(sg)] for _, sg, _ in self.pairs(preconditioner)]
