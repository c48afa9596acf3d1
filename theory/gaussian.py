"""Gaussian building blocks for replica-symmetric calculations, as sympy objects.

Conventions (used everywhere in memgenkit):

* ``Npdf(x) = exp(-x**2/2) / sqrt(2*pi)``, the standard normal density; ``Dt = Npdf(t) dt``.
* ``H(x) = int_x^oo Dt = erfc(x/sqrt(2))/2``, the Gaussian tail.
* ``LogH(x) = log H(x)``, kept as its own function so that generated kernels call a stable
  ``logH`` rather than ``log(H(x))``, which underflows for x above ~38.
* ``GH(x) = Npdf(x)/H(x) = -d/dx LogH(x)``, the density-over-tail ratio; kept as its own function
  for the same reason (an erfcx-type evaluation never forms 0/0).

The derivatives are closed under these four functions, so differentiating a free entropy that is
written with them never produces an expression the numerical layer cannot evaluate stably.
A Gaussian average is a plain sympy ``Integral`` whose integrand carries ``Npdf(t)``; sympy
differentiates such integrals under the integral sign (Leibniz rule).
"""
from __future__ import annotations

import sympy as sp

__all__ = ["Npdf", "H", "LogH", "GH", "gauss_avg", "gauss_integral", "mp_npdf", "mp_H",
           "mp_logH", "mp_gh"]


class Npdf(sp.Function):
    """Standard normal density."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = self.args[0]
        return -x * Npdf(x)

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return 1 / sp.sqrt(2 * sp.pi)
        if x in (sp.oo, -sp.oo):
            return sp.S.Zero

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)

    def _latex(self, printer, exp=None):
        s = r"\mathcal{N}\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else s + "^{%s}" % exp


class H(sp.Function):
    """Gaussian tail H(x) = erfc(x/sqrt(2))/2."""

    nargs = 1

    def fdiff(self, argindex=1):
        return -Npdf(self.args[0])

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.Rational(1, 2)
        if x is sp.oo:
            return sp.S.Zero
        if x is -sp.oo:
            return sp.S.One

    def _eval_rewrite_as_erfc(self, x, **kwargs):
        return sp.erfc(x / sp.sqrt(2)) / 2

    def _latex(self, printer, exp=None):
        s = r"H\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else s + "^{%s}" % exp


class GH(sp.Function):
    """Npdf(x)/H(x), the density-over-tail ratio (= -d LogH/dx)."""

    nargs = 1

    def fdiff(self, argindex=1):
        x = self.args[0]
        return GH(x) * (GH(x) - x)

    def _eval_rewrite_as_erfc(self, x, **kwargs):
        return Npdf(x).rewrite(sp.exp) / H(x).rewrite(sp.erfc)

    def _latex(self, printer, exp=None):
        x = printer._print(self.args[0])
        s = r"\frac{\mathcal{N}(%s)}{H(%s)}" % (x, x)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class LogH(sp.Function):
    """log H(x), evaluated stably by the numerical layer."""

    nargs = 1

    def fdiff(self, argindex=1):
        return -GH(self.args[0])

    @classmethod
    def eval(cls, x):
        if x is -sp.oo:
            return sp.S.Zero

    def _eval_rewrite_as_erfc(self, x, **kwargs):
        return sp.log(H(x).rewrite(sp.erfc))

    def _latex(self, printer, exp=None):
        s = r"\log H\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


# mpmath implementations (the independent references; registered in special_registry.py).
# They take mpf arguments and work at the current precision.

def mp_npdf(x):
    import mpmath as mp
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def mp_H(x):
    import mpmath as mp
    return mp.erfc(x / mp.sqrt(2)) / 2


def mp_logH(x):
    import mpmath as mp
    if x < 0:
        # log(1 - H(-x)) via log1p: log(H(x)) rounds 1 - H(-x) to 1 once H(-x) < 10^-dps
        return mp.log1p(-mp_H(-x))
    return mp.log(mp_H(x))


def mp_gh(x):
    return mp_npdf(x) / mp_H(x)


def gauss_integral(integrand, t, lower=-sp.oo, upper=sp.oo):
    """``int_lower^upper Dt integrand`` as an unevaluated sympy Integral."""
    return sp.Integral(integrand * Npdf(t), (t, lower, upper))


def gauss_avg(integrand, t):
    """The Gaussian average ``E_t[integrand] = int Dt integrand`` over the real line."""
    return gauss_integral(integrand, t)


def _tidy_integrand(f):
    return sp.factor_terms(sp.together(f))


def tidy(expr):
    """Light simplification inside every Integral: one fraction, common factors pulled out.

    Full ``simplify`` is avoided on purpose: it is slow and its output changes between sympy
    releases, which would make stored derivations churn.
    """
    expr = sp.sympify(expr)
    reps = {}
    for I in expr.atoms(sp.Integral):
        reps[I] = sp.Integral(_tidy_integrand(I.function), *I.limits)
    return expr.xreplace(reps)
