"""numerics/ladder.py: the finite-size ladder on synthetic measurements with a known law.

The synthetic "simulation" at size N returns mean = truth + slope * x(N) + se * (standard normal
draw from a seeded rng), with x = 1/N or N^-1/2 and a known se: the extrapolated intercept must
recover the truth within 3 se (in all but a few in a thousand ladders), an offset theory must
FAIL, and a value near the truth that the ladder is asked to exclude must make it FAIL.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from memgenkit.numerics import kernels
from memgenkit.numerics.ladder import (Estimate, default_tag, extrapolate, mean_estimate,
                                       run_ladder, scaling_variable)

NS = [50, 100, 200, 400]
TRUTH = {"err": 0.3, "overlap": 0.8}
SLOPE = {"err": 2.0, "overlap": -5.0}
SE = 0.004


class _Model:
    name = "toy"
    derivation_hash = "deadbeef"


def _measure(seed, scaling="1/N", unconverged=0):
    rng = np.random.default_rng(seed)

    def measure(N):
        x = 1 / N if scaling == "1/N" else N ** -0.5
        out = {k: Estimate(TRUTH[k] + SLOPE[k] * x + SE * rng.standard_normal(), SE, 20)
               for k in TRUTH}
        out["unconverged"] = unconverged
        return out
    return measure


def _run(tmp_path, seed=0, theory=TRUTH, **kw):
    kw.setdefault("measure", _measure(seed, kw.get("scaling", "1/N")))
    return run_ladder(_Model(), {"alpha": 0.5, "loss": "square"}, theory=dict(theory),
                      Ns=NS, instances=20, seed=seed, out_dir=tmp_path, **kw)


def test_the_fit_is_weighted_least_squares():
    """Against numpy's weighted polynomial fit (an independent implementation)."""
    rng = np.random.default_rng(1)
    means = list(0.3 + 2.0 / np.array(NS) + 0.01 * rng.standard_normal(4))
    ses = [0.01, 0.02, 0.005, 0.01]
    row = extrapolate(NS, means, ses, 0.3)
    b, a = np.polyfit(1 / np.array(NS), means, 1, w=1 / np.array(ses))
    assert row["extrapolated"] == pytest.approx(a, abs=1e-12)
    assert row["slope"] == pytest.approx(b, rel=1e-10)
    # se of the intercept with known sigmas: sqrt of (X^T W X)^-1 [0, 0]
    X = np.column_stack([np.ones(4), 1 / np.array(NS)])
    cov = np.linalg.inv(X.T @ np.diag(1 / np.array(ses) ** 2) @ X)
    assert row["se"] == pytest.approx(math.sqrt(cov[0, 0]), rel=1e-10)
    assert row["z"] == pytest.approx(abs(a - 0.3) / row["se"], rel=1e-10)


def test_noiseless_law_is_recovered_exactly():
    means = [0.3 + 2.0 / N for N in NS]
    row = extrapolate(NS, means, [1e-3] * 4, 0.3)
    assert row["extrapolated"] == pytest.approx(0.3, abs=1e-12) and row["pass"]
    means = [0.3 + 2.0 / math.sqrt(N) for N in NS]
    row = extrapolate(NS, means, [1e-3] * 4, 0.3, scaling="1/sqrt(N)")
    assert row["extrapolated"] == pytest.approx(0.3, abs=1e-12) and row["pass"]
    assert scaling_variable([4, 16], "1/sqrt(N)") == [0.5, 0.25]
    with pytest.raises(ValueError):
        scaling_variable([4], "1/N^2")


def test_intercept_recovers_the_truth_within_3_se_in_most_seeds():
    fails = 0
    for seed in range(200):
        m = _measure(seed)
        per = [m(N) for N in NS]
        for k in TRUTH:
            row = extrapolate(NS, [p[k].mean for p in per], [SE] * 4, TRUTH[k])
            fails += not row["pass"]
    # 400 fits, each failing with probability 0.27 %: expected ~1, P(more than 6) ~ 1e-4
    assert fails <= 6


def test_pass_and_the_result_shape(tmp_path):
    r = _run(tmp_path, header="toy verify")
    assert r["passed"] and set(r) == {"passed", "table", "record", "figure", "path"}
    assert r["table"].splitlines()[0] == "toy verify" and "verdict: PASS" in r["table"]
    rec = json.loads(Path(r["path"]).read_text())
    assert rec == r["record"]
    assert rec["params"] == {"alpha": 0.5, "loss": "square"}
    assert rec["derivation_hash"] == "deadbeef" and rec["versions"] == kernels.versions()
    assert rec["status"]["verdict"] == "PASS" and rec["passed"] is True
    assert rec["Ns"] == NS and rec["instances"] == 20 and rec["seed"] == 0
    assert rec["scaling"] == "1/N" and rec["unconverged"] == 0
    row = rec["rows"][0]
    assert row["observable"] == "err" and len(row["means"]) == len(row["ses"]) == 4
    assert row["ns"] == [20] * 4 and row["dof"] == 2
    assert Path(r["figure"]).is_file() and r["figure"].endswith(".png")
    assert Path(r["path"]).name == "verify-toy-alpha0.5-losssquare-seed0.json"


def test_an_offset_theory_fails(tmp_path):
    r = _run(tmp_path, theory={"err": TRUTH["err"] + 0.05, "overlap": TRUTH["overlap"]})
    rows = {x["observable"]: x for x in r["record"]["rows"]}
    assert not r["passed"] and not rows["err"]["pass"] and rows["overlap"]["pass"]
    assert rows["err"]["z"] > 3 and "verdict: FAIL" in r["table"]
    assert r["record"]["status"]["verdict"] == "FAIL"


def test_an_excluded_value_near_the_truth_fails_and_a_far_one_passes(tmp_path):
    near = _run(tmp_path, excluded={"err": TRUTH["err"] + 0.001}, tag="near")
    row = near["record"]["rows"][0]
    assert row["pass"] and not row["excluded_pass"] and not near["passed"]
    assert "NOT excluded: FAIL" in near["table"]
    far = _run(tmp_path, excluded={"err": TRUTH["err"] + 0.2}, tag="far")
    row = far["record"]["rows"][0]
    assert far["passed"] and row["excluded_pass"] and row["z_excluded"] > 3
    assert row["excluded"] == TRUTH["err"] + 0.2
    with pytest.raises(ValueError, match="without theory"):
        _run(tmp_path, excluded={"nope": 1.0})


def test_sqrt_scaling(tmp_path):
    r = _run(tmp_path, scaling="1/sqrt(N)", measure=_measure(0, "1/sqrt(N)"))
    assert r["passed"] and r["record"]["scaling"] == "1/sqrt(N)"
    # the same N^-1/2 data extrapolated in 1/N miss the truth (slopes 2 and -5 per N^-1/2)
    wrong = _run(tmp_path, measure=_measure(0, "1/sqrt(N)"), tag="wrong")
    assert not wrong["passed"]


def test_unconverged_instances_fail(tmp_path):
    r = _run(tmp_path, measure=_measure(0, unconverged=1), unconverged_note="fits diverged")
    assert not r["passed"] and r["record"]["unconverged"] == 4
    assert "  4 fits diverged: FAIL" in r["table"]


def test_an_observable_not_measured_at_every_N_is_left_out(tmp_path):
    base = _measure(0)

    def measure(N):
        out = base(N)
        if N == NS[0]:
            del out["overlap"]
        return out
    r = _run(tmp_path, measure=measure)
    assert [x["observable"] for x in r["record"]["rows"]] == ["err"] and r["passed"]


def test_progress_extra_status_and_dict_estimates(tmp_path):
    calls = []
    r = run_ladder(_Model(), {"a": 1}, theory={"err": 0.3},
                   measure=lambda N: {"err": {"mean": 0.3 + 2 / N, "se": 1e-3}}, Ns=NS,
                   instances=5, seed=1, out_dir=tmp_path, progress=lambda i, n: calls.append(i),
                   extra={"note": "x"}, status={"converged": True}, tag="t")
    assert calls == [1, 2, 3, 4] and r["record"]["note"] == "x"
    assert r["record"]["status"] == {"converged": True, "verdict": "PASS"}


def test_default_tag_is_deterministic_and_a_file_name():
    t = default_tag(_Model(), {"a": 0.25, "kind": "x/y", "skip": None, "n": 3}, 7)
    assert t == "verify-toy-a0.25-kindx_y-n3-seed7"
    assert default_tag(_Model(), {}, 0) == "verify-toy-seed0"


def test_mean_estimate():
    e = mean_estimate([1.0, 2.0, 3.0, math.nan])
    assert (e.mean, e.n) == (2.0, 3) and e.se == pytest.approx(1 / math.sqrt(3))
