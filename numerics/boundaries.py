"""Declared phase boundaries: a model names what its ``boundary`` verb computes; this solves it.

A model lists ``boundaries`` (in order; a later one may use the values found before it):

* :class:`Analytic` -- an analytic limit: a kernel without order parameters evaluated at the
  parameters (e.g. alpha_rs = 2/(pi I(kappa)), where the RS saddle point reaches q = 1);
* :class:`Root` -- the value of the model's ``boundary_variable`` where an observable of the
  solved saddle point vanishes, or equals ``level`` (e.g. the RS entropy: alpha_c). The root is
  bracketed and found by Brent's method (numerics/rootfind.py ``find_root``); the saddle point
  is solved at every evaluation, warm-started from the nearest value already solved, and where
  that fails from halfway points towards it (a short continuation);
* :class:`Stability` -- a declared observable changing sign (a replicon eigenvalue): the same
  machinery as :class:`Root`, kept apart so records say which kind of boundary it is.

``bracket(values)`` returns (lo, hi) from ``values``: the validated parameters and the boundaries
found so far, by name. The answer is one ``Result``: every boundary under its name in
``observables`` (and, for a root, the order parameters there as ``<name>.<order parameter>``);
``status`` converged when all converged, with each boundary's status under ``boundaries``.
This module names no model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .rootfind import find_root
from .results import Result


@dataclass(frozen=True)
class Analytic:
    name: str
    kernel: str
    output: str
    description: str = ""


@dataclass(frozen=True)
class Root:
    name: str
    observable: str  # an output of the observables kernel, or "free_entropy"
    bracket: Callable  # values -> (lo, hi)
    description: str = ""
    scan: int = 8  # interior points tried when the bracket ends have the same sign
    level: float = 0.0  # the root of observable - level
    # values -> a value the upper end may approach (a singular end, e.g. alpha_rs): while the
    # bracket holds no sign change, hi moves 3/4 of the way towards it (up to ``approaches``
    # times, as long as the saddle point still solves there)
    approach: Callable | None = None
    approaches: int = 12
    # while the saddle point does not solve at hi, hi moves a quarter of the way towards lo (up
    # to ``shrink`` times): a bracket may reach past where the saddle point exists
    shrink: int = 0
    kind = "root"


@dataclass(frozen=True)
class Stability(Root):
    kind = "stability"


class _Walker:
    """Saddle points along the boundary variable, each started from the nearest one solved."""

    def __init__(self, model, params, variable, depth=6):
        self.model, self.params, self.variable, self.depth = model, params, variable, depth
        self.solved: dict[float, object] = {}

    def solve(self, value, init=None, depth=0):
        r = self.model.solve({**self.params, self.variable: value}, init=init)
        if r.converged or depth >= self.depth or not self.solved:
            return r
        near = min(self.solved, key=lambda v: abs(v - value))
        mid = 0.5 * (near + value)
        rm = self.solve(mid, self._x(self.solved[near]), depth + 1)
        if not rm.converged:
            return r
        self.solved[mid] = rm
        return self.solve(value, self._x(rm), depth + 1)

    def _x(self, r):
        return np.array([r.order_params[n] for n in self.model.order_names])

    def at(self, value):
        init = None
        if self.solved:
            near = min(self.solved, key=lambda v: abs(v - value))
            init = self._x(self.solved[near])
        r = self.solve(value, init)
        if r.converged:
            self.solved[value] = r
        return r


def _observable(r, name):
    if name == "free_entropy":
        return r.observables.get("free_entropy", math.nan)
    return r.observables.get(name, math.nan)


def _approach(g, lo, hi, limit, times):
    """Move ``hi`` towards ``limit`` until g changes sign on [lo, hi] (or g stops being finite:
    the last finite end is kept)."""
    glo, ghi = g(lo), g(hi)
    for _ in range(times):
        if not (math.isfinite(glo) and math.isfinite(ghi)) or glo * ghi <= 0:
            break
        nxt = limit - 0.25 * (limit - hi)
        gn = g(nxt)
        if not math.isfinite(gn):
            break
        lo, glo, hi, ghi = hi, ghi, nxt, gn
    return lo, hi


def solve_boundaries(model, params: dict, boundaries, variable: str, *, xtol=1e-13) -> Result:
    """Every declared boundary of ``model`` at validated ``params`` (without ``variable``)."""
    values, out, statuses = dict(params), {}, {}
    # an analytic boundary of ``variable`` does not depend on it: NaN there shows if one did
    p = model.pvec({**params, variable: math.nan}) if variable in model.param_names() else \
        model.pvec(params)
    for b in boundaries:
        if isinstance(b, Analytic):
            v = float(model.call(b.kernel, np.empty(0), p)[list(
                model.module.KERNELS[b.kernel][1]).index(b.output)])
            ok = math.isfinite(v)
            statuses[b.name] = {"kind": "analytic", "converged": ok, "kernel": b.kernel,
                                "message": "" if ok else "kernel value not finite"}
        else:
            walker = _Walker(model, params, variable)
            lo, hi = b.bracket(values)

            def g(a):
                r = walker.at(a)
                return _observable(r, b.observable) - b.level if r.converged else math.nan

            for _ in range(b.shrink):
                if math.isfinite(g(hi)):
                    break
                hi = lo + 0.75 * (hi - lo)
            if b.approach is not None:
                lo, hi = _approach(g, lo, hi, b.approach(values), b.approaches)
            root = find_root(g, lo, hi, xtol=xtol, scan=b.scan)
            v = root.value
            statuses[b.name] = {"kind": b.kind, "observable": b.observable, "level": b.level,
                                "method": "brent",
                                **root.to_dict()}
            if root.converged:
                r = walker.at(v)
                for n, x in r.order_params.items():
                    out[f"{b.name}.{n}"] = x
        values[b.name] = v
        out[b.name] = v
    converged = all(s["converged"] for s in statuses.values())
    status = {"converged": converged, "iterations": sum(int(s.get("iterations", 0))
                                                        for s in statuses.values()),
              "residual": max([float(s.get("residual", 0.0)) for s in statuses.values()
                               if s.get("residual") is not None] + [0.0]),
              "method": "declared boundaries",
              "message": "; ".join(f"{k}: {s['message']}" for k, s in statuses.items()
                                   if s.get("message") and s["message"] != "converged"),
              "boundaries": statuses}
    return Result(model.name, dict(params), {}, out, status, model.derivation_hash,
                  model._versions())


class DeclaredBoundaries:
    """Mixin for a ``SaddlePointModel`` whose boundary verb is its declared ``boundaries``: the
    parameters without ``boundary_variable`` (given or not, it is the output) are validated and
    every boundary is solved (:func:`solve_boundaries`)."""

    boundaries: tuple = ()

    def boundary(self, params: dict | None = None, **kw) -> Result:
        params = dict(params or {}, **kw)
        params.pop(self.boundary_variable, None)
        v = self.validate(params)
        v.pop(self.boundary_variable, None)
        return solve_boundaries(self, v, self.boundaries, self.boundary_variable)

    def boundary_values(self, params: dict) -> dict:
        """{name: value} of every declared boundary at ``params`` (cached per parameter set)."""
        cache = self.__dict__.setdefault("_boundary_cache", {})
        key = tuple(sorted((k, v) for k, v in params.items() if k != self.boundary_variable))
        if key not in cache:
            r = self.boundary(dict(key))
            cache[key] = {b.name: r.observables.get(b.name, math.nan) for b in self.boundaries}
        return cache[key]
