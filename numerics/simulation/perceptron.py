"""The perceptron feasibility question shared by the LP and QP solvers.

Conventions
-----------
* Data ``(X, y)``: ``X`` is (P, N), labels ``y_mu = +-1``.
* Question: is there ``w`` with ``|w|^2 = N`` and stabilities
  ``Delta_mu = y_mu w . x_mu / sqrt(N) >= kappa`` for all ``mu``?
  (``kappa >= 0``).  Both solvers work on the stability matrix
  ``G = diag(y) X / sqrt(N)`` (:func:`stability_matrix`).
* ``kappa_max(X, y) = max_{|w|^2 = N} min_mu Delta_mu``.  With
  ``u*`` the hard-margin SVM without bias,
  ``u* = argmin |u|^2 / 2  s.t.  G u >= 1``, one has
  ``kappa_max = sqrt(N) / |u*|`` (``= 1/|u*|`` in the ``|w| = 1``
  normalisation).  If the QP is infeasible the data are not linearly
  separable and ``kappa_max <= 0``.
* Feasible at ``kappa`` iff ``kappa_max >= kappa``.  At ``kappa = 0`` the
  question is strict linear separability (``G w >= 1`` solvable, scale
  invariant) and is answered by an LP (HiGHS via ``scipy.optimize.linprog``,
  :mod:`.perceptron_lp`); at ``kappa > 0`` by the QP above (Clarabel interior
  point, :mod:`.perceptron_qp`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SolverError", "stability_matrix", "cover_probability"]


class SolverError(RuntimeError):
    """A solver failed or returned a result that could not be certified."""


def stability_matrix(X, y) -> np.ndarray:
    """``G = diag(y) X / sqrt(N)`` (rows: the stabilities' directions); checks shapes and +-1 labels."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[0] != y.size:
        raise ValueError("X must be (P, N) and y of length P")
    if not np.all(np.abs(y) == 1):
        raise ValueError("labels must be +-1")
    return y[:, None] * X / math.sqrt(X.shape[1])


def cover_probability(N: int, P: int) -> float:
    """Cover (1965): probability that P random-labelled points in general
    position in N dimensions are linearly separable by a hyperplane through
    the origin, ``2^(1-P) sum_{k=0}^{N-1} C(P-1, k)`` (exact rational, as float)."""
    if P <= N:
        return 1.0
    from fractions import Fraction
    s = sum(math.comb(P - 1, k) for k in range(N))
    return float(Fraction(s, 2 ** (P - 1)))
