"""`memgen verify` for the Hopfield models, verdicts asserted (fast subset; the rest is slow).

hopfield-ags --quick: one-step Hebb flip probability against the exact finite-N binomial tail
(-> H(1/sqrt(alpha))), symmetric L-mixture overlaps 1/2, 3/8, 5/16 at alpha -> 0, each a 3-sigma
verdict. hopfield-snr --quick: k_max(N) of Hebb networks on power-law data over N = 1000..4000, the
fitted exponent against the derived 1/(2 eta) and no trend with alpha (3 sigma).
"""
import json

import pytest

from memgenkit.numerics import api
from memgenkit.numerics.cli import main


def test_verify_ags_quick_passes(tmp_path, capsys):
    assert main(["verify", "hopfield-ags", "--quick", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "verdict: PASS" in out
    rec = json.loads(next(tmp_path.glob("verify-hopfield-ags-*.json")).read_text())
    assert rec["passed"] and rec["flip"]["passed"]
    assert [r["theory"] for r in rec["mixtures"]] == [0.5, 0.375, 0.3125]


def test_verify_snr_quick_passes(tmp_path):
    r = api.verify("hopfield-snr", {}, quick=True, out_dir=tmp_path)
    assert r["passed"], r["table"]
    assert r["record"]["exponent"]["theory"] == pytest.approx(1 / 3)


@pytest.mark.slow
def test_verify_snr_full_passes(tmp_path):
    """N = 500..4000 ladder, 4 instances, and the cross-entropy checks (memorization ->
    generalization, features explain test reconstruction, sequential acquisition)."""
    r = api.verify("hopfield-snr", {}, out_dir=tmp_path)
    assert r["passed"], r["table"]
    assert r["record"]["generalization"]["passed"]


@pytest.mark.slow
def test_verify_ags_full_passes(tmp_path):
    r = api.verify("hopfield-ags", {}, out_dir=tmp_path)
    assert r["passed"], r["table"]


@pytest.mark.slow
def test_simulated_retrieval_overlap_below_capacity():
    """Async dynamics from stored patterns at alpha = 0.1, N = 2000 (50 patterns): the mean final
    overlap agrees with the RS m(alpha) = 0.997999 within 3 standard errors."""
    r = api.simulate("hopfield-ags", {"alpha": 0.1}, N=2000, instances=5, seed=1)
    rec = r["record"]
    assert abs(rec["m_mean"] - rec["theory"]["m"]) < 3 * rec["m_se"]
