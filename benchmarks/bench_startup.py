"""Start-up cost of the ``memgen`` command, as ratios against ``python -c "import numba, numpy,
scipy"`` (the baseline) and against a numba floor, all timed the same way in the same run.

Each command runs in a fresh process (subprocess wall time; the median of ``--repeat`` runs is
reported, the best in brackets, the median being the figure for a loaded machine and the best an
estimate for a quiet one) on a private
kernel cache that one run of the same command fills first, so what is timed is a warm start:
kernels loaded from disk, nothing compiled. The target is every listed solve <= 2x the baseline.
The floor row (the baseline plus loading one trivial cached numba function) is what any solve
pays before its own work, since its kernels are numba machine code: the first cached function a
process loads initialises numba's CPU target, which also imports scipy.linalg (for BLAS); on a
2-core machine that alone is 2.2-2.3x the baseline, so the 2x target is below the floor.
Commands are timed round robin, so that a shared machine's changing load hits every row alike.

composition's theory (cavity population dynamics) itself takes seconds, so its row also reports
the start overhead: a fresh process that parses the same command line and runs the model's
theory with a tiny Monte Carlo effort, less a second tiny theory in that process (machine code
loaded), i.e. what the start adds to a composition solve.

Usage: python benchmarks/bench_startup.py [--repeat N] [--json out.json]
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = "import numba, numpy, scipy"
# what any command that runs numba machine code pays on top of the baseline: loading one trivial
# cached function initialises numba's CPU target (its typing and lowering registries, and
# scipy.linalg for BLAS), ~1x the baseline by itself; a warm solve cannot go below this floor
FLOOR = """
import numba, numpy, scipy
@numba.njit(cache=True)
def f(x):
    return x + 1.0
f(1.0)
"""
SOLVES = {
    "raf-gardner": ["raf-gardner", "--set", "alpha=1.5", "eps=0.3"],
    "raf-erm": ["raf-erm", "--set", "alpha=2", "eps=0.2", "lam=0.1", "loss=hinge"],
    "raf-erm-logistic": ["raf-erm", "--set", "alpha=2", "eps=0.2", "lam=0.1", "loss=logistic"],
    "hopfield-ags": ["hopfield-ags", "--set", "alpha=0.05"],
    "ti-krr": ["ti-krr", "--set", "n=8", "c=0.3", "lam=0.1"],
    "composition": ["composition", "--set", "a=1.5", "sigma=0.05"],
}
# composition's start without its seconds of theory: the same model through the same CLI code
# with a tiny theory (Monte Carlo effort ~0, as in bench_composition.py), then that tiny theory
# again in the warm process; the process's wall time less the second is what the start costs
TINY_START = """
import json, sys, time
from memgenkit.numerics import cli
from memgenkit.numerics import api
argv = ["solve", "composition", "--set", "a=1.5", "sigma=0.05"]
args = cli._parser().parse_args(argv)
m = api.model("composition")
v, mc = m.validate(cli._params(args, "solve")), dict(batches=1, pop=50, sweeps=1, reps=10)
m.theory(v, mc=mc)
t0 = time.perf_counter()
m.theory(v, mc=mc)
print(json.dumps({"second_tiny_s": time.perf_counter() - t0}))
"""


def _memgen():
    """The installed console script next to this interpreter (what a user runs), else -m."""
    exe = Path(sys.executable).with_name("memgen")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "memgenkit.numerics.cli"]


def _wall(cmd, env):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return dt, p.stdout


def _tiny_start(env):
    w, out = _wall([sys.executable, "-c", TINY_START], env)
    return w - json.loads(out.strip().splitlines()[-1])["second_tiny_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = dict(os.environ, MEMGEN_CACHE_DIR=str(Path(tmp) / "cache"))
        (Path(tmp) / "floor.py").write_text(FLOOR)
        rows = {"baseline": (f"python -c '{BASELINE}'", [sys.executable, "-c", BASELINE]),
                "numba_floor": ("floor: baseline + load one cached njit function",
                                [sys.executable, str(Path(tmp) / "floor.py")]),
                "help": ("memgen --help", _memgen() + ["--help"])}
        for name, argv in SOLVES.items():
            rows[f"solve_{name}"] = (f"memgen solve {' '.join(argv)}", _memgen() + ["solve"] + argv)
        timers = {k: functools.partial(lambda cmd: _wall(cmd, env)[0], cmd)
                  for k, (_, cmd) in rows.items()}
        timers["composition_start_overhead"] = functools.partial(_tiny_start, env)
        for t in timers.values():
            t()  # warm: fills the kernel cache (and the OS file cache)
        # round robin, so that a change in the load of a shared machine hits every row alike
        runs = {k: [] for k in timers}
        for _ in range(args.repeat):
            for k, t in timers.items():
                runs[k].append(t())
    best = {k: min(v) for k, v in runs.items()}
    med = {k: statistics.median(v) for k, v in runs.items()}
    base = best["baseline"]
    for k, v in best.items():
        label = rows[k][0] if k in rows else ("composition start overhead (tiny theory, less "
                                              "its second run in the process)")
        print(f"{label}: median {med[k]:.3f} s ({med[k] / med['baseline']:.2f}x the baseline, "
              f"{med[k] / med['numba_floor']:.2f}x the floor)  [best {v:.3f} s, "
              f"{v / base:.2f}x, {v / best['numba_floor']:.2f}x]")
    report = {**{f"{k}_s": v for k, v in best.items()},
              **{f"{k}_ratio": v / base for k, v in best.items() if k != "baseline"},
              **{f"{k}_floor_ratio": v / best["numba_floor"] for k, v in best.items()
                 if k.startswith(("solve_", "composition_"))},
              **{f"{k}_median_s": v for k, v in med.items()},
              **{f"{k}_median_ratio": v / med["baseline"] for k, v in med.items()
                 if k != "baseline"},
              "repeat": args.repeat, "python": sys.version.split()[0],
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
