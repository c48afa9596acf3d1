"""Bayes posterior channel on the Nishimori line (the statistician knows the label law).

Conventions: one order parameter q (the overlap of the posterior mean with the teacher, equal to
its squared norm by Nishimori), the cavity field omega = sqrt(q) xi and the teacher field's
remaining variance V = 1 - q. The output partition function is
Z(y | omega, V) = E_z P(y | omega + sqrt(V) z) (``LabelModel.partition``) and the energetic term
Psi_out(q) = sum_y E_xi Z log Z = 2 E_xi Z(+1) log Z(+1) for a label law symmetric under
(y, xi) -> (-y, -xi). The saddle point is qhat = 2 alpha dPsi_out/dq.
"""
from __future__ import annotations

import sympy as sp

from ...evaluate import check_numeric
from ...gaussian import GH, H, Npdf, gauss_avg, tidy
from ..base import Channel
from ..glm import alpha, xi as t, z
from ..symbols import q


class BayesPosterior(Channel):
    """Bayes-optimal channel: Psi_out(q) = 2 E_xi Z(+1 | sqrt(q) xi, 1 - q) log Z(+1 | ...)."""

    name = "bayes"

    def __init__(self, samples=()):
        # Points (q, <label parameters>) for the check of Z against a direct integral.
        self.samples = list(samples)

    @staticmethod
    def argument():
        """x = -sqrt(q) xi/sqrt(1-q), the argument of the rule's H in Z(+1)."""
        return -sp.sqrt(q) * t / sp.sqrt(1 - q)

    def partition(self, d, labels):
        """Z(+1 | sqrt(q) xi, 1 - q), step "output partition function", checked against the direct
        Gaussian integral of P(+1 | nu), split at the rule's jump nu = 0 (P(+1 | nu) is constant
        on either side for the sign-rule label models)."""
        omega, V = sp.sqrt(q) * t, 1 - q
        Zp = labels.partition(1, omega, V)
        b = self.argument()
        lik = labels.likelihood(1, omega + sp.sqrt(V) * z)
        # below the jump nu < 0: sympy evaluates the rule's thetas at a negative nu
        below = labels.likelihood(1, sp.Symbol("nu", negative=True))
        syms = [q, t] + [p.symbol for p in labels.parameters]
        d.step("output partition function",
               "Z(+1 | omega = sqrt(q) xi, V = 1 - q) = "
               f"{labels.describe_partition('-sqrt(q) xi/sqrt(1-q)')}; the y = -1 term equals the "
               "y = +1 term under xi -> -xi.",
               [check_numeric(sp.Integral(lik * Npdf(z), (z, b, sp.oo))
                              + sp.Integral(below * Npdf(z), (z, -sp.oo, b)),
                              Zp, syms, self.samples, 1e-20,
                              "direct Gaussian integral of the channel")],
               Z_plus=Zp)
        return Zp

    def energetic(self, d, labels, samples=()):
        Zp = self.partition(d, labels)
        return 2 * gauss_avg(Zp * sp.log(Zp), t)

    def qhat(self, d, labels, Psi_out, samples):
        """qhat(q) in the form without logarithms, step "saddle-point equation"; ``samples``:
        points (q, alpha, <label parameters>) of the check against 2 alpha dPsi_out/dq."""
        x = self.argument()
        w, w_text, rest_text = labels.sign_weight()
        qhat_direct = tidy(2 * alpha * sp.diff(Psi_out, q))
        # Stable form (integration by parts in xi): qhat = alpha/(1-q) E sum_y (dZ/dx)^2/Z; for
        # Z = w H(x) + (1-w)/2, (dZ/dx)^2/Z = w^2 N(x) GH(x)/(w + (1-w)/(2 H(x))).
        stable_integrand = 2 * alpha * w**2 * Npdf(x) * GH(x) / (
            (1 - q) * (w + (1 - w) / (2 * H(x))))
        qhat_stable = gauss_avg(stable_integrand, t)
        syms = [q, alpha] + [p.symbol for p in labels.parameters]
        d.step("saddle-point equation",
               "qhat = 2 alpha dPsi_out/dq (sympy); integrating by parts in xi gives the form "
               f"without logarithms, qhat = (2 alpha/(1-q)) E_xi {w_text}^2 N(x)^2/Z(+1), x = "
               f"-sqrt(q) xi/sqrt(1-q), written with N(x) GH(x)/({w_text} + {rest_text}/(2 H(x))) "
               "so it neither underflows nor divides by zero; checked against the direct "
               "derivative with mpmath.",
               [check_numeric(qhat_direct, qhat_stable, syms, samples, 1e-18,
                              "direct derivative equals the integrated-by-parts form",
                              breakpoints=[sp.S(0)])],
               qhat=qhat_stable)
        return qhat_stable

    def hints(self):
        """The channel varies on the scale sqrt(1-q)/sqrt(q) around xi = 0."""
        return [(sp.S(0), sp.sqrt(1 - q) / sp.sqrt(q))]
