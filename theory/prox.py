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
    import mpmath as mp
    omega, W = mp.mpf(omega), mp.mpf(W)

    def g(z):
        return z - omega - W / (1 + mp.exp(z))
    lo, hi = omega, omega + W
    for _ in range(400):  # bisection to full working precision (bracket from monotonicity)
        mid = (lo + hi) / 2
        if g(mid) > 0:
            hi = mid
        else:
            lo = mid
        if hi - lo <= mp.eps * (1 + abs(mid)):
            break
    return (lo + hi) / 2


class ProxLogistic(sp.Function):
    """argmin_z log(1 + exp(-z)) + (z - omega)^2/(2 W); derivatives by implicit differentiation."""

    nargs = 2
    _imp_ = staticmethod(_mp_prox_logistic)  # used by sympy.lambdify (mpmath reference)

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


PROX_FUNCTIONS = {"ProxLogistic": ProxLogistic}
