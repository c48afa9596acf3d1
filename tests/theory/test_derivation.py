"""Stored derivations: fresh, round-tripping, and every recorded step checked."""
import json
from pathlib import Path

import pytest
import sympy as sp

from memgenkit.numerics import derive as derive_mod
from memgenkit.numerics.cli import main
from memgenkit.theory import registry
from memgenkit.theory.derivation import content_hash, from_srepr, load_json, to_srepr

ROOT = Path(__file__).resolve().parents[2]
# the cheapest model to derive, for the checks of the derive machinery (which names no model)
MODEL = "hopfield-snr"
STEM = registry.stem(MODEL)


@pytest.mark.slow
def test_derive_check_passes_on_committed_files(capsys):
    """`memgen derive --check`: every model up to date (from its stamp when one holds).

    Slow: without stamps (a fresh cache, or any change under theory/) this re-derives every
    model, 30-50 s on two cores. CI runs the same check as `memgen derive --check` and
    `memgen derive --check --force` before the tests; the fast suite keeps the machinery
    (staleness caught, stamps, on one model), the stored hashes and step checks of every model
    (test_stored_json_round_trips_and_hash_matches) and each generated module's hash
    (tests/numerics/test_contract.py)."""
    assert main(["derive", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.parametrize("model", list(registry.MODELS))
def test_full_rederivation_matches_committed_files(model):
    """Re-derive in sympy and regenerate the kernels, ignoring any stamp."""
    assert derive_mod.stale(model, force=True) == []


def test_derive_check_detects_staleness(tmp_path, monkeypatch, capsys):
    """A copy of one model's stored files checks clean, and every kind of damage to it is
    caught.  One model, checked in this process: the monkeypatched directories are then
    certainly the ones read (a multi-model check runs in worker processes, which see the
    patch only under the 'fork' start method), and the in-process derivation is memoized,
    so the four checks cost one derivation (the cheapest model's)."""
    name, stem = MODEL, STEM
    target, gen = tmp_path / "derivations", tmp_path / "generated"
    target.mkdir()
    gen.mkdir()
    monkeypatch.setattr(derive_mod, "DERIVATIONS_DIR", target)
    monkeypatch.setattr(derive_mod, "GENERATED_DIR", gen)
    files = {target / f"{stem}.json": ROOT / "derivations" / f"{stem}.json",
             target / f"{stem}.md": ROOT / "derivations" / f"{stem}.md",
             gen / f"{stem}.py": ROOT / "numerics" / "generated" / f"{stem}.py"}

    def restore():
        for dst, src in files.items():
            dst.write_text(src.read_text())

    restore()
    assert main(["derive", "--check", name]) == 0
    kernel = gen / f"{stem}.py"
    assert "out[0] =" in kernel.read_text()
    kernel.write_text(kernel.read_text().replace("out[0] =", "out[0] = 1.0 +", 1))
    assert main(["derive", "--check", name]) == 1
    restore()
    md = target / f"{stem}.md"
    md.write_text(md.read_text() + "\n")
    assert main(["derive", "--check", name]) == 1
    restore()
    (target / f"{stem}.json").unlink()
    assert main(["derive", "--check", name]) == 1
    out = capsys.readouterr().out
    assert out.count("up to date") == 1 and out.count("stale") == 3


def test_stored_json_round_trips_and_hash_matches():
    for name in registry.MODELS:
        text = (ROOT / "derivations" / f"{registry.stem(name)}.json").read_text()
        raw = json.loads(text)
        assert raw["hash"] == content_hash(raw)
        d = load_json(text)
        for k in d["kernels"]:
            for (_, e), (_, s) in zip(k["outputs"], raw_kernel(raw, k["name"])["outputs"]):
                assert to_srepr(e) == s  # srepr -> sympy -> srepr is the identity
        for step in raw["steps"]:
            for c in step["checks"]:
                assert c["passed"], (step["name"], c)


def raw_kernel(raw, name):
    return next(k for k in raw["kernels"] if k["name"] == name)


def test_srepr_round_trip_of_special_functions():
    from memgenkit.theory.gaussian import GH, H, LogH, Npdf
    x, t = sp.symbols("x t", real=True)
    e = sp.Integral(Npdf(t) * LogH(x - t) * H(t) + GH(x), (t, -sp.oo, x))
    assert from_srepr(to_srepr(e)) == e


def test_special_function_derivatives_are_consistent():
    """The sympy derivative rules of H, LogH, GH agree with their erfc forms."""
    from memgenkit.theory.gaussian import GH, H, LogH, Npdf
    x = sp.Symbol("x", real=True)
    for f in (Npdf(x), H(x), LogH(x), GH(x)):
        explicit = f.rewrite(sp.erfc).rewrite(sp.exp)
        diff = sp.diff(f, x).rewrite(sp.erfc).rewrite(sp.exp) - sp.diff(explicit, x)
        for v in ("-3.1", "-0.4", "0", "0.7", "2.5"):
            assert abs(complex(diff.evalf(40, subs={x: sp.Rational(v)}))) < 1e-30


def test_solve_path_does_not_import_sympy():
    import subprocess
    import sys
    code = ("import sys; from memgenkit.numerics import api; "
            "r = api.solve('raf-gardner', alpha=1.0, eps=0.1); "
            "api.boundary('raf-gardner', eps=0.1); "
            "assert r.converged; print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_registries_agree():
    from memgenkit.numerics import models
    assert set(models.MODELS) == set(registry.MODELS)


def test_derive_check_stamp_follows_stored_files(tmp_path, monkeypatch):
    """A stamp answers the check only while the stored files are the ones it was written for.
    The cheapest model to derive, as in the staleness test (the in-process derivation is
    memoized, so the two cost one derivation)."""
    monkeypatch.setenv("MEMGEN_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real_build = derive_mod.build

    def counting_build(model):
        calls.append(model)
        return real_build(model)
    monkeypatch.setattr(derive_mod, "build", counting_build)
    assert derive_mod.stale(MODEL) == [] and calls == [MODEL]
    assert derive_mod.stale(MODEL) == [] and calls == [MODEL]  # from the stamp
    assert derive_mod.stale(MODEL, force=True) == [] and len(calls) == 2
    target, gen = tmp_path / "derivations", tmp_path / "generated"
    target.mkdir(), gen.mkdir()
    for src, dst in ((ROOT / "derivations" / f"{STEM}.json", target),
                     (ROOT / "derivations" / f"{STEM}.md", target),
                     (ROOT / "numerics" / "generated" / f"{STEM}.py", gen)):
        (dst / src.name).write_text(src.read_text())
    monkeypatch.setattr(derive_mod, "DERIVATIONS_DIR", target)
    monkeypatch.setattr(derive_mod, "GENERATED_DIR", gen)
    assert derive_mod.stale(MODEL) == []  # same bytes: the stamp still holds
    md = target / f"{STEM}.md"
    md.write_text(md.read_text() + " ")
    assert derive_mod.stale(MODEL) == [md] and len(calls) == 3  # re-derived


def test_tables_are_checked_stored_and_optional():
    """A table accepts closed forms and Floats, refuses what is not a real number in closed form
    (an unevaluated integral, a symbol, a complex number, a wrong row length), round-trips
    through the JSON exactly, and a derivation without tables has no "tables" key (so adding
    the feature changed no other model's hash)."""
    from memgenkit.theory.derivation import Derivation
    x = sp.Symbol("x", real=True)
    d = Derivation(model="t", title="t", conventions="", parameters=[], order_parameters=[])
    assert "tables" not in d.content()
    for bad in ([sp.Integral(sp.exp(-x**2), (x, -sp.oo, sp.oo))], [x], [sp.I], [1, 2]):
        with pytest.raises(ValueError):
            d.table("bad", ["a"], {"row": bad})
    d.table("c", ["a", "b"], {"r1": [sp.sqrt(2), sp.Float("0.1", 30)], "r2": [0, sp.pi]})
    raw = load_json(d.to_json())
    (t,), = [raw["tables"]]
    assert t["columns"] == ["a", "b"] and t["rows"]["r1"][0] == sp.sqrt(2)
    assert t["rows"]["r2"][1] == sp.pi and t["rows"]["r1"][1] == sp.Float("0.1", 30)
    assert "## Tables" in d.to_markdown()
