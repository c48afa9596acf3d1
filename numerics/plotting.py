"""Figures: theory curves along one parameter (drawn only through converged points), sweep files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import InputError


def pyplot():
    """matplotlib.pyplot on the Agg backend (files only, no display): the one place matplotlib
    is configured. Imported on first use, so commands that draw nothing never pay for it."""
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
    """Curves ``ynames`` of result records (``Result.to_dict()``) against the parameter ``xname``,
    drawn only through converged points (non-converged ones marked on the axis); returns the
    path."""
    plt = pyplot()
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


def plot_sweep(sweep, out, x: str | None = None, y: list[str] | None = None) -> str:
    """Figure of a sweep file (JSON lines with a header) along ``x`` (a grid parameter name;
    default the last one) with the quantities ``y`` (default: every one in the file); returns the
    figure path. Inputs are checked before the figure is written; the messages name the ``memgen
    plot`` options."""
    from .params import check_input_file, check_output_file
    out = check_output_file(out, "--out")
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


def title(model: str, params: dict) -> str:
    """'MODEL k=v, ...': the title of a model's curves at fixed ``params``."""
    return f"{model} " + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                                   for k, v in params.items())
