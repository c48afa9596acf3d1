"""The command line: JSON shape, exit codes, and one-line errors without tracebacks."""
import json
import subprocess
import sys

import pytest


def memgen(*args):
    return subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", *args],
                          capture_output=True, text=True)


def test_solve_json_shape():
    p = memgen("solve", "raf-gardner", "--set", "alpha=1.2", "eps=0.25", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert set(d) >= {"model", "params", "order_params", "observables", "status",
                      "derivation_hash"}
    assert set(d["status"]) >= {"converged", "iterations", "residual"}
    assert d["status"]["converged"] is True
    assert set(d["order_params"]) == {"q", "R"}
    assert "eps_gen" in d["observables"]


def test_boundary_json_names_alpha_c():
    p = memgen("boundary", "raf-gardner", "--set", "eps=1", "kappa=0", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert d["observables"]["alpha_c"] == pytest.approx(2.0, rel=1e-13)
    assert d["observables"]["R"] == 0.0


@pytest.mark.parametrize("args,needle", [
    (["solve", "raf-gardner", "--set", "eps=1.5"], "'eps' = 1.5 is out of range: allowed eps in [0, 1]"),
    (["solve", "raf-gardner", "--set", "eps=-0.1"], "allowed eps in [0, 1]"),
    (["solve", "raf-gardner", "--set", "alpha=0"], "allowed alpha in (0, inf)"),
    (["solve", "raf-gardner", "--set", "alpha=-2"], "allowed alpha in (0, inf)"),
    (["solve", "raf-gardner", "--set", "kappa=-1"], "allowed kappa in [0, inf)"),
    (["solve", "raf-gardner", "--set", "alpha=nan"], "'alpha'"),
    (["solve", "raf-gardner", "--set", "alpha=abc"], "'alpha' = 'abc' is not a number"),
    (["solve", "nomodel"], "unknown model 'nomodel'"),
    (["boundary", "nomodel"], "unknown model 'nomodel'"),
    (["solve", "raf-gardner", "--set", "beta=1"], "no parameter 'beta'"),
    (["sweep", "raf-gardner", "--grid", "alpha=1:2"], "malformed grid"),
    (["sweep", "raf-gardner", "--grid", "alpha=1:x:3"], "malformed grid"),
    (["sweep", "raf-gardner", "--grid", "alpha"], "malformed grid"),
    (["sweep", "raf-gardner", "--grid", "eps=0:2:3"], "allowed eps in [0, 1]"),
    (["solve", "raf-gardner", "--method", "magic"], "'method' = 'magic' is not one of the choices"),
])
def test_bad_input_is_one_line_exit_2(args, needle):
    p = memgen(*args)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert needle in p.stderr


def test_unsat_solve_says_so_and_exits_1():
    p = memgen("solve", "raf-gardner", "--set", "alpha=3", "eps=1", "--json")
    assert p.returncode == 1
    d = json.loads(p.stdout)
    assert d["status"]["converged"] is False
    assert "UNSAT" in d["status"]["message"]


def test_list_names_parameters_and_ranges():
    p = memgen("list")
    assert p.returncode == 0
    assert "raf-gardner" in p.stdout and "eps in [0, 1]" in p.stdout


def test_show_kernel_prints_generated_source():
    p = memgen("derive", "raf-gardner", "--show-kernel")
    assert p.returncode == 0
    assert "@njit" in p.stdout and "DERIVATION_HASH" in p.stdout
