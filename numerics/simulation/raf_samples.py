"""Seeded, prefix-consistent samples of the Rules-and-Facts (RAF) data set.

Conventions
-----------
* Inputs ``x_mu ~ N(0, I_N)``, ``mu = 1..P``, load ``alpha = P / N``.
* Teacher ``w*`` Gaussian, rescaled to ``|w*|^2 = N``; teacher field
  ``nu_mu = w* . x_mu / sqrt(N)``.
* Each sample independently is a FACT with probability ``eps`` (label
  ``y = +-1`` uniformly at random) and a RULE otherwise (``y = sign(nu)``,
  with ``sign(0) := +1``, a probability-zero event).

Randomness
----------
Every random draw is driven by a seed (an ``int`` or a
``numpy.random.SeedSequence``).  A seed is split into four independent
streams (the children ``SeedSequence.spawn(4)`` would give, built without
mutating the parent so a SeedSequence object can be reused): teacher, inputs,
fact mask, fact labels.  Each
stream is consumed sample by sample, so the first ``P`` samples of an instance
do not depend on how many samples are drawn in total (prefix consistency).
Instance ``i`` at size ``N`` of a run seeded by ``seed`` uses
:func:`instance_seed` ``(seed, N, i)`` = ``SeedSequence(entropy=seed, spawn_key=(N, i))``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["Instance", "SampleStream", "sample_instance", "instance_seed"]


def _as_seedseq(seed) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError("seed must be non-negative")
        return np.random.SeedSequence(int(seed))
    raise TypeError("seed must be a non-negative int or a numpy.random.SeedSequence")


def _children(ss: np.random.SeedSequence, k: int):
    """The first ``k`` children ``ss.spawn(k)`` would give, without mutating ``ss``
    (so that reusing a SeedSequence object always reproduces the same draws)."""
    return [np.random.SeedSequence(entropy=ss.entropy, spawn_key=tuple(ss.spawn_key) + (j,),
                                   pool_size=ss.pool_size) for j in range(k)]


def instance_seed(seed, N: int, index: int) -> np.random.SeedSequence:
    """Seed of instance ``index`` at size ``N`` derived from a master ``seed``.

    ``SeedSequence(entropy=seed, spawn_key=(N, index))`` for an int seed; for a
    SeedSequence master its entropy is used and ``(N, index)`` is appended to
    its spawn key.  Independent of everything else in a run.
    """
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(entropy=seed.entropy,
                                      spawn_key=tuple(seed.spawn_key) + (int(N), int(index)))
    ss = _as_seedseq(seed)
    return np.random.SeedSequence(entropy=ss.entropy, spawn_key=(int(N), int(index)))


class Instance(NamedTuple):
    """One data set.  ``X``: (P, N) inputs; ``y``: (P,) labels in {-1, +1}
    (float); ``is_fact``: (P,) bool; ``teacher``: (N,) with ``|teacher|^2 = N``."""

    X: np.ndarray
    y: np.ndarray
    is_fact: np.ndarray
    teacher: np.ndarray


class SampleStream:
    """Prefix-consistent, lazily extended stream of RAF samples.

    ``SampleStream(N, eps, seed).take(P)`` returns the first ``P`` samples; the
    result does not depend on previous or later calls (each of the four
    sub-streams is consumed sequentially).  ``G(P)`` gives the matrix
    ``diag(y) X / sqrt(N)`` of the first ``P`` samples.
    """

    def __init__(self, N: int, eps: float, seed):
        if int(N) != N or N < 1:
            raise ValueError("N must be a positive integer")
        if not (0.0 <= eps <= 1.0):
            raise ValueError("eps must lie in [0, 1]")
        self.N = int(N)
        self.eps = float(eps)
        ss_teacher, ss_x, ss_fact, ss_lab = _children(_as_seedseq(seed), 4)
        t = np.random.default_rng(ss_teacher).standard_normal(self.N)
        self.teacher = t * (math.sqrt(self.N) / np.linalg.norm(t))
        self._rng_x = np.random.default_rng(ss_x)
        self._rng_fact = np.random.default_rng(ss_fact)
        self._rng_lab = np.random.default_rng(ss_lab)
        self._X = np.empty((0, self.N))
        self._y = np.empty(0)
        self._fact = np.empty(0, dtype=bool)
        self._G = np.empty((0, self.N))

    @property
    def available(self) -> int:
        return self._X.shape[0]

    def _extend(self, P: int) -> None:
        k = P - self.available
        if k <= 0:
            return
        X = self._rng_x.standard_normal((k, self.N))
        fact = self._rng_fact.random(k) < self.eps
        rand_lab = np.where(self._rng_lab.random(k) < 0.5, -1.0, 1.0)
        nu = X @ self.teacher / math.sqrt(self.N)
        rule_lab = np.where(nu >= 0.0, 1.0, -1.0)
        y = np.where(fact, rand_lab, rule_lab)
        self._X = np.concatenate([self._X, X])
        self._y = np.concatenate([self._y, y])
        self._fact = np.concatenate([self._fact, fact])
        self._G = np.concatenate([self._G, y[:, None] * X / math.sqrt(self.N)])

    def take(self, P: int) -> Instance:
        P = int(P)
        if P < 0:
            raise ValueError("P must be >= 0")
        self._extend(P)
        return Instance(self._X[:P].copy(), self._y[:P].copy(), self._fact[:P].copy(),
                        self.teacher.copy())

    def G(self, P: int) -> np.ndarray:
        """``diag(y) X / sqrt(N)`` for the first ``P`` samples (a view)."""
        self._extend(int(P))
        return self._G[:P]


def sample_instance(N: int, P: int, eps: float, seed) -> Instance:
    """Draw one RAF data set of ``P`` samples in dimension ``N``.

    Returns ``(X, y, is_fact, teacher)``, see :class:`Instance`.  Prefix
    consistent: ``sample_instance(N, P1, eps, s)`` is the first ``P1`` rows of
    ``sample_instance(N, P2, eps, s)`` for ``P1 <= P2``.
    """
    return SampleStream(N, eps, seed).take(P)

