"""Sparse bipartite sample-feature graphs: the data block of cavity (sparse-graph) models.

Conventions: n samples (factor nodes) and d features (variable nodes); the edge (mu, i) is
present independently with probability p_i, the feature's frequency, and carries a uniform
random sign x_mu,i = +-1 (so a sample is x in {0, +1, -1}^d). A feature's degree (its training
count) is k_i ~ Binomial(n, p_i), generating function G(x) = (1 - p + p x)^n; seen from one of
its edges, its excess degree (its other samples) is Binomial(n - 1, p_i), generating function
G'(x)/G'(1) = (1 - p + p x)^(n-1). The pmf is also given in logs with log-gamma (stable at
n = 1e3..1e5, where the binomial coefficient and the powers separately under- and overflow)
for 0 < prob < 1; the degenerate ends prob in {0, 1} are the caller's.
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp
from scipy import sparse

from ..derivation import Check
from ..evaluate import check_symbolic
from .base import Block

N_, prob, m = sp.symbols("N_ prob m", nonnegative=True)  # trials, edge probability, a degree
x_gf = sp.Symbol("x")  # the generating functions' variable


class BernoulliGraph(Block):
    """Bipartite sample-feature graph, edge (mu, i) independently with probability p_i."""

    kind = "graph"
    name = "bernoulli-graph"

    def pmf(self):
        """P(k = m), k ~ Binomial(N_, prob)."""
        return sp.binomial(N_, m) * prob ** m * (1 - prob) ** (N_ - m)

    def pmf_code(self):
        """The same pmf in logs (0 < prob < 1), for kernels."""
        return sp.exp(sp.loggamma(N_ + 1) - sp.loggamma(m + 1) - sp.loggamma(N_ - m + 1)
                      + m * sp.log(prob) + (N_ - m) * sp.log(1 - prob))

    def generating(self, x=x_gf):
        """G(x) = E x^k of the degree."""
        return (1 - prob + prob * x) ** N_

    def excess_generating(self, x=x_gf):
        """E x^(k-1) of the degree of a feature reached along an edge (size-biased, minus 1)."""
        return (1 - prob + prob * x) ** (N_ - 1)

    def counts(self, p, n):
        """P0 (unseen), P1 (seen once), P(k >= 2) and q = p (1-p)^(n-1) (present in a given
        sample and absent from the n - 1 others) of a feature of frequency p among n samples."""
        P0 = (1 - p) ** n
        P1 = n * p * (1 - p) ** (n - 1)
        return {"P0": P0, "P1": P1, "P2plus": 1 - P0 - P1, "q_once": p * (1 - p) ** (n - 1)}

    def count_checks(self, p, n) -> list[Check]:
        """pmf(0) = P0 and pmf(1) = P1 at frequency p (sympy), and the log-gamma pmf against
        the binomial one (30 digits, relative, 3 points)."""
        pmf, c = self.pmf(), self.counts(p, n)

        def simp(e):
            return sp.simplify(sp.expand_func(e))

        def chk_pmf():
            f = sp.lambdify([m, N_, prob], self.pmf_code(), "mpmath")
            g = sp.lambdify([m, N_, prob], pmf, "mpmath")
            pts = [(mp.mpf(mm), mp.mpf(NN), mp.mpf(pp)) for mm, NN, pp in
                   ((0, 10, "0.3"), (3, 1000, "0.004"), (500, 1000, "0.5"))]
            return max(abs(f(*x) - g(*x)) / g(*x) for x in pts)
        with mp.workdps(30):
            worst = float(chk_pmf())
        return [check_symbolic(pmf.subs({N_: n, prob: p, m: 1}) - c["P1"], "pmf(1) = P1", simp),
                check_symbolic(pmf.subs({N_: n, prob: p, m: 0}) - c["P0"], "pmf(0) = P0", simp),
                Check("numeric", worst <= 1e-25,
                      "log-gamma pmf = binomial pmf (relative, 3 points)", worst)]

    # -- instances --------------------------------------------------------------------------
    def sample_supports(self, n: int, p: np.ndarray, rng: np.random.Generator):
        """(rows, cols, k) of the edges: column i holds a uniform random subset of the n rows of
        size k_i ~ Binomial(n, p_i). Large columns (k_i^2 > n, where repeats are likely) take a
        random permutation prefix; small ones are drawn with replacement and redrawn per column
        until free of repeats (rejection sampling: exactly uniform), vectorized over columns."""
        d = p.size
        k = rng.binomial(n, p)
        cols = np.repeat(np.arange(d), k)
        rows = np.empty(cols.size, dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(k)])
        big = np.flatnonzero(k * k > n)
        small = np.ones(cols.size, bool)
        for c in big:
            rows[starts[c]:starts[c + 1]] = rng.permutation(n)[:k[c]]
            small[starts[c]:starts[c + 1]] = False
        rows[small] = rng.integers(0, n, size=int(small.sum()))
        while True:
            key = cols.astype(np.int64) * n + rows
            order = np.argsort(key, kind="stable")
            dup = np.zeros(key.size, bool)
            dup[order[1:]] = key[order[1:]] == key[order[:-1]]
            bad = np.unique(cols[dup])
            if bad.size == 0:
                return rows, cols, k
            for c in bad:  # only small columns can repeat
                rows[starts[c]:starts[c + 1]] = rng.integers(0, n, size=k[c])

    def sample(self, rng, n: int, p: np.ndarray, sign_rng=None):
        """(X, k): the n x d signed incidence matrix (csr, entries 0, +-1) and the degrees;
        supports from ``rng``, signs from ``sign_rng`` (default: the same stream)."""
        rows, cols, k = self.sample_supports(n, p, rng)
        vals = (sign_rng or rng).choice(np.array([-1.0, 1.0]), size=rows.size)
        return sparse.csr_matrix((vals, (rows, cols)), shape=(n, p.size)), k

    def sample_point(self, rng) -> dict:
        """n and frequencies for the generic checks: mostly sparse (log-uniform on [1e-4, 0.3],
        the seen-once regime), some dense (uniform on [0.3, 1)) and a few p = 1 (always
        present), so both sampling paths (permutation prefix and rejection) are exercised."""
        n = int(rng.integers(200, 600))
        p = np.concatenate([np.exp(rng.uniform(np.log(1e-4), np.log(0.3), 15000)),
                            rng.uniform(0.3, 1.0, 200), np.ones(3)])
        return {"n": n, "p": p}
