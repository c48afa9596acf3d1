"""Gaussian coefficients of a random-feature activation (raf-erm, raf-rf and their simulations).

Shared by models and simulation (see numerics/common/__init__.py). The numbers are not typed
here: they are the table "activations" of the model's derivation (theory/blocks/data.py,
``activation_table``: closed forms, tanh by 30-digit quadrature, checked there), which codegen
writes into the generated module as the nearest float64 (``TABLES``); numerics/kernels.py reads
that literal from the committed source without loading the kernels.
"""
from __future__ import annotations

from .. import kernels
from ..errors import ParameterError

TABLE = "activations"
COLUMNS = ("mu0", "mu1", "mustar")


def activation_table(stem: str) -> dict[str, tuple[float, float, float]]:
    """{name: (mu0, mu1, mustar)} of the generated module ``stem`` (its derivation's table)."""
    columns, rows = kernels.tables(stem)[TABLE]
    idx = [columns.index(c) for c in COLUMNS]
    return {name: tuple(float(vals[i]) for i in idx) for name, vals in rows.items()}


def activation_coefficients(name: str, stem: str) -> tuple[float, float, float]:
    """(mu0, mu1, mustar) of a random-feature activation on z ~ N(0, 1): mu0 = E s(z), mu1 =
    E z s(z), mustar^2 = E s^2 - mu0^2 - mu1^2, as derived for the model whose generated module
    is ``stem``."""
    table = activation_table(stem)
    if name not in table:
        raise ParameterError("activation", name, "activation in {" + ", ".join(table) + "}")
    return table[name]
