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


# -- regressions of the bad-input audit (issue 10): one line, exit 2, nothing written ----------
def _main(capsys, tmp_path, monkeypatch, *args):
    from memgenkit.numerics.cli import main
    monkeypatch.chdir(tmp_path)
    rc = main(list(args))
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert rc == 2, err
    assert len(lines) == 1 and lines[0].startswith("memgen: error:"), err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    return lines[0]


@pytest.mark.parametrize("args,needle", [
    (["solve", "raf-gardner", "--set", "alpha=1e400"], "'alpha' = inf is not a finite number"),
    (["solve", "raf-erm", "--set", "lam=inf"], "'lam' = inf"),
    (["solve", "raf-rf", "--set", "psi=inf"], "'psi' = inf"),
    (["solve", "raf-gardner", "--set", "kappa=inf"], "allowed kappa in [0, inf)"),
    (["solve", "hopfield-snr", "--set", "alpha=inf"], "'alpha' = inf"),
    (["solve", "ti-krr", "--set", "n=inf"], "n an integer in [3, 100000]"),
    (["solve", "ti-krr", "--set", "n=1e300"], "'n' = 1e+300 is out of range"),
    (["solve", "ti-krr", "--set", "n=5", "depth=1e400"], "'depth'"),
    (["solve", "hopfield-snr", "--set", "N=1e30"], "'N'"),
    (["solve", "composition", "--set", "n=1e400"], "'n'"),
    (["boundary", "raf-erm"], "models with one are raf-gardner, ising-gardner, ising-raf, hopfield-ags, ti-krr"),
    (["boundary", "composition"], "has no boundary"),
    (["verify", "raf-gardner", "--ladder", "a,b"], "--ladder"),
    (["simulate", "raf-gardner", "--seed", "-1"], "--seed = -1 is out of range"),
    (["solve", "raf-gardner", "--mixing", "2", "--method", "fixed-point"],
     "allowed mixing in (0, 1]"),
    (["solve", "raf-gardner", "--mixing", "2"], "--mixing"),
    (["sweep", "raf-gardner", "--boundary", "--grid", "alpha=1:2:2"],
     "'alpha' is what the boundary"),
    (["optimize", "raf-gardner", "--minimize", "eps_gen", "--over", "alpha", "--range", "1e-3:inf"],
     "--range"),
    (["solve", "raf-gardner", "--set", "alpha=1", "alpha=5"], "'alpha' given twice"),
    (["solve", "raf-gardner", "--tol", "0"], "--tol"),
    (["solve", "raf-gardner", "--tol", "-1"], "--tol"),
    (["solve", "raf-gardner", "--tol", "nan"], "--tol"),
    (["sweep", "raf-gardner", "--grid", "eps=0:1:3", "--workers", "0"], "--workers"),
    (["sweep", "raf-gardner", "--grid", "eps=0:1:3", "--workers", "1000"],
     "allowed workers an integer in [1, "),
    (["verify", "raf-gardner", "--instances", "0"], "--instances = 0 is out of range"),
    (["solve", "raf-gardner", "--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["optimize", "raf-gardner"], "required: --minimize, --over"),
    (["sweep", "raf-gardner", "--grid", "eps=0:1:3", "--out", "/nonexistent/x.jsonl"], "--out"),
    (["verify", "raf-gardner", "--out-dir", "/nonexistent/a/b"], "'/nonexistent/a' does not exist"),
    (["plot", "--sweep", "/nonexistent.jsonl"], "--sweep '/nonexistent.jsonl' does not exist"),
])
def test_audit_regressions(args, needle, capsys, tmp_path, monkeypatch):
    assert needle in _main(capsys, tmp_path, monkeypatch, *args)


def test_out_dir_is_never_created_above_an_existing_parent(capsys, tmp_path, monkeypatch):
    target = tmp_path / "no" / "such" / "dir"
    sub = tmp_path / "cwd"
    sub.mkdir()
    _main(capsys, sub, monkeypatch, "verify", "raf-gardner", "--out-dir", str(target))
    assert not (tmp_path / "no").exists()
    # a directory or a file where the other is needed
    (tmp_path / "f.txt").write_text("x")
    assert "not a folder" in _main(capsys, sub, monkeypatch, "verify", "raf-gardner",
                                   "--out-dir", str(tmp_path / "f.txt"))
    assert "not a file" in _main(capsys, sub, monkeypatch, "plot", "raf-gardner", "--x",
                                 "alpha=1:2:3", "--out", str(tmp_path))
    assert "not a file" in _main(capsys, sub, monkeypatch, "plot", "--sweep", str(tmp_path))


def test_help_prints_help_and_exits_0(capsys):
    from memgenkit.numerics.cli import main
    with pytest.raises(SystemExit) as e:
        main(["solve", "--help"])
    assert e.value.code == 0
    assert "usage: memgen solve" in capsys.readouterr().out


def test_optimize_default_range_inside_an_open_bound():
    """ti-krr's c lies in [0, 1): the default search range must stop short of c = 1."""
    from memgenkit.numerics import api
    r = api.optimize("ti-krr", {"n": 7, "exceptions": "5>3", "lam": 0.1}, minimize="mu",
                     over="c")
    assert 0.0 <= r["range"][0] < r["range"][1] < 1.0
    assert 0.0 <= r["argmin"] < 1.0
