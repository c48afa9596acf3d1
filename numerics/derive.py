"""``memgen derive``: run a model's derivation, store it, generate its kernels; or check staleness.

This is the only numerics module that imports sympy (through theory/ and codegen); the solve path
loads the stored kernels instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import memgenkit.derivations as _derivations_pkg
import memgenkit.numerics.generated as _generated_pkg

DERIVATIONS_DIR = Path(_derivations_pkg.__file__).parent
GENERATED_DIR = Path(_generated_pkg.__file__).parent


@dataclass
class DerivedFiles:
    model: str
    json: str
    markdown: str
    kernels: str

    def targets(self):
        from memgenkit.theory.registry import stem
        s = stem(self.model)
        return {DERIVATIONS_DIR / f"{s}.json": self.json,
                DERIVATIONS_DIR / f"{s}.md": self.markdown,
                GENERATED_DIR / f"{s}.py": self.kernels}


@lru_cache(maxsize=None)
def build(model: str) -> DerivedFiles:
    """Derive and generate in memory (deterministic, so memoized per process)."""
    from memgenkit.numerics.codegen import generate_module
    from memgenkit.theory.registry import derive, stem
    d = derive(model)
    js = d.to_json()
    return DerivedFiles(model, js, d.to_markdown(), generate_module(js, stem(model)))


def write(model: str) -> list[Path]:
    files = build(model)
    written = []
    for path, text in files.targets().items():
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def stale(model: str) -> list[Path]:
    """Stored files that differ from what the derivation and codegen produce now."""
    files = build(model)
    return [p for p, text in files.targets().items()
            if not p.exists() or p.read_text() != text]
