"""Parameter sweeps: grids, workers, resumable JSON-lines output.

Grid syntax: ``name=start:stop:num`` (num points, endpoints included, like numpy.linspace) or
``name=v1,v2,...``. Several grids form their Cartesian product; the last one varies fastest and is
the continuation direction: each line of the grid (all other axes fixed) is solved with warm
starts along the last axis.

Output file (JSON lines): a header record (model, fixed parameters, grid, derivation hash,
versions), then one record per finished point, written and flushed as soon as it is done. Running
the same sweep again reads the file, skips finished points and appends the rest. A record cut off
by an interruption (the file does not end in a newline) is cut from the file before anything is
appended, and its point is recomputed; a header cut off the same way is rewritten. A file from
another sweep (other model, task, fixed parameters or derivation hash) is refused rather than
mixed.

Large grids: the product is never materialised. The sweep holds one byte of state per grid point,
streams the lines to the workers a few at a time, and keeps the records in memory only when it
returns them (``collect=True``, the default); with ``collect=False`` (and ``out``) it returns a
summary and the records live only in the file. The memory this needs is estimated first and
refused (``resources.ResourceError``, one line) when over the limit.
"""
from __future__ import annotations

import itertools
import json
import math
import os
from concurrent.futures import FIRST_COMPLETED, wait
from pathlib import Path

import numpy as np

from . import resources
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


def _round(v):
    return float(f"{v:.15g}") if isinstance(v, (int, float)) else v


def _key(params: dict) -> str:
    # Numbers rounded to 15 digits so a value read back from JSON maps to the same key;
    # categorical parameters (a loss name, an exception list) are kept as they are.
    return json.dumps({k: _round(v) for k, v in sorted(params.items())}, sort_keys=True)


# Point states in the sweep's one-byte-per-point array.
_TODO, _FAILED, _CONVERGED = 0, 1, 2

# Grids up to this many points have every point validated before any work (a few microseconds
# each); larger ones are validated per axis and at every corner of the grid up front, and each
# point again when it is solved (see _validate).
FULL_VALIDATION_POINTS = 200_000

# Memory of one record held in Python (nested dicts of floats and strings) relative to its JSON
# text: 4.7 to 5.9 measured with tracemalloc on raf-gardner, raf-erm and ti-krr records; 6 used.
# Small grids assume 16 KiB a record (more than any model's) rather than solving a trial point.
_RECORD_PER_JSON_BYTE, _RECORD_BYTES_SMALL, _TRIAL_ABOVE = 6, 16 * 2 ** 10, 10_000
# One spawned worker process with numpy, numba and a model's kernels loaded: 156-160 MiB peak
# resident measured (raf-gardner, raf-erm logistic), rounded up.
_WORKER_BYTES = 200 * 2 ** 20


def _record_bytes(model, task, params, solve_kw) -> float:
    """Bytes of one held record, from the JSON size of a trial record at ``params``."""
    r = model.boundary(params) if task == "boundary" else model.solve(params, **solve_kw)
    return _RECORD_PER_JSON_BYTE * (len(json.dumps({"key": _key(params), **r.to_dict()})) + 64)


def _validate(model, grids, fixed, n_points):
    """Reject a bad grid before any work.

    Every value of each axis is checked with the other axes at their first value: this finds
    every single-parameter range error and names the value. Models also have rules that tie
    parameters together (hopfield-snr: round(alpha_D N) >= L; ti-krr: the exceptions must fit
    n), so a combination of valid values can still be invalid. Small grids therefore check
    every point. Large ones check every corner (each axis at its smallest or largest value),
    which catches every rule monotone in each parameter (all of the above); a rule that
    fails only inside the grid is still caught when that point is solved (the solve validates),
    and stops the sweep with one line, keeping the finished points."""
    rep = {n: vals[0] for n, vals in grids}
    for n, vals in grids:
        for v in vals:
            model.validate({**fixed, **rep, n: v})
    names = [n for n, _ in grids]
    if n_points <= FULL_VALIDATION_POINTS:
        combos = itertools.product(*[vals for _, vals in grids])
    else:
        combos = itertools.product(*[sorted({min(vals), max(vals)}) for _, vals in grids])
    for combo in combos:
        model.validate({**fixed, **dict(zip(names, combo))})


def _estimate(model, task, grids, fixed, n_points, workers, collect, solve_kw):
    # the state array, a same-sized temporary while counting, and per-line counts
    parts = [resources.Cost(2 * n_points + 8 * (n_points // len(grids[-1][1])), 0.0,
                            "2 bytes of state per grid point")]
    if collect:
        first = {**fixed, **{n: v[0] for n, v in grids}}
        per = (_record_bytes(model, task, first, solve_kw) if n_points > _TRIAL_ABOVE
               else _RECORD_BYTES_SMALL) + 8
        parts.append(resources.Cost(n_points * per, 0.0,
                                    f"{resources.fmt_bytes(per)} per record held for the "
                                    "result; written to --out instead, a grid of more than "
                                    "10000 points keeps them in the file only"))
    names = [n for n, _ in grids]
    corners = itertools.product(*[sorted({min(v), max(v)}) for _, v in grids])
    per_solve = None
    for combo in itertools.islice(corners, 64):
        c = model.cost(task, model.validate({**fixed, **dict(zip(names, combo))}))
        if c is not None and (per_solve is None or c.memory > per_solve.memory):
            per_solve = c
    if per_solve is not None:
        parts.append(resources.Cost(per_solve.memory * workers, 0.0,
                                    f"{workers} x ({per_solve.detail})" if per_solve.detail
                                    else f"{workers} concurrent solves"))
    if workers > 1:
        parts.append(resources.Cost(workers * _WORKER_BYTES, 0.0,
                                    f"{workers} worker processes of about "
                                    f"{resources.fmt_bytes(_WORKER_BYTES)}"))
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return total


def _header_ok(path: Path, first: str, header: dict) -> None:
    try:
        old = json.loads(first)
    except json.JSONDecodeError:
        old = None
    if not isinstance(old, dict) or old.get("kind") != "header":
        raise InputError(f"{path}: not a memgen sweep file (unreadable header)")
    for field in ("model", "fixed", "derivation_hash", "task"):
        if old.get(field) != header[field]:
            raise InputError(f"{path} holds a different sweep ({field}: {old.get(field)!r} vs "
                             f"{header[field]!r}); choose another --out")


_HEADER_START = '{"kind": "header"'


def _repair_tail(path: Path) -> bool:
    """Make the file end in a newline, so that appended records start on a line of their own.

    A last line without its newline was cut by an interruption: it is removed (its point is
    recomputed), unless it is a whole record, which is kept and terminated. Returns False when
    the file holds no complete header (empty, or the header itself was cut): it is then emptied
    and written afresh. Call only after the header was checked (or found cut)."""
    size = path.stat().st_size
    if size == 0:
        return False
    with open(path, "rb+") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return True
        # Find the last newline, reading backwards in blocks.
        pos, block, cut = size, 1 << 16, -1
        while pos > 0 and cut < 0:
            start = max(0, pos - block)
            fh.seek(start)
            chunk = fh.read(pos - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                cut = start + i + 1
            pos = start
        if cut < 0:  # no newline at all: a cut header, no records
            fh.truncate(0)
            return False
        fh.seek(cut)
        tail = fh.read()
        try:
            rec = json.loads(tail)
            whole = isinstance(rec, dict) and "key" in rec
        except (json.JSONDecodeError, UnicodeDecodeError):
            whole = False
        if whole:
            fh.seek(size)
            fh.write(b"\n")
        else:
            fh.truncate(cut)
    return True


def _prepare_file(path: Path, header: dict) -> bool:
    """Check an existing file belongs to this sweep and repair a cut last line. Returns True
    when the file has a complete header (records may follow), False when it must be started."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.endswith(b"\n"):
        text = first.decode("utf-8", "replace")
        # A header cut by an interruption: only a start of our own header is taken for one, so
        # an unrelated one-line file is refused rather than overwritten.
        if not (text.startswith(_HEADER_START) or _HEADER_START.startswith(text)):
            raise InputError(f"{path}: not a memgen sweep file (unreadable header)")
        return _repair_tail(path)
    _header_ok(path, first.decode("utf-8", "replace"), header)
    return _repair_tail(path)


def _read_records(path: Path):
    """Records after the header, in file order; unreadable lines are skipped (recomputed)."""
    with open(path) as fh:
        fh.readline()
        for line in fh:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "key" in rec:
                yield rec


def _solve_line(model_name, task, fixed, axis, values, solve_kw):
    """Solve one grid line with warm starts along ``axis``; returns (key, record) pairs."""
    return list(_iter_line(model_name, task, fixed, axis, values, solve_kw))


def _iter_line(model_name, task, fixed, axis, values, solve_kw):
    """(key, record) of each point of a grid line as it is solved (the serial sweep writes each
    at once; a worker returns the whole line)."""
    from . import models
    model = models.get(model_name)
    prev = None
    for v in values:
        params = {**fixed, axis: v}
        try:
            if task == "boundary":
                r = model.boundary(params)
            else:
                r = model.solve(params, init=prev, **solve_kw)
                if not r.converged and prev is not None:
                    r = model.solve(params, **solve_kw)
        except InputError as e:
            # Re-raised as a plain InputError: subclasses with their own __init__ arguments do
            # not survive the trip back from a worker process.
            raise InputError(f"grid point {json.dumps(params)}: {e}") from None
        if task != "boundary" and r.converged:
            prev = np.array([r.order_params[n] for n in model.order_names])
        yield _key(params), r.to_dict()


def sweep(model_name: str, grids: list[tuple[str, list[float]]], fixed: dict | None = None, *,
          out: str | os.PathLike | None = None, workers: int = 1, task: str = "solve",
          progress=None, collect: bool = True, **solve_kw):
    """Run a sweep; return the records (finished earlier ones included) in grid order.

    ``task``: "solve" (saddle point at every grid point) or "boundary" (the model's critical
    value at every grid point, e.g. alpha_c over eps and kappa for raf-gardner).
    ``workers``: processes (numerics.pool; capped at the number of tasks). ``collect=False``
    (needs ``out``): do not keep the records; return ``{"points", "computed", "converged",
    "out"}`` instead, so the memory does not grow with the grid.
    """
    from . import models
    from .pool import sigterm_interrupts, worker_pool
    model = models.get(model_name)
    if task not in ("solve", "boundary"):
        raise InputError(f"unknown sweep task '{task}': choose solve or boundary")
    if not grids:
        raise InputError("a sweep needs at least one --grid name=start:stop:num")
    if isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1:
        raise InputError(f"--workers {workers!r}: expected an integer >= 1")
    workers = int(workers)
    if not collect and not out:
        raise InputError("collect=False needs out (the records are kept only in the file)")
    fixed = dict(fixed or {})
    grids = [(n, [float(v) for v in vals]) for n, vals in grids]
    names = [n for n, _ in grids]
    if len(set(names)) != len(names):
        raise InputError(f"grid parameters repeat: {names}")
    for n, vals in grids:
        if n in fixed:
            raise InputError(f"parameter '{n}' is both fixed (--set) and swept (--grid)")
        if not vals:
            raise InputError(f"grid '{n}' has no values")
        seen = set()
        for v in vals:
            if _round(v) in seen:
                raise InputError(f"grid '{n}' repeats the value {v!r}: give each value once")
            seen.add(_round(v))
    shape = tuple(len(v) for _, v in grids)
    n_points = math.prod(shape)
    _validate(model, grids, fixed, n_points)
    cost = _estimate(model, task, grids, fixed, n_points, min(workers, n_points), collect,
                     solve_kw)
    resources.check(cost, f"sweep of {n_points} grid points ({' x '.join(map(str, shape))})")

    header = {"kind": "header", "model": model_name, "task": task, "fixed": fixed,
              "grid": {n: v for n, v in grids}, "derivation_hash": model.derivation_hash,
              "versions": versions()}
    path = Path(out) if out else None
    has_header = _prepare_file(path, header) if path else False

    axis, axis_vals = grids[-1]
    m = shape[-1]
    n_lines = n_points // m
    state = np.zeros((n_lines, m), dtype=np.uint8)
    held = [None] * n_points if collect else None
    index = [{_round(v): i for i, v in enumerate(vals)} for _, vals in grids]
    strides = [math.prod(shape[i + 1:]) for i in range(len(shape))]

    def flat_of(rec):
        try:
            kd = json.loads(rec["key"])
            return sum(index[i][kd[n]] * strides[i] for i, n in enumerate(names))
        except (KeyError, TypeError, ValueError):
            return None  # a point of another grid over the same fixed parameters

    def mark(flat, rec):
        ok = bool(rec.get("status", {}).get("converged"))
        state.flat[flat] = _CONVERGED if ok else _FAILED
        if held is not None:
            held[flat] = rec

    if has_header:
        for rec in _read_records(path):
            flat = flat_of(rec)
            if flat is not None:
                mark(flat, rec)

    total = int(np.count_nonzero(state == _TODO))
    todo_per_line = np.count_nonzero(state == _TODO, axis=1)  # n_points / m counts, not points
    n_tasks = int(np.count_nonzero(todo_per_line))

    def tasks():
        """(line, indices along the axis) in grid order, generated lazily, block by block."""
        block = 1 << 16
        for start in range(0, n_lines, block):
            for line in start + np.flatnonzero(todo_per_line[start:start + block]):
                yield int(line), np.flatnonzero(state[line] == _TODO)

    chunk = None
    if workers > 1 and 0 < n_tasks < workers:
        # Few long lines: cut them into contiguous chunks (each still warm-started inside).
        chunk = max(1, math.ceil(int(todo_per_line.max()) / workers))
        n_tasks = int(sum(math.ceil(int(c) / chunk) for c in todo_per_line if c))

    def chunked():
        for line, js in tasks():
            if chunk is None:
                yield line, js
            else:
                for s in range(0, len(js), chunk):
                    yield line, js[s:s + chunk]

    def job(line, js):
        idx = np.unravel_index(line, shape[:-1]) if len(shape) > 1 else ()
        lf = {**fixed, **{names[i]: grids[i][1][k] for i, k in enumerate(idx)}}
        return lf, [axis_vals[j] for j in js]

    if progress:
        progress(0, total)
    fh = None
    if path:
        fh = open(path, "a" if has_header else "w")
        if not has_header:
            fh.write(json.dumps(header) + "\n")
            fh.flush()

    computed = 0

    def record(line, js, pairs):
        nonlocal computed
        for j, (key, rec) in zip(js, pairs):
            rec = {"key": key, **rec}
            if fh:
                fh.write(json.dumps(rec, allow_nan=False) + "\n")
                fh.flush()
            mark(int(line) * m + int(j), rec)
            computed += 1
            if progress:
                progress()

    workers = min(workers, max(n_tasks, 1))
    try:
        with sigterm_interrupts():
            if workers <= 1:
                for line, js in chunked():
                    lf, vals = job(line, js)
                    record(line, js, _iter_line(model_name, task, lf, axis, vals, solve_kw))
            else:
                with worker_pool(workers) as pool:
                    pending = {}
                    feed = chunked()

                    def top_up():
                        # A few tasks per worker in flight: the grid is never queued whole.
                        for line, js in itertools.islice(feed, 2 * workers - len(pending)):
                            lf, vals = job(line, js)
                            f = pool.submit(_solve_line, model_name, task, lf, axis, vals,
                                            solve_kw)
                            pending[f] = (line, js)

                    top_up()
                    while pending:
                        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                        for f in finished:
                            line, js = pending.pop(f)
                            record(line, js, f.result())
                        top_up()
    finally:
        if fh:
            fh.close()
    if held is None:
        return {"points": n_points, "computed": computed,
                "converged": int(np.count_nonzero(state == _CONVERGED)), "out": str(path)}
    return [r for r in held if r is not None]
