"""The solve path stays lean: a fresh ``memgen solve`` imports none of the heavy packages a solve
does not use (sympy and the theory, plotting, scikit-learn, scipy.stats, the conic solver, the
simulations). Wall times are measured in benchmarks/bench_startup.py, not asserted here."""
import json
import subprocess
import sys

import pytest

# each of these costs a noticeable share of the start (scipy.stats ~1 s, sympy ~1 s, matplotlib
# and scikit-learn ~0.5 s) and none is needed to evaluate a saddle point
FORBIDDEN = ("sympy", "matplotlib", "sklearn", "scipy.stats", "clarabel", "hypothesis",
             "memgenkit.theory", "memgenkit.numerics.codegen", "memgenkit.numerics.plotting",
             "memgenkit.numerics.simulation")

# One fresh process runs every solve in turn and lists, after each, the modules it added: a heavy
# import is charged to the first solve that pulls it in, so any solve that imports one fails its
# case, at the cost of one interpreter start instead of one per model.
PROBE = """
import contextlib, io, json, sys
from memgenkit.numerics import cli
out = []
for argv in json.loads(sys.argv[1]):
    before = set(sys.modules)
    with contextlib.redirect_stdout(io.StringIO()):
        rc = cli.main(["solve", *argv])
    out.append({"rc": rc, "added": sorted(set(sys.modules) - before)})
print(json.dumps({"base": sorted(set(sys.modules) - set().union(*[o["added"] for o in out])),
                  "runs": out}))
"""

SOLVES = [
    ["raf-gardner", "--set", "alpha=1.5", "eps=0.3"],
    ["raf-erm", "--set", "alpha=2", "eps=0.2", "lam=0.1", "loss=hinge"],
    ["raf-erm", "--set", "alpha=2", "eps=0.2", "lam=0.1", "loss=logistic"],
    ["hopfield-ags", "--set", "alpha=0.05"],
    ["ti-krr", "--set", "n=8", "c=0.3", "lam=0.1"],
    ["raf-bayes", "--set", "alpha=2", "eps=0.2"],
    ["raf-rf", "--set", "alpha=2", "psi=3", "eps=0.2", "lam=0.1"],
]


def _heavy(modules):
    return [m for m in modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]


@pytest.fixture(scope="module")
def probe():
    p = subprocess.run([sys.executable, "-c", PROBE, json.dumps(SOLVES)], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_cli_import_is_light(probe):
    assert _heavy(probe["base"]) == []


@pytest.mark.parametrize("k", range(len(SOLVES)),
                         ids=["-".join([a[0]] + [x for x in a if x.startswith("loss=")])
                              for a in SOLVES])
def test_solve_imports_no_heavy_package(probe, k):
    run = probe["runs"][k]
    assert run["rc"] == 0
    assert _heavy(run["added"]) == []


def test_probe_sees_a_heavy_import():
    """The probe's bookkeeping can fail: a solve list that imports sympy in between is caught."""
    code = PROBE.replace("rc = cli.main", "import sympy; rc = cli.main")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(SOLVES[4:5])],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    run = json.loads(p.stdout.strip().splitlines()[-1])["runs"][0]
    assert "sympy" in _heavy(run["added"])
