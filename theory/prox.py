"""Proximal operators that have no closed form, as sympy functions with implicit derivatives.

``ProxLogistic(omega, W)`` is the z that minimizes log(1 + exp(-z)) + (z - omega)^2 / (2 W) (the
logistic loss at label y = +1; labels enter through y * omega). It solves the stationarity
condition

    z - omega - W / (1 + exp(z)) = 0,

whose left side is strictly increasing in z, so the root is unique and lies in [omega, omega + W].
Its derivatives follow from the implicit-function theorem (``fdiff``); the numerical layer
evaluates it with the safeguarded Newton solve of ``memgenkit.numerics.prox.prox_logistic`` and
mpmath with the bracketed solve in ``_mp_prox_logistic`` below (an independent reference).
"""
from __future__ import annotations

import sympy as sp


def _sig_prod(z):
    """sigma(z) sigma(-z) = 1/(2 + 2 cosh z): no overflow for large |z|."""
    return 1 / (2 + 2 * sp.cosh(z))


def _mp_prox_logistic(omega, W):
    """mpmath reference: bracketed Newton (bisection whenever a step leaves the bracket) to the
    working precision; the bracket [omega, omega + W] follows from monotonicity."""
    import mpmath as mp
    omega, W = mp.mpf(omega), mp.mpf(W)
    lo, hi = omega, omega + W
    z = (lo + hi) / 2
    g_prev = mp.inf
    for _ in range(2000):
        e = mp.exp(z)
        g = z - omega - W / (1 + e)
        if g == 0:
            return z
        if g > 0:
            hi = z
        else:
            lo = z
        zn = z - g / (1 + W * e / (1 + e)**2)
        if abs(zn - z) <= 4 * mp.eps * (1 + abs(z)):
            return zn
        if not lo < zn < hi or abs(g) > g_prev / 2:  # Newton can cycle: bisect
            zn = (lo + hi) / 2
        g_prev = abs(g)
        if hi - lo <= 4 * mp.eps * (1 + abs(z)):
            return zn
        z = zn
    return z


class ProxLogistic(sp.Function):
    """argmin_z log(1 + exp(-z)) + (z - omega)^2/(2 W); derivatives by implicit differentiation."""

    nargs = 2
    _imp_ = staticmethod(_mp_prox_logistic)  # used by sympy.lambdify (mpmath reference)

    def _eval_is_real(self):
        return True  # a minimizer over the real line (real arguments are the only use)

    def fdiff(self, argindex=1):
        omega, W = self.args
        z = self
        denom = 1 + W * _sig_prod(z)
        if argindex == 1:
            return 1 / denom
        return 1 / ((1 + sp.exp(z)) * denom)

    def _latex(self, printer, exp=None):
        s = r"\mathrm{prox}^{\log}\left(%s, %s\right)" % tuple(printer._print(a)
                                                              for a in self.args)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


def _mp_moreau_logistic(omega, W):
    import mpmath as mp
    z = _mp_prox_logistic(omega, W)
    return mp.log(1 + mp.exp(-z)) + (z - mp.mpf(omega))**2 / (2 * mp.mpf(W))


class MoreauLogistic(sp.Function):
    """Moreau envelope min_z log(1 + exp(-z)) + (z - omega)^2/(2 W).

    Its derivatives are those of the envelope theorem (the z-derivative of the objective vanishes
    at the prox): dM/domega = (omega - z)/W, dM/dW = -(z - omega)^2/(2 W^2), z = ProxLogistic.
    Keeping M opaque keeps the channel integrands free of products such as cosh(z) exp(z) that a
    rational simplification of the explicit derivative creates (they overflow for |z| > 700)."""

    nargs = 2
    _imp_ = staticmethod(_mp_moreau_logistic)

    def _eval_is_real(self):
        return True

    def fdiff(self, argindex=1):
        omega, W = self.args
        z = ProxLogistic(omega, W)
        if argindex == 1:
            return (omega - z) / W
        return -(z - omega)**2 / (2 * W**2)

    def explicit(self):
        omega, W = self.args
        z = ProxLogistic(omega, W)
        return (sp.Abs(z) - z) / 2 + sp.log(1 + sp.exp(-sp.Abs(z))) + (z - omega)**2 / (2 * W)

    def _latex(self, printer, exp=None):
        s = r"\mathcal{M}^{\log}\left(%s, %s\right)" % tuple(printer._print(a)
                                                             for a in self.args)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)

