"""Solvers and continuation on problems with known answers."""
import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.numerics.solvers import anderson, fixed_point, hybrid, newton


def _cos_problem():
    # x = cos(x) componentwise, with an analytic Jacobian of F = T - x.
    def T(x):
        return np.cos(x)

    def F(x):
        return np.cos(x) - x

    def J(x):
        return np.diag(-np.sin(x) - 1)

    def system(x):
        return F(x), J(x), T(x) - x

    return T, F, J, system


DOTTIE = 0.7390851332151607  # the Dottie number, root of cos x = x


@pytest.mark.parametrize("solver", ["fixed_point", "anderson", "newton", "hybrid"])
def test_solvers_find_dottie_number(solver):
    T, F, J, system = _cos_problem()
    x0 = np.array([0.1, 1.2])
    if solver == "fixed_point":
        x, st = fixed_point(T, x0, mixing=0.6)
    elif solver == "anderson":
        x, st = anderson(T, x0)
    elif solver == "newton":
        x, st = newton(system, x0)
    else:
        x, st = hybrid(system, T, x0)
    assert st.converged and st.residual < 1e-12
    np.testing.assert_allclose(x, DOTTIE, rtol=1e-12)


def test_mixing_is_the_weight_on_the_new_iterate():
    T, _, _, _ = _cos_problem()
    x0 = np.array([0.0])
    x1, _ = fixed_point(T, x0, mixing=1.0, max_iter=1, tol=0)
    # one step of plain iteration would be cos(0) = 1; with mixing=0.25 it is 0.25
    xq, _ = fixed_point(T, x0, mixing=0.25, max_iter=1, tol=0)
    assert x1[0] == pytest.approx(1.0) and xq[0] == pytest.approx(0.25)


def test_nonconvergence_is_reported():
    x, st = fixed_point(lambda x: 2 * x + 1, np.array([0.1]), mixing=1.0, max_iter=30)
    assert not st.converged and st.message


def test_anderson_accelerates_damped_iteration():
    T, _, _, _ = _cos_problem()
    _, slow = fixed_point(T, np.array([0.1]), mixing=0.1)
    _, fast = anderson(T, np.array([0.1]), mixing=0.1)
    assert fast.converged and fast.iterations < slow.iterations / 3


def test_all_methods_agree_on_raf_gardner():
    sols = {m: api.solve("raf-gardner", alpha=1.4, eps=0.2, kappa=0.3, method=m)
            for m in ("hybrid", "newton", "anderson", "fixed-point")}
    ref = sols["newton"]
    for m, r in sols.items():
        assert r.converged, (m, r.status)
        assert r["q"] == pytest.approx(ref["q"], abs=1e-11)
        assert r["R"] == pytest.approx(ref["R"], abs=1e-11)


def test_continuation_both_directions_agree_and_track_capacity():
    alphas = np.linspace(0.05, 2.5, 60)
    c = api.continuation("raf-gardner", "alpha", alphas, eps=0.3)
    assert c.forward.converged_mask().all() and c.backward.converged_mask().all()
    assert c.coexisting == []
    q = c.forward.series("q")
    assert np.all(np.diff(q) > 0)  # solutions shrink as constraints are added
    eq = c.equilibrium()
    assert len(eq) == len(alphas) and all(r.converged for r in eq)


def test_continuation_keeps_unsat_points_as_not_converged():
    ac = api.boundary("raf-gardner", eps=0.5, kappa=0.0).observables["alpha_c"]
    c = api.continuation("raf-gardner", "alpha", [0.5 * ac, 0.9 * ac, 1.1 * ac], eps=0.5,
                         both=False)
    assert [r.converged for r in c.forward.results] == [True, True, False]
