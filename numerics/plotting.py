"""Figures: theory curves along one parameter (drawn only through converged points), sweep files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import InputError


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _segments(x, y, ok):
    """Split a curve at non-converged points so no line is drawn through them."""
    segs, cur = [], []
    for xi, yi, good in zip(x, y, ok):
        if good and np.isfinite(yi):
            cur.append((xi, yi))
        elif cur:
            segs.append(cur)
            cur = []
    if cur:
        segs.append(cur)
    return segs


def _value(record, name):
    """An order parameter or observable of a result record; NaN when absent (0 is a value)."""
    v = record["order_params"].get(name, record["observables"].get(name))
    return np.nan if v is None else v


def plot_curves(records, xname, ynames, path, title=""):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    x = np.array([r["params"][xname] for r in records], float)
    ok = np.array([bool(r["status"]["converged"]) for r in records])
    for yn in ynames:
        y = np.array([_value(r, yn) for r in records], float)
        first = True
        for seg in _segments(x, y, ok):
            s = np.array(seg)
            ax.plot(s[:, 0], s[:, 1], "-", color=f"C{ynames.index(yn)}",
                    label=yn if first else None)
            first = False
    if (~ok).any():
        ax.plot(x[~ok], np.zeros((~ok).sum()), "x", color="red", label="not converged")
    ax.set_xlabel(xname)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def _read_sweep(path):
    """Header and records of a sweep file (InputError when it is not one)."""
    try:
        lines = Path(path).read_text().splitlines()
        header = json.loads(lines[0]) if lines else None
        recs = [json.loads(s) for s in lines[1:] if s.strip()]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("kind") != "header" or "grid" not in header:
        raise InputError(f"--sweep '{path}' is not a memgen sweep file (JSON lines with a header)")
    return header, recs


def plot(out, *, sweep=None, model: str | None = None, params: dict | None = None,
         x: str | None = None, y: list[str] | None = None) -> str:
    """What ``memgen plot`` draws; returns the figure path(s) as one string.

    ``sweep``: a sweep file (JSON lines with a header), plotted along ``x`` (a grid parameter
    name; default the last one) -- or else ``model`` with its (already parsed) ``params``, solved
    by continuation along ``x`` = "NAME=START:STOP:NUM"; a model with its own ``figures`` draws
    those when ``x`` is None. ``y``: the quantities to draw (default: every one in the sweep, or
    the model's order parameters and eps_gen). Every input is checked before any solve and before
    the figure is written; the error messages name the ``memgen plot`` options."""
    from . import api
    from .params import check_input_file, check_output_file
    out = check_output_file(out, "--out")
    if sweep:
        check_input_file(sweep, "--sweep")
        header, recs = _read_sweep(sweep)
        xname = x or list(header["grid"])[-1]
        if xname not in header["grid"]:
            raise InputError(f"--x '{xname}': the sweep's grid parameters are "
                             f"{', '.join(header['grid'])}")
        ynames = list(y) if y else sorted(
            {k for r in recs for k in list(r["observables"]) + list(r["order_params"])})
        recs.sort(key=lambda r: r["params"][xname])
        return plot_curves(recs, xname, ynames, out, f"{header['model']} sweep")
    if not model:
        raise InputError("plot needs MODEL and --x NAME=START:STOP:NUM (or --sweep FILE)")
    fixed = dict(params or {})
    if not x and hasattr(api.model(model), "figures"):
        # Models with their own figures (ti-krr: margin matrices and the threshold diagram).
        api.check_input("solve", model, fixed)
        paths = api.model(model).figures(fixed, out_dir=str(out.parent))
        return ", ".join(map(str, paths))
    if not x:
        raise InputError("plot needs MODEL and --x NAME=START:STOP:NUM (or --sweep FILE)")
    name, values = api.parse_grid(x)
    m = api.model(model)
    c = api.continuation(model, name, values, fixed, both=False)
    recs = [r.to_dict() for r in c.forward.results]
    ynames = list(y) if y else list(m.order_names) + ["eps_gen"]
    return plot_curves(recs, name, ynames, out,
                       f"{model} " + ", ".join(
                           f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in fixed.items()))
