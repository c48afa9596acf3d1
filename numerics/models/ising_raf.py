"""ising-raf: binary student and teacher on rules-and-facts labels, margin kappa; RS entropy.

Conventions are those of theory/models/ising_raf.py. Boundary (numerics/boundaries.py): alpha_c,
where the RS entropy of the saddle point vanishes (a root along alpha; at eps = kappa = 0 the
R < 1 branch, Gyorgyi's transition to perfect generalization at 1.245). simulate / verify:
enumeration of P_max/N on instances from the declared blocks (numerics/simulation/blocks.py).
"""
from __future__ import annotations

import numpy as np

from ..boundaries import DeclaredBoundaries, Root
from ..model import SaddlePointModel
from ..simulation.blocks import BlockVerified


class IsingRaf(BlockVerified, DeclaredBoundaries, SaddlePointModel):
    """Ising perceptron on rules-and-facts data: entropy, eps_gen, alpha_c (entropy = 0)."""

    boundaries = (Root("alpha_c", "entropy", lambda v: (0.05, 1.3), "RS entropy = 0", shrink=8),)
    capacity, verify_defaults = "alpha_c", {"eps": 0.5}

    def inside(self, x) -> bool:
        q, qhat, R, _ = x
        return bool(0.0 < q < 1.0 and qhat > 0.0 and R * R < q)

    def initial_guess(self, params):
        """Small overlaps growing with alpha; R a fraction 1 - eps of its largest value sqrt(q)."""
        q0 = min(0.8, 0.5 * params["alpha"])
        R0 = 0.8 * (1.0 - params["eps"]) * np.sqrt(q0)
        return np.array([q0, q0 / (1.0 - q0) ** 2, R0, R0 / (1.0 - q0)])
