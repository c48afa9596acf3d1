"""The bad-input contract, generated from the declarations.

Every case runs ``memgen`` in-process (``cli.main(argv)``) in an empty temporary folder and
asserts: exit status 2, exactly one non-empty stderr line starting ``memgen: error:`` that names
the offending parameter or option, no traceback, no file created (in the folder or at the target
paths), and no kernel loaded (validation comes first: ``kernels.load`` fails the case).

The cases come from the model registry (``models.MODELS``), each model's declared parameters
(``param_specs()``), the verb options (``params.OPTIONS``) and the parser's subcommands, so a new
model, parameter or verb is covered without new test code. Property-based checks (hypothesis)
draw values outside each declared domain (refused) and inside it (accepted by the validation
API, without solving).
"""
from __future__ import annotations

import contextlib
import io
import math
import os
import string
import tempfile
from pathlib import Path

import hypothesis.configuration
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memgenkit.numerics import api, cli, kernels, models
from memgenkit.numerics.errors import InputError
from memgenkit.numerics.params import OPTIONS, SEED_MAX

# Hypothesis keeps caches on disk: in a temporary folder, not in the repository.
if not os.getenv("HYPOTHESIS_STORAGE_DIRECTORY"):
    hypothesis.configuration.set_hypothesis_home_dir(
        tempfile.mkdtemp(prefix="memgen-hypothesis-"))

MODEL_NAMES = list(models.MODELS)


def _subcommands():
    parser = cli.build_parser()
    for action in parser._actions:
        if action.choices and isinstance(action.choices, dict):
            return action.choices
    raise AssertionError("memgen has no subcommands")


SUBCOMMANDS = _subcommands()


def _flags(verb):
    return {s for a in SUBCOMMANDS[verb]._actions for s in a.option_strings}


def _takes_model(verb):
    return any(a.dest == "model" for a in SUBCOMMANDS[verb]._actions)


MODEL_VERBS = [v for v in SUBCOMMANDS if _takes_model(v) and "--set" in _flags(v)]


def _specs(name, verb=None):
    return [s for s in models.get(name).param_specs()
            if s.verbs is None or (verb is not None and verb in s.verbs)]


def _has_boundary(name):
    return models.get(name).has("boundary")


def _fmt(x):
    return repr(x) if isinstance(x, float) else str(x)


def _inside(spec):
    """A value inside the declared domain (as command-line text)."""
    if spec.kind == "integer":
        return str(spec.minimum if spec.minimum is not None else 0)
    if spec.kind == "categorical":
        return spec.choices[0]
    if spec.kind == "text":
        return "" if spec.default is None else str(spec.default)
    if spec.default is not None:
        return _fmt(float(spec.default))
    lo = spec.lower if spec.lower is not None else 0.0
    hi = spec.upper if spec.upper is not None and math.isfinite(spec.upper) else lo + 2.0
    return _fmt((lo + hi) / 2)


def _real_param(name, avoid=()):
    """A real parameter of the model (for --grid, --over, --x), avoiding ``avoid``."""
    reals = [s for s in _specs(name) if s.kind == "real" and s.name not in avoid]
    return reals[0] if reals else None


def _base(verb, name, bad: str | None = None, tmp: Path | None = None):
    """A valid invocation of ``verb`` on model ``name`` up to the --set values: required
    parameters get a valid value (except ``bad``, the one a case is about)."""
    sets = [f"{s.name}={_inside(s)}" for s in _specs(name, verb)
            if s.default is None and not s.optional and s.name != bad]
    argv = [verb, name]
    if verb == "sweep":
        g = _real_param(name, {bad})
        if g is None:  # the only real parameter: its cases go in the grid instead
            return None
        argv += ["--grid", f"{g.name}={_inside(g)}"]
    elif verb == "optimize":
        argv += ["--minimize", "eps_gen", "--over", _real_param(name).name]
    elif verb == "plot":
        x = _real_param(name, {bad}) or _real_param(name)
        argv += ["--x", f"{x.name}={_inside(x)}:{_inside(x)}:1",
                 "--out", str((tmp or Path(".")) / "p.png")]
    return argv + (["--set", *sets] if sets else [])


def _with_set(argv, item):
    if "--set" in argv:
        i = argv.index("--set")
        return argv[:i + 1] + [item] + argv[i + 1:]
    return argv + ["--set", item]


def bad_values(spec):
    """(label, text) values outside ``spec``'s declared domain."""
    out = [("nan", "nan"), ("text", "not-a-number")]
    if spec.kind == "categorical":
        return [("unknown choice", "no-such-choice"), ("index past the choices",
                                                         str(len(spec.choices))),
                ("nan", "nan")]
    if spec.kind == "text":
        return []  # free text parsed by the model: covered by its own tests
    if not (spec.upper == math.inf and not spec.upper_open):
        out.append(("inf", "inf"))
        out.append(("1e400", "1e400"))
    out.append(("-inf", "-inf"))
    out.append(("-1e400", "-1e400"))
    if spec.kind == "integer":
        if spec.minimum is not None:
            out.append(("below minimum", str(spec.minimum - 1)))
        out.append(("beyond maximum", str(spec.maximum + 1)))
        out.append(("huge", "1e300"))
        out.append(("non-integer", _fmt((spec.minimum or 0) + 0.5)))
        return out
    if spec.lower is not None:
        out.append(("below lower", _fmt(spec.lower - 1.0)))
        if spec.lower_open:
            out.append(("open lower bound", _fmt(float(spec.lower))))
    if spec.upper is not None and math.isfinite(spec.upper):
        out.append(("above upper", _fmt(spec.upper + 1.0)))
        if spec.upper_open:
            out.append(("open upper bound", _fmt(float(spec.upper))))
    return out


# -- the generated cases --------------------------------------------------------------------
def _cases():
    cases = []

    def add(id_, argv, needle, paths=()):
        cases.append(pytest.param(argv, needle, paths, id=id_))

    for name in MODEL_NAMES:
        for verb in MODEL_VERBS:
            if verb == "boundary" and not _has_boundary(name):
                add(f"{verb}-{name}-no-boundary", [verb, name], "boundary")
                continue
            base = _base(verb, name)
            for spec in _specs(name, verb):
                b = _base(verb, name, bad=spec.name)
                if b is None:
                    continue
                for label, text in bad_values(spec):
                    add(f"{verb}-{name}-{spec.name}-{label}", _with_set(b, f"{spec.name}={text}"),
                        spec.name)
            if verb == "sweep":  # the same values through --grid
                for spec in _specs(name, verb):
                    if spec.kind not in ("real", "integer"):
                        continue
                    sets = [f"{s.name}={_inside(s)}" for s in _specs(name, verb)
                            if s.default is None and not s.optional and s.name != spec.name]
                    for label, text in bad_values(spec):
                        add(f"{verb}-{name}-grid-{spec.name}-{label}",
                            [verb, name, "--grid", f"{spec.name}={text}"]
                            + (["--set", *sets] if sets else []), spec.name)
            # names the verb does not take, and malformed --set items
            add(f"{verb}-{name}-unknown-parameter", _with_set(base, "no_such_param=1"),
                "no_such_param")
            first = _specs(name, verb)[0]
            add(f"{verb}-{name}-repeated", _with_set(_with_set(base, f"{first.name}="
                                                               f"{_inside(first)}"),
                                                     f"{first.name}={_inside(first)}"),
                first.name)
            add(f"{verb}-{name}-malformed-set", _with_set(base, "novalue"), "novalue")
            add(f"{verb}-{name}-empty-name", _with_set(base, "=1"), "=1")
            for s in models.get(name).param_specs():
                if s.verbs and verb not in s.verbs:
                    add(f"{verb}-{name}-{s.name}-not-for-{verb}",
                        _with_set(base, f"{s.name}={_inside(s)}"), s.name)
    for verb in MODEL_VERBS + ["derive"]:
        add(f"{verb}-unknown-model", [verb, "no-such-model"] + (
            ["--minimize", "x", "--over", "y"] if verb == "optimize" else []), "no-such-model")
    add("derive-check-unknown-model", ["derive", "--check", "no-such-model"], "no-such-model")
    add("derive-show-kernel-unknown-model", ["derive", "--show-kernel", "no-such-model"],
        "no-such-model")
    add("list-extra-argument", ["list", "raf-gardner"], "raf-gardner")
    add("unknown-verb", ["no-such-verb"], "no-such-verb")
    add("missing-verb", [], "command")

    # verb options: every subcommand that has the flag, on every model that the verb takes
    bad_opts = {
        "--tol": ["0", "-1", "nan", "inf", "1e400", "abc", "1"],
        "--mixing": ["0", "-0.5", "2", "1.0000001", "nan", "inf", "abc"],
        "--method": ["magic"],
        "--workers": ["0", "-1", str((os.cpu_count() or 1) + 1), "1000", "1.5", "inf", "abc"],
        "--seed": ["-1", str(SEED_MAX + 1), "1.5", "nan", "inf", "1e400", "abc"],
        "--instances": ["0", "-1", "1.5", "inf", "1e400", "abc", str(OPTIONS["instances"].maximum
                                                                      + 1)],
        "--N": ["0", "-5", "1e30", "1.5", "inf", "nan", "abc"],
        "--ladder": ["a,b", "50,", ",50", "0,50", "1e30,50", "10.5,20", "inf,50", "nan,50"],
        "--grid": ["alpha", "alpha=1:2", "alpha=1:x:3", "alpha=1:2:0", "alpha=1:2:2.5",
                   "alpha=1:2:1e9", "alpha=1:2:10000000", "=1:2:3", "alpha=nan,1",
                   "alpha=1:inf:3", "alpha="],
        "--range": ["1:2:3", "a:b", "1e-3:inf", "-inf:1", "nan:1", "2:1", "5"],
    }
    option_name = {"--grid": "grid", "--range": "range"}
    for verb in MODEL_VERBS:
        flags = _flags(verb)
        for flag, values in bad_opts.items():
            if flag not in flags:
                continue
            for name in MODEL_NAMES:
                if verb == "boundary" and not _has_boundary(name):
                    continue
                base = _base(verb, name)
                for text in values:
                    if flag == "--grid":
                        argv = [verb, name, "--grid", text] + base[4:]
                    elif flag == "--range":
                        argv = base + ["--range", text]
                    else:
                        argv = base + [flag, text]
                    add(f"{verb}-{name}-{flag}={text}", argv,
                        option_name.get(flag, flag.lstrip("-")))
    # study: its grids, thresholds and --set, for every study the parser offers
    studies = next(a.choices for a in SUBCOMMANDS["study"]._actions if a.dest == "study")
    for study in studies:
        if study == "learners":
            continue
        for flag in ("--lam", "--alpha", "--eps"):
            for text in ("1:x:3", "1:2:0", "1:2:1e9", "nan", "1:inf:3", "1:2"):
                add(f"study-{study}-{flag}={text}", ["study", study, flag, text], flag)
        for flag in ("--mem-threshold", "--gen-gap"):
            for text in ("abc", "nan", "inf"):
                add(f"study-{study}-{flag}={text}", ["study", study, flag, text], flag)
        for item, needle in (("no_such=1", "no_such"), ("eps=inf", "eps"), ("eps=x", "eps"),
                             ("novalue", "novalue")):
            add(f"study-{study}-set-{item}", ["study", study, "--set", item], needle)
    # optimize --over: not a parameter, or not a real one
    for name in MODEL_NAMES:
        base = _base("optimize", name)
        i = base.index("--over")
        add(f"optimize-{name}-over-unknown", base[:i + 1] + ["no_such"] + base[i + 2:],
            "no_such")
        for s in _specs(name, "optimize"):
            if s.kind != "real":
                add(f"optimize-{name}-over-{s.kind}-{s.name}",
                    base[:i + 1] + [s.name] + base[i + 2:], s.name)
    return cases


def _path_cases(tmp: Path):
    """(argv, needle, paths that must not appear) for every path option."""
    missing = tmp / "missing-parent" / "deeper"
    afile = tmp / "a-file.txt"
    out = []
    for verb in MODEL_VERBS:
        flags = _flags(verb)
        for name in MODEL_NAMES[:1]:
            base = _base(verb, name, tmp=tmp)
            if "--out-dir" in flags:
                out += [(base + ["--out-dir", str(missing / "x")], "--out-dir", [missing]),
                        (base + ["--out-dir", str(afile)], "--out-dir", [])]
            if "--out" in flags:
                if "--out" in base:
                    i = base.index("--out")
                    base = base[:i] + base[i + 2:]
                out += [(base + ["--out", str(missing / "f.out")], "--out", [missing]),
                        (base + ["--out", str(tmp)], "--out", [])]
            if "--sweep" in flags:
                out += [(["plot", "--sweep", str(tmp / "none.jsonl")], "--sweep",
                         [tmp / "none.jsonl"]),
                        (["plot", "--sweep", str(tmp)], "--sweep", []),
                        (["plot", "--sweep", str(afile)], "--sweep", []),
                        (["plot", "--sweep", str(afile), "--out", str(missing / "p.png")],
                         "--out", [missing])]
    out += [(["study", "frontier", "--out", str(missing / "x")], "--out", [missing]),
            (["study", "frontier", "--out", str(afile)], "--out", [])]
    return out


@pytest.fixture(autouse=True)
def no_kernels(monkeypatch):
    """A case that loads (compiles) kernels before failing is a bug: validation comes first."""
    def refuse(*a, **k):
        raise AssertionError("kernels loaded before the input was refused")
    monkeypatch.setattr(kernels, "load", refuse)


def _files(root: Path):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _check(capsys, argv, needle, root: Path, gone=()):
    before = _files(root)
    rc = cli.main(argv)
    cap = capsys.readouterr()
    lines = [s for s in cap.err.splitlines() if s.strip()]
    assert rc == 2, (argv, rc, cap.err)
    assert "Traceback" not in cap.err
    assert len(lines) == 1 and lines[0] == cap.err.strip(), (argv, cap.err)
    assert lines[0].startswith("memgen: error:"), lines[0]
    assert needle in lines[0], (argv, needle, lines[0])
    assert _files(root) == before, argv
    for p in gone:
        assert not Path(p).exists(), p


CASES = _cases()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """One empty folder for all the cases (each asserts it stays empty)."""
    return tmp_path_factory.mktemp("battery")


@pytest.mark.parametrize("argv,needle,paths", CASES)
def test_bad_input(argv, needle, paths, capsys, workdir, monkeypatch):
    monkeypatch.chdir(workdir)
    _check(capsys, argv, needle, workdir, paths)
    assert not any(workdir.iterdir())


def test_bad_paths(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file.txt").write_text("not a sweep file\n")
    cases = _path_cases(tmp_path)
    assert len(cases) >= 10
    for argv, needle, gone in cases:
        _check(capsys, argv, needle, tmp_path, gone)


def test_battery_covers_every_model_and_verb():
    ids = " ".join(c.id for c in CASES)
    for name in MODEL_NAMES:
        assert name in ids
        for spec in _specs(name):
            if spec.kind != "text":
                assert f"-{name}-{spec.name}-" in ids, (name, spec.name)
    for verb in MODEL_VERBS:
        assert f"{verb}-" in ids
    assert set(MODEL_VERBS) >= {"solve", "boundary", "sweep", "simulate", "verify", "optimize",
                                "plot"}
    assert len(CASES) > 1000


def test_help_still_prints_help(capsys):
    for verb in [None, *SUBCOMMANDS]:
        with pytest.raises(SystemExit) as e:
            cli.main(([verb] if verb else []) + ["--help"])
        assert e.value.code == 0
        assert "usage:" in capsys.readouterr().out


# -- property-based: outside each domain refused, inside accepted ---------------------------
def _outside(spec):
    """A strategy of floats outside a real or integer spec's domain (None: no outside)."""
    parts = [st.just(math.nan), st.just(-math.inf)]
    if not (spec.upper == math.inf and not spec.upper_open):
        parts.append(st.just(math.inf))
    if spec.kind == "integer":
        lo = spec.minimum
        if lo is not None:
            parts.append(st.integers(max_value=lo - 1, min_value=lo - 10 ** 6).map(float))
        parts.append(st.integers(min_value=spec.maximum + 1, max_value=10 ** 300).map(float))
        base = lo if lo is not None else 0
        parts.append(st.floats(min_value=base, max_value=min(spec.maximum, base + 10 ** 6))
                     .filter(lambda x: x != math.floor(x)))
        return st.one_of(parts)
    if spec.lower is not None:
        parts.append(st.floats(max_value=spec.lower, exclude_max=not spec.lower_open,
                               allow_nan=False, allow_infinity=False, min_value=-1e300))
    if spec.upper is not None and math.isfinite(spec.upper):
        parts.append(st.floats(min_value=spec.upper, exclude_min=not spec.upper_open,
                               allow_nan=False, allow_infinity=False, max_value=1e300))
    return st.one_of(parts)


def _domain(spec):
    """A strategy of values inside the spec's domain."""
    if spec.kind == "categorical":
        return st.sampled_from(spec.choices)
    if spec.kind == "integer":
        return st.integers(min_value=spec.minimum if spec.minimum is not None else -10 ** 9,
                           max_value=spec.maximum)
    lo = spec.lower if spec.lower is not None else -1e300
    hi = spec.upper if spec.upper is not None and math.isfinite(spec.upper) else 1e300
    return st.floats(min_value=lo, max_value=hi, exclude_min=spec.lower_open,
                     exclude_max=spec.upper_open, allow_nan=False, allow_infinity=False)


NUMERIC = [(name, s) for name in MODEL_NAMES for s in models.get(name).param_specs()
           if s.kind in ("real", "integer")]
ALL_DECLARED = [(name, s) for name in MODEL_NAMES for s in models.get(name).param_specs()
                if s.kind != "text"]
PROP = settings(max_examples=15, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _verb_for(spec):
    return spec.verbs[0] if spec.verbs else "solve"


@pytest.mark.parametrize("name,spec", NUMERIC, ids=[f"{n}-{s.name}" for n, s in NUMERIC])
@PROP
@given(data=st.data())
def test_outside_domain_is_refused(name, spec, data, workdir):
    x = data.draw(_outside(spec))
    verb = _verb_for(spec)
    argv = _with_set(_base(verb, name, bad=spec.name), f"{spec.name}={x!r}")
    err = io.StringIO()
    with contextlib.chdir(workdir), contextlib.redirect_stderr(err), \
            contextlib.redirect_stdout(io.StringIO()):
        rc = cli.main(argv)
    lines = err.getvalue().strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("memgen: error:"), (argv, lines)
    assert spec.name in lines[0]
    with pytest.raises(InputError, match=spec.name):
        api.check_input(verb, name, {spec.name: x})
    assert list(workdir.iterdir()) == []


@pytest.mark.parametrize("name,spec", ALL_DECLARED, ids=[f"{n}-{s.name}" for n, s in ALL_DECLARED])
@PROP
@given(data=st.data())
def test_inside_domain_is_accepted(name, spec, data):
    x = data.draw(_domain(spec))
    verb = _verb_for(spec)
    api.check_input(verb, name, {spec.name: x})
    got = spec.check(x)
    assert got == x
    # the command line's text round-trips to the same value
    assert spec.parse(x if isinstance(x, str) else repr(x)) == x


def _is_number(t):
    try:
        float(t)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("name", list(OPTIONS))
@PROP
@given(data=st.data())
def test_verb_options_inside_and_outside(name, data):
    spec = OPTIONS[name]
    if spec.kind == "categorical":
        x = data.draw(st.sampled_from(spec.choices))
        assert spec.check(x) == x
        with pytest.raises(InputError, match=name):
            text = st.text(alphabet=string.ascii_letters + "-_ 0123456789", min_size=1)
            spec.check(data.draw(text.filter(lambda t: t not in spec.choices
                                             and not _is_number(t))))
        return
    x = data.draw(_domain(spec))
    assert spec.check(x) == x
    with pytest.raises(InputError, match=name):
        spec.check(data.draw(_outside(spec)))
