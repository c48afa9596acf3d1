"""ising-raf: the Ising perceptron on rules-and-facts data, against ising-gardner and the
literature (Gyorgyi 1990: the R < 1 branch's entropy vanishes at alpha = 1.245), the Nishimori
identities of the teacher-student problem at eps = kappa = 0, and the stored equations in mpmath."""
from pathlib import Path

import mpmath as mp
import numpy as np

from memgenkit.numerics import api
from memgenkit.theory.derivation import load_json
from memgenkit.theory.evaluate import mp_function

DERIVATION = Path(__file__).resolve().parents[3] / "derivations" / "ising_raf.json"


def test_facts_only_is_ising_gardner():
    a = api.boundary("ising-raf", eps=1.0, kappa=0.3).observables["alpha_c"]
    b = api.boundary("ising-gardner", kappa=0.3).observables["alpha_c"]
    assert abs(a - b) < 1e-10
    r = api.solve("ising-raf", alpha=0.6, eps=1.0, kappa=0.3)
    s = api.solve("ising-gardner", alpha=0.6, kappa=0.3)
    assert abs(r["R"]) < 1e-12 and abs(r["q"] - s["q"]) < 1e-10
    assert abs(r.observables["entropy"] - s.observables["entropy"]) < 1e-10


def test_rules_only_is_gyorgyi_and_nishimori():
    b = api.boundary("ising-raf", eps=0.0, kappa=0.0)
    assert b.converged
    assert abs(b.observables["alpha_c"] - 1.245) < 1e-3  # Gyorgyi 1990, Sompolinsky et al. 1990
    # Bayes-optimal (Gardner volume = posterior at kappa = 0): R = q and Rhat = qhat
    o = b.observables
    assert abs(o["alpha_c.R"] - o["alpha_c.q"]) < 1e-10
    assert abs(o["alpha_c.Rhat"] - o["alpha_c.qhat"]) < 1e-9


def test_kernels_match_mpmath():
    d = load_json(DERIVATION.read_text())
    params = [p["symbol"] for p in d["parameters"]]
    m = api.model("ising-raf")
    rng = np.random.default_rng(11)
    for name in ("newton", "free_entropy"):
        k = next(k for k in d["kernels"] if k["name"] == name)
        fs = [mp_function(e, list(k["inputs"]) + params, [c for c, _ in k["hints"]])
              for _, e in k["outputs"]]
        q, qhat = rng.uniform(0.2, 0.9), 10 ** rng.uniform(-0.5, 1.5)
        R, Rhat = rng.uniform(-0.9, 0.9) * np.sqrt(q), rng.uniform(-1, 2)
        alpha, eps, kappa = rng.uniform(0.2, 1.2), rng.uniform(0, 1), rng.uniform(0, 1)
        got = m.call(name, [q, qhat, R, Rhat], np.array([alpha, eps, kappa]))
        with mp.workdps(20):
            for g, f in zip(got, fs):
                ref = float(f(q, qhat, R, Rhat, alpha, eps, kappa))
                assert abs(g - ref) <= 1e-10 * max(1.0, abs(ref)), (name, g, ref)


def test_verify_quick_passes(tmp_path):
    v = api.verify("ising-raf", {"eps": 0.5}, quick=True, out_dir=tmp_path)
    assert v["passed"], v["table"]


def test_verify_without_facts_refuses_in_one_line(tmp_path, capsys):
    from memgenkit.numerics import cli
    rc = cli.main(["simulate", "ising-raf", "--set", "eps=0", "--N", "9", "--instances", "2"])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "teacher satisfies every rule" in err[0]
