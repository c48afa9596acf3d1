"""numerics/simulation/blocks.py: instances from a model's declared blocks, the estimator the
blocks choose, and simulate/verify for a block-built model with no simulation code."""
import dataclasses
import hashlib
import math

import numpy as np
import pytest

from enumeration_reference import draw_instance
from memgenkit.numerics.simulation import blocks as sb

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
    """The label blocks consume the stream as the plain-numpy draw_instance
    (tests/enumeration_reference.py) does, so ising-gardner and ising-raf keep their instances
    (and their verify tables) byte for byte."""
    names = RANDOM if eps is None else RAF
    b = sb.resolve(names)
    for k in range(5):
        X, y, _ = sb.draw(b, {"eps": eps}, 9, 37, sb.instance_seed(2, 9, k))
        X0, y0 = draw_instance(9, 37, sb.instance_seed(2, 9, k), eps)
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
    assert isinstance(sb.estimator(sb.resolve(("gaussian", "moreau-square", "rules-and-facts",
                                               "sign-teacher"))), sb.ERMFit)
    assert isinstance(sb.estimator(sb.resolve(("gaussian", "bayes", "rules-and-facts",
                                               "sign-teacher"))), sb.GAMPFit)
    with pytest.raises(ValueError, match="no finite-N estimator"):  # ERM needs a teacher
        sb.estimator(sb.resolve(("gaussian", "moreau-square", "random-labels")))


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


USER_DECLARATION = '''
from memgenkit.numerics.declaration import ModelDeclaration
from memgenkit.numerics.params import ParamSpec

MODEL = ModelDeclaration(
    name="noisy-ising", stem="noisy_ising", kind="gardner",
    summary="Ising perceptron on label noise (ising-gardner's theory, exact at eta = 1/2).",
    theory="memgenkit.theory.models.ising_gardner:derive",
    numerics="noisy_ising_model.py:NoisyIsing", boundary="alpha",
    params=(ParamSpec("eta", 0.0, 0.5, default=0.5, description="label flip probability"),),
    blocks=("ising", "margin", "label-noise", "sign-teacher", "isotropic"))
'''

USER_MODEL = '''
from memgenkit.numerics.models.ising_gardner import IsingGardner


class NoisyIsing(IsingGardner):
    """ising-gardner's theory and boundaries; its instances come from its own blocks."""
'''


def test_lp_bisection_is_certified_at_positive_margin():
    """kappa > 0 (the QP): the prefix of length P_max is feasible, the next one is not, and a
    larger margin never admits more samples."""
    from memgenkit.numerics.simulation.capacity_search import is_feasible
    N = 12
    b = sb.resolve(("spherical", "margin", "rules-and-facts", "sign-teacher"))
    est = sb.estimator(b)
    for k in range(3):
        X, y, _ = sb.draw(b, {"eps": 0.5}, N, est.rows(N, 3.0), sb.instance_seed(6, N, k))
        p = [est.measure(X, y, {"kappa": kappa}) for kappa in (0.0, 0.3, 0.8)]
        assert p[0] >= p[1] >= p[2] >= 1
        assert is_feasible(X[:p[1]], y[:p[1]], 0.3)
        assert not is_feasible(X[:p[1] + 1], y[:p[1] + 1], 0.3)


@pytest.fixture
def noisy_ising(tmp_path, monkeypatch):
    """A user model (a declaration in a $MEMGEN_MODEL_PATH directory) assembled from blocks:
    ising-gardner's theory with its random labels replaced by label noise on an Ising teacher,
    and no simulation code. At eta = 1/2 a flipped rule is a fair coin independent of x:
    exactly random labels, so the ising-gardner capacity is this model's theory there. Its
    stored derivation is ising-gardner's (copied: the same theory)."""
    import shutil
    from memgenkit.numerics import declaration
    (tmp_path / "noisy_ising.py").write_text(USER_DECLARATION)
    (tmp_path / "noisy_ising_model.py").write_text(USER_MODEL)
    for src in declaration.lookup("ising-gardner").stored_files():
        sub = "generated" if src.suffix == ".py" else "derivations"
        (tmp_path / sub).mkdir(exist_ok=True)
        shutil.copy(src, tmp_path / sub / f"noisy_ising{src.suffix}")
    monkeypatch.setenv(declaration.PATH_ENV, str(tmp_path))
    return tmp_path


def test_a_block_built_user_model_gets_simulate_and_verify(noisy_ising, capsys):
    from memgenkit.numerics import api, cli
    s = api.simulate("noisy-ising", {"alpha": 0.5, "eta": 0.5}, N=9, instances=10, seed=3)
    assert "exhaustive enumeration" in s["table"]
    again = api.simulate("noisy-ising", {"alpha": 0.5, "eta": 0.5}, N=9, instances=10, seed=3)
    assert np.array_equal(s["record"]["P_max"], again["record"]["P_max"])
    # other labels than ising-gardner's random labels, same seeds
    plain = api.simulate("ising-gardner", {"alpha": 0.5}, N=9, instances=10, seed=3)
    assert not np.array_equal(s["record"]["P_max"], plain["record"]["P_max"])
    rc = cli.main(["verify", "noisy-ising", "--ladder", "9,11,13,15", "--instances", "100",
                   "--seed", "1", "--out-dir", str(noisy_ising / "out")])
    out = capsys.readouterr().out
    assert rc == 0 and "verdict: PASS" in out, out
    assert "noisy-ising verify: kappa=0, eta=0.5" in out


@pytest.mark.parametrize("loss, lam", [("square", 0.1), ("hinge", 0.5)])
def test_moreau_blocks_verify_by_erm(loss, lam, tmp_path):
    """raf-erm's blocks (Gaussian prior, Moreau channels, rules and facts) choose the ERM fit; the
    mixin alone (no raf-erm simulation code in the class) measures m, q, eps_gen from drawn
    instances and the shared ladder matches the theory."""
    from memgenkit.numerics.declaration import lookup
    from memgenkit.numerics.models.raf_erm import RafErm
    model = type("BlockErm", (sb.BlockVerified, RafErm), {})(declaration=lookup("raf-erm"))
    assert isinstance(model.estimator, sb.ERMFit)
    p = {"alpha": 2.0, "eps": 0.3, "lam": lam, "loss": loss}
    s = model.simulate(p, N=40, instances=4, seed=2)
    assert np.array_equal(s["record"]["simulation"]["m"]["mean"],
                          model.simulate(p, N=40, instances=4, seed=2)["record"]["simulation"]
                          ["m"]["mean"])
    v = model.verify(p, quick=True, seed=1, out_dir=tmp_path)
    assert v["passed"], v["table"]
    assert [r["observable"] for r in v["record"]["rows"]] == ["eps_gen", "m", "q"]
    quick, full = model.cost("verify", p, quick=True), model.cost("verify", p)
    assert 0 < quick.seconds < full.seconds and quick.memory < full.memory


@pytest.mark.parametrize("labels", ["rules-and-facts", "label-noise"])
def test_bayes_blocks_verify_by_gamp(labels, tmp_path):
    """raf-bayes's blocks choose GAMP. With label noise eta in place of rules and facts (a new
    label block, no simulation code) the label law (1-2 eta) theta(y nu) + eta is the
    rules-and-facts law at eps = 2 eta, so the raf-bayes theory at eps = 0.3 must match GAMP on
    instances drawn with eta = 0.15: the sign weight is read from the label block."""
    from memgenkit.numerics.declaration import lookup
    from memgenkit.numerics.models.raf_bayes import RafBayes
    from memgenkit.numerics.params import ParamSpec
    d = lookup("raf-bayes")
    if labels == "label-noise":
        d = dataclasses.replace(d, name="toy-noisy-bayes",
                                blocks=("gaussian", "bayes", "label-noise", "sign-teacher"),
                                params=(ParamSpec("eta", 0.0, 0.5, default=0.15),))
    model = type("BlockBayes", (sb.BlockVerified, RafBayes), {})(declaration=d)
    assert isinstance(model.estimator, sb.GAMPFit)
    v = model.verify({"alpha": 2.0, "eps": 0.3}, quick=True, seed=1, out_dir=tmp_path)
    assert v["passed"], v["table"]
    assert v["record"]["rows"][1]["theory"] == v["record"]["rows"][2]["theory"]  # m = q
