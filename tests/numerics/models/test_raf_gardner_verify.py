"""`memgen verify raf-gardner`: finite-N capacity against the replica prediction, verdict asserted.

The fast test uses a small ladder; the full ladders (larger N, kappa > 0 through the QP route)
are marked slow: run them with `python -m pytest -m slow`.
"""
import json

import pytest

from memgenkit.numerics import api
from memgenkit.numerics.cli import main


def test_quick_verify_passes(tmp_path):
    r = api.verify("raf-gardner", {"eps": 0.5}, quick=True, seed=3, out_dir=tmp_path)
    assert r["passed"], r["table"]
    rec = json.loads(open(r["path"]).read())
    assert rec["derivation_hash"] and rec["versions"]["numba"] and rec["status"]["verdict"] == "PASS"
    assert rec["params"] == {"eps": 0.5, "kappa": 0.0}
    assert (tmp_path / r["figure"].split("/")[-1]).exists()


def test_verify_cli_exit_status(tmp_path, capsys):
    rc = main(["verify", "raf-gardner", "--set", "eps=1", "--ladder", "16,32", "--instances",
               "30", "--out-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert rc == 0 and "verdict: PASS" in out


def test_verify_refuses_infinite_capacity(capsys, tmp_path, monkeypatch):
    # no --out-dir: run where a default output directory would land, and find nothing there
    monkeypatch.chdir(tmp_path)
    assert main(["verify", "raf-gardner", "--set", "eps=0", "kappa=0", "--quick"]) == 2
    err = capsys.readouterr().err
    assert "never" in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("eps,kappa,Ns", [
    (0.5, 0.0, [50, 100, 200, 400]),   # ~10 min on 2 cores: N = 400 LPs dominate
    (0.2, 0.0, [25, 50, 100, 200]),
    (1.0, 0.5, [25, 50, 100, 200]),    # kappa > 0: hard-margin SVM through Clarabel
    (0.3, 0.3, [25, 50, 100, 200]),
])
def test_full_ladder_verdict(tmp_path, eps, kappa, Ns):
    r = api.verify("raf-gardner", {"eps": eps, "kappa": kappa}, Ns=Ns, instances=60, seed=11,
                   workers=2, out_dir=tmp_path)
    assert r["passed"], r["table"]
