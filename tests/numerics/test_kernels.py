"""The on-disk kernel cache: keyed, concurrent-safe, clearable, self-healing, shareable read-only.

Every check runs the real CLI or API in a subprocess (a fresh process is what meets a damaged
cache) and compares q of raf-gardner at alpha = 1.5, eps = 0.3 with the value a fresh cache gave
in this same session (the ``warm`` fixture), not with a stored constant.

Read-only and unwritable locations are made for real: as root, the child process drops the
capabilities that let root ignore file modes (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER)
from its bounding set before exec, so a chmod a-w directory is read-only for it as for any
user; a test first checks that the child indeed cannot write there, and skips otherwise. The
unwritable location in the fast suite is a path under a regular file, unwritable for anyone.
"""
import ctypes
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from memgenkit.numerics import kernels

SOLVE = [sys.executable, "-m", "memgenkit.numerics.cli", "solve", "raf-gardner",
         "--set", "alpha=1.5", "eps=0.3", "--json"]
STEM = "raf_gardner"
LOAD_LOG = ("from memgenkit.numerics import api; "
            "print(api.solve('raf-gardner', alpha=1.5, eps=0.3).order_params['q'])")


def test_cache_key_names_the_toolchain():
    v = kernels.versions()
    assert set(v) == {"memgenkit", "numba", "numpy", "python"}
    assert len(kernels.cache_key("raf_gardner")) == 16


# -- helpers ---------------------------------------------------------------------------------

def _drop_file_permission_override():
    """preexec_fn for root: remove the capabilities that bypass file modes from the bounding
    set; the exec'd child then has none of them (prctl PR_CAPBSET_DROP = 24)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2, 3):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if libc.prctl(24, cap, 0, 0, 0) != 0:
            os._exit(97)


PREEXEC = _drop_file_permission_override if os.geteuid() == 0 else None


def _run(cmd, cache, tmp_path, preexec=None, **env_extra):
    env = dict(os.environ, MEMGEN_CACHE_DIR=str(cache), **env_extra)
    env.setdefault("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # numba's user-wide cache
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600,
                          preexec_fn=preexec)


def _q(p):
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    return json.loads(p.stdout.splitlines()[-1])["order_params"]["q"]


def _entry(cache: Path) -> Path:
    (entry,) = [d for d in cache.iterdir() if d.name.startswith(STEM + "-")]
    return entry


def _snapshot(path: Path) -> dict:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def _make_read_only(path: Path, request):
    for p in [path, *path.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))

    def restore():
        for p in [path, *path.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    request.addfinalizer(restore)
    probe = subprocess.run([sys.executable, "-c", f"open({str(path / 'probe')!r}, 'w')"],
                           preexec_fn=PREEXEC, capture_output=True)
    if probe.returncode == 0:
        pytest.skip("cannot make a directory read-only for this process here")


@pytest.fixture(scope="module")
def cold_start(tmp_path_factory):
    """Three processes started at once on one empty cache (one compiles under the entry's lock,
    the others wait and load): their (returncode, stdout, stderr) and the cache they filled. The
    one cold start of this module: ``warm`` is this cache."""
    tmp = tmp_path_factory.mktemp("cold")
    env = dict(os.environ, MEMGEN_CACHE_DIR=str(tmp / "cache"),
               XDG_CACHE_HOME=str(tmp / "xdg"))
    procs = [subprocess.Popen(SOLVE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outs = [p.communicate(timeout=600) for p in procs]
    outs = [(p.returncode, o, e) for p, (o, e) in zip(procs, outs)]
    return tmp / "cache", outs


def test_concurrent_cold_start_and_clear(cold_start, tmp_path):
    cache, outs = cold_start
    assert all(rc == 0 for rc, _, _ in outs), [e for _, _, e in outs]
    values = {json.loads(o.splitlines()[-1])["order_params"]["q"] for _, o, _ in outs}
    assert len(values) == 1  # identical results from every process
    assert all(e == "" for _, _, e in outs)  # a cold start is no damage: nothing reported
    dirs = list(cache.iterdir())
    assert len(dirs) == 1 and (dirs[0] / "COMPILED").exists()
    assert any((dirs[0] / "__pycache__").glob("*.nbi"))  # numba index files were written
    # clearing: on a copy, which the other checks of this module do not share
    copy = tmp_path / "cache"
    shutil.copytree(cache, copy)
    env = dict(os.environ, MEMGEN_CACHE_DIR=str(copy))
    p = subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", "cache", "clear"],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0 and not copy.exists()


@pytest.fixture(scope="module")
def warm(cold_start):
    """The cache filled by the cold start, and the q it gave: the reference for every check."""
    cache, outs = cold_start
    rc, out, err = outs[0]
    assert rc == 0 and "Traceback" not in err and err == "", err
    return cache, json.loads(out.splitlines()[-1])["order_params"]["q"]


@pytest.fixture
def cache(warm, tmp_path):
    """A private copy of the warm cache (modification times kept) to damage."""
    shutil.copytree(warm[0], tmp_path / "cache")
    return tmp_path / "cache"


# -- damage is detected, reported in one line, healed; the answer stays right -----------------

def _truncate(path: Path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_constant(entry: Path):
    """One number changed in the cached copy (alpha halved: the solve still converges, so
    wrong numbers would be served silently), with size and modification time kept, so that
    nothing but the content tells it apart."""
    src = entry / f"{STEM}.py"
    st = src.stat()
    text = src.read_text()
    edited = text.replace("alpha = p[0]", "alpha=p[0]/2")  # every kernel sees alpha / 2
    assert edited != text and len(edited) == len(text)
    src.write_text(edited)
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))


DAMAGE = {
    "truncated .nbi": (lambda e: _truncate(next(e.glob("__pycache__/*observables*.nbi"))),
                       "observables"),
    "truncated .nbc": (lambda e: _truncate(next(e.glob("__pycache__/*capacity*.nbc"))),
                       "capacity"),
    "truncated .py": (lambda e: _truncate(e / f"{STEM}.py"), f"{STEM}.py"),
    "edited constant": (_edit_constant, f"{STEM}.py differs"),
    "garbage record": (lambda e: (e / "COMPILED").write_text("{garbage"), "COMPILED"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entry_is_rebuilt_and_reported_once(damage, warm, cache, tmp_path):
    q_fresh = warm[1]
    entry = _entry(cache)
    harm, named = DAMAGE[damage]
    harm(entry)
    p = _run(SOLVE, cache, tmp_path)
    assert _q(p) == pytest.approx(q_fresh, rel=1e-12, abs=0)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("memgen: kernel cache entry"), p.stderr
    assert "damaged" in lines[0] and named in lines[0]
    # healed for good: the record again covers every numba file and the source is the
    # committed one, so the next load checks hashes only (and, as the sealing test shows,
    # reports nothing)
    record = json.loads((entry / "COMPILED").read_text())
    on_disk = _snapshot(entry / "__pycache__")
    assert record["files"] == on_disk and len(on_disk) >= 2 * 5  # index + data per kernel
    assert (entry / f"{STEM}.py").read_bytes() == (kernels.GENERATED_DIR / f"{STEM}.py"
                                                   ).read_bytes()


def test_files_numba_adds_later_are_sealed_not_called_damage(cache, warm, tmp_path):
    """numba writes index and data files after the record (a function compiled on first use,
    a new signature): they are checked by reading them, then added to the record silently."""
    entry = _entry(cache)
    record = json.loads((entry / "COMPILED").read_text())
    dropped = {n for n in record["files"] if "observables" in n}
    record["files"] = {n: h for n, h in record["files"].items() if n not in dropped}
    (entry / "COMPILED").write_text(json.dumps(record))
    p = _run(SOLVE, cache, tmp_path)
    assert _q(p) == pytest.approx(warm[1], rel=1e-12, abs=0) and p.stderr == ""
    assert dropped <= set(json.loads((entry / "COMPILED").read_text())["files"])


def test_entry_of_the_previous_layout_is_adopted_without_recompiling(cache, warm, tmp_path):
    """Entries written before records existed hold a COMPILED marker "<seconds> s": their files
    are read back and sealed, not reported as damage and not recompiled."""
    entry = _entry(cache)
    (entry / "COMPILED").write_text("9.96 s\n")
    p = _run([sys.executable, "-c", LOAD_LOG], cache, tmp_path, NUMBA_DEBUG_CACHE="1")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert float(p.stdout.split()[-1]) == pytest.approx(warm[1], rel=1e-12, abs=0)
    assert not any("data saved" in line for line in p.stdout.splitlines())
    record = json.loads((entry / "COMPILED").read_text())
    assert record["files"] == _snapshot(entry / "__pycache__")


@pytest.mark.slow
def test_edited_copy_compiled_by_numba_is_not_served(cache, warm, tmp_path):
    """The reported failure end to end: the edited copy, once compiled by numba (its index now
    stamped with the edited source), gives a wrong q; the cache then serves the right one."""
    entry = _entry(cache)
    _edit_constant(entry)
    edited = str(entry / f"{STEM}.py")
    serve_edited = (  # what the cache did before it checked: import the copy, let numba cache it
        "import importlib.util, sys\n"
        "from memgenkit.numerics import api, kernels\n"
        f"spec = importlib.util.spec_from_file_location('edited', {edited!r})\n"
        "m = importlib.util.module_from_spec(spec); sys.modules['edited'] = m\n"
        "spec.loader.exec_module(m); kernels._warm_up(m); kernels._LOADED['raf_gardner'] = m\n"
        "print(api.solve('raf-gardner', alpha=1.5, eps=0.3).order_params['q'])\n")
    p = _run([sys.executable, "-c", serve_edited], cache, tmp_path)
    assert p.returncode == 0, p.stderr
    assert abs(float(p.stdout.split()[-1]) - warm[1]) > 1e-2  # the edit does change q
    p = _run(SOLVE, cache, tmp_path)
    assert _q(p) == pytest.approx(warm[1], rel=1e-12, abs=0)
    assert len(p.stderr.splitlines()) == 1 and "differs" in p.stderr


# -- read-only and unwritable locations ------------------------------------------------------

def test_read_only_warm_cache_loads_without_compiling(cache, warm, tmp_path, request):
    before = _snapshot(cache)
    _make_read_only(cache, request)
    p = _run([sys.executable, "-c", LOAD_LOG], cache, tmp_path, preexec=PREEXEC,
             NUMBA_DEBUG_CACHE="1")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert float(p.stdout.split()[-1]) == pytest.approx(warm[1], rel=1e-12, abs=0)
    log = p.stdout.splitlines()[:-1]
    assert any("data loaded" in line for line in log)  # machine code came from the cache ...
    assert not any("data saved" in line for line in log)  # ... and nothing was compiled
    assert _snapshot(cache) == before
    assert not (tmp_path / "xdg" / "numba").exists()  # nor compiled into numba's own cache


def test_read_only_damaged_cache_is_used_through_a_private_copy(cache, warm, tmp_path,
                                                                request):
    _truncate(next(_entry(cache).glob("__pycache__/*observables*.nbi")))
    before = _snapshot(cache)
    _make_read_only(cache, request)
    temp = tmp_path / "tmp"
    temp.mkdir()
    p = _run(SOLVE, cache, tmp_path, preexec=PREEXEC, TMPDIR=str(temp))
    assert _q(p) == pytest.approx(warm[1], rel=1e-12, abs=0)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "read-only and damaged" in lines[0], p.stderr
    assert _snapshot(cache) == before  # the shared entry is not touched
    assert list(temp.iterdir()) == []  # the private copy is removed at exit


def test_unwritable_location_falls_back_to_a_private_cache(warm, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    p = _run(SOLVE, blocker / "cache", tmp_path, TMPDIR=str(temp))
    assert _q(p) == pytest.approx(warm[1], rel=1e-12, abs=0)
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("memgen: warning: kernel cache"), p.stderr
    assert "not writable" in lines[0] and str(blocker / "cache") in lines[0]
    assert list(temp.iterdir()) == []  # private, and gone at exit


@pytest.mark.slow
def test_read_only_location_without_entry_falls_back(warm, tmp_path, request):
    root = tmp_path / "shared"
    root.mkdir()
    _make_read_only(root, request)
    p = _run(SOLVE, root / "cache", tmp_path, preexec=PREEXEC)
    assert _q(p) == pytest.approx(warm[1], rel=1e-12, abs=0)
    assert len(p.stderr.splitlines()) == 1 and "not writable" in p.stderr
    assert list(root.iterdir()) == []


def test_clearing_a_cache_one_may_not_remove_is_one_line(cache, tmp_path, request):
    _make_read_only(cache, request)
    p = _run([sys.executable, "-m", "memgenkit.numerics.cli", "cache", "clear"], cache,
             tmp_path, preexec=PREEXEC)
    assert p.returncode == 2 and p.stderr.startswith("memgen: error: cannot clear")
    assert len(p.stderr.splitlines()) == 1 and cache.exists()


@pytest.mark.slow
def test_damage_is_found_where_numba_cache_dir_puts_the_files(warm, tmp_path):
    """With NUMBA_CACHE_DIR numba keeps its files outside the entry; they are checked there."""
    nc = tmp_path / "numba-cache"
    q = _q(_run(SOLVE, tmp_path / "cache", tmp_path, NUMBA_CACHE_DIR=str(nc)))
    assert q == pytest.approx(warm[1], rel=1e-12, abs=0)
    _truncate(next(nc.glob("raf_gardner-*/*observables*.nbi")))
    p = _run(SOLVE, tmp_path / "cache", tmp_path, NUMBA_CACHE_DIR=str(nc))
    assert _q(p) == pytest.approx(warm[1], rel=1e-12, abs=0)
    assert len(p.stderr.splitlines()) == 1 and "observables" in p.stderr
    assert not any(_entry(tmp_path / "cache").glob("__pycache__/*.nbi"))


# -- companions: a model's compiled loops cached in its kernels' entry ------------------------
# composition is the one model with a companion (numerics/models/composition_cavity_loops.py);
# a small theory evaluation (sigma and lam > 0: every loop and branch runs) printed bit for bit

COMPOSITION = (
    "import json; from memgenkit.numerics import api; m = api.model('composition'); "
    "th = m.theory(m.validate(dict(n=200, d=2000, a=1.2, sigma=0.1, lam=0.1)), "
    "mc=dict(batches=2, pop=1500, sweeps=3, reps=200, reps_ridge=40)); "
    "print(json.dumps({k: float(x).hex() for k, x in th['observables'].items()}))")
LOOPS = "composition__composition_cavity_loops"


def _composition(p):
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    return json.loads(p.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def warm_composition(tmp_path_factory):
    """A cache filled by one cold composition run, and the observables it gave."""
    tmp = tmp_path_factory.mktemp("warm-composition")
    p = _run([sys.executable, "-c", COMPOSITION], tmp / "cache", tmp)
    assert p.stderr == "", p.stderr
    return tmp / "cache", _composition(p)


def _composition_entry(cache: Path) -> Path:
    (entry,) = [d for d in cache.iterdir() if d.name.startswith("composition-")]
    return entry


def test_companion_loops_load_from_the_cache_and_give_the_same_bytes(warm_composition,
                                                                     tmp_path):
    """The warm entry holds the loops' machine code: a fresh process loads it (population,
    tables, totals) and compiles nothing, and its observables equal the cold run's bit for bit
    (same seeds, the same machine code whether just compiled or read back)."""
    cache = tmp_path / "cache"
    shutil.copytree(warm_composition[0], cache)
    entry = _composition_entry(cache)
    record = json.loads((entry / "COMPILED").read_text())
    assert set(record["companions"]) == {f"{LOOPS}.py"}
    assert any(n.startswith(LOOPS + ".population") for n in record["files"])
    p = _run([sys.executable, "-c", COMPOSITION], cache, tmp_path, NUMBA_DEBUG_CACHE="1")
    assert p.stderr == "", p.stderr
    assert _composition(p) == warm_composition[1]
    log = p.stdout.splitlines()[:-1]
    for name in ("population", "tables", "totals", "sizes"):
        assert any("data loaded" in line and f"{LOOPS}.{name}-" in line for line in log), name
    assert not any("data saved" in line for line in log)
    assert json.loads((entry / "COMPILED").read_text()) == record  # nothing new to seal


COMPANION_DAMAGE = {
    "truncated companion .nbi": (
        lambda e: _truncate(next(e.glob(f"__pycache__/{LOOPS}.population-*.nbi"))),
        "population"),
    "truncated companion .nbc": (
        lambda e: _truncate(next(e.glob(f"__pycache__/{LOOPS}.tables-*.nbc"))), "tables"),
    "edited companion copy": (
        lambda e: _edit_companion(e / f"{LOOPS}.py"), f"{LOOPS}.py differs"),
}
# A truncated numba file recompiles its function (~5 s each for the companion): the fast suite
# keeps the edited copy (the companion's own record and source check) and the truncated .nbi
# and .nbc of the kernels' entry above (the same file check); the truncated companion files
# run under -m slow.
_COMPANION_SLOW = {"truncated companion .nbi", "truncated companion .nbc"}


def _edit_companion(path: Path):
    """A frozen constant of the loops changed in the cached copy (size and mtime kept)."""
    st = path.stat()
    text = path.read_text()
    edited = text.replace("SUB = 16", "SUB = 61")
    assert edited != text and len(edited) == len(text)
    path.write_text(edited)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("damage", [pytest.param(d, marks=pytest.mark.slow) if d in _COMPANION_SLOW
                                    else d for d in COMPANION_DAMAGE])
def test_damaged_companion_is_rebuilt_and_reported_once(damage, warm_composition, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(warm_composition[0], cache)
    entry = _composition_entry(cache)
    harm, named = COMPANION_DAMAGE[damage]
    harm(entry)
    p = _run([sys.executable, "-c", COMPOSITION], cache, tmp_path)
    assert _composition(p) == warm_composition[1]
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("memgen: kernel cache entry"), p.stderr
    assert "damaged" in lines[0] and named in lines[0]
    record = json.loads((entry / "COMPILED").read_text())
    assert record["files"] == _snapshot(entry / "__pycache__")
    if "differs" not in named:  # the damaged function compiled again and sealed
        assert any(n.startswith(f"{LOOPS}.{named}-") for n in record["files"])
    copy = (entry / f"{LOOPS}.py").read_bytes()
    committed = (Path(kernels.__file__).parent / "models" / "composition_cavity_loops.py"
                 ).read_bytes()
    assert copy.endswith(committed) and copy.count(b"\n") == committed.count(b"\n") + 1


def test_tables_are_read_from_the_generated_source_as_nearest_floats(tmp_path, monkeypatch):
    """codegen writes a derivation's tables as a literal (each entry the float64 nearest its
    30-digit value: 1/10 must read 0.1, which truncation of the binary expansion would miss),
    and ``kernels.tables`` reads it back without running the module (its source is made to
    fail if executed)."""
    import math

    import sympy as sp

    from memgenkit.numerics import codegen
    from memgenkit.theory.derivation import Derivation
    d = Derivation(model="tbl", title="tbl", conventions="", parameters=[], order_parameters=[])
    d.table("consts", ["a", "b"], {"one": [sp.Rational(1, 10), sp.sqrt(2)],
                                   "two": [0, sp.Float("3.14159265358979323846264338328", 30)]})
    source = codegen.generate_module(d.to_json(), "tbl")
    path = tmp_path / "tbl.py"
    path.write_text("raise RuntimeError('executed')\n" + source)
    monkeypatch.setitem(kernels._SOURCES, "tbl", path)
    columns, rows = kernels.tables("tbl")["consts"]
    assert columns == ("a", "b")
    assert rows == {"one": (0.1, math.sqrt(2)), "two": (0.0, math.pi)}
    no_tables = Derivation(model="none", title="none", conventions="", parameters=[],
                           order_parameters=[])
    assert "TABLES" not in codegen.generate_module(no_tables.to_json(), "none")
