"""Hebbian storage of +-1 patterns read out by one synchronous sign step.

Conventions: P patterns xi^mu in {+-1}^N, i.i.d. uniform entries (the Ising prior's law);
Hebb couplings J = (1/N) sum_mu xi^mu xi^mu^T with zero diagonal; from the state s = xi^1 the
local field is h_i = sum_{j != i} J_ij s_j = sum_mu xi_i^mu o_mu^(i), with the overlaps
o_mu^(i) = (1/N) sum_{j != i} xi_j^mu s_j. Pattern 1 gives the signal o_1 = (N-1)/N exactly;
each other pattern's o_mu is the mean of N-1 independent signs over N: mean 0, variance
(N-1)/N^2 (the crosstalk per stored pattern), uncorrelated across patterns and with the signal.
So s_i h_i = (N-1)/N + noise of variance (P-1)(N-1)/N^2; in the Gaussian crosstalk limit (many
patterns) the readout x_i = sgn(h_i) errs with probability H(S/sigma) and the one-step overlap
is m = 1 - 2 H(S/sigma). A Gaussian fluctuation s Z of the signal (e.g. a random count of the
patterns that carry it) only widens the noise: E_Z[1 - 2H((mu + s Z)/sigma)] =
1 - 2H(mu/sqrt(sigma^2 + s^2)).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ...gaussian import H
from ..base import Readout
from ..priors.ising import Ising


class HebbSign(Readout):
    """Hebbian storage + sign readout: signal (N-1)/N, crosstalk (N-1)/N^2 per pattern, error
    H(S/sigma)."""

    name = "hebb-sign"

    def self_overlap(self, N):
        """o_1 = (N-1)/N: a pattern's overlap with itself without the diagonal site."""
        return (N - 1) / N

    def crosstalk(self, N):
        """Var o_mu = (N-1)/N^2: one stored pattern's crosstalk variance on the field."""
        return (N - 1) / N**2

    def moments(self, N, P):
        return {"signal": self.self_overlap(N), "noise": (P - 1) * self.crosstalk(N)}

    def error(self, u):
        return H(u)

    def overlap(self, u):
        return 1 - 2 * self.error(u)

    def smoothed(self, mu, s, sigma):
        return self.overlap(mu / sp.sqrt(sigma**2 + s**2))

    def sample(self, rng, N, P):
        """(xi, h): P patterns from the Ising prior block's ``sample`` (float +-1 rows) and the
        fields h = J xi^1 (zero diagonal), computed as X^T (X s)/N - (P/N) s without J."""
        prior = Ising()
        X = np.stack([prior.sample(rng, N) for _ in range(P)])
        s = X[0]
        h = X.T @ (X @ s) / N - (P / N) * s
        return X, h
