"""The models theory/ knows how to derive, by their command-line names.

The list is not kept here: every model is declared once (numerics/declaration.py, a light
module of plain data that theory may read), and the declaration names its ``derive()``.
"""
from __future__ import annotations

from memgenkit.numerics.declaration import MODELS, lookup

__all__ = ["MODELS", "stem", "derive", "kind"]


def stem(model: str) -> str:
    """File stem used for derivations/<stem>.json and numerics/generated/<stem>.py."""
    return lookup(model).stem


def kind(model: str) -> str:
    """The declared form of the model's theory ("glm", "gardner", ...)."""
    return lookup(model).kind


def derive(model: str):
    return lookup(model).resolve("theory")()
