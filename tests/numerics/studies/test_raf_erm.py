"""memgen study frontier | rates | phase (numerics/studies/raf_erm.py).

Every number is checked against a route independent of the study code: the closed-form optimal
ridge lam* = pi/(2(1-eps)^2) - 1 (Aubin et al. 2020; kernel ridge: mu1^2 lam* - mustar^2 by the
Gaussian-equivalence algebra of (K + lam I)^-1), the optimality of the Bayes estimator, the
ordinary-least-squares asymptotics of ridge at large alpha, the Bayes 1/alpha and ridge
1/sqrt(alpha) rates (spec, part 2), and phase classes recomputed from direct api.solve calls.
"""
import json
import math
import subprocess
import sys

import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.numerics.studies import raf_erm as S
from memgenkit.numerics.cli import main
from memgenkit.numerics.kernels import versions
from memgenkit.numerics.models.raf_erm import activation_coefficients


def lam_ridge(eps):
    """eps_gen-optimal ridge of the linear square-loss learner (alpha-independent)."""
    return math.pi / (2 * (1 - eps) ** 2) - 1


@pytest.mark.parametrize("alpha", [0.7, 3.0])
def test_ridge_frontier_optimum_is_the_closed_form_lam(alpha):
    eps = 0.3
    rec = S.frontier(alpha=alpha, eps=eps, lams="1e-2:1e2:9", learners=["ridge"])
    c = rec["curves"]["ridge"]
    lam_star = lam_ridge(eps)
    opt = c["optimum"]
    assert opt["status"]["converged"] and not opt["status"]["lam_at_edge"]
    assert abs(opt["lam"] - lam_star) < 2e-4 * lam_star
    best = api.solve("raf-erm", alpha=alpha, eps=eps, lam=lam_star)["eps_gen"]
    assert best <= opt["observables"]["eps_gen"] + 1e-12  # the closed form is the minimum
    # every curve point is an independent solve at its lam, and none beats the optimum
    for p in c["points"]:
        r = api.solve("raf-erm", alpha=alpha, eps=eps, lam=p["lam"])
        assert p["status"]["converged"] is True
        assert p["eps_gen"] == r["eps_gen"] and p["eps_mem"] == r["eps_mem"]
        assert p["eps_gen"] >= best - 1e-12
    # the grid minimum brackets lam*
    lams = [p["lam"] for p in c["points"]]
    k = int(np.argmin([p["eps_gen"] for p in c["points"]]))
    assert lams[max(k - 1, 0)] <= lam_star <= lams[min(k + 1, len(lams) - 1)]


def test_bayes_optimal_is_below_every_learner_at_every_lam():
    alpha, eps = 1.5, 0.25
    rec = S.frontier(alpha=alpha, eps=eps, lams="1e-3:1e2:8")  # all learners
    bayes = api.solve("raf-bayes", alpha=alpha, eps=eps)["eps_gen"]
    assert rec["bayes"]["eps_gen"] == bayes
    assert set(rec["curves"]) == set(S.LEARNERS)
    for label, c in rec["curves"].items():
        good = [p for p in c["points"] if p["status"]["converged"]]
        assert good, label
        for p in good:
            assert p["eps_gen"] >= bayes - 1e-12, (label, p["lam"])
        o = c["optimum"]
        if o["status"]["converged"]:
            assert o["observables"]["eps_gen"] >= bayes - 1e-12, label


def test_phase_classes_match_independent_solves():
    """Kernel ridge (relu) at its eps_gen-optimal lam: each cell recomputed from api.solve at the
    closed-form optimal lam mu1^2 lam*(eps) - mustar^2 and raf-bayes, classified here."""
    thr, gap = 0.05, 0.02
    alphas, epss = [0.5, 3.0, 6.0], [0.05, 0.3]
    rec = S.phase(learner="kernel ridge relu", alphas=alphas, epss=epss, mem_threshold=thr,
                  gen_gap=gap)
    _, mu1, mus = activation_coefficients("relu", "raf_erm")
    classes = set()
    assert rec["params"]["alpha"] == alphas and rec["params"]["eps"] == epss
    for e, row in zip(epss, rec["grid"]):
        for a, cell in zip(alphas, row):
            assert (cell["alpha"], cell["eps"]) == (a, e) and cell["converged"]
            lam = mu1**2 * lam_ridge(e) - mus**2
            assert abs(cell["lam"] - lam) < 2e-4 * lam
            r = api.solve("raf-erm", alpha=a, eps=e, lam=lam, activation="relu")
            b = api.solve("raf-bayes", alpha=a, eps=e)["eps_gen"]
            assert abs(cell["eps_mem"] - r["eps_mem"]) < 1e-6
            assert abs(cell["eps_gen"] - r["eps_gen"]) < 1e-9
            # the cells are clear of the thresholds, so the 1e-6 agreement decides the class
            assert abs(r["eps_mem"] - thr) > 1e-4 and abs(r["eps_gen"] - b - gap) > 1e-4
            mem, gen = r["eps_mem"] < thr, r["eps_gen"] - b <= gap
            want = {(True, True): "both", (True, False): "memorized only",
                    (False, True): "generalized only", (False, False): "neither"}[mem, gen]
            assert cell["class"] == want, (a, e)
            classes.add(want)
    assert len(classes) == 4  # the grid was chosen to show all four classes
    assert rec["unconverged"] == [] and sum(rec["counts"].values()) == 6


def test_phase_leaves_unconverged_cells_blank(monkeypatch, tmp_path):
    """A cell whose solve fails is not classified, is listed, and the figure is still drawn."""
    real = api.solve

    def failing(model, params=None, **kw):
        r = real(model, params, **kw)
        if model == "raf-erm" and r.params["alpha"] == 2.0 and r.params["eps"] == 0.4:
            r.status = dict(r.status, converged=False, message="injected failure")
        return r
    monkeypatch.setattr(S.api, "solve", failing)
    rec = S.phase(learner="ridge", alphas=[1.0, 2.0], epss=[0.1, 0.4], lam=0.5)
    bad = rec["grid"][1][1]
    assert not bad["converged"] and bad["class"] is None and bad["eps_gen"] is None
    assert rec["unconverged"] == [{"alpha": 2.0, "eps": 0.4}]
    assert all(c["class"] for row in rec["grid"] for c in row if c is not bad)
    files = S.write(rec, tmp_path)
    assert open(files["figure"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert "(alpha=2, eps=0.4)" in S.table(rec)


def test_large_alpha_rates():
    """Bayes-optimal eps_gen ~ 1/alpha; ridge and kernel ridge ~ C/sqrt(alpha) with the
    least-squares constant C = sqrt(pi/(2(1-eps)^2) - 1)/pi (w_hat -> beta + noise of variance
    sigma^2/alpha per direction, beta = (1-eps)sqrt(2/pi), sigma^2 = 1 - beta^2; eps_gen =
    angle/pi); hinge ~ 1/sqrt(alpha) too. Corrections: O(1/alpha) for the closed forms, up to
    O(1/sqrt(alpha)) for hinge."""
    eps = 0.2
    rec = S.rates(eps=eps, alphas="300:3000:3", learners=["ridge", "kernel ridge relu", "hinge"])
    amin = 300.0
    s = rec["series"]
    for p in s["bayes"]["points"]:
        assert p["eps_gen"] == api.solve("raf-bayes", alpha=p["alpha"], eps=eps)["eps_gen"]
    assert abs(s["bayes"]["fit"]["exponent"] - 1) < 1 / amin
    C = math.sqrt(lam_ridge(eps)) / math.pi
    for label in ("ridge", "kernel ridge relu"):
        f = s[label]["fit"]
        assert f["points"] == 3 and not s[label]["unconverged_alphas"]
        assert abs(f["exponent"] - 0.5) < 1 / amin, label
        assert abs(f["constant"] / C - 1) < 1 / amin, label
    h = s["hinge"]["fit"]
    assert abs(h["local_exponents"][-1] - 0.5) < 1 / math.sqrt(1000.0)
    # ridge at its optimal lam is ridge at the alpha-independent lam*; at large alpha eps_gen is
    # flat in lam (lam enters as lam/alpha), so compare the values, not the argmins
    for p in s["ridge"]["points"]:
        best = api.solve("raf-erm", alpha=p["alpha"], eps=eps, lam=lam_ridge(eps))["eps_gen"]
        assert best * (1 - 1e-12) <= p["eps_gen"] <= best * (1 + 1e-9)  # round-off below


def test_cli_frontier_files_and_records(tmp_path, capsys):
    """Files written, JSON record complete; an inline kernel learner lands on its closed-form
    optimal lam mu1^2 lam* - mustar^2."""
    rc = main(["study", "frontier", "--set", "alpha=1", "eps=0.2", "--lam", "0.1:10:5",
               "--learner", "ridge", "--learner", "raf-erm:loss=square,mu1=0.8,mustar=0.4",
               "--out", str(tmp_path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    rec = json.loads(open(out["files"]["data"]).read())
    assert open(out["files"]["figure"], "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert rec["derivation_hashes"] == {m: api.model(m).derivation_hash
                                        for m in ("raf-bayes", "raf-erm")}
    assert rec["versions"] == versions()
    assert rec["params"]["alpha"] == 1.0 and len(rec["params"]["lam"]) == 5
    for c in rec["curves"].values():
        assert all(isinstance(p["status"]["converged"], bool) for p in c["points"])
    o = rec["curves"]["raf-erm:loss=square,mu1=0.8,mustar=0.4"]["optimum"]
    lam = 0.8**2 * lam_ridge(0.2) - 0.4**2
    assert abs(o["lam"] - lam) < 2e-4 * lam


def test_cli_phase_and_rates_write_files(tmp_path, capsys):
    rc = main(["study", "phase", "--learner", "hinge", "--set", "lam=0.5", "--alpha", "1,3",
               "--eps", "0.1,0.4", "--mem-threshold", "0.1", "--gen-gap", "0.05",
               "--out", str(tmp_path)])
    text = capsys.readouterr().out
    assert rc == 0 and "both" in text and "figure:" in text
    rec = json.loads((tmp_path / "raf-phase-hinge-lam0.5.json").read_text())
    assert (tmp_path / "raf-phase-hinge-lam0.5.png").stat().st_size > 0
    for row in rec["grid"]:
        for c in row:  # fixed lam: recompute the class from direct solves
            r = api.solve("raf-erm", alpha=c["alpha"], eps=c["eps"], lam=0.5, loss="hinge")
            b = api.solve("raf-bayes", alpha=c["alpha"], eps=c["eps"])["eps_gen"]
            mem, gen = r["eps_mem"] < 0.1, r["eps_gen"] - b <= 0.05
            assert c["converged"] and c["eps_gen"] == r["eps_gen"]
            assert (c["class"] in ("both", "memorized only")) == mem
            assert (c["class"] in ("both", "generalized only")) == gen
    assert main(["study", "rates", "--alpha", "100,400", "--learner", "ridge",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "raf-rates-eps0.2.png").stat().st_size > 0
    assert "raf-rates-eps0.2.json" in capsys.readouterr().out


@pytest.mark.parametrize("args,needle", [
    (["phase", "--alpha", "1:x:3"], "malformed --alpha '1:x:3'"),
    (["phase", "--eps", "0.1:0.5"], "malformed --eps '0.1:0.5'"),
    (["frontier", "--lam", "0:1:3"], "malformed --lam '0:1:3'"),
    (["rates", "--alpha", "abc"], "malformed --alpha 'abc'"),
    (["frontier", "--learner", "nope"], "unknown --learner 'nope'"),
    (["phase", "--learner", "ridge", "--learner", "hinge"], "phase takes one --learner"),
    (["frontier", "--learner", "raf-erm:lam=2"], "sets lam"),
    (["phase", "--mem-threshold", "2"], "--mem-threshold"),
    (["frontier", "--eps", "0:1:3"], "--eps applies to study phase"),
    (["frontier", "--set", "beta=1"], "--set beta"),
    (["phase", "--eps", "0:2:3"], "allowed eps in [0, 1]"),
])
def test_bad_input_exit_2(args, needle, tmp_path, capsys):
    assert main(["study", *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "x").exists()  # rejected before any work


def test_process_exit_2_without_traceback_and_module_entry(capsys):
    for args, needle in ((["phase", "--alpha", "1:2"], "--alpha"),
                         (["frontier", "--learner", "svm"], "--learner 'svm'")):
        p = subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", "study", *args],
                           capture_output=True, text=True)
        assert p.returncode == 2 and "Traceback" not in p.stderr
        assert len(p.stderr.strip().splitlines()) == 1 and needle in p.stderr
    assert main(["study", "learners"]) == 0
    out = capsys.readouterr().out
    assert all(label in out for label in S.LEARNERS)
