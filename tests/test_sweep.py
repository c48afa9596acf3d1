"""Sweeps: grid parsing, resumability after an interruption, workers."""
import json

import pytest

from memgenkit.numerics import api
from memgenkit.numerics.errors import InputError


def test_parse_grid():
    assert api.parse_grid("alpha=0:1:3") == ("alpha", [0.0, 0.5, 1.0])
    assert api.parse_grid("eps=0.1,0.2") == ("eps", [0.1, 0.2])
    for bad in ("alpha", "alpha=1:2", "alpha=1:2:0", "alpha=a:b:c", "=1:2:3", "alpha=", "x=1:inf:3"):
        with pytest.raises(InputError):
            api.parse_grid(bad)


def test_sweep_resumes_without_recomputing(tmp_path):
    out = tmp_path / "s.jsonl"
    grid = ["eps=0.1,0.3", "alpha=0.5:1.5:4"]
    first = api.sweep("raf-gardner", grid, out=out)
    assert len(first) == 8 and all(r["status"]["converged"] for r in first)
    lines = out.read_text().splitlines()
    # Simulate an interruption: drop the last three points and leave a half-written record.
    out.write_text("\n".join(lines[:-3]) + "\n" + lines[-3][: len(lines[-3]) // 2])
    calls = []
    again = api.sweep("raf-gardner", grid, out=out, progress=lambda *a: calls.append(a))
    assert len(again) == 8
    assert len(calls) == 1 + 3  # the total, then exactly the three missing points
    for a, b in zip(first, again):
        # recomputed points start from a different warm start: equal to solver precision
        assert a["params"] == b["params"]
        assert a["order_params"] == pytest.approx(b["order_params"], abs=1e-11)
    third = api.sweep("raf-gardner", grid, out=out)
    assert third == again
    header = json.loads(out.read_text().splitlines()[0])
    assert header["derivation_hash"] and header["versions"]["numba"]


def test_sweep_refuses_a_foreign_file(tmp_path):
    out = tmp_path / "s.jsonl"
    api.sweep("raf-gardner", ["alpha=0.5:1:2"], {"eps": 0.1}, out=out)
    with pytest.raises(InputError, match="different sweep"):
        api.sweep("raf-gardner", ["alpha=0.5:1:2"], {"eps": 0.2}, out=out)


def test_sweep_workers_give_the_same_results(tmp_path):
    grid = ["eps=0.0,0.5", "alpha=0.4:1.2:3"]
    serial = api.sweep("raf-gardner", grid, kappa=0.2)
    par = api.sweep("raf-gardner", grid, kappa=0.2, workers=2)
    for a, b in zip(serial, par):
        assert a["params"] == b["params"]
        assert a["order_params"] == pytest.approx(b["order_params"], abs=1e-11)


def test_boundary_sweep():
    recs = api.sweep("raf-gardner", ["eps=0.2:1:5"], task="boundary")
    ac = [r["observables"]["alpha_c"] for r in recs]
    assert ac == sorted(ac, reverse=True) and ac[-1] == pytest.approx(2.0)


def test_sweep_with_a_categorical_parameter_resumes(tmp_path):
    """ti-krr carries its exceptions as a string; sweep keys and resumption must handle it."""
    out = tmp_path / "ti.jsonl"
    first = api.sweep("ti-krr", ["c=0:0.9:4"], {"n": 8, "lam": 0.1, "exceptions": "5>3"}, out=out)
    assert len(first) == 4 and all(r["status"]["converged"] for r in first)
    calls = []
    again = api.sweep("ti-krr", ["c=0:0.9:4"], {"n": 8, "lam": 0.1, "exceptions": "5>3"},
                      out=out, progress=lambda *a: calls.append(a))
    assert len(calls) == 1 and len(again) == 4  # nothing recomputed
