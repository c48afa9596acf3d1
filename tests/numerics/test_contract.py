"""Contract tests, parametrized over every registered model (package models and any on
MEMGEN_MODEL_PATH): what the core promises for each model without model-specific test code.

Elsewhere, also over every model: kernels against mpmath (tests/theory/blocks/test_checks.py),
derivation round trip and staleness (tests/theory/test_derivation.py), the protocol's one-line
answers (tests/numerics/test_model.py) and the bad-input battery
(tests/numerics/test_input_battery.py). Here: a result records what it must, the generated
module is the stored derivation's, and (slow) `verify --quick` passes.
"""
import json
import math

import pytest

from memgenkit.numerics import api, models
from memgenkit.numerics.kernels import versions

NAMES = list(models.MODELS)


@pytest.mark.parametrize("name", NAMES)
def test_generated_module_is_the_stored_derivation(name):
    decl = models.MODELS[name]
    stored = json.loads((decl.derivations_dir / f"{decl.stem}.json").read_text())
    m = models.get(name)
    assert m.derivation_hash == stored["hash"]
    assert tuple(m.order_names) == tuple(
        s.split("'")[1] for s in stored["order_parameters"])  # Symbol('q', ...) -> q


def _required(name):
    """A value inside the domain for each required parameter (no default, not optional): the
    closed lower end, or one above an open one."""
    out = {}
    for s in models.get(name).param_specs():
        if s.default is None and not s.optional and not s.verbs:
            lo = 0.0 if s.lower is None else s.lower
            out[s.name] = int(lo) + (1 if s.lower_open else 0) if s.kind == "integer" else (
                lo + 1.0 if s.lower_open else lo)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_solve_at_the_declared_defaults_records_everything(name):
    """A solve at the defaults says whether it converged and records parameters (all of them,
    defaults filled in), derivation hash, versions and status; a converged one has finite order
    parameters and observables."""
    r = api.solve(name, **_required(name))
    d = r.to_dict()
    assert set(d) >= {"model", "params", "order_params", "observables", "status",
                      "derivation_hash", "versions"}
    assert d["model"] == name and d["derivation_hash"] == models.get(name).derivation_hash
    assert d["versions"] == versions()
    st = d["status"]
    assert isinstance(st["converged"], bool) and "message" in st
    declared = {s.name for s in models.get(name).param_specs() if s.default is not None
                and not getattr(s, "verbs", None)}
    assert declared <= set(d["params"]), declared - set(d["params"])
    if st["converged"]:
        for v in list(d["order_params"].values()) + list(d["observables"].values()):
            if isinstance(v, float):
                assert math.isfinite(v), (name, d)
    else:
        assert st["message"], "an unconverged solve must say why"
    json.dumps(d, allow_nan=False)  # strict JSON


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in NAMES if models.get(n).has("verify")])
def test_quick_verify_passes(name, tmp_path):
    """Theory against finite-N simulation at the model's quick ladder: PASS, with a record
    written that carries parameters, derivation hash, versions and status."""
    res = api.verify(name, quick=True, seed=0, out_dir=str(tmp_path))
    assert res["passed"], res["table"]
    rec = json.loads(open(res["path"]).read())
    assert rec["derivation_hash"] == models.get(name).derivation_hash
    assert "versions" in rec and "status" in rec and "params" in rec
