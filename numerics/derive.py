"""``memgen derive``: run a model's derivation, store it, generate its kernels; or check staleness.

This is the only numerics module that imports sympy (through theory/ and codegen); the solve path
loads the stored kernels instead.

Staleness is decided by re-deriving in memory and comparing with the stored files. A full
re-derivation takes tens of seconds (sympy and mpmath checks), so a successful check leaves a stamp
in the kernel cache: a key over everything a derivation's output depends on (every source file of
theory/, codegen.py, drivers.py, declaration.py and this file, the model's declaration file, and
for a model declared outside the package its theory file; the sympy, mpmath, numpy, scipy and
Python versions) mapped to the sha256 of the three stored files. While the key and the stored
files are unchanged the answer is known and the check returns without deriving; any change to
either re-derives.
``force=True`` (``memgen derive --check --force``) always re-derives.
"""
from __future__ import annotations

import hashlib
import os
import platform
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path

import memgenkit.derivations as _derivations_pkg
import memgenkit.numerics.generated as _generated_pkg
from memgenkit.numerics.declaration import lookup

DERIVATIONS_DIR = Path(_derivations_pkg.__file__).parent
GENERATED_DIR = Path(_generated_pkg.__file__).parent


@dataclass
class DerivedFiles:
    model: str
    json: str
    markdown: str
    kernels: str

    def targets(self):
        return dict(zip(_targets(self.model), (self.json, self.markdown, self.kernels)))


@lru_cache(maxsize=None)
def build(model: str) -> DerivedFiles:
    """Derive and generate in memory (deterministic, so memoized per process)."""
    from memgenkit.numerics.codegen import generate_module
    from memgenkit.theory.registry import derive
    decl = lookup(model)
    d = derive(model)
    js = d.to_json()
    return DerivedFiles(model, js, d.to_markdown(),
                        generate_module(js, decl.stem, kind=decl.kind, roles=decl.roles))


def write(model: str) -> list[Path]:
    files = build(model)
    written = []
    for path, text in files.targets().items():
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(exist_ok=True)  # a model declared outside the package
            path.write_text(text)
            written.append(path)
    _write_stamp(model)
    return written


def _targets(model: str) -> list[Path]:
    """derivations/<stem>.json, .md and generated/<stem>.py: in the package (DERIVATIONS_DIR,
    GENERATED_DIR), or next to the declaration of a model declared outside it."""
    decl = lookup(model)
    if not decl.builtin:
        return decl.stored_files()
    s = decl.stem
    return [DERIVATIONS_DIR / f"{s}.json", DERIVATIONS_DIR / f"{s}.md", GENERATED_DIR / f"{s}.py"]


@lru_cache(maxsize=1)
def _source_key() -> str:
    """Hash of everything a derivation's output depends on, other than the model name."""
    import memgenkit.theory as theory_pkg
    h = hashlib.sha256()
    numerics_dir = Path(__file__).parent
    theory_dir = Path(theory_pkg.__file__).parent
    sources = [(f"theory/{p.relative_to(theory_dir)}", p)
               for p in sorted(theory_dir.rglob("*.py"))]
    sources += [(f"numerics/{n}", numerics_dir / n)
                for n in ("codegen.py", "drivers.py", "derive.py", "declaration.py")]
    for name, path in sources:
        h.update(name.encode())
        h.update(path.read_bytes())
    for dist in ("sympy", "mpmath", "numpy", "scipy"):
        try:
            h.update(f"{dist}={metadata.version(dist)};".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist}=none;".encode())
    h.update(platform.python_version().encode())
    return h.hexdigest()


def _stored_hash(model: str) -> str:
    h = hashlib.sha256()
    for path in _targets(model):
        h.update(path.name.encode())
        h.update(path.read_bytes() if path.exists() else b"<missing>")
    return h.hexdigest()


def _stamp_path(model: str) -> Path:
    from .kernels import cache_root
    h = hashlib.sha256(f"{model};{_source_key()}".encode())
    decl = lookup(model)  # its declaration (kind, roles); a user model's theory, outside theory/
    for path in (decl.source, None if decl.builtin else decl.theory_file()):
        h.update(path.read_bytes() if path is not None and path.exists() else b"-")
    key = h.hexdigest()[:24]
    return cache_root() / "derive-stamps" / key


def _read_stamp(model: str) -> str | None:
    try:
        return _stamp_path(model).read_text().strip()
    except OSError:
        return None


def _write_stamp(model: str) -> None:
    """Best effort: an unwritable cache only costs a re-derivation next time."""
    path = _stamp_path(model)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as fh:
            fh.write(_stored_hash(model) + "\n")
        os.replace(tmp, path)
    except OSError:
        pass


def stamped(model: str) -> bool:
    """True when the stamp says the stored files are what the derivation produces now."""
    return _read_stamp(model) == _stored_hash(model)


def stale(model: str, force: bool = False) -> list[Path]:
    """Stored files that differ from what the derivation and codegen produce now.

    Answered from the stamp when sources, versions and stored files are those of the last
    successful check (see the module docstring); ``force`` re-derives regardless."""
    if not force and stamped(model):
        return []
    files = build(model)
    out = [p for p, text in files.targets().items() if not p.exists() or p.read_text() != text]
    if not out:
        _write_stamp(model)
    return out
