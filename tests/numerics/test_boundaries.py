"""numerics/boundaries.py: declared boundaries (analytic limit, root along a parameter)."""
import math

import pytest

from memgenkit.numerics import api
from memgenkit.numerics.boundaries import Analytic, Root, Stability, solve_boundaries


@pytest.fixture(scope="module")
def model():
    return api.model("ising-gardner")


def test_root_is_where_the_observable_vanishes(model):
    r = solve_boundaries(model, {"kappa": 0.2}, model.boundaries, "alpha")
    assert r.converged
    a_c = r.observables["alpha_c"]
    s = api.solve("ising-gardner", alpha=a_c, kappa=0.2)
    assert abs(s.observables["entropy"]) < 1e-12
    assert r.observables["alpha_c"] < r.observables["alpha_rs"]
    assert r.status["boundaries"]["alpha_c"]["error"] < 1e-10


def test_bracket_without_sign_change_is_reported(model):
    b = (Analytic("alpha_rs", "alpha_rs", "alpha_rs"),
         Root("low", "entropy", lambda v: (0.05, 0.1), scan=2))
    r = solve_boundaries(model, {"kappa": 0.0}, b, "alpha")
    assert not r.converged
    assert math.isnan(r.observables["low"])
    assert "no sign change" in r.status["boundaries"]["low"]["message"]


def test_stability_shares_the_root_machinery(model):
    """A declared observable crossing a level (here q = 1/2) along alpha, as a Stability."""
    b = (Stability("q_half", "q", lambda v: (0.2, 1.0), level=0.5),)
    r = solve_boundaries(model, {"kappa": 0.0}, b, "alpha")
    assert r.converged and r.status["boundaries"]["q_half"]["kind"] == "stability"
    s = api.solve("ising-gardner", alpha=r.observables["q_half"], kappa=0.0)
    assert abs(s["q"] - 0.5) < 1e-12
    assert abs(r.observables["q_half.q"] - 0.5) < 1e-12


def test_cli_boundary_json(capsys):
    import json

    from memgenkit.numerics import cli
    assert cli.main(["boundary", "ising-gardner", "--set", "kappa=0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"]["converged"]
    assert set(out["status"]["boundaries"]) == {"alpha_rs", "alpha_c", "alpha_AT"}
    assert out["observables"]["alpha_c"] < out["observables"]["alpha_rs"]
