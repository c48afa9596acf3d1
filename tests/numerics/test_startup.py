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

PROBE = """
import contextlib, io, json, sys
from memgenkit.numerics import cli
with contextlib.redirect_stdout(io.StringIO()):
    rc = cli.main(sys.argv[1:])
print(json.dumps({"rc": rc, "modules": sorted(sys.modules)}))
"""


@pytest.mark.parametrize("argv", [
    ["raf-gardner", "--set", "alpha=1.5", "eps=0.3"],
    ["raf-erm", "--set", "alpha=2", "eps=0.2", "lam=0.1", "loss=hinge"],
    ["raf-erm", "--set", "alpha=2", "eps=0.2", "lam=0.1", "loss=logistic"],
    ["hopfield-ags", "--set", "alpha=0.05"],
    ["ti-krr", "--set", "n=8", "c=0.3", "lam=0.1"],
    ["raf-bayes", "--set", "alpha=2", "eps=0.2"],
    ["raf-rf", "--set", "alpha=2", "psi=3", "eps=0.2", "lam=0.1"],
], ids=lambda a: "-".join([a[0]] + [x for x in a if x.startswith("loss=")]))
def test_solve_imports_no_heavy_package(argv):
    p = subprocess.run([sys.executable, "-c", PROBE, "solve", *argv], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert out["rc"] == 0
    loaded = [m for m in out["modules"]
              if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert loaded == []
