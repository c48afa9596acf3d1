"""raf-erm in the separable regime, small ridge: the saddle point exists at every lam > 0.

Independent references: the raf-gardner capacity alpha_c(eps, kappa) (its own kernels and
solver), whose inverse in kappa at the given alpha is the largest achievable stability kappa_max
and whose R at capacity is the overlap of the max-margin (maximal stability) perceptron; and
finite-N hard-margin SVMs solved by Clarabel (a QP) with a dual certificate that they are the
hinge-ERM minimizers at the lam used.
"""
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import brentq

from memgenkit.numerics import api
from memgenkit.numerics.models.raf_erm import q_bound


def _max_margin(alpha, eps):
    """(kappa_max, R) of the max-margin perceptron: alpha_c(eps, kappa_max) = alpha."""
    g = api.model("raf-gardner")
    kap = brentq(lambda k: g.capacity(eps, k).alpha_c - alpha, 1e-6, 5.0, xtol=1e-15,
                 rtol=1e-15)
    return kap, g.capacity(eps, kap).R


@pytest.mark.parametrize("alpha,lam", [(30.0, 1e-5), (100.0, 1e-3)])
def test_hinge_small_ridge_converges_cli(alpha, lam):
    """The two points of the issue: converged, exit 0, a finite norm (no 'runs away')."""
    out = subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", "solve", "raf-erm",
                          "--set", "loss=hinge", "eps=0", f"alpha={alpha:g}", f"lam={lam:g}",
                          "--json"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["status"]["converged"] and "runs away" not in r["status"]["message"]
    assert 0 < r["observables"]["norm"] < math.inf
    assert r["order_params"]["q"] <= q_bound(r["params"])


@pytest.mark.parametrize("alpha,eps", [(30.0, 0.0), (100.0, 0.0), (2.0, 0.2)])
def test_hinge_lam_to_zero_is_max_margin(alpha, eps):
    """Hinge with lam -> 0 on separable data is the hard-margin SVM: |w|/sqrt(d) = 1/kappa_max
    and eps_gen = arccos(R)/pi, with kappa_max, R from the raf-gardner capacity. At lam = 1e-8
    the prox region of margin violators (omega < 1 - W, W = V ~ 1/lam) carries Gaussian weight
    H((W - 1)/sqrt q) < 1e-300, so the two agree to the solvers' precision (1e-9 relative: the
    raf-erm kernels are good to 1e-10, the capacity to cap.error)."""
    kap, R = _max_margin(alpha, eps)
    r = api.solve("raf-erm", alpha=alpha, eps=eps, lam=1e-8, loss="hinge")
    assert r.converged, r.status
    assert (r["V"] - 1) / math.sqrt(r["q"]) > 40  # the violators' weight is below H(40)
    assert abs(r.observables["norm"] * kap - 1) < 1e-9
    assert abs(r.observables["eps_gen"] - math.acos(R) / math.pi) < 1e-9 * R
    assert r.observables["eps_train_rule"] == pytest.approx(0.0, abs=1e-12)  # separates


def test_hinge_max_margin_rate_at_large_alpha():
    """alpha eps_gen of the max-margin perceptron tends to 0.500 (Opper et al.: 0.5005/alpha);
    hinge at lam = 1e-8 reaches 0.4995 at alpha = 30 and 0.5004 at alpha = 100."""
    vals = [a * api.solve("raf-erm", alpha=a, eps=0.0, lam=1e-8, loss="hinge")["eps_gen"]
            for a in (30.0, 100.0)]
    assert all(abs(v - 0.5005) < 2e-3 for v in vals)
    assert abs(vals[1] - 0.5005) < abs(vals[0] - 0.5005)


def _hard_margin_instances(alpha, lam, N, instances, seed):
    from memgenkit.numerics.simulation import raf_erm as sim
    from memgenkit.numerics.simulation.perceptron_qp import max_stability
    eg, norm = [], []
    for s in np.random.SeedSequence([seed, N]).spawn(instances):
        X, y, _, ws = sim.sample(N, alpha, 0.0, s)
        r = max_stability(X, y)
        # Certificate: the hinge objective sum max(0, 1 - y w.x/sqrt N) + lam |w|^2/2 has the
        # hard-margin dual with the box 0 <= z <= 1/lam; an optimal hard-margin z inside the box
        # makes u the hinge-ERM minimizer at this lam, exactly.
        assert r.separable and np.max(r.z) < 1.0 / lam
        u = r.u
        eg.append(math.acos(u @ ws / (np.linalg.norm(u) * np.linalg.norm(ws))) / math.pi)
        norm.append(np.linalg.norm(u) / math.sqrt(N))
    se = lambda v: float(np.std(v, ddof=1) / math.sqrt(len(v)))  # noqa: E731
    return {"eps_gen": (float(np.mean(eg)), se(eg)), "norm": (float(np.mean(norm)), se(norm))}


@pytest.mark.parametrize("Ns,instances", [
    ((20, 40), 20),
    pytest.param((20, 40, 80), 40, marks=pytest.mark.slow)])
def test_hinge_eps0_alpha30_against_finite_N_hard_margin(Ns, instances):
    """eps = 0, alpha = 30, lam = 1e-5: Clarabel hard-margin SVMs (certified to be the hinge
    minimizers at this lam) against the theory, 1/N-extrapolated, at 3 standard errors."""
    from memgenkit.numerics.simulation.stats import wls_line
    th = api.solve("raf-erm", alpha=30.0, eps=0.0, lam=1e-5, loss="hinge")
    assert th.converged
    per = {N: _hard_margin_instances(30.0, 1e-5, N, instances, 11) for N in Ns}
    for k in ("eps_gen", "norm"):
        fit = wls_line([1.0 / N for N in Ns], [per[N][k][0] for N in Ns],
                       [per[N][k][1] for N in Ns])
        assert abs(fit.params[0] - th.observables[k]) <= 3 * fit.se[0], (k, per, fit.params)


def test_logistic_separable_norm_grows_like_log_inverse_lam():
    """Logistic below separability (alpha = 2 < alpha_c(0.2, 0) = 2.99): converged at every lam,
    the norm n = |w|/sqrt(d) growing logarithmically. The lam -> 0 theory (Rosset et al. 2004):
    the loss is dominated by the support vectors at margin kappa_max n, so
    kappa_max n = log(1/lam) - log n + const + O(1/n), i.e. (dn/dlog(1/lam)) (kappa_max + 1/n)
    -> 1 with corrections O(1/(kappa_max n^2)), and the direction tends to the max-margin one,
    r = m/sqrt(q) -> R with r - R = O(1/n). kappa_max, R from raf-gardner."""
    kap, R = _max_margin(2.0, 0.2)
    lams = [1e-4, 1e-5, 1e-6, 1e-7, 1e-8]
    sols = [api.solve("raf-erm", alpha=2.0, eps=0.2, lam=lam, loss="logistic") for lam in lams]
    assert all(s.converged for s in sols)
    assert "log(1/lam)" in sols[-1].status["message"]
    n = np.array([s.observables["norm"] for s in sols])
    L = np.log(1 / np.array(lams))
    slope = np.diff(n) / np.diff(L)
    dev = slope * (kap + 2 / (n[1:] + n[:-1])) - 1
    assert np.all(np.abs(dev) < 1 / (kap * n[1:]) ** 2)  # the first neglected order
    assert np.all(np.diff(np.abs(dev)) < 0)  # and it shrinks
    r = np.array([s["m"] / math.sqrt(s["q"]) for s in sols])
    assert np.all(r > R) and np.all(np.diff(r) < 0)
    c = (r - R) * n  # O(1/n): constant to O(1/n) relative
    assert abs(c[-1] / c[2] - 1) < 1 / (kap * n[2])
    # the norm is huge only through V ~ 1/lam; q obeys the a priori bound
    assert all(s["q"] <= q_bound(s.params) for s in sols)
    assert sols[-1]["V"] > 1e6


def test_q_bound_holds_and_failures_are_solver_failures():
    """q <= 2 alpha mu1^2 loss(0)/lam at converged points (the minimum is below the objective at
    0), and an unconverged solve says it is a solver failure, not a runaway of the physics."""
    for loss in ("square", "hinge", "logistic"):
        for p in (dict(alpha=2.0, eps=0.2, lam=1.0), dict(alpha=0.5, eps=0.0, lam=1e-3, mustar=0.5),
                  dict(alpha=5.0, eps=0.5, lam=0.01, mu1=1.7)):
            r = api.solve("raf-erm", loss=loss, **p)
            assert r.converged and r["q"] <= q_bound(r.params)
    r = api.model("raf-erm").solve(dict(alpha=30.0, eps=0.0, lam=1e-5, loss="hinge"),
                                   method="fixed-point", max_iter=50)
    assert not r.converged and r.observables == {}
    assert "solver failure" in r.status["message"] and not r.status["runaway"]


def test_simulated_hinge_at_small_lam_is_the_hard_margin_svm():
    """Small lam stalls liblinear; the simulation then solves the soft-margin QP (Clarabel,
    KKT-certified). Where the hard-margin dual lies in the box z <= 1/lam the two problems
    have the same minimizer: checked on instances, and no fit is left unconverged."""
    from memgenkit.numerics.simulation import raf_erm as sim
    from memgenkit.numerics.simulation.perceptron_qp import max_stability
    v = api.model("raf-erm").validate(dict(alpha=30.0, eps=0.0, lam=1e-5, loss="hinge"))
    for s in np.random.SeedSequence(3).spawn(3):
        X, y, _, _ = sim.sample(20, 30.0, 0.0, s)
        u, f, obj, runaway = sim.fit(v, X, y)
        hm = max_stability(X, y)
        assert not runaway and np.max(hm.z) < 1e5
        assert np.linalg.norm(u - hm.u) < 1e-6 * np.linalg.norm(hm.u)
        theta, ok = sim._hinge_qp(X / np.sqrt(20), y, 1e-5)
        assert ok and np.linalg.norm(theta - hm.u) < 1e-6 * np.linalg.norm(hm.u)
