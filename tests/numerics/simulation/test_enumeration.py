"""numerics/simulation/enumeration.py: the Gray-code capacity against a brute-force listing
(tests/enumeration_reference.py)."""
import hashlib

import numpy as np
import pytest

from enumeration_reference import brute_force_capacity, capacities, draw_instance
from memgenkit.numerics.simulation import enumeration as en


@pytest.mark.parametrize("kappa", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("N", [2, 3, 5, 8, 10])
def test_gray_code_matches_brute_force(N, kappa):
    for k in range(15):
        X, y = draw_instance(N, 3 * N + 10, en.instance_seed(7, N, k))
        assert en.capacity(X, y, kappa) == brute_force_capacity(X, y, kappa)


def test_brute_force_on_a_hand_instance():
    """N = 2, kappa = 0: w = (1, 1) satisfies rows 1-2, row 3 needs w = (-1, 1); no w satisfies
    the first three, so P_max = 2."""
    X = np.array([[1.0, 0.5], [0.5, 1.0], [-1.0, 0.2], [0.0, 1.0]])
    y = np.ones(4)
    assert brute_force_capacity(X, y, 0.0) == 2
    assert en.capacity(X, y, 0.0) == 2


def test_strict_inequality_at_zero_margin():
    """A field exactly at 0 does not satisfy a constraint at kappa = 0 (the sign perceptron):
    row 0 needs w_0 != w_1, row 1 then has field 0; with >= both would hold. Integer-valued
    inputs keep the incremental fields exact."""
    X = np.array([[1.0, -1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    y = np.ones(3)
    assert en.capacity(X, y, 0.0) == brute_force_capacity(X, y, 0.0) == 1


def test_draws_are_seeded_bytes():
    a = draw_instance(11, 40, en.instance_seed(5, 11, 3))
    b = draw_instance(11, 40, en.instance_seed(5, 11, 3))
    c = draw_instance(11, 40, en.instance_seed(5, 11, 4))
    digest = [hashlib.sha256(x.tobytes() + z.tobytes()).hexdigest() for x, z in (a, b, c)]
    assert digest[0] == digest[1] != digest[2]
    assert set(np.unique(a[1])) <= {-1.0, 1.0}


def test_capacities_are_reproducible_and_bounded():
    a = capacities(9, 0.0, 20, seed=2)
    assert np.array_equal(a, capacities(9, 0.0, 20, seed=2))
    assert a.min() >= 1 and a.max() <= 2 * 9 + 6  # below the spherical bound 2N + O(sqrt N)


def test_all_satisfiable_is_an_error():
    X, y = draw_instance(6, 2, en.instance_seed(0, 6, 0))
    with pytest.raises(ValueError, match="satisfiable"):
        en.capacity(X, y, 0.0)


def test_rules_and_facts_draws():
    """eps = 1 draws the random-label instance byte for byte; eps = 0 labels are a teacher's:
    some w = +-1 (the teacher) satisfies every constraint at kappa = 0."""
    s = en.instance_seed(3, 9, 0)
    X0, y0 = draw_instance(9, 30, s)
    X1, y1 = draw_instance(9, 30, en.instance_seed(3, 9, 0), eps=1.0)
    assert X0.tobytes() == X1.tobytes() and y0.tobytes() == y1.tobytes()
    X, y = draw_instance(9, 30, en.instance_seed(3, 9, 0), eps=0.0)
    assert brute_force_capacity(X, y, 0.0) == 30
    with pytest.raises(ValueError, match="satisfiable"):
        en.capacity(X, y, 0.0)
    Xh, yh = draw_instance(9, 30, en.instance_seed(3, 9, 0), eps=0.5)
    assert 0 < np.sum(yh != y) < 30  # the facts relabel part of the samples
