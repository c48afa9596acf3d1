"""ising-gardner: binary perceptron (w_i = +-1), margin kappa, random labels; RS entropy.

Conventions are those of theory/models/ising_gardner.py. Boundaries (numerics/boundaries.py):
alpha_rs = 2/(pi I(kappa)), where the RS saddle point reaches q = 1 (analytic), and alpha_c, where
the RS entropy vanishes (a root along alpha), and alpha_AT, where the replicon vanishes (a
stability condition). simulate / verify (numerics/simulation/blocks.py, from the declared
blocks): exhaustive enumeration of the per-instance capacity P_max/N, which must approach
alpha_c and exclude alpha_rs.
"""
from __future__ import annotations

import numpy as np

from ..boundaries import Analytic, DeclaredBoundaries, Root, Stability
from ..model import SaddlePointModel
from ..simulation.blocks import BlockVerified


class IsingGardner(BlockVerified, DeclaredBoundaries, SaddlePointModel):
    """Ising perceptron Gardner volume on random labels: entropy, alpha_c, alpha_rs."""

    boundaries = (Analytic("alpha_rs", "alpha_rs", "alpha_rs", "q -> 1 of the RS saddle point"),
                  Root("alpha_c", "entropy", lambda v: (0.05 * v["alpha_rs"], 0.9 * v["alpha_rs"]),
                       "RS entropy = 0", approach=lambda v: v["alpha_rs"]),
                  Stability("alpha_AT", "replicon", lambda v: (0.05 * v["alpha_rs"],
                                                               0.9 * v["alpha_rs"]),
                            "replicon = 0", approach=lambda v: v["alpha_rs"]))
    capacity, excluded = "alpha_c", ("alpha_rs",)

    def inside(self, x) -> bool:
        return bool(0.0 < x[0] < 1.0 and x[1] > 0.0)

    def _alpha_rs(self, params):
        return float(self.call("alpha_rs", np.empty(0), self.pvec(params))[0])

    def precheck(self, params):
        a_rs = self._alpha_rs(params)
        if params["alpha"] >= a_rs:
            return f"alpha = {params['alpha']:g} >= alpha_rs = {a_rs:.12g}: no RS saddle point"
        return None

    def initial_guess(self, params):
        """q grows from 0 (alpha -> 0) to 1 (alpha -> alpha_rs); qhat from E tanh^2 ~ q."""
        q0 = min(0.9, 0.7 * params["alpha"] / self._alpha_rs(params))
        return np.array([q0, q0 / (1.0 - q0) ** 2])
