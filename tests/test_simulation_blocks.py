"""numerics/simulation/blocks.py: instances from a model's declared blocks, the estimator the
blocks choose, and simulate/verify for a block-built model with no simulation code."""
import dataclasses
import hashlib
import math

import numpy as np
import pytest

from memgenkit.numerics.simulation import blocks as sb
from memgenkit.numerics.simulation import enumeration as en

RAF = ("ising", "margin", "rules-and-facts", "sign-teacher", "isotropic")
RANDOM = ("ising", "margin", "random-labels", "isotropic")
NOISE = ("ising", "margin", "label-noise", "sign-teacher", "isotropic")


def _digest(inst):
    X, y, w = inst
    return hashlib.sha256(X.tobytes() + y.tobytes() + (b"" if w is None else w.tobytes())
                          ).hexdigest()


def test_resolve_nests_label_blocks_outermost_first():
    b = sb.resolve(RAF)
    assert (b.prior.name, b.channel.name, b.labels.name, b.labels.rule.name, b.data.name) == (
        "ising", "margin", "rules-and-facts", "sign-teacher", "isotropic")
    with pytest.raises(ValueError, match="not in theory.blocks.BLOCKS"):
        sb.resolve(("ising", "margin", "no-such-block"))
    with pytest.raises(ValueError, match="takes no rule"):
        sb.resolve(("ising", "margin", "random-labels", "sign-teacher"))


@pytest.mark.parametrize("names, values", [(RAF, {"eps": 0.3}), (RANDOM, {}),
                                           (NOISE, {"eta": 0.2})])
def test_draws_are_seeded_bytes(names, values):
    b = sb.resolve(names)
    a = sb.draw(b, values, 11, 40, sb.instance_seed(5, 11, 3))
    again = sb.draw(sb.resolve(names), values, 11, 40, sb.instance_seed(5, 11, 3))
    other = sb.draw(b, values, 11, 40, sb.instance_seed(5, 11, 4))
    assert _digest(a) == _digest(again) != _digest(other)
    assert set(np.unique(a[1])) <= {-1.0, 1.0}
    assert (a[2] is None) == (names == RANDOM)


@pytest.mark.parametrize("eps", [None, 0.0, 0.3, 1.0])
def test_draws_are_those_of_the_enumeration_instances(eps):
    """The label blocks consume the stream as enumeration.draw_instance does, so ising-gardner
    and ising-raf keep their instances (and their verify tables) byte for byte."""
    names = RANDOM if eps is None else RAF
    b = sb.resolve(names)
    for k in range(5):
        X, y, _ = sb.draw(b, {"eps": eps}, 9, 37, sb.instance_seed(2, 9, k))
        X0, y0 = en.draw_instance(9, 37, en.instance_seed(2, 9, k), eps)
        assert X.tobytes() == X0.tobytes() and y.tobytes() == y0.tobytes()


def _agreement(names, values, n=20, P=400, N=25):
    """Fraction of labels equal to sign(w*.x) over n seeded instances, with its standard error."""
    b = sb.resolve(names)
    hits = []
    for k in range(n):
        X, y, w = sb.draw(b, values, N, P, sb.instance_seed(9, N, k))
        hits.append(y == np.where(X @ w >= 0, 1.0, -1.0))
    h = np.concatenate(hits)
    return h.mean(), h.std(ddof=1) / math.sqrt(h.size)


@pytest.mark.parametrize("names, values, expected", [
    (RAF, {"eps": 0.3}, 1 - 0.3 / 2),   # rules agree, facts agree half of the time
    (RAF, {"eps": 0.0}, 1.0),
    (NOISE, {"eta": 0.2}, 1 - 0.2),     # a flipped rule disagrees
    (("ising", "margin", "sign-teacher"), {}, 1.0),
])
def test_label_frequencies_follow_the_label_model(names, values, expected):
    mean, se = _agreement(names, values)
    assert abs(mean - expected) <= 5 * se + 1e-12, (mean, se, expected)


def test_random_labels_are_fair_coins_without_a_teacher():
    b = sb.resolve(RANDOM)
    y = np.concatenate([sb.draw(b, {}, 10, 500, sb.instance_seed(1, 10, k))[1]
                        for k in range(20)])
    assert abs(y.mean()) <= 5 / math.sqrt(y.size)


def test_the_teacher_is_the_prior_sample():
    """With a teacher the instance's w* is the prior block's draw: +-1 for the Ising prior, on
    the sphere |w|^2 = N for the spherical one."""
    X, y, w = sb.draw(sb.resolve(RAF), {"eps": 0.3}, 13, 20, sb.instance_seed(0, 13, 0))
    assert set(np.unique(w)) <= {-1.0, 1.0}
    b = sb.resolve(("spherical", "margin", "rules-and-facts", "sign-teacher"))
    X, y, w = sb.draw(b, {"eps": 1.0}, 13, 20, sb.instance_seed(0, 13, 0))
    assert w is not None and abs(w @ w - 13) < 1e-9  # drawn after the labels at eps = 1


def test_estimators_by_blocks():
    assert isinstance(sb.estimator(sb.resolve(RAF)), sb.Enumeration)
    assert isinstance(sb.estimator(sb.resolve(("spherical", "margin", "random-labels"))),
                      sb.LPBisection)
    with pytest.raises(ValueError, match="no finite-N estimator"):
        sb.estimator(sb.resolve(("gaussian", "moreau-square", "rules-and-facts",
                                 "sign-teacher")))


def test_lp_bisection_against_cover():
    """Spherical perceptron, random labels, kappa = 0: a prefix of P samples is separable with
    probability C(P, N)/2^P, C(P, N) = 2 sum_{k<N} binom(P-1, k) (Cover 1965), so E[P_max] =
    sum_{P>=1} C(P, N)/2^P exactly; the LP bisection's mean lies within 5 se of it."""
    N, n = 10, 60
    b = sb.resolve(("spherical", "margin", "random-labels"))
    est = sb.estimator(b)
    rows = est.rows(N, 2.0)
    pm = [est.measure(*sb.draw(b, {}, N, rows, sb.instance_seed(4, N, k))[:2], {"kappa": 0.0})
          for k in range(n)]
    exact = sum(2 * sum(math.comb(P - 1, k) for k in range(N)) / 2**P for P in range(1, 400))
    mean, se = np.mean(pm), np.std(pm, ddof=1) / math.sqrt(n)
    assert abs(mean - exact) <= 5 * se, (mean, se, exact)
    X, y, _ = sb.draw(b, {}, 4, 3, sb.instance_seed(0, 4, 0))
    with pytest.raises(ValueError, match="satisfiable"):
        est.measure(X, y, {"kappa": 0.0})


@pytest.fixture
def noisy_ising():
    """A block-built model assembled here: ising-gardner's theory with its random labels replaced
    by label noise on an Ising teacher (a new declaration, no simulation code). At eta = 1/2
    the flipped rule is a fair coin, independent of x: exactly random labels, so the ising-gardner
    capacity is this model's theory there."""
    from memgenkit.numerics.declaration import lookup
    from memgenkit.numerics.models.ising_gardner import IsingGardner
    from memgenkit.numerics.params import ParamSpec
    d = dataclasses.replace(lookup("ising-gardner"), name="toy-noisy-ising", blocks=NOISE,
                            params=(ParamSpec("eta", 0.0, 0.5, default=0.5,
                                              description="label flip probability"),))
    return IsingGardner(declaration=d)


def test_a_block_built_model_gets_simulate_and_verify(noisy_ising, tmp_path):
    from memgenkit.numerics import api
    s = noisy_ising.simulate({"alpha": 0.5, "eta": 0.5}, N=9, instances=10, seed=3)
    assert "exhaustive enumeration" in s["table"]
    again = noisy_ising.simulate({"alpha": 0.5, "eta": 0.5}, N=9, instances=10, seed=3)
    assert np.array_equal(s["record"]["P_max"], again["record"]["P_max"])
    # other labels than ising-gardner's random labels, same seeds
    plain = api.simulate("ising-gardner", {"alpha": 0.5}, N=9, instances=10, seed=3)
    assert not np.array_equal(s["record"]["P_max"], plain["record"]["P_max"])
    v = noisy_ising.verify({}, Ns=(9, 11, 13, 15), instances=100, seed=1, out_dir=tmp_path)
    assert v["passed"], v["table"]
    assert "toy-noisy-ising verify: kappa=0, eta=0.5" in v["table"]
