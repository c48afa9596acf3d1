"""Numerical models, one per file, by command-line name."""
from __future__ import annotations

import importlib
import sys

from ..errors import UnknownModelError
from ..progress import stderr_message

# model name -> (module under memgenkit.numerics.models, class name)
MODELS = {
    "raf-gardner": ("raf_gardner", "RafGardner"),
    "raf-erm": ("raf_erm", "RafErm"),
    "raf-bayes": ("raf_bayes", "RafBayes"),
    "raf-rf": ("raf_rf", "RafRf"),
    "hopfield-ags": ("hopfield_ags", "HopfieldAGS"),
    "hopfield-snr": ("hopfield_snr", "HopfieldSNR"),
    "ti-krr": ("ti_krr", "TiKrr"),
    "composition": ("composition", "Composition"),
    "ising-gardner": ("ising_gardner", "IsingGardner"),
    "ising-raf": ("ising_raf", "IsingRaf"),
}
_INSTANCES: dict = {}


def get(name: str, progress=None):
    """The (per-process, shared) model object for ``name``.

    ``progress``: callable(str) told when kernels compile (first use with a toolchain); by
    default a line on stderr when stderr is a terminal, since compilation takes seconds."""
    if name not in MODELS:
        raise UnknownModelError(name, list(MODELS))
    if progress is None and sys.stderr.isatty():
        progress = stderr_message
    if name not in _INSTANCES:
        mod, cls = MODELS[name]
        _INSTANCES[name] = getattr(importlib.import_module(f"{__name__}.{mod}"), cls)(progress)
    return _INSTANCES[name]
