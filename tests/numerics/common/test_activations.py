"""The activation table the numerics read (numerics/common/activations.py: the derivation's table
"activations", written into the generated modules by codegen) against mpmath quadrature done here:
E s(z), E z s(z), E s(z)^2 over z ~ N(0, 1) at 30 digits, each activation written with mpmath
functions in this file (not the theory's expressions). The entries are the float64 nearest to the
exact values, so each must be within half an ulp of the quadrature (plus the quadrature's own
1e-25)."""
import math
from functools import lru_cache

import mpmath as mp
import pytest

from memgenkit.numerics.common.activations import activation_coefficients, activation_table
from memgenkit.numerics.errors import ParameterError

STEMS = ("raf_erm", "raf_rf")
# s(z) in mpmath, typed independently of theory/blocks/data.py
ACTS = {"linear": lambda z: z, "sign": mp.sign, "relu": lambda z: max(z, 0), "erf": mp.erf,
        "tanh": mp.tanh}


@lru_cache(maxsize=None)
def _reference(name):
    """(mu0, mu1, mustar) by quadrature: split at 0 (the kink of sign and relu)."""
    f = ACTS[name]
    with mp.workdps(30):
        g = lambda h: mp.quad(lambda z: h(z) * mp.npdf(z), [-mp.inf, 0, mp.inf])  # noqa: E731
        mu0, mu1, second = g(f), g(lambda z: z * f(z)), g(lambda z: f(z) ** 2)
        return mu0, mu1, mp.sqrt(second - mu0**2 - mu1**2)


@pytest.mark.parametrize("stem", STEMS)
def test_table_is_nearest_float_of_quadrature(stem):
    table = activation_table(stem)
    assert set(table) == set(ACTS)
    for name in ACTS:
        ref = _reference(name)
        with mp.workdps(30):
            for got, r in zip(table[name], ref):
                ulp = math.ulp(float(r)) if r != 0 else 0.0
                assert abs(mp.mpf(got) - r) <= ulp / 2 + mp.mpf("1e-25"), (stem, name, got, r)


def test_the_check_can_fail():
    """One ulp off is caught (a hand-rounded or truncated table would fail the test above)."""
    ref = _reference("sign")[2]
    off = math.nextafter(float(ref), 1.0)
    with mp.workdps(30):
        assert abs(mp.mpf(off) - ref) > math.ulp(float(ref)) / 2 + mp.mpf("1e-25")


def test_models_share_one_table_and_declare_its_names():
    from memgenkit.numerics.declarations.raf_erm import ACTIVATIONS
    assert activation_table("raf_erm") == activation_table("raf_rf")
    assert set(ACTIVATIONS) == set(activation_table("raf_erm"))
    assert activation_coefficients("relu", "raf_rf") == activation_table("raf_rf")["relu"]
    with pytest.raises(ParameterError, match="activation"):
        activation_coefficients("softplus", "raf_erm")
