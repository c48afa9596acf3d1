"""`memgen verify ti-krr`: closed forms vs brute-force KRR, finite networks vs the kernel theory.

Fast: the quick width ladder with a fixed seed (verdict asserted), the CLI exit status, and a
negative control (the same network samples against a wrong kernel must FAIL). The default ladder
(widths up to 16384, 16 seeds) is marked slow: python -m pytest -m slow tests/numerics/simulation/test_ti_krr.py
"""
import json

import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.numerics.cli import main
from memgenkit.numerics.simulation import ti_krr as sim


def test_quick_verify_passes(tmp_path):
    r = api.verify("ti-krr", {}, quick=True, seed=3, out_dir=tmp_path)
    assert r["passed"], r["table"]
    rec = json.loads(open(r["path"]).read())
    assert rec["status"]["verdict"] == "PASS" and rec["derivation_hash"]
    assert rec["brute_force"]["max_error"] <= 1e-12
    gd = rec["gradient_descent"]
    # the networks answer exactly the theory's pairs against the rule near the exception
    assert gd["wrong_pairs_theory"] and gd["wrong_pairs_network"] == gd["wrong_pairs_theory"]
    for key in ("random_features", "gradient_descent"):
        s = rec[key]
        assert s["rms_error"][-1] < s["rms_error"][0] / 3  # 16x wider: error / ~4
    assert (tmp_path / r["figure"].split("/")[-1]).exists()


def test_negative_control_wrong_kernel_fails():
    """RF networks (NNGP) tested against the NTK's prediction: the verdict must be FAIL."""
    n, exc, lam = 8, [(5, 3)], 0.3
    widths, S = (256, 1024, 4096), 6
    samples = {w: np.array([sim.rf_margins(n, exc, lam, w, sim.seed_for(5, w, k))
                            for k in range(S)]) for w in widths}
    m = api.model("ti-krr")
    test = np.isin(m.pair_groups(n, exc), m.TEST_GROUPS)
    right = m.margin_matrix(n=n, exceptions="5>3", lam=lam, depth=1, ntk=0)
    wrong = m.margin_matrix(n=n, exceptions="5>3", lam=lam, depth=1, ntk=1)
    assert sim._network_section("rf", right, samples, widths, test)["passed"]
    assert not sim._network_section("rf", wrong, samples, widths, test)["passed"]


def test_verify_cli_exit_status(tmp_path, capsys):
    rc = main(["verify", "ti-krr", "--set", "n=8", "lam=0.1", "--exceptions", "5>3",
               "--ladder", "128,512,2048", "--instances", "5", "--seed", "2",
               "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "verdict: PASS" in out


def test_verify_input_errors(capsys):
    assert main(["verify", "ti-krr", "--set", "n=8", "depth=2", "--quick"]) == 2
    assert main(["verify", "ti-krr", "--set", "n=8", "--ladder", "64", "--quick"]) == 2
    capsys.readouterr()


@pytest.mark.slow
@pytest.mark.parametrize("params", [{}, {"n": 10, "exceptions": "6>4", "lam": 0.2},
                                    {"n": 12, "exceptions": "5>2,10>8", "lam": 0.0}])
def test_full_ladder_verdict(tmp_path, params):
    """About 2 minutes each on 2 cores (the default ladder of `memgen verify`, up to width
    16384 with 16 seeds, takes ~5.5 minutes)."""
    r = api.verify("ti-krr", params, Ns=[256, 1024, 4096, 8192], instances=12, seed=11,
                   out_dir=tmp_path)
    assert r["passed"], r["table"]
    gd = r["record"]["gradient_descent"]
    assert -0.65 < gd["slope"] < -0.35  # error ~ width^-1/2
