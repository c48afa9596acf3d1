"""Numerical models, one per file, by command-line name.

Which models exist, and where each one's class lives, is read from the model declarations
(numerics/declaration.py: one light declaration per model, found by scanning, no list here).
``MODELS`` is the mapping name -> declaration; ``get(name)`` the shared model object.
"""
from __future__ import annotations

import sys

from ..declaration import MODELS, lookup
from ..progress import stderr_message

__all__ = ["MODELS", "get"]
_INSTANCES: dict = {}


def get(name: str, progress=None):
    """The (per-process, shared) model object for ``name``.

    ``progress``: callable(str) told when kernels compile (first use with a toolchain); by
    default a line on stderr when stderr is a terminal, since compilation takes seconds."""
    decl = lookup(name)  # UnknownModelError, one line naming the known models
    if progress is None and sys.stderr.isatty():
        progress = stderr_message
    key = (name, decl.source)
    if key not in _INSTANCES:
        _INSTANCES[key] = decl.resolve("numerics")(progress, declaration=decl)
    return _INSTANCES[key]
