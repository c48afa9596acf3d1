"""Continuation along one parameter: warm starts, both directions, branches kept.

The forward pass runs over the values in increasing order, each solve started from the previous
solution extrapolated linearly (secant predictor); the backward pass runs in decreasing order. Where
the two passes land on different solutions (hysteresis), both are kept and the free entropy of each
says which is the equilibrium one. Points that did not converge stay in the branch with their
status, so a curve is never drawn through them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Branch:
    direction: str  # "forward" or "backward"
    values: list = field(default_factory=list)
    results: list = field(default_factory=list)

    def converged_mask(self):
        return np.array([r.converged for r in self.results], dtype=bool)

    def series(self, key):
        return np.array([r.order_params.get(key, r.observables.get(key, np.nan))
                         for r in self.results], dtype=float)


@dataclass
class Continuation:
    parameter: str
    forward: Branch
    backward: Branch | None
    coexisting: list  # parameter values where forward and backward solutions differ

    def equilibrium(self):
        """Per value, the converged solution of larger free entropy (forward if only one)."""
        out = []
        back = {v: r for v, r in zip(self.backward.values, self.backward.results)} \
            if self.backward else {}
        for v, rf in zip(self.forward.values, self.forward.results):
            rb = back.get(v)
            cands = [r for r in (rf, rb) if r is not None and r.converged]
            if not cands:
                out.append(rf)
                continue
            out.append(max(cands, key=lambda r: r.observables.get("free_entropy", -np.inf)))
        return out


def _run(model, parameter, values, base, init, kw, direction, progress):
    branch = Branch(direction)
    prev, prev2 = None, None  # (value, x) of the last two converged points
    for v in values:
        guess = init
        if prev is not None:
            guess = prev[1]
            if prev2 is not None and prev[0] != prev2[0]:
                slope = (prev[1] - prev2[1]) / (prev[0] - prev2[0])
                cand = prev[1] + slope * (v - prev[0])
                guess = cand if model.inside(cand) else prev[1]
        r = model.solve({**base, parameter: v}, init=guess, **kw)
        if not r.converged and guess is not None:
            r = model.solve({**base, parameter: v}, **kw)  # cold start as a second chance
        branch.values.append(float(v))
        branch.results.append(r)
        if r.converged:
            x = np.array([r.order_params[n] for n in model.order_names])
            prev2, prev = prev, (float(v), x)
        if progress:
            progress()
    return branch


def continuation(model, parameter, values, base=None, *, both=True, init=None, tol_branch=1e-7,
                 progress=None, **kw):
    """Solve along ``parameter`` over ``values`` (any order) with warm starts.

    ``both``: also run the backward pass. ``tol_branch``: order parameters differing by more
    than this between passes mark coexisting branches.
    """
    base = dict(base or {})
    vals = sorted(float(v) for v in values)
    fwd = _run(model, parameter, vals, base, init, kw, "forward", progress)
    bwd = None
    coexist = []
    if both:
        bwd = _run(model, parameter, vals[::-1], base, init, kw, "backward", progress)
        bwd.values.reverse()
        bwd.results.reverse()
        for v, a, b in zip(vals, fwd.results, bwd.results):
            if a.converged and b.converged:
                da = max(abs(a.order_params[n] - b.order_params[n]) for n in model.order_names)
                if da > tol_branch:
                    coexist.append(v)
    return Continuation(parameter, fwd, bwd, coexist)
