"""numerics/rootfind.py: the bracketed root finder on functions with known roots."""
import math

import pytest

from memgenkit.numerics.rootfind import find_root


def test_find_root_certified_bracket():
    r = find_root(lambda x: x**3 - 2, 0.0, 3.0)
    assert r.converged
    assert r.bracket[0] <= 2 ** (1 / 3) <= r.bracket[1]
    assert r.error < 1e-14
    bad = find_root(lambda x: x**2 + 1, -1.0, 1.0)
    assert not bad.converged and "no sign change" in bad.message
    scanned = find_root(lambda x: math.cos(x), 0.0, 2 * math.pi, scan=10)
    assert scanned.converged and scanned.value == pytest.approx(math.pi / 2)
