"""composition: the cavity theory evaluated in numba (population dynamics and feature sums).

Theory: derivations/composition.md (steps 'hard and soft factors', 'error recursion',
'ensemble recursion'). Compiled loops, all calling the generated kernels, in
composition_cavity_loops.py (a companion of the kernel module, cached on disk with it):

* ``population``: the distributional fixed point of the cavity recursion, two populations:
  UNPINNED cavity messages (v, eps_b, eps_n) and PINNED ones (vt = v/lam, eps_b, eps_n); eps_b
  is the teacher part of the squared error, eps_n the noise part per unit sigma^2. An unpinned
  update draws feature j with probability u_j/mu and c ~ Binomial(n-1, r_j) soft factors; a
  pinned update draws j with probability (p_j - u_j)/(s' - mu), J ~ Binomial(n-1, p_j Q) | J >= 1
  hard and (ridge only) m ~ Binomial(n-1-J, r_j) soft factors. A soft factor carries M ~
  Poisson(mu) | M >= 1 unpinned and M' ~ Poisson(s' - mu) pinned members (``soft_factor``), a
  hard one M' pinned members (``hard_factor``); ``cavity`` / ``pinned`` combine them. Started
  from the star approximation (unpinned: v = 1, eps = beta^2, i.e. private; pinned: exactly
  known), so the first sweep reproduces the star theory.
* ``tables``: expectations over iid messages: G(k) for k soft factors (a feature with no hard
  factor) and H(J, m) for J hard and m soft ones (at lam = 0 soft factors carry no weight for a
  pinned feature and H depends on J only).
* ``totals``: the exact count statistics summed over features i = 1..d with Binomial windows.

Truncations (numerical, not modelling): Binomial / Poisson sums are restricted to mean +- 14 sd
(+ 12), where the omitted mass is < 1e-40; the all-soft tables stop at k_cut where (1 - Q)^k <
1e-17; a population update of a pinned feature with more than SUB hard (or soft) factors uses a
random subset of SUB of them, its sums scaled up (heavy features, J up to n: the sums concentrate
and the bias of the ratios is O(CV^2/SUB) on errors ~ sigma^2/J). The tables use every factor;
beyond k, J = NEAR only one sequence in FAR_EVERY continues (unbiased; fewer samples where the
averages concentrate). Monte Carlo: several
independent populations (seeded), each giving its own tables and observables; their spread is
the theory's Monte Carlo standard error.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

# declared by the model (SaddlePointModel.companions): loaded by kernels.load with the kernels
LOOPS = Path(__file__).with_name("composition_cavity_loops.py")

EVALUATOR = ("log_product", "arrays", "population", "tables", "totals", "sizes")


def make_evaluator(mod):
    """The compiled loops of kernel module ``mod`` (loaded with the LOOPS companion), by name;
    "slots" is the companion itself, whose T_* constants index the totals."""
    loops = mod.COMPANIONS[LOOPS.stem]
    return {**{name: getattr(loops, name) for name in EVALUATOR}, "slots": loops}


def poisson_cdf(mod, p, mu):
    """CDF of M ~ Poisson(mu) | M >= 1 on M = 1..Mmax (last entry forced above 1)."""
    top = int(mu + 14 * math.sqrt(mu) + 12)
    out = np.empty(1)
    pm = np.empty(top)
    for M in range(1, top + 1):
        mod.poisson_pmf(np.array([float(M), mu]), p, out)
        pm[M - 1] = out[0]
    cdf = np.cumsum(pm) / pm.sum()
    cdf[-1] = 2.0
    return cdf
