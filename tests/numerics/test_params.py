"""Parameter declarations (numerics.params): kinds, infinite values, refinements, and the full
declared list of each model."""
import math

import pytest

from memgenkit.numerics import api, models
from memgenkit.numerics.errors import InputError, ParameterError
from memgenkit.numerics.params import OPTIONS, ParamSpec, check_option, declared_specs, refine


def test_open_and_closed_unbounded_ranges_refuse_infinity():
    for spec in (ParamSpec("a", 0.0, None, True, False), ParamSpec("k", 0.0, None),
                 ParamSpec("x", None, None)):
        for bad in (math.inf, -math.inf, math.nan, "1e400", float("1e400")):
            with pytest.raises(ParameterError, match=f"'{spec.name}'"):
                spec.check(float(bad))
        assert spec.check(1e300) == 1e300


def test_a_closed_infinite_bound_admits_infinity():
    t = ParamSpec("t", 0.0, math.inf, True, False)
    assert t.check(math.inf) == math.inf
    assert t.allowed() == "t in (0, inf]"
    with pytest.raises(ParameterError):
        t.check(-math.inf)
    with pytest.raises(ParameterError):
        t.check(0.0)


def test_integer_kind():
    n = ParamSpec("n", 3, 100, kind="integer")
    assert n.check(3) == 3 and isinstance(n.check(7.0), int) and n.check("12") == 12
    assert n.parse("1e2") == 100
    for bad, reason in ((2, "out of range"), (101, "out of range"), (3.5, "not an integer"),
                        (math.inf, "not a finite number"), (math.nan, "not a number"),
                        (1e300, "out of range"), ("x", "not a number"), (None, "not a number")):
        with pytest.raises(ParameterError, match=reason):
            n.check(bad)
    assert n.allowed() == "n an integer in [3, 100]"
    assert ParamSpec("m", 0, 10, True, True, kind="integer").allowed() == "m an integer in [1, 9]"
    with pytest.raises(ValueError, match="maximum"):
        ParamSpec("n", 3, None, kind="integer")


def test_categorical_kind():
    c = ParamSpec("loss", kind="categorical", choices=("square", "hinge"))
    assert c.check("hinge") == "hinge"
    assert c.check(1.0) == "hinge"  # an index, so that a grid can sweep a categorical
    for bad in ("cubic", 2, 0.5, math.nan, None):
        with pytest.raises(ParameterError, match="'loss'"):
            c.check(bad)


def test_refine_narrows_only():
    stem = models.get("ti-krr").stem
    n = {s.name: s for s in declared_specs(stem, (refine("n", kind="integer", upper=50),))}["n"]
    assert n.kind == "integer" and n.minimum == 3 and n.maximum == 50
    with pytest.raises(RuntimeError, match="widens"):
        declared_specs(stem, (refine("n", kind="integer", lower=1, upper=50),))
    with pytest.raises(RuntimeError, match="no kernel parameter"):
        declared_specs(stem, (refine("zz", upper=1.0),))
    with pytest.raises(RuntimeError, match="twice"):
        declared_specs(stem, (ParamSpec("c", 0.0, 1.0),))


def test_every_model_declares_its_parameters():
    """The kernels' parameters come first (the parameter vector's order), every integer has a
    maximum, every categorical its choices, and `memgen list` / api.list_models show them all."""
    listed = {m["model"]: m for m in api.list_models()}
    for name in models.MODELS:
        m = models.get(name)
        specs = m.param_specs()
        assert [s.name for s in specs[:len(m.param_names())]] == m.param_names()
        assert list(listed[name]["parameters"]) == [s.name for s in specs]
        for s in specs:
            if s.kind == "integer":
                assert s.maximum is not None and math.isfinite(s.maximum)
            if s.kind == "categorical":
                assert s.choices
    assert "exceptions" in listed["ti-krr"]["parameters"]
    assert listed["ti-krr"]["parameters"]["n"]["kind"] == "integer"
    assert listed["raf-erm"]["parameters"]["loss"]["choices"] == ["square", "hinge", "logistic"]
    assert listed["hopfield-snr"]["parameters"]["lam"]["verbs"] == ["simulate", "verify"]


def test_hopfield_snr_training_options_agree_with_the_simulation():
    """The model declares the training options (so validation need not import the simulation);
    they must be the domains hopfield_snr.gen_options enforces."""
    from memgenkit.numerics.simulation.hopfield_snr import GEN_OPTIONS
    specs = {s.name: s for s in models.get("hopfield-snr").param_specs() if s.verbs}
    assert set(specs) == set(GEN_OPTIONS)
    for name, (default, kind, lo, hi, _) in GEN_OPTIONS.items():
        s = specs[name]
        assert s.default == default
        if kind == "int":
            assert (s.kind, s.minimum, s.maximum) == ("integer", lo, hi)
        else:
            assert (s.kind, s.lower, s.lower_open, s.upper) == ("real", lo, True, hi)


def test_api_refuses_before_solving():
    with pytest.raises(InputError, match="'alpha'"):
        api.solve("raf-gardner", alpha=float("inf"))
    with pytest.raises(InputError, match="'alpha'"):
        models.get("hopfield-snr").validate({"alpha": math.inf})
    with pytest.raises(InputError, match="'n'"):
        api.solve("ti-krr", n=1e300)
    with pytest.raises(InputError, match="'instances'"):
        api.verify("raf-gardner", instances=0)
    with pytest.raises(InputError, match="'mixing'"):
        api.solve("raf-gardner", mixing=2.0, method="fixed-point")
    with pytest.raises(InputError, match="boundary"):
        api.boundary("raf-erm")
    with pytest.raises(InputError, match="'seed'"):
        api.simulate("raf-gardner", seed=-1)


def test_verb_options():
    assert check_option("workers", "1") == 1
    with pytest.raises(InputError, match="workers"):
        check_option("workers", (OPTIONS["workers"].maximum or 1) + 1)
    assert check_option("mixing", 1.0) == 1.0
    for bad in (0.0, 1.5, math.nan):
        with pytest.raises(InputError, match="mixing"):
            check_option("mixing", bad)
    assert check_option("method", "newton") == "newton"
    with pytest.raises(InputError, match="method"):
        check_option("method", "brent")
    assert check_option("method", "brent", methods=models.get("raf-rf").solve_methods) == "brent"


def test_paths(tmp_path, monkeypatch):
    from memgenkit.numerics import params
    f = tmp_path / "f.txt"
    f.write_text("x")
    assert params.check_output_file(tmp_path / "new.json") == tmp_path / "new.json"
    assert params.check_output_dir(tmp_path / "new") == tmp_path / "new"
    assert not (tmp_path / "new").exists()  # checking creates nothing
    cases = ((params.check_output_file, tmp_path / "a" / "b.json", "does not exist"),
             (params.check_output_file, tmp_path, "not a file"),
             (params.check_output_dir, tmp_path / "a" / "b", "does not exist"),
             (params.check_output_dir, f, "not a folder"),
             (params.check_input_file, tmp_path / "none", "does not exist"),
             (params.check_input_file, tmp_path, "not a file"))
    for call, path, msg in cases:
        with pytest.raises(InputError, match=msg):
            call(path, "--opt")
    # an unwritable folder (simulated: the tests may run as root, who can write anywhere)
    monkeypatch.setattr(params.os, "access", lambda p, mode: False)
    with pytest.raises(InputError, match="not writable"):
        params.check_output_file(tmp_path / "new.json")
    with pytest.raises(InputError, match="not writable"):
        params.check_output_dir(tmp_path / "new")
    with pytest.raises(InputError, match="not readable"):
        params.check_input_file(f, "--sweep")
