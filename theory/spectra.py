"""Spectral transforms of the Marchenko-Pastur law, as sympy functions with implicit derivatives.

Convention: F is p x d with i.i.d. N(0, 1/d) entries and psi = p/d; the spectral law of the p x p
matrix S = F F^T is Marchenko-Pastur with ratio psi and unit variance, density

    rho(s) = sqrt((s_+ - s)(s - s_-)) / (2 pi psi s)   on [s_-, s_+],  s_+- = (1 +- sqrt psi)^2,

plus an atom of mass 1 - 1/psi at s = 0 when psi > 1 (p > d: F F^T has rank d). For real z < 0:

* ``MPStieltjes(z, psi)`` = g(z) = E[1/(s - z)], the root of psi z g^2 + (z + psi - 1) g + 1 = 0
  that is positive for z < 0;
* ``MPResolvent(z, psi)`` = h(z) = E[s/(s - z)] = 1 + z g(z), the root in (0, 1) of
  psi h^2 + (z - psi - 1) h + 1 = 0.

Both are written (``explicit``) in forms without cancellation on all of z < 0: g as
2 / ((|b| - b) + 4 psi |z| / (sqrt(D) + |b|)), b = z + psi - 1, D = b^2 - 4 psi z (each term
non-negative), and h as 2 / (|b'| + sqrt(b'^2 - 4 psi)), b' = z - psi - 1 < 0. h is the one to use
far from the spectrum (z -> -oo, where 1 + z g cancels), g near z = 0 (where (h - 1)/z cancels).
Derivatives follow from implicit differentiation of the quadratics: g' = (psi g^2 + g)/sqrt(D),
h' = h/sqrt(b'^2 - 4 psi); with respect to psi, dg/dpsi = (z g^2 + g)/sqrt(D) and
dh/dpsi = (h^2 - h)/sqrt(b'^2 - 4 psi) (h > 0, so the root derivative has the sign of the other
root's distance). The mpmath references (``_imp_``) pick the root of the quadratic with
``mpmath.polyroots``; the derivation checks them against direct quadrature of the density.
"""
from __future__ import annotations

import sympy as sp


def _mp_root(coeffs, lo, hi):
    import mpmath as mp
    roots = [mp.re(r) for r in mp.polyroots([mp.mpf(c) for c in coeffs], maxsteps=200,
                                             extraprec=60)]
    roots = [r for r in roots if lo < r < hi]
    if len(roots) != 1:
        raise ValueError(f"no unique root in ({lo}, {hi}): {roots}")
    return roots[0]


def _mp_stieltjes(z, psi):
    import mpmath as mp
    z, psi = mp.mpf(z), mp.mpf(psi)
    if not z < 0:
        raise ValueError("MPStieltjes is defined here for z < 0")
    return _mp_root([psi * z, z + psi - 1, 1], 0, mp.inf)


def _mp_resolvent(z, psi):
    import mpmath as mp
    z, psi = mp.mpf(z), mp.mpf(psi)
    if not z < 0:
        raise ValueError("MPResolvent is defined here for z < 0")
    # both roots are positive (product 1/psi, sum (psi + 1 - z)/psi); h is the smaller one
    return min(mp.re(r) for r in mp.polyroots([psi, z - psi - 1, 1], maxsteps=200,
                                               extraprec=60))


class MPStieltjes(sp.Function):
    """g(z, psi) = E_s[1/(s - z)] under Marchenko-Pastur(psi) (atom at 0 included), z < 0."""

    nargs = 2
    _imp_ = staticmethod(_mp_stieltjes)

    def _eval_is_real(self):
        return True

    def _parts(self):
        z, psi = self.args
        b = z + psi - 1
        return z, psi, b, sp.sqrt(b**2 - 4 * psi * z)

    def fdiff(self, argindex=1):
        z, psi, b, sq = self._parts()
        g = self
        if argindex == 1:
            return (psi * g**2 + g) / sq
        return (z * g**2 + g) / sq

    def explicit(self):
        z, psi, b, sq = self._parts()
        return 2 / ((sp.Abs(b) - b) - 4 * psi * z / (sq + sp.Abs(b)))

    def _latex(self, printer, exp=None):
        s = r"g_{\mathrm{MP}}\left(%s; %s\right)" % tuple(printer._print(a) for a in self.args)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class MPResolvent(sp.Function):
    """h(z, psi) = E_s[s/(s - z)] = 1 + z g(z, psi) under Marchenko-Pastur(psi), z < 0."""

    nargs = 2
    _imp_ = staticmethod(_mp_resolvent)

    def _eval_is_real(self):
        return True

    def _parts(self):
        z, psi = self.args
        b = z - psi - 1
        return z, psi, b, sp.sqrt(b**2 - 4 * psi)

    def fdiff(self, argindex=1):
        z, psi, b, sq = self._parts()
        h = self
        if argindex == 1:
            return h / sq
        # d/dpsi of psi h^2 + (z - psi - 1) h + 1 = 0: (2 psi h + b) h' + h^2 - h = 0 and
        # 2 psi h + b = -sq on the small root.
        return (h**2 - h) / sq

    def explicit(self):
        z, psi, b, sq = self._parts()
        return 2 / (sp.Abs(b) + sq)

    def _latex(self, printer, exp=None):
        s = r"h_{\mathrm{MP}}\left(%s; %s\right)" % tuple(printer._print(a) for a in self.args)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


def mp_average(f, psi, dps=None):
    """E_s[f(s)] under Marchenko-Pastur(psi) by direct mpmath quadrature of the density (plus the
    atom at 0 for psi > 1): the independent reference for the transforms above. ``dps``: at
    least the current working precision (mpmath.diff raises it while differencing)."""
    import mpmath as mp
    with mp.workdps(max(dps or 0, mp.mp.dps)):
        psi = mp.mpf(psi)
        lo, hi = (1 - mp.sqrt(psi))**2, (1 + mp.sqrt(psi))**2
        # s = lo + (hi - lo) sin^2(th) removes the square-root edges (and the 1/sqrt(s) edge of
        # psi = 1): the integrand in th is smooth on [0, pi/2].
        w = hi - lo

        def integrand(th):
            sn, cs = mp.sin(th), mp.cos(th)
            x = lo + w * sn**2
            return f(x) * (w * sn * cs)**2 / (mp.pi * psi * x)
        val = mp.quad(integrand, [0, mp.pi / 4, mp.pi / 2])
        if psi > 1:
            val += (1 - 1 / psi) * f(mp.mpf(0))
        return val

