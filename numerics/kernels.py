"""Loading generated kernel modules through an on-disk cache that heals itself.

The generated source (numerics/generated/<stem>.py, committed) is copied into a cache directory
whose name is a key over everything the compiled code depends on: the derivation hash, the
toolkit, numba, numpy and Python versions, and the sources of the generated module and of the
special functions and quadrature it calls. numba's own cache (``cache=True``: one ``.nbi`` index
and ``.nbc`` data files per function, in ``__pycache__``) then lives next to that copy, so a
changed toolchain never picks up stale machine code.

An entry is complete when its ``COMPILED`` record (JSON) exists: the sha256 of the source and of
every numba file present after the first compilation. numba trusts what it finds: a truncated
index or data file raises a pickle error on every later call, and an edited copy of the source
is recompiled and served (numba stamps its index by the source file, by content in numba 0.68,
by mtime and size in older versions), silently giving wrong numbers. So every load checks:

- the cached ``.py`` equals the committed source byte for byte, else it is rewritten; the module
  is executed from the committed bytes, never from what the file holds;
- a recorded numba file still has its recorded hash. An index that changed, and a file not in
  the record (a function first compiled after the record, a new signature), must instead read
  back: unpickle and, for an index, carry the stamp of the committed source;
- an unreadable record distrusts every numba file of the entry.
A damaged function loses its index and data files and is recompiled (only that function, or
all after an unreadable record); the load says so in one line on stderr. Files that read back
are sealed into the record by the next load that can write.

Companions: a model may declare companion sources (``load(stem, companions=...)``): hand-written
numba code that calls the kernels, such as a model's compiled loops. numba caches only functions
defined at module level in a real file, and a cached function finds the jitted functions it
calls among its module's globals (functions closing over the kernels were compiled anew in every
process). So a companion ``<name>.py`` is copied into the same entry as ``<stem>__<name>.py``,
behind one line that imports every kernel name from the loaded kernel module, and executed from
there (module ``memgenkit_kernels_<stem>_<key>__<name>``, reached as
``kernel_module.COMPANIONS[name]``). Its bytes are in the cache key, the record seals its copy
and its numba files, and every check above applies to them. A companion's ``warm_up()``, if
defined, is called with the kernels' warm-up. It must not use ``from __future__`` imports (the
binding line comes first).

Sharing and permissions: a read-only entry (a cache shared by a group) is copied into a private
temporary directory (about 0.5 MB per model) and loaded from there, so numba finds a writable,
complete cache next to the source instead of recompiling into its own user-wide cache. A cache
location that cannot be created or written falls back to a private temporary cache, removed at
exit, with a one-line warning.

Concurrency: files are written to a temporary name and moved into place with ``os.replace``
(atomic), and checking, healing and the first compilation run under an exclusive ``fcntl`` lock
on a per-key lock file, so several processes starting at once compile once and the others load
the cached result. Readers of a read-only entry take a shared lock when they can open it.
"""
from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import os
import pickle
import platform
import re
import shutil
import sys
import tempfile
import time
import types
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

import memgenkit.numerics.generated as _generated_pkg

GENERATED_DIR = Path(_generated_pkg.__file__).parent
_NUMERICS_DIR = Path(__file__).parent
_LOADED: dict[str, object] = {}
_RECORD = "COMPILED"
_RECORD_FORMAT = 1
_PRIVATE: Path | None = None  # this process's temporary cache, created on first need
_WARNED: set[str] = set()


def cache_root() -> Path:
    """``$MEMGEN_CACHE_DIR`` or ``$XDG_CACHE_HOME/memgenkit`` (default ~/.cache/memgenkit)."""
    env = os.environ.get("MEMGEN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "memgenkit"


def toolkit_version() -> str:
    try:
        return metadata.version("memgenkit")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


@lru_cache(maxsize=1)
def _versions() -> tuple:
    import numba
    return (("memgenkit", toolkit_version()), ("numba", numba.__version__),
            ("numpy", np.__version__), ("python", platform.python_version()))


def versions() -> dict:
    """Versions recorded in every result and in the cache key."""
    return dict(_versions())


_SOURCES: dict[str, Path] = {}  # stem -> generated source of a model declared outside the package


def register_source(stem: str, path) -> None:
    """Where the generated module of ``stem`` lives when not in numerics/generated/ (a model
    declared outside the package, numerics.declaration)."""
    _SOURCES[stem] = Path(path)


def generated_path(stem: str) -> Path:
    """The generated kernel source of ``stem`` (it may not exist yet)."""
    return _SOURCES.get(stem, GENERATED_DIR / f"{stem}.py")


def tables(stem: str) -> dict:
    """The constant tables of ``stem``'s generated module (``TABLES``, written by codegen from
    the derivation's tables: {name: (columns, {key: values})}), read from the committed source as
    a literal: nothing is executed or compiled, so a model reads its constants without loading
    its kernels. {} when the module has none."""
    path = _source_path(stem)
    st = path.stat()  # in the memo key: a regenerated module is read again
    return _tables(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=None)
def _tables(path: Path, mtime_ns: int, size: int) -> dict:
    import ast
    for node in ast.parse(path.read_bytes(), str(path)).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == \
                ["TABLES"]:
            return ast.literal_eval(node.value)
    return {}


def _source_path(stem: str) -> Path:
    path = generated_path(stem)
    if not path.exists():
        raise FileNotFoundError(f"no generated kernels for '{stem}': run `memgen derive`")
    return path


def cache_key(stem: str, companions=()) -> str:
    """Key over the toolchain versions, the generated source and every source it compiles in:
    the quadrature, the modules of the registered special functions
    (``special_registry.kernel_sources``) and the model's companion sources."""
    from .special_registry import kernel_sources
    h = hashlib.sha256()
    for k, v in sorted(versions().items()):
        h.update(f"{k}={v};".encode())
    for path in (_source_path(stem), *kernel_sources()):
        h.update(path.read_bytes())
    for path in companions:  # none: the key of entries made before companions existed
        h.update(f"companion {Path(path).name};".encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def _companion_unit(stem: str, path: Path) -> str:
    """The companion's file stem in the entry (numba's files start with it and a dot, so they
    never match the kernels' ``<stem>.*``)."""
    return f"{stem}__{path.stem}"


def _companion_source(module, path: Path) -> bytes:
    """The bytes of a companion's copy: the binding line, then the committed source."""
    names = ", ".join(sorted(module.KERNELS))
    return (f"from {module.__name__} import {names}  # bound by memgenkit.numerics.kernels\n"
            ).encode() + path.read_bytes()


def _notice(text: str) -> None:
    print(f"memgen: {text}", file=sys.stderr, flush=True)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _FileLock:
    """``fcntl.flock`` on ``path``: exclusive (creating the file) or shared (read-only open;
    no lock when the file cannot be opened, as in a read-only entry without one)."""

    def __init__(self, path: Path, shared: bool = False):
        self.path, self.shared, self.fh = path, shared, None

    def __enter__(self):
        if self.fh is not None:  # already taken (see _try_lock)
            return self
        if self.shared:
            try:
                self.fh = open(self.path, "rb")
            except OSError:
                return self
        else:
            self.fh = open(self.path, "a+")
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.fh is not None:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None


def _try_lock(path: Path):
    """The exclusive lock, already taken (``with`` then releases it); None when the lock file
    is not ours to write."""
    try:
        return _FileLock(path).__enter__()
    except PermissionError:
        return None


def _writable(directory: Path) -> bool:
    """Can this process create files here? (The test numba itself uses; ``os.access`` says yes
    to root on a read-only mount.)"""
    for d in (directory, directory / "__pycache__"):
        if d == directory or d.is_dir():
            try:
                tempfile.TemporaryFile(dir=d).close()
            except OSError:
                return False
    return True


def _write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: others sharing the cache could not read it
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _private_root() -> Path:
    global _PRIVATE
    if _PRIVATE is None:
        _PRIVATE = Path(tempfile.mkdtemp(prefix="memgenkit-kernels-"))
        atexit.register(shutil.rmtree, _PRIVATE, True)
    return _PRIVATE


def load(stem: str, progress=None, companions=()):
    """Import (compiling on first use, healing a damaged entry) the kernel module for ``stem``;
    cached per process.

    ``progress``: optional callable(str) told when a compilation (cold cache) starts and ends.
    ``companions``: paths of companion sources (see the module docstring), loaded into the same
    entry and reached as ``module.COMPANIONS[<file stem>]``.
    """
    companions = tuple(Path(c) for c in companions)
    tag = (stem, companions) if companions else stem
    if tag in _LOADED:
        return _LOADED[tag]
    source = _source_path(stem).read_bytes()
    key = cache_key(stem, companions)
    root = cache_root()
    shared = root / f"{stem}-{key}"
    try:
        shared.mkdir(parents=True, exist_ok=True)
        writable = _writable(shared)
        why = "no write permission"
    except OSError as e:
        writable, why = False, e.strerror or type(e).__name__
    module = None
    lock = _try_lock(shared / ".lock") if writable else None
    if lock is not None:
        with lock:
            module = _prepare(stem, key, shared, source, progress, lambda what: _notice(
                f"kernel cache entry {shared} was damaged ({what}); rebuilding it"),
                companions=companions)
    if module is None and shared.is_dir():
        # A read-only entry: load a private copy, so that numba finds a writable cache
        # next to the source and loads it instead of recompiling elsewhere.
        private = _private_root() / shared.name
        with _FileLock(shared / ".lock", shared=True):
            _copy_entry(shared, private, [f"{stem}.py"] + [
                f"{_companion_unit(stem, c)}.py" for c in companions])
        with _FileLock(private / ".lock"):
            module = _prepare(stem, key, private, source, progress, lambda what: _notice(
                f"kernel cache entry {shared} is read-only and damaged ({what}); "
                f"compiling a private copy for this run"),
                on_incomplete=lambda: _notice(
                    f"kernel cache entry {shared} is read-only and incomplete; "
                    f"compiling a private copy for this run"), companions=companions)
    elif module is None:
        private = _private_root() / shared.name
        if str(root) not in _WARNED:
            _WARNED.add(str(root))
            _notice(f"warning: kernel cache {root} is not writable ({why}); using a private "
                    f"temporary cache removed at exit (set MEMGEN_CACHE_DIR to a writable "
                    f"directory to keep compiled kernels)")
        private.mkdir(parents=True, exist_ok=True)
        with _FileLock(private / ".lock"):
            module = _prepare(stem, key, private, source, progress, lambda what: None,
                              companions=companions)
    _LOADED[tag] = module
    return module


def _copy_entry(src: Path, dst: Path, sources: list) -> None:
    """Copy the sources (file names), the record and numba's files, keeping modification times
    (older numba versions stamp the source by mtime and size). Unreadable files are left out:
    the check of the copy then finds them missing."""
    if dst.exists():
        shutil.rmtree(dst)
    (dst / "__pycache__").mkdir(parents=True)
    names = [src / n for n in sources] + [src / _RECORD]
    if (src / "__pycache__").is_dir():
        names += [p for p in (src / "__pycache__").iterdir() if p.suffix in (".nbi", ".nbc")]
    for path in names:
        out = dst / path.relative_to(src)
        try:
            shutil.copyfile(path, out)
            st = os.stat(path)
            os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
        except OSError:
            pass


# -- checking an entry -----------------------------------------------------------------------

class _Damage(Exception):
    pass


def _function_of(name: str) -> str:
    """numba names a function's files <module>.<qualname>-<line>.py<ver>{.nbi, .<n>.nbc}."""
    return re.sub(r"(\.\d+\.nbc|\.nbi)$", "", name)


def _read_record(directory: Path):
    """(record, problem): record None and problem None when there is none yet."""
    path = directory / _RECORD
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None, None
    except (OSError, UnicodeDecodeError) as e:
        return None, f"{_RECORD} unreadable: {e}"
    if re.fullmatch(r"\d+\.\d+ s\n", text):
        return None, None  # the marker of memgenkit 0.1.0 before records: read files back
    try:
        rec = json.loads(text)
        if (rec.get("format") != _RECORD_FORMAT or not isinstance(rec.get("source_sha256"), str)
                or not isinstance(rec.get("files"), dict)
                or not all(isinstance(v, str) for v in rec["files"].values())
                or not isinstance(rec.get("companions", {}), dict)):
            raise ValueError("not a kernel cache record")
    except (ValueError, AttributeError) as e:
        return None, f"{_RECORD} unreadable: {e}"
    return rec, None


def _check_index(data: bytes, source_digest: bytes) -> None:
    """Raise unless numba can read this index and it was written for the committed source."""
    import io

    import numba
    f = io.BytesIO(data)
    version = pickle.load(f)
    if version != numba.__version__:
        return  # numba ignores another version's index
    stamp, _overloads = pickle.loads(f.read())
    # numba 0.68 stamps by the source's sha256; older versions by (mtime, size), for which
    # the byte-for-byte check of the source stands alone.
    if isinstance(stamp, bytes) and len(stamp) == 32 and stamp != source_digest:
        raise _Damage("compiled from a different source")


def _check_source(directory: Path, stem: str, source: bytes):
    """Check the record and the cached source; rewrite the source if it differs. Returns
    (problems, record, distrust): record None when absent or not trusted; distrust when an
    unreadable record leaves nothing numba wrote here trustworthy."""
    problems = []
    record, bad = _read_record(directory)
    if bad:
        problems.append(bad)
    elif record is not None and record["source_sha256"] != _sha(source):
        problems.append(f"{_RECORD} is for another source")
        record, bad = None, True
    _sync_copy(directory / f"{stem}.py", source, record is not None, problems)
    pyc = directory / "__pycache__"
    if pyc.exists() and not pyc.is_dir():  # before the import: numba would cache elsewhere
        problems.append("__pycache__ is not a directory")
        pyc.unlink()
    return problems, record, bool(bad)


def _sync_copy(target: Path, source: bytes, recorded: bool, problems: list) -> None:
    """Make ``target`` hold ``source``, noting in ``problems`` how it differed (a missing copy
    only counts when a record says the entry was complete)."""
    try:
        same = target.read_bytes() == source
        if not same:
            problems.append(f"{target.name} differs from the committed source")
    except FileNotFoundError:
        same = None
        if recorded:
            problems.append(f"{target.name} is missing")
    except OSError as e:
        same = False
        problems.append(f"{target.name} unreadable: {e.strerror}")
    if not same:
        _write_atomic(target, source)


def _numba_dir(module, directory: Path) -> Path:
    """Where numba caches this module's functions: ``__pycache__`` next to the source unless
    NUMBA_CACHE_DIR sends it elsewhere (asked of numba, as its cache object knows)."""
    for name in module.KERNELS:
        path = getattr(getattr(getattr(module, name, None), "_cache", None), "cache_path", None)
        if isinstance(path, str) and path:
            return Path(path)
    return directory / "__pycache__"


def _check_numba_files(pyc: Path, stem: str, source: bytes, record, distrust: bool):
    """Check numba's files in ``pyc`` (the module must be imported: data files refer to it).
    Returns (problems, doomed, kept): the files to delete (every file of a damaged function)
    and the hashes of those kept."""
    problems, damaged = [], set()
    files = {p.name: p for p in pyc.glob(f"{stem}.*") if p.suffix in (".nbi", ".nbc")} \
        if pyc.is_dir() else {}
    if distrust:
        return problems, set(files), {}
    recorded = {n: h for n, h in record["files"].items() if n.startswith(stem + ".")} \
        if record else {}
    for name in recorded:
        if name not in files:
            problems.append(f"{name} is missing")
            damaged.add(_function_of(name))
    digest = hashlib.sha256(source).digest()
    hashes = {}
    for name, path in sorted(files.items()):
        try:
            data = path.read_bytes()
        except OSError as e:
            problems.append(f"{name}: {e.strerror}")
            damaged.add(_function_of(name))
            continue
        hashes[name] = _sha(data)
        if recorded.get(name) == hashes[name]:
            continue
        try:
            if name.endswith(".nbc"):
                if name in recorded:  # numba never rewrites a data file of a valid index
                    raise _Damage(f"truncated or changed (hash differs from {_RECORD})")
                pickle.loads(data)
            else:
                _check_index(data, digest)
        except Exception as e:  # noqa: BLE001 - anything numba could not read is damage
            problems.append(f"{name}: {str(e) or type(e).__name__}")
            damaged.add(_function_of(name))
    doomed = {n for n in files if _function_of(n) in damaged}
    return problems, doomed, {n: h for n, h in hashes.items() if n not in doomed}


def _prepare(stem, key, directory, source, progress, on_damage, on_incomplete=None,
             companions=()):
    """Check, heal or build the entry in ``directory`` (writable, lock held) and import it."""
    problems, record, distrust = _check_source(directory, stem, source)
    target = directory / f"{stem}.py"
    module = _import(f"memgenkit_kernels_{stem}_{key}", target, source)
    units = {stem: source}  # file stem in the entry -> the bytes numba compiled from
    module.COMPANIONS = {}
    for path in companions:
        unit = _companion_unit(stem, path)
        units[unit] = _companion_source(module, path)
        copy = directory / f"{unit}.py"
        _sync_copy(copy, units[unit], record is not None, problems)
        module.COMPANIONS[path.stem] = _import(f"{module.__name__}__{path.stem}", copy,
                                               units[unit])
    sealed = {f"{u}.py": _sha(b) for u, b in units.items() if u != stem}
    if record is not None and record.get("companions", {}) != sealed:
        problems.append(f"{_RECORD} is for other companion sources")
        record, distrust = None, True
    pyc = _numba_dir(module, directory)
    if _PRIVATE is not None and directory.is_relative_to(_PRIVATE) \
            and not pyc.is_relative_to(_PRIVATE):
        atexit.register(shutil.rmtree, pyc, True)  # a private copy leaves nothing behind
    where = _where(pyc, directory)
    if record is not None and record.get("numba_dir", "__pycache__") != where:
        record = dict(record, files={})  # numba caches elsewhere now: read those files back
    doomed, kept = set(), {}
    for unit, data in units.items():
        more, d, k = _check_numba_files(pyc, unit, data, record, distrust)
        problems += more
        doomed |= d
        kept.update(k)
    if problems:
        extra = f"; {len(problems) - 1} more" if len(problems) > 1 else ""
        on_damage(problems[0] + extra)
    elif record is None and on_incomplete:
        on_incomplete()
    for name in doomed:
        (pyc / name).unlink(missing_ok=True)
    if problems or record is None:
        # Without a record until the warm-up is done: an interrupted rebuild is finished by
        # the next load, which keeps what the check above let through.
        (directory / _RECORD).unlink(missing_ok=True)
        cold = record is None and not problems
        t0 = time.perf_counter()
        if progress and cold:
            progress(f"compiling {stem} kernels (first use with this toolchain)...")
        _warm_up(module)  # loads what was kept, compiles what was deleted or never built
        seconds = time.perf_counter() - t0
        if progress and cold:
            progress(f"compiled in {seconds:.1f} s; cached in {directory}")
        _write_record(directory, stem, source, where, _hash_files(pyc, units), seconds, sealed)
    elif kept != record["files"] or record.get("numba_dir") != where:
        # numba added files or grew an index since: seal them
        _write_record(directory, stem, source, where, kept, record.get("compile_seconds"),
                      sealed)
    return module


def _hash_files(pyc: Path, units) -> dict:
    return {p.name: _sha(p.read_bytes()) for u in units for p in sorted(pyc.glob(f"{u}.*"))
            if p.suffix in (".nbi", ".nbc")} if pyc.is_dir() else {}


def _where(pyc: Path, directory: Path) -> str:
    """numba's cache directory as recorded: relative inside the entry (so that a copy of the
    entry keeps its record valid), absolute outside it."""
    return str(pyc.relative_to(directory)) if pyc.is_relative_to(directory) else str(pyc)


def _write_record(directory: Path, stem: str, source: bytes, where: str, files: dict,
                  seconds, companions: dict) -> None:
    rec = {"format": _RECORD_FORMAT, "model": stem, "source_sha256": _sha(source),
           "compile_seconds": None if seconds is None else round(seconds, 2),
           "numba_dir": where, "files": files}
    if companions:  # the sha256 of each companion's copy (absent: the kernels alone)
        rec["companions"] = companions
    _write_atomic(directory / _RECORD, (json.dumps(rec, indent=1) + "\n").encode())


def _import(name: str, target: Path, source: bytes):
    """Execute the committed bytes (already checked equal to ``target``) as module ``name``;
    its functions name ``target`` as their file, so numba caches next to it."""
    module = types.ModuleType(name)
    module.__file__ = str(target)
    sys.modules[name] = module
    try:
        exec(compile(source, str(target), "exec"), module.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _warm_up(module):
    """Call every kernel once, and each companion's ``warm_up``, so that the first compilation
    happens under the lock.

    With a complete entry kernels are not called here: numba loads each one from its cache on
    first use, so a solve pays only for the kernels it calls."""
    p = np.array([row[5] if row[5] is not None else 0.5 for row in module.PARAMETERS], float)
    for name, (inputs, outputs) in module.KERNELS.items():
        x = np.full(len(inputs), 0.5)
        out = np.empty(len(outputs))
        getattr(module, name)(x, p, out)
    for companion in getattr(module, "COMPANIONS", {}).values():
        if callable(getattr(companion, "warm_up", None)):
            companion.warm_up()


def clear() -> Path:
    """Remove every cached kernel module (all keys). A cache this user may not remove (one
    shared read-only) raises InputError naming it."""
    from .errors import InputError
    root = cache_root()
    if root.exists():
        try:
            shutil.rmtree(root)
        except OSError as e:
            raise InputError(f"cannot clear the kernel cache {root}: {e.strerror} "
                             f"({e.filename}); a shared cache is cleared by its owner, or "
                             f"set MEMGEN_CACHE_DIR to use another one") from None
    _LOADED.clear()
    return root
