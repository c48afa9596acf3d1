"""`memgen verify` for the Hopfield models, verdicts asserted (fast subset; the rest is slow).

hopfield-ags --quick: one-step Hebb flip probability against the exact finite-N binomial tail
(-> H(1/sqrt(alpha))), symmetric L-mixture overlaps 1/2, 3/8, 5/16 at alpha -> 0, each a 3-sigma
verdict. hopfield-snr --quick: the one-step retrieval criterion (instance-mean overlaps m_k and
k_max) against the theory at N = 1000, 2000 and at alpha = 0.5, 1, 2 (N = 1000). The cross-entropy
verdicts (memorization -> generalization, the learned-feature prediction of test reconstruction:
inclusion law, necessity, upper bound, the refined mixture mean field; sequential acquisition) at
N = 200, three alphas; the full runs (N = 500, five alphas, and the ladder to 4000) are slow.
"""
import json

import pytest

from memgenkit.numerics import api
from memgenkit.numerics.cli import main
from memgenkit.numerics.errors import InputError, ParameterError
from memgenkit.numerics.simulation import hopfield_snr as ss


def test_verify_ags_quick_passes(tmp_path, capsys):
    assert main(["verify", "hopfield-ags", "--quick", "--out-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "verdict: PASS" in out
    rec = json.loads(next(tmp_path.glob("verify-hopfield-ags-*.json")).read_text())
    assert rec["passed"] and rec["flip"]["passed"]
    assert f"figure: {tmp_path}" in out
    png = next(tmp_path.glob("verify-hopfield-ags-*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [r["theory"] for r in rec["mixtures"]] == [0.5, 0.375, 0.3125]


def test_verify_snr_quick_passes(tmp_path):
    r = api.verify("hopfield-snr", {}, quick=True, out_dir=tmp_path)
    assert r["passed"], r["table"]
    rec = r["record"]
    assert rec["exponent_theory"] == pytest.approx(1 / 3)
    assert rec["overlaps_passed"] and rec["k_max_passed"]
    assert [row["N"] for row in rec["ladder"]] == [1000, 2000]
    assert sorted(row["alpha"] for row in rec["alpha_scan"]) == [0.5, 1.0, 2.0]


def _assert_generalization(g):
    v = g["verdicts"]
    assert set(v) == {"memorization_to_generalization", "features_explain_test", "inclusion_law",
                      "necessity", "upper_bound", "refined_meanfield", "sequential_in_time",
                      "sequential_in_alpha"}
    assert all(v.values()), ss.format_generalization(g)
    for r in g["rows"]:
        assert abs(r["z_inclusion"]) <= 3 and r["z_prediction"] <= 3
        c = r["counts"]
        assert sum(n for n, _ in c.values()) == g["n_eval"]
        assert r["test_reconstructed"] == pytest.approx(sum(k for _, k in c.values())
                                                        / g["n_eval"])
    assert g["necessity"]["upper_3sigma"] <= ss.NECESSITY_BOUND
    assert g["mcnemar"]["z"] > 3


def test_generalization_verdicts_small_N():
    """Cross-entropy training at N = 200, alpha = 0.25, 1, 4 (200 steps, 400 test examples, seed
    0): every verdict of hopfield_snr.generalization, each a 3-sigma statement that can
    fail."""
    g = ss.generalization(200, 1.5, 3, 0.5, (0.25, 1.0, 4.0), seed=0)
    _assert_generalization(g)
    assert g["rows"][0]["gap"] > g["rows"][-1]["gap"]


def test_generalization_options_validated(tmp_path, capsys):
    """The training options reach verify/simulate (keywords or --set) and bad values name the
    option and its allowed range (CLI: one line, exit status 2)."""
    bad = [dict(lam=0), dict(lr=float("nan")), dict(train_steps=2.5), dict(gen_N=10),
           dict(n_eval=-1), dict(gen_alphas=[1.0]), dict(gen_alphas=[2.0, 1.0]),
           dict(checkpoints=[0, 50, 20])]
    for kw in bad:
        name = next(iter(kw))
        with pytest.raises(ParameterError, match=f"'{name}'"):
            api.verify("hopfield-snr", {}, quick=True, out_dir=tmp_path, **kw)
    with pytest.raises(InputError, match="given twice"):
        api.verify("hopfield-snr", {"lam": 1.0}, lam=2.0, out_dir=tmp_path)
    with pytest.raises(InputError, match="generalization=False"):
        api.verify("hopfield-snr", {}, lr=1.0, generalization=False, out_dir=tmp_path)
    with pytest.raises(InputError, match="gen_N"):
        api.simulate("hopfield-snr", {"N": 200, "gen_N": 300})
    assert main(["verify", "hopfield-snr", "--quick", "--set", "train_steps=0",
                 "--out-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "train_steps" in err and "[1, 100000]" in err and len(err.strip().splitlines()) == 1
    assert main(["simulate", "hopfield-snr", "--set", "N=120", "alpha=1", "lam=2",
                 "train_steps=20", "n_eval=50", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    t = rec["training"]
    assert (t["N"], t["lam"], t["train_steps"], t["n_eval"]) == (120, 2.0, 20, 50)
    assert t["checkpoints"] == [0, 1, 2, 5, 10, 20]


@pytest.mark.slow
def test_verify_snr_full_passes(tmp_path):
    """N = 1000..4000 ladder of the one-step criterion (64 instances), and the cross-entropy checks at N = 500, five alphas
    (memorization -> generalization, the learned-feature prediction: inclusion law, necessity,
    upper bound, refined mean field; sequential acquisition), with the figure."""
    r = api.verify("hopfield-snr", {}, out_dir=tmp_path)
    assert r["passed"], r["table"]
    g = r["record"]["generalization"]
    assert g["passed"] and g["N"] == 500 and len(g["rows"]) == 5
    _assert_generalization(g)
    assert r["figure"].endswith(".png")


@pytest.mark.slow
def test_verify_ags_full_passes(tmp_path):
    r = api.verify("hopfield-ags", {}, out_dir=tmp_path)
    assert r["passed"], r["table"]
    # the capacity extrapolation: the shared ladder's WLS fit with per-N standard errors, its z
    # against the RS alpha_c recorded and reported without a verdict
    fit = r["record"]["capacity_extrapolation"]
    assert fit["se"] > 0 and all(s > 0 for s in fit["ses"]) and fit["verdict"] is False
    assert fit["z"] == pytest.approx(abs(fit["intercept"] - fit["theory"]) / fit["se"])
    assert "reported, no verdict" in r["table"]


@pytest.mark.slow
def test_simulated_retrieval_overlap_below_capacity():
    """Async dynamics from stored patterns at alpha = 0.1, N = 2000 (50 patterns): the mean final
    overlap agrees with the RS m(alpha) = 0.997999 within 3 standard errors."""
    r = api.simulate("hopfield-ags", {"alpha": 0.1}, N=2000, instances=5, seed=1)
    rec = r["record"]
    assert abs(rec["m_mean"] - rec["theory"]["m"]) < 3 * rec["m_se"]
