"""theory/spins.py: LogCosh2's derivative rule and mpmath form against log(2 cosh x)."""
import mpmath as mp
import sympy as sp

from memgenkit.theory.spins import LogCosh2, mp_logcosh2


def test_derivative_rule_matches_the_cosh_form():
    x = sp.Symbol("x", real=True)
    diff = sp.diff(LogCosh2(x), x) - sp.diff(LogCosh2(x).rewrite(sp.cosh), x)
    for v in ("-3.1", "-0.4", "0", "0.7", "12.5"):
        assert abs(complex(diff.evalf(40, subs={x: sp.Rational(v)}))) < 1e-30
    assert LogCosh2(sp.S(0)) == sp.log(2)


def test_mpmath_form_is_log_2cosh_and_does_not_overflow():
    with mp.workdps(40):
        for v in ("-20", "-1e-9", "0.3", "7"):
            x = mp.mpf(v)
            assert abs(mp_logcosh2(x) - mp.log(2 * mp.cosh(x))) < mp.mpf(10) ** -35
        assert abs(mp_logcosh2(mp.mpf("1e6")) - mp.mpf("1e6")) < mp.mpf(10) ** -30
