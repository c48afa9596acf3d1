"""Gaussian prior: the ridge penalty (lam/2)|w|^2 of ERM, or w ~ N(0, I) for a Bayes posterior.

Two forms, in the GLM conventions of theory/blocks/glm.py:

* zero temperature (ERM), a Legendre transform in the conjugates: per coordinate,
  Phi_prior = E max_u [mhat u w* + sqrt(qhat) v u - (Vhat + r) u^2/2]
  = (mhat^2 + qhat)/(2 (r + Vhat)) with w*, v independent of unit second moments and r the
  ridge on the field variable u (r = lam for isotropic inputs; lam/mu1^2 when the field is
  mu1 w.x/sqrt(d)). Its prior map is
  m = mhat/(r + Vhat), q = (mhat^2 + qhat)/(r + Vhat)^2, V = 1/(r + Vhat);
* Bayes-optimal (Nishimori line, rho = 1): Psi_w(qhat) = E log int Dw exp(b w - qhat w^2/2),
  b = qhat w* + sqrt(qhat) xi, with q = 2 dPsi_w/dqhat = qhat/(1 + qhat).

``maximize`` is the one-coordinate maximum both the isotropic and the random-features data models
(theory/blocks/data.py) reduce the ridge to.
"""
from __future__ import annotations

import sympy as sp

from ...derivation import Parameter
from ...evaluate import check_symbolic
from ..base import Pairing, Prior
from ..glm import V, Vh, legendre, m, mh, q, qh
from ..symbols import qhat as qhat_pos

lam = sp.Symbol("lam", positive=True)
# The ridge, declared so that the generic checks draw it from a range (that of raf-erm and
# raf-rf, the models built on this block's ridge) instead of fixing it.
LAM = Parameter(lam, 0.0, None, lower_open=True, default=1.0,
                description="ridge (regularization) strength")
u, v, ws = sp.symbols("u v wstar", real=True)
w = sp.Symbol("w", real=True)

# Second moments of independent unit Gaussians (teacher coordinate, noise), by monomial.
_MOMENTS = {(2, 0): 1, (0, 2): 1, (1, 1): 0, (1, 0): 0, (0, 1): 0, (0, 0): 1}


class Gaussian(Prior):
    """Gaussian weights / ridge: Phi_prior = (mhat^2 + qhat)/(2 (r + Vhat)) at zero temperature,
    r the ridge on the field variable (``ridge``, written ``ridge_text``)."""

    name = "gaussian"

    def __init__(self, ridge=lam, ridge_text="lam", weight_text="one coordinate u of the weights",
                 parameters=(LAM,)):
        self.ridge, self.ridge_text, self.weight_text = ridge, ridge_text, weight_text
        # the symbols of ``ridge`` (theory/blocks/base.py: Block.parameters)
        self.parameters = tuple(parameters)

    # --- zero temperature ---------------------------------------------------------------------
    @staticmethod
    def maximize(obj, var, noises, scale=1):
        """scale * E max_var obj, obj quadratic in ``var`` with coefficients linear in the two
        independent unit Gaussians ``noises`` (simplified)."""
        star = sp.solve(sp.diff(obj, var), var)[0]
        value = sp.expand(obj.subs(var, star))
        poly = sp.Poly(value, *noises)
        return sp.simplify(scale * sum(c * _MOMENTS[mon] for mon, c in zip(poly.monoms(),
                                                                           poly.coeffs())))

    def conjugate(self, d, teacher=True):
        """Phi_prior(mhat, qhat, Vhat), recorded as "ridge prior term" with its closed form."""
        r, rt = self.ridge, self.ridge_text
        mterm = mh * u * ws if teacher else 0
        obj = mterm + sp.sqrt(qh) * v * u - (Vh + r) * u**2 / 2
        Phi_prior = self.maximize(obj, u, (ws, v))
        mh2 = mh**2 if teacher else 0
        d.step("ridge prior term",
               f"Phi_prior = E max_u [mhat u w* + sqrt(qhat) v u - (Vhat + {rt}) u^2/2] over "
               f"{self.weight_text}, w* and v independent with unit second moments.",
               [check_symbolic(Phi_prior - (mh2 + qh) / (2 * (r + Vh)),
                               f"Phi_prior = (mhat^2 + qhat)/(2 ({rt} + Vhat))")],
               Phi_prior=Phi_prior)
        return Phi_prior

    def prior_map(self):
        """(m, q, V) of the hats in closed form (stationarity of legendre() + Phi_prior)."""
        r = self.ridge
        return {m: mh / (r + Vh), q: (mh**2 + qh) / (r + Vh)**2, V: 1 / (r + Vh)}

    # --- Bayes-optimal (Nishimori) --------------------------------------------------------------
    def bayes(self, d):
        """Psi_w(qhat) and q(qhat) for w ~ N(0, 1) per coordinate (qhat > 0), step "Gaussian
        prior"."""
        b = sp.Symbol("b", real=True)
        Zw = sp.integrate(sp.exp(b * w - (1 + qhat_pos) * w**2 / 2) / sp.sqrt(2 * sp.pi),
                          (w, -sp.oo, sp.oo), conds="none")
        logZw = sp.expand(sp.expand_log(sp.log(sp.simplify(Zw)), force=True))
        # E over w*, xi: E b^2 = qhat(1+qhat)
        Psi_w = sp.simplify(logZw.subs(b**2, qhat_pos**2 + qhat_pos))
        q_of_qh = sp.simplify(2 * sp.diff(Psi_w, qhat_pos))
        d.step("Gaussian prior",
               "Psi_w(qhat) = E log int Dw exp(b w - qhat w^2/2), b = qhat w* + sqrt(qhat) xi "
               "(E b^2 = qhat(1+qhat)); q = 2 dPsi_w/dqhat = qhat/(1+qhat).",
               [check_symbolic(q_of_qh - qhat_pos / (1 + qhat_pos), "q = qhat/(1+qhat)")],
               Psi_w=Psi_w, q_of_qhat=q_of_qh)
        return Psi_w, q_of_qh

    # --- Prior contract (theory/blocks/base.py) -------------------------------------------------
    def order_parameters(self, teacher=True):
        return [m, q, V, mh, qh, Vh] if teacher else [q, V, qh, Vh]

    def entropic(self, d, teacher=True):
        """G_S = -m mhat + (q Vhat - V qhat)/2 + Phi_prior (without a teacher: m = mhat = 0)."""
        coupling = legendre() if teacher else legendre().subs({m: 0, mh: 0})
        return coupling + self.conjugate(d, teacher)

    def pairings(self, teacher=True):
        # Overlaps from the conjugates' equations, conjugates from the overlaps' (a Legendre
        # transform): m <- dPhi/dmhat (c = 1), q <- dPhi/dVhat (c = -2), V <- dPhi/dqhat (c = 2);
        # mhat <- dPhi/dm (c = 1), qhat <- dPhi/dV (c = 2), Vhat <- dPhi/dq (c = -2). Each c cancels
        # its theta: dPhi/dmhat = -m + ..., dPhi/dVhat = q/2 + ..., dPhi/dqhat = -V/2 + ....
        out = [Pairing(q, Vh, -2), Pairing(V, qh, 2), Pairing(qh, V, 2), Pairing(Vh, q, -2)]
        return [Pairing(m, mh, 1)] + out + [Pairing(mh, m, 1)] if teacher else out

    def domain(self, values):
        qq, vv = values.get(q), values.get(V)
        mm = values.get(m, 0.0)
        return bool(qq > 0 and vv > 0 and mm * mm < qq)

    def sample(self, rng, N):
        """w ~ N(0, I_N) (|w|^2 = N on average)."""
        return rng.standard_normal(N)

