"""raf-bayes: kernels against mpmath, the free-entropy stationarity by an independent route
(mpmath finite differences of the stored phi, not the integrated-by-parts equation), the classic
Bayes-optimal perceptron constant, the 1/alpha rate, and Bayes-optimality against every ERM."""
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.theory.derivation import load_json
from memgenkit.theory.evaluate import mp_function

DERIVATION = Path(__file__).resolve().parents[3] / "derivations" / "raf_bayes.json"


@pytest.fixture(scope="module")
def derivation():
    return load_json(DERIVATION.read_text())


def test_fixed_point_kernel_matches_mpmath(derivation):
    m = api.model("raf-bayes")
    for name in ("fixed_point", "fixed_point_noiseless"):
        k = next(k for k in derivation["kernels"] if k["name"] == name)
        syms = list(k["inputs"]) + [p["symbol"] for p in derivation["parameters"]]
        fs = [mp_function(e, syms, [sp_c for sp_c, _ in k["hints"]]) for _, e in k["outputs"]]
        rng = np.random.default_rng(11)
        for qv in (0.01, 0.5, 0.9, 0.999, 0.99999):
            p = (float(np.exp(rng.uniform(-2, 3))), 0.0 if "noiseless" in name
                 else float(rng.uniform(0, 1)))
            with mp.workdps(25):
                ref = [float(f(qv, *p)) for f in fs]
            np.testing.assert_allclose(m.call(name, np.array([qv]), np.array(p)), ref,
                                       rtol=1e-11)


@pytest.mark.parametrize("alpha,eps", [(1.0, 0.0), (3.0, 0.3)])
def test_free_entropy_is_stationary_at_the_solution(derivation, alpha, eps):
    r = api.solve("raf-bayes", alpha=alpha, eps=eps)
    assert r.converged
    step = next(s for s in derivation["steps"] if s["name"] == "free entropy (Nishimori line)")
    phi = step["expressions"]["phi"]
    syms = sorted(phi.free_symbols, key=lambda s: s.name)  # alpha, eps, q, qhat
    f = mp_function(phi, syms, [0])
    vals = {"alpha": alpha, "eps": eps, "q": r["q"], "qhat": r["qhat"]}
    with mp.workdps(25):
        for var in ("q", "qhat"):
            def g(v, var=var):
                return f(*[v if s.name == var else vals[s.name] for s in syms])
            assert abs(mp.diff(g, vals[var])) < 1e-10


def test_bayes_optimal_perceptron_constant():
    """eps = 0: alpha eps_gen -> 0.442 at large alpha (Opper and Haussler 1991)."""
    r = api.solve("raf-bayes", alpha=2000.0, eps=0.0)
    assert abs(2000.0 * r["eps_gen"] - 0.442) < 1e-3


def test_rate_is_one_over_alpha_with_facts():
    a = np.array([500.0, 1000.0, 2000.0, 4000.0])
    e = np.array([api.solve("raf-bayes", alpha=x, eps=0.2)["eps_gen"] for x in a])
    slope = np.polyfit(np.log(a), np.log(e), 1)[0]
    assert abs(slope + 1.0) < 0.01


def test_facts_only_carry_no_information():
    r = api.solve("raf-bayes", alpha=5.0, eps=1.0)
    assert r["q"] == 0.0 and r["eps_gen"] == 0.5


@pytest.mark.parametrize("alpha,eps", [(2.0, 0.2), (0.7, 0.5)])
def test_bayes_lower_bounds_every_erm(alpha, eps):
    bayes = api.solve("raf-bayes", alpha=alpha, eps=eps)["eps_gen"]
    for loss in ("square", "hinge", "logistic"):
        for lam in (1e-2, 0.1, 1.0, 10.0):
            for mustar in (0.0, 0.5):
                r = api.solve("raf-erm", alpha=alpha, eps=eps, lam=lam, loss=loss,
                              mustar=mustar)
                assert r.converged
                assert r["eps_gen"] >= bayes - 1e-12, (loss, lam, mustar)


def test_verify_against_gamp_fast(tmp_path):
    """Independent route: GAMP on sampled instances; m and q (Nishimori: both equal the theory
    q) and eps_gen, 1/N-extrapolated, within 3 standard errors."""
    r = api.verify("raf-bayes", dict(alpha=2.0, eps=0.2), quick=True, seed=0, out_dir=tmp_path)
    assert r["passed"], r["table"]


@pytest.mark.slow
@pytest.mark.parametrize("alpha,eps,instances", [(1.0, 0.5, 20), (3.0, 0.0, 40)])
def test_verify_against_gamp_slow(tmp_path, alpha, eps, instances):
    r = api.verify("raf-bayes", dict(alpha=alpha, eps=eps), instances=instances, seed=0,
                   out_dir=tmp_path)
    assert r["passed"], r["table"]


@pytest.mark.slow
def test_gamp_single_size_many_instances_has_no_bias():
    """alpha = 3, eps = 0 with 200 GAMP instances at N = 400: the overlaps agree with the
    theory's q within 3 standard errors (no 1/N fit needed: the finite-N bias is below the
    statistical error here)."""
    import math

    from memgenkit.numerics.simulation import raf_bayes as rb
    from memgenkit.numerics.simulation.raf_erm import sample
    q_th = api.solve("raf-bayes", alpha=3.0, eps=0.0)["q"]
    ms, qs = [], []
    for s in np.random.SeedSequence([5, 400, 7]).spawn(200):
        X, y, _, w_star = sample(400, 3.0, 0.0, s)
        w, _, ok = rb.gamp(X, y, 0.0)
        assert ok
        ms.append(w @ w_star / 400)
        qs.append(w @ w / 400)
    for v in (np.array(ms), np.array(qs)):
        assert abs(v.mean() - q_th) < 3 * v.std(ddof=1) / math.sqrt(len(v))
