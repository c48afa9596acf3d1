"""Parameter sweeps: grids, workers, resumable JSON-lines output.

Grid syntax: ``name=start:stop:num`` (num points, endpoints included, like numpy.linspace) or
``name=v1,v2,...``. Several grids form their Cartesian product; the last one varies fastest and is
the continuation direction: each line of the grid (all other axes fixed) is solved with warm
starts along the last axis.

Output file (JSON lines): a header record (model, fixed parameters, grid, derivation hash,
versions), then one record per finished point, written and flushed as soon as it is done. Running
the same sweep again reads the file, skips finished points and appends the rest; a record cut off
by an interruption is ignored and recomputed. A file from another sweep (other model, fixed
parameters or derivation hash) is refused rather than mixed.
"""
from __future__ import annotations

import itertools
import json
import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np

from .errors import InputError
from .kernels import versions


def parse_grid(spec: str) -> tuple[str, list[float]]:
    """Parse ``name=start:stop:num`` or ``name=v1,v2,...`` (finite numbers; num an integer in
    [1, 10^6], numerics.params.OPTIONS["grid_points"])."""
    from .params import OPTIONS
    points = OPTIONS["grid_points"]
    if not isinstance(spec, str) or "=" not in spec:
        raise InputError(f"malformed grid '{spec}': expected name=start:stop:num or "
                         "name=v1,v2,...")
    name, rhs = (s.strip() for s in spec.split("=", 1))
    if not name:
        raise InputError(f"malformed grid '{spec}': missing parameter name")
    try:
        if ":" in rhs:
            parts = rhs.split(":")
            if len(parts) != 3:
                raise ValueError
            start, stop = float(parts[0]), float(parts[1])
            num = points.parse(parts[2], f"grid '{spec}': the number of points")
            if not (math.isfinite(start) and math.isfinite(stop)):
                raise ValueError
            values = np.linspace(start, stop, num).tolist()
        else:
            values = [float(v) for v in rhs.split(",") if v.strip()]
            if not values or not all(math.isfinite(v) for v in values) or \
                    len(values) > points.maximum:
                raise ValueError
    except ValueError as e:
        if isinstance(e, InputError):
            raise
        raise InputError(f"malformed grid '{spec}': expected {name}=start:stop:num (finite "
                         f"start and stop, integer num in [1, {points.maximum}]) or "
                         f"{name}=v1,v2,...") from None
    return name, values


def _key(params: dict) -> str:
    # Numbers rounded to 15 digits so a value read back from JSON maps to the same key;
    # categorical parameters (a loss name, an exception list) are kept as they are.
    return json.dumps({k: float(f"{v:.15g}") if isinstance(v, (int, float)) else v
                       for k, v in sorted(params.items())}, sort_keys=True)


def _read_existing(path: Path, header: dict) -> dict:
    done = {}
    if not path.exists():
        return done
    with open(path) as fh:
        lines = fh.read().splitlines()
    if not lines:
        return done
    try:
        old = json.loads(lines[0])
    except json.JSONDecodeError:
        raise InputError(f"{path}: not a memgen sweep file (unreadable header)") from None
    for field in ("model", "fixed", "derivation_hash", "task"):
        if old.get(field) != header[field]:
            raise InputError(f"{path} holds a different sweep ({field}: {old.get(field)!r} vs "
                             f"{header[field]!r}); choose another --out")
    for line in lines[1:]:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a record cut off by an interruption: recompute that point
        done[rec["key"]] = rec
    return done


def _solve_line(model_name, task, fixed, axis, values, solve_kw):
    """Solve one grid line with warm starts along ``axis``; returns (key, record) pairs."""
    from . import models
    model = models.get(model_name)
    out = []
    prev = None
    for v in values:
        params = {**fixed, axis: v}
        if task == "boundary":
            r = model.boundary(params)
        else:
            r = model.solve(params, init=prev, **solve_kw)
            if not r.converged and prev is not None:
                r = model.solve(params, **solve_kw)
            if r.converged:
                prev = np.array([r.order_params[n] for n in model.order_names])
        out.append((_key(params), r.to_dict()))
    return out


def sweep(model_name: str, grids: list[tuple[str, list[float]]], fixed: dict | None = None, *,
          out: str | os.PathLike | None = None, workers: int = 1, task: str = "solve",
          progress=None, **solve_kw) -> list[dict]:
    """Run a sweep; return the records (finished earlier ones included) in grid order.

    ``task``: "solve" (saddle point at every grid point) or "boundary" (the model's critical
    value at every grid point, e.g. alpha_c over eps and kappa for raf-gardner).
    """
    from . import models
    model = models.get(model_name)
    if task not in ("solve", "boundary"):
        raise InputError(f"unknown sweep task '{task}': choose solve or boundary")
    if not grids:
        raise InputError("a sweep needs at least one --grid name=start:stop:num")
    fixed = dict(fixed or {})
    names = [n for n, _ in grids]
    if len(set(names)) != len(names):
        raise InputError(f"grid parameters repeat: {names}")
    for n in names:
        if n in fixed:
            raise InputError(f"parameter '{n}' is both fixed (--set) and swept (--grid)")
    # Validate every grid value up front: a bad value fails now, not after an hour of work.
    for n, vals in grids:
        for v in vals:
            model.validate({**fixed, n: v})
    header = {"kind": "header", "model": model_name, "task": task, "fixed": fixed,
              "grid": {n: v for n, v in grids}, "derivation_hash": model.derivation_hash,
              "versions": versions()}
    path = Path(out) if out else None
    done = _read_existing(path, header) if path else {}
    axis, axis_vals = grids[-1]
    lines = []
    for combo in itertools.product(*[v for _, v in grids[:-1]]):
        line_fixed = {**fixed, **dict(zip(names[:-1], combo))}
        todo = [v for v in axis_vals if _key({**line_fixed, axis: v}) not in done]
        if todo:
            lines.append((line_fixed, todo))
    if workers > 1 and len(lines) < workers:
        # Few long lines: cut them into contiguous chunks (each still warm-started inside).
        chunked = []
        for lf, todo in lines:
            size = max(1, math.ceil(len(todo) / workers))
            chunked += [(lf, todo[i:i + size]) for i in range(0, len(todo), size)]
        lines = chunked
    total = sum(len(t) for _, t in lines)
    if progress:
        progress(0, total)
    fh = None
    if path:
        new_file = not path.exists() or path.stat().st_size == 0
        fh = open(path, "a")
        if new_file:
            fh.write(json.dumps(header) + "\n")
            fh.flush()

    def record(pairs):
        for key, rec in pairs:
            done[key] = {"key": key, **rec}
            if fh:
                fh.write(json.dumps(done[key], allow_nan=False) + "\n")
                fh.flush()
            if progress:
                progress()

    try:
        if workers <= 1 or len(lines) <= 1:
            for lf, todo in lines:
                record(_solve_line(model_name, task, lf, axis, todo, solve_kw))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futs = [pool.submit(_solve_line, model_name, task, lf, axis, todo, solve_kw)
                        for lf, todo in lines]
                for f in as_completed(futs):
                    record(f.result())
    finally:
        if fh:
            fh.close()
    ordered = []
    for combo in itertools.product(*[v for _, v in grids]):
        key = _key({**fixed, **dict(zip(names, combo))})
        if key in done:
            ordered.append(done[key])
    return ordered
