"""raf-erm: generated kernels and solutions against independent references.

References never touch the numba kernels: mpmath tanh-sinh quadrature (20-30 digits) of the stored
expressions, the mpmath bisection prox of theory/prox.py, brute-force minimization, and the
closed-form square-loss solution against the iterated map.
"""
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.theory.derivation import load_json
from memgenkit.theory.evaluate import mp_function

DERIVATION = Path(__file__).resolve().parents[3] / "derivations" / "raf_erm.json"


@pytest.fixture(scope="module")
def derivation():
    return load_json(DERIVATION.read_text())


@pytest.fixture(scope="module")
def model():
    return api.model("raf-erm")


def _kernel(d, name):
    k = next(k for k in d["kernels"] if k["name"] == name)
    params = [p["symbol"] for p in d["parameters"]]
    cuts = [c for c, _ in k["hints"]]
    return [mp_function(e, list(k["inputs"]) + params, cuts) for _, e in k["outputs"]]


def _random_points(rng, k, tails=True):
    """(m, q, V) with m^2 < q and parameters (alpha, eps, lam, mu1, mustar) from the declared
    domains, including tail values (q large, m close to sqrt q, small lam)."""
    pts = []
    for i in range(k):
        q = float(np.exp(rng.uniform(np.log(0.05), np.log(30.0 if tails else 3.0))))
        r = rng.uniform(-0.95, 0.995)
        V = float(np.exp(rng.uniform(np.log(0.05), np.log(20.0))))
        p = (float(np.exp(rng.uniform(-2, 2))), float(rng.uniform(0, 1)),
             float(np.exp(rng.uniform(-4, 1))), float(rng.uniform(0.3, 2)),
             float(rng.choice([0.0, rng.uniform(0, 1.5)])))
        pts.append(((r * np.sqrt(q), q, V), p))
    return pts


@pytest.mark.parametrize("loss,npts", [("square", 4), ("hinge", 4), ("logistic", 1),
                                       pytest.param("hinge", 12, marks=pytest.mark.slow),
                                       pytest.param("logistic", 4, marks=pytest.mark.slow)])
def test_channel_kernels_match_mpmath(derivation, model, loss, npts):
    rng = np.random.default_rng({"square": 1, "hinge": 2, "logistic": 3}[loss] + npts)
    refs = _kernel(derivation, f"channel_{loss}")
    obs_refs = _kernel(derivation, f"observables_{loss}")
    prior = _kernel(derivation, "prior")
    dps = 15 if loss == "logistic" else 25
    for x, p in _random_points(rng, npts):
        ours = model.call(f"channel_{loss}", np.array(x), np.array(p))
        with mp.workdps(dps):
            ref = [float(f(*x, *p)) for f in refs]
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-13, err_msg=str((x, p)))
        hats = np.array(ref)
        if hats[1] < 0:
            continue
        xo = np.concatenate([x, hats])
        ours = model.call(f"observables_{loss}", xo, np.array(p))
        with mp.workdps(dps):
            ref = [float(f(*xo, *p)) for f in obs_refs]
            ref_prior = [float(f(*hats, *p)) for f in prior]
        np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-13, err_msg=str((xo, p)))
        np.testing.assert_allclose(model.call("prior", hats, np.array(p)), ref_prior,
                                   rtol=1e-13)


def test_closed_form_square_kernel_matches_mpmath(derivation, model):
    f = _kernel(derivation, "closed_form_square")
    rng = np.random.default_rng(5)
    for _, p in _random_points(rng, 8):
        with mp.workdps(30):
            ref = [float(g(*p)) for g in f]
        np.testing.assert_allclose(model.call("closed_form_square", np.empty(0), np.array(p)),
                                   ref, rtol=1e-11)


@pytest.mark.parametrize("params", [dict(alpha=2.0, eps=0.2, lam=0.1),
                                    dict(alpha=0.5, eps=0.6, lam=1e-3, mustar=0.8),
                                    dict(alpha=7.0, eps=0.0, lam=3.0, mu1=0.4)])
def test_square_closed_form_equals_iterated_solution(model, params):
    cf = model.solve(dict(params, loss="square"))
    it = model.solve(dict(params, loss="square"), iterate=True, tol=1e-14)
    assert cf.converged and it.converged
    for k in ("m", "q", "V"):
        assert abs(cf[k] - it[k]) <= 1e-10 * max(1, abs(cf[k])), k
    for k in cf.observables:
        assert abs(cf.observables[k] - it.observables[k]) <= 1e-10


@pytest.mark.parametrize("loss,params", [
    ("hinge", dict(alpha=2.0, eps=0.2, lam=0.1)),
    pytest.param("logistic", dict(alpha=2.0, eps=0.2, lam=0.1), marks=pytest.mark.slow),
    pytest.param("hinge", dict(alpha=4.0, eps=0.3, lam=0.01, mustar=0.5),
                 marks=pytest.mark.slow),
    pytest.param("logistic", dict(alpha=0.8, eps=0.1, lam=1e-3), marks=pytest.mark.slow),
    # small ridge, separable: where the compiled iteration stalls and scaled Newton finishes
    ("hinge", dict(alpha=30.0, eps=0.0, lam=1e-5)),
    pytest.param("logistic", dict(alpha=2.0, eps=0.2, lam=1e-8), marks=pytest.mark.slow),
])
def test_solution_is_fixed_point_at_high_precision(derivation, model, loss, params):
    """The stored map prior(channel(x)) evaluated with mpmath (20 digits) at the numba solution
    returns it to 1e-10: the solution solves the stored equations, not just its own kernels."""
    r = model.solve(dict(params, loss=loss))
    assert r.converged
    v = model.validate(dict(params, loss=loss))
    p = list(model.pvec(v))
    ch = _kernel(derivation, f"channel_{loss}")
    pr = _kernel(derivation, "prior")
    x = [r["m"], r["q"], r["V"]]
    with mp.workdps(20):
        hats = [f(*x, *p) for f in ch]
        new = [float(f(*hats, *p)) for f in pr]
    np.testing.assert_allclose(new, x, rtol=1e-10)


def test_prox_logistic_against_mpmath():
    from memgenkit.numerics.prox import prox_logistic
    from memgenkit.theory.prox import _mp_prox_logistic
    rng = np.random.default_rng(7)
    pts = [(-300.0, 1e3), (300.0, 1e-3), (0.0, 1e-8), (-5.0, 1e6), (40.0, 2.0)]
    pts += [(float(rng.normal(0, 10)), float(np.exp(rng.uniform(-8, 8)))) for _ in range(40)]
    # the bend of the prox, omega in [-W, 0] (where an unguarded Newton cycles), over many W
    for _ in range(400):
        W = float(np.exp(rng.uniform(-6, 10)))
        pts.append((float(rng.uniform(-1.5 * W - 10, 10)), W))
    for om, W in pts:
        with mp.workdps(30):
            ref = float(_mp_prox_logistic(om, W))
        # g(z) = z - omega - W sigma(-z) is evaluated with rounding ~ eps max(|omega|, |z|)
        assert abs(prox_logistic(om, W) - ref) <= 1e-15 * max(1.0, abs(ref), abs(om)), (om, W)


def test_separable_logistic_converges_at_tiny_lam(model):
    """Logistic below the raf-gardner capacity at kappa = 0: the norm grows as lam -> 0 but the
    objective is lam-strongly convex, so the saddle point exists at every lam > 0 and is
    returned (no 'runs away'); the separability is stated in the message. Above capacity the
    lam -> 0 limit is finite. (The log(1/lam) law is checked in test_raf_erm_separable.py.)"""
    cap = api.boundary("raf-gardner", eps=0.2, kappa=0.0).observables["alpha_c"]
    sols = [model.solve(dict(alpha=1.0, eps=0.2, lam=lam, loss="logistic"))
            for lam in (1e-2, 1e-4, 1e-6, 1e-8, 1e-12)]
    assert 1.0 < cap and all(r.converged for r in sols)
    norms = [r["q"] for r in sols]
    assert all(a < b for a, b in zip(norms, norms[1:]))  # grows like log(1/lam)^2
    assert "separable regime" in sols[-1].status["message"]
    assert "runs away" not in sols[-1].status["message"]
    above = model.solve(dict(alpha=1.2 * cap, eps=0.2, lam=1e-9, loss="logistic"))
    assert above.converged and above["q"] < 1e3
    assert "separable" not in above.status["message"]


def test_activation_coefficients_against_mpmath():
    from memgenkit.numerics.models.raf_erm import activation_coefficients
    acts = {"sign": mp.sign, "relu": lambda z: max(z, 0), "erf": mp.erf, "tanh": mp.tanh,
            "linear": lambda z: z}
    for name, f in acts.items():
        with mp.workdps(20):
            g = lambda h: mp.quad(lambda z: h(z) * mp.npdf(z), [-mp.inf, 0, mp.inf])  # noqa
            mu0, mu1 = g(f), g(lambda z: z * f(z))
            mus = mp.sqrt(g(lambda z: f(z) ** 2) - mu0**2 - mu1**2)
        ours = activation_coefficients(name, "raf_erm")
        np.testing.assert_allclose(ours, [float(mu0), float(mu1), float(mus)], atol=1e-12)


def test_free_entropy_is_minus_objective_per_dimension(model):
    """Envelope identity: d train_loss / d lam = |w|^2/(2n) (finite difference of the solved
    objective against the order parameter q = mu1^2 |w|^2/d)."""
    base = dict(alpha=1.5, eps=0.3, mu1=1.3, mustar=0.0, loss="hinge")
    h = 1e-5
    lo = model.solve(dict(base, lam=0.2 - h)).observables["train_loss"]
    hi = model.solve(dict(base, lam=0.2 + h)).observables["train_loss"]
    r = model.solve(dict(base, lam=0.2))
    assert abs((hi - lo) / (2 * h) - r["q"] / base["mu1"] ** 2 / (2 * base["alpha"])) < 1e-7


@pytest.mark.parametrize("alpha", [0.7, 4.0])
def test_optimal_ridge_square_loss_is_classic_value(alpha):
    """eps = 0, square loss: the eps_gen-optimal ridge is pi/2 - 1 at every alpha (Aubin et al.
    2020, sign teacher); memgen optimize finds it by bounded Brent on converged solves."""
    r = api.optimize("raf-erm", dict(alpha=alpha, eps=0.0), minimize="eps_gen", over="lam")
    assert r["converged"] and not r["unconverged_points"]
    assert abs(r["argmin"] - (np.pi / 2 - 1)) < 2e-4 * (np.pi / 2 - 1)


def test_optimize_cli_json(capsys):
    import json

    from memgenkit.numerics.cli import main
    rc = main(["optimize", "raf-erm", "--set", "alpha=2", "eps=0.2", "loss=hinge",
               "--minimize", "eps_gen", "--over", "lam", "--range", "0.01:10", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0 and out["over"] == "lam" and 0.01 < out["argmin"] < 10
    # the minimum is a minimum: neighbours on either side are not lower
    for f in (0.9, 1.1):
        v = api.solve("raf-erm", alpha=2, eps=0.2, loss="hinge", lam=out["argmin"] * f)
        assert v["eps_gen"] >= out["minimum"] - 1e-12
    assert main(["optimize", "raf-erm", "--minimize", "nope", "--over", "lam"]) == 2


def test_optimal_ridge_of_kernel_ridge_regression():
    """Kernel ridge with K = mu1^2 XX^T/d + mustar^2 I predicts on fresh inputs exactly as linear
    ridge with ridge (lam + mustar^2)/mu1^2 (algebra of (K + lam I)^-1), so its eps_gen-optimal
    lam is mu1^2 lam_lin - mustar^2 with lam_lin = pi/(2 (1-eps)^2) - 1, at the same eps_gen."""
    from memgenkit.numerics.models.raf_erm import activation_coefficients
    _, mu1, mus = activation_coefficients("relu", "raf_erm")
    lin = api.optimize("raf-erm", dict(alpha=2.0, eps=0.3), minimize="eps_gen", over="lam")
    ker = api.optimize("raf-erm", dict(alpha=2.0, eps=0.3, activation="relu"),
                       minimize="eps_gen", over="lam")
    lam_lin = np.pi / (2 * 0.7**2) - 1
    assert abs(lin["argmin"] - lam_lin) < 2e-4 * lam_lin
    assert abs(ker["argmin"] - (mu1**2 * lam_lin - mus**2)) < 2e-4 * lam_lin
    assert abs(ker["minimum"] - lin["minimum"]) < 1e-12
