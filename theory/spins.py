"""Special functions of +-1 spins, as sympy objects.

* ``LogCosh2(x) = log(2 cosh x)``: the log partition function of one spin s = +-1 in the field x,
  log sum_s exp(s x). Kept as its own function so generated kernels call a stable ``logcosh2``
  (|x| + log1p(exp(-2|x|))) instead of ``log(2*cosh(x))``, whose cosh overflows beyond |x| ~ 710.
  Its derivative is tanh(x), which is bounded and stable as printed (math.tanh).
"""
from __future__ import annotations

import sympy as sp

__all__ = ["LogCosh2", "mp_logcosh2"]


class LogCosh2(sp.Function):
    """log(2 cosh x), d/dx = tanh x."""

    nargs = 1

    def fdiff(self, argindex=1):
        return sp.tanh(self.args[0])

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.log(2)

    def _eval_rewrite_as_cosh(self, x, **kwargs):
        return sp.log(2 * sp.cosh(x))

    def _latex(self, printer, exp=None):
        s = r"\log 2\cosh\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


def mp_logcosh2(x):
    """mpmath reference: |x| + log1p(exp(-2|x|)) (no overflow at any precision)."""
    import mpmath as mp
    a = abs(x)
    return a + mp.log1p(mp.exp(-2 * a))
