"""Gaussian coefficients of a random-feature activation (raf-erm, raf-rf and their simulations).

Shared by models and simulation (see numerics/common/__init__.py).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError


def activation_coefficients(name: str) -> tuple[float, float, float]:
    """(mu0, mu1, mustar) of a random-feature activation on z ~ N(0, 1)."""
    if name == "linear":
        return 0.0, 1.0, 0.0
    if name == "sign":
        return 0.0, math.sqrt(2 / math.pi), math.sqrt(1 - 2 / math.pi)
    if name == "relu":
        mu0, mu1 = 1 / math.sqrt(2 * math.pi), 0.5
        return mu0, mu1, math.sqrt(0.5 - mu0**2 - mu1**2)
    if name == "erf":
        mu1 = 2 / math.sqrt(3 * math.pi)
        second = 2 / math.pi * math.asin(2 / 3)
        return 0.0, mu1, math.sqrt(second - mu1**2)
    if name == "tanh":
        x, w = np.polynomial.hermite_e.hermegauss(200)
        w = w / w.sum()
        s = np.tanh(x)
        mu1 = float(w @ (x * s))
        return 0.0, mu1, math.sqrt(float(w @ s**2) - mu1**2)
    raise ParameterError("activation", name, "activation in {sign, relu, erf, tanh, linear}")
