"""Numerical models, one per file, by command-line name."""
from __future__ import annotations

import importlib

from ..errors import UnknownModelError

# model name -> (module under memgenkit.numerics.models, class name)
MODELS = {
    "raf-gardner": ("raf_gardner", "RafGardner"),
}
_INSTANCES: dict = {}


def get(name: str, progress=None):
    """The (per-process, shared) model object for ``name``."""
    if name not in MODELS:
        raise UnknownModelError(name, list(MODELS))
    if name not in _INSTANCES:
        mod, cls = MODELS[name]
        _INSTANCES[name] = getattr(importlib.import_module(f"{__name__}.{mod}"), cls)(progress)
    return _INSTANCES[name]
