"""Loading generated kernel modules through an on-disk cache.

The generated source (numerics/generated/<stem>.py, committed) is copied into a cache directory
whose name is a key over everything the compiled code depends on: the derivation hash, the
toolkit, numba, numpy and Python versions, and the sources of the generated module and of the
special functions and quadrature it calls. numba's own cache (``cache=True``) then lives next to
that copy, so a changed toolchain never picks up stale machine code.

Concurrency: the copy is written to a temporary file and moved into place with ``os.replace``
(atomic), and the first compilation runs under an exclusive ``fcntl`` lock on a per-key lock file,
so several processes starting at once compile once and the others load the cached result.
"""
from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import platform
import shutil
import sys
import tempfile
import time
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import numpy as np

import memgenkit.numerics.generated as _generated_pkg

GENERATED_DIR = Path(_generated_pkg.__file__).parent
_NUMERICS_DIR = Path(__file__).parent
_LOADED: dict[str, object] = {}


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


def _source_path(stem: str) -> Path:
    path = GENERATED_DIR / f"{stem}.py"
    if not path.exists():
        raise FileNotFoundError(f"no generated kernels for '{stem}': run `memgen derive`")
    return path


def cache_key(stem: str) -> str:
    h = hashlib.sha256()
    for k, v in sorted(versions().items()):
        h.update(f"{k}={v};".encode())
    for path in (_source_path(stem), _NUMERICS_DIR / "special.py",
                 _NUMERICS_DIR / "quadrature.py", _NUMERICS_DIR / "prox.py"):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class _FileLock:
    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        self.fh = open(self.path, "a+")
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
        self.fh.close()


def load(stem: str, progress=None):
    """Import (compiling on first use) the kernel module for ``stem``; cached per process.

    ``progress``: optional callable(str) told when a compilation (cold cache) starts and ends.
    """
    if stem in _LOADED:
        return _LOADED[stem]
    key = cache_key(stem)
    directory = cache_root() / f"{stem}-{key}"
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{stem}.py"
    marker = directory / "COMPILED"
    with _FileLock(directory / ".lock"):
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(_source_path(stem).read_bytes())
            os.replace(tmp, target)
        name = f"memgenkit_kernels_{stem}_{key}"
        spec = importlib.util.spec_from_file_location(name, target)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        if not marker.exists():
            t0 = time.perf_counter()
            if progress:
                progress(f"compiling {stem} kernels (first use with this toolchain)...")
            _warm_up(module)
            marker.write_text(f"{time.perf_counter() - t0:.2f} s\n")
            if progress:
                progress(f"compiled in {time.perf_counter() - t0:.1f} s; cached in {directory}")
    _LOADED[stem] = module
    return module


def _warm_up(module):
    """Call every kernel once so that the first compilation happens under the lock.

    With a filled cache (marker present) kernels are not called here: numba loads each one from
    its cache on first use, so a solve pays only for the kernels it calls."""
    p = np.array([row[5] if row[5] is not None else 0.5 for row in module.PARAMETERS], float)
    for name, (inputs, outputs) in module.KERNELS.items():
        x = np.full(len(inputs), 0.5)
        out = np.empty(len(outputs))
        getattr(module, name)(x, p, out)


def clear() -> Path:
    """Remove every cached kernel module (all keys)."""
    root = cache_root()
    if root.exists():
        shutil.rmtree(root)
    _LOADED.clear()
    return root
