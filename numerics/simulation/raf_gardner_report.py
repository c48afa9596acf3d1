"""Figure and text table of a raf-gardner capacity ladder (a LadderResult or its ``to_dict()``)."""

from __future__ import annotations

import math

import numpy as np

from ..ladder import draw_extrapolation
from .capacity_ladder import VERDICT_RULE, per_n_dicts, record_get

__all__ = ["plot_ladder", "format_table"]


def plot_ladder(result, path) -> str:
    """Write a PNG: feasible fraction vs alpha per N (binomial error bars,
    vertical line at alpha_c) and alpha_half vs 1/N with the WLS extrapolation.
    Accepts a :class:`LadderResult` or its ``to_dict()``.  Returns ``path``."""
    from ..plotting import pyplot
    plt = pyplot()

    alpha_c = record_get(result, "alpha_c")
    grid = np.asarray(record_get(result, "alpha_grid"))
    per = per_n_dicts(result)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    cmap = plt.get_cmap("viridis")
    for k, p in enumerate(per):
        c = cmap(k / max(1, len(per) - 1))
        f = np.asarray(p["feasible_fraction"])
        e = np.asarray(p["fraction_se"])
        ax1.errorbar(grid, f, yerr=e, color=c, marker=".", ms=3, lw=1, capsize=1.5,
                     label=f"N={p['N']} (n={p['n_instances']})")
    ax1.axvline(alpha_c, color="k", ls="--", lw=1, label=rf"$\alpha_c$={alpha_c:.4g}")
    ax1.axhline(0.5, color="0.6", lw=0.7)
    ax1.set_xlabel(r"$\alpha = P/N$")
    ax1.set_ylabel("feasible fraction")
    ax1.set_title(rf"RAF Gardner: $\epsilon$={record_get(result, 'eps'):g}, $\kappa$={record_get(result, 'kappa'):g}")
    ax1.legend(fontsize=8)

    # the shared ladder panel (numerics/ladder.py): alpha_half(N) with 1-se bars, the WLS line
    # a_inf + b/N with its 1-se band, alpha_c, and a_inf with the verdict's 3-se bar
    fit = record_get(result, "fit") or {}
    row = {"observable": r"$\alpha_{1/2}(N)$", "theory": alpha_c,
           "means": [p["alpha_half"] for p in per], "ses": [p["alpha_half_se"] for p in per],
           "extrapolated": _num(record_get(result, "a_inf")),
           "se": _num(record_get(result, "a_inf_se")), "slope": record_get(result, "b"),
           "cov": fit.get("cov")}
    draw_extrapolation(ax2, row, [p["N"] for p in per], label=r"$\alpha_{1/2}(N)$",
                       theory_label=r"$\alpha_c$ (theory)")
    a = row["extrapolated"]
    if math.isfinite(a):
        ax2.plot([], [], " ", label=rf"$a_\infty$={a:.4f}$\pm${row['se']:.4f}")
    ax2.set_ylabel(r"$\alpha_{1/2}$")
    ax2.set_title("PASS" if record_get(result, "passed") else "FAIL")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def _num(v):
    """A record's number: null (a non-finite value in JSON) read as NaN."""
    return math.nan if v is None else float(v)


def format_table(result) -> str:
    """Plain-text summary table (accepts a LadderResult or its ``to_dict()``)."""
    alpha_c = record_get(result, "alpha_c")
    lines = [f"RAF Gardner ladder: eps={record_get(result, 'eps'):g}, kappa={record_get(result, 'kappa'):g}, "
             f"alpha_c(theory)={alpha_c:.6g}, seed={record_get(result, 'seed')}",
             f"{'N':>6} {'inst':>5} {'alpha_half':>11} {'se':>9} {'(a-ac)/se':>10} {'solves/inst':>11}",
             "-" * 57]
    for p in per_n_dicts(result):
        z = p["z_to_alpha_c"]
        zs = f"{z:+10.2f}" if z is not None and math.isfinite(z) else f"{'nan':>10}"
        lines.append(f"{p['N']:>6d} {p['n_instances']:>5d} {p['alpha_half']:>11.5f} "
                     f"{p['alpha_half_se']:>9.5f} {zs} "
                     f"{(np.mean(p['n_solves']) if p['n_solves'] else float('nan')):>11.2f}")
    lines.append("-" * 57)
    a, se, b = record_get(result, "a_inf"), record_get(result, "a_inf_se"), record_get(result, "b")
    fit = record_get(result, "fit") or {}
    if a is not None and math.isfinite(a):
        lines.append(f"extrapolated a_inf = {a:.5f} +- {se:.5f}   (b = {b:+.4f} +- {record_get(result, 'b_se'):.4f}; "
                     f"chi2/dof = {fit.get('chi2', float('nan')):.2f}/{fit.get('dof', 0)})")
        lines.append(f"(a_inf - alpha_c)/se = {record_get(result, 'z_inf'):+.2f}")
    lines.append(f"verdict: {'PASS' if record_get(result, 'passed') else 'FAIL'}   [{VERDICT_RULE}]")
    return "\n".join(lines)
