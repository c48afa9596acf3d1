"""A finite-size ladder: theory against simulation at several sizes N, extrapolated to N -> oo.

Every model's ``verify`` that compares an N -> oo theory with finite-N simulation runs through
:func:`run_ladder`:

1. at each N the model's ``measure(N)`` returns one :class:`Estimate` (mean, one-sigma standard
   error, count) per observable, and optionally ``"unconverged"``: the number of instances whose
   solver did not converge (any makes the verdict FAIL: an unconverged instance is no
   measurement);
2. per observable, the means are fitted by weighted least squares as ``mean = a + b x`` with
   x = 1/N (``scaling="1/N"``, the usual leading finite-size correction) or x = N^-1/2
   (``scaling="1/sqrt(N)"``), weights 1/se^2 with the standard errors taken as known
   (numerics/simulation/stats.py ``wls_line``: no rescaling by chi^2);
3. the intercept ``a`` (the N -> oo estimate) PASSes when |a - theory| <= 3 se(a) + ``atol``;
   a value in ``excluded`` (e.g. a competing theory: the replica-symmetric alpha_c where the
   claim is RSB) must lie MORE than 3 se(a) away, else FAIL;
4. the record (numerics/records.py), a table and one figure are written.

Standard errors below ``se_floor`` (an observable identical over instances, e.g. zero training
errors) are raised to it, so the weights stay finite.
This module names no model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .records import make_record, write_record
from .simulation.stats import wls_line

SCALINGS = ("1/N", "1/sqrt(N)")
Z_VERDICT = 3.0


@dataclass
class Estimate:
    """One observable at one N: the mean over instances, its one-sigma standard error, and the
    number of instances behind it."""
    mean: float
    se: float
    n: int = 0


def scaling_variable(Ns, scaling: str = "1/N") -> list[float]:
    """The extrapolation variable x of each N: 1/N or N^-1/2."""
    if scaling == "1/N":
        return [1.0 / N for N in Ns]
    if scaling == "1/sqrt(N)":
        return [1.0 / math.sqrt(N) for N in Ns]
    raise ValueError(f"scaling {scaling!r}: allowed {', '.join(SCALINGS)}")


def extrapolate(Ns, means, ses, theory: float, *, scaling: str = "1/N", excluded=None,
                atol: float = 1e-9, full: bool = False) -> dict:
    """WLS fit of ``means`` (standard errors ``ses``, taken as known) against x(N) (see
    :func:`scaling_variable`), and its verdict against ``theory``: the fit row of a ladder.

    PASS ("pass") when |intercept - theory| <= 3 se + ``atol`` (atol: the theory's own rounding,
    so an exactly-known value is not failed by 1e-15); with ``excluded``, additionally
    "excluded_pass": |intercept - excluded| > 3 se. The row holds the intercept's and slope's
    covariance ("cov"); ``full`` adds the whole WLS result ("fit": residuals, pulls, p-value)."""
    fit = wls_line(scaling_variable(Ns, scaling), means, ses)
    icpt, se = fit.params[0], fit.se[0]
    diff = abs(icpt - theory)
    row = {"theory": theory, "extrapolated": icpt, "se": se,
           "z": diff / se if se > 0 else math.inf,
           "pass": bool(diff <= Z_VERDICT * se + atol),
           "slope": fit.params[1], "slope_se": fit.se[1], "cov": fit.cov, "chi2": fit.chi2,
           "dof": fit.dof}
    if full:
        row["fit"] = fit.to_dict()
    if excluded is not None:
        dx = abs(icpt - excluded)
        row.update(excluded=excluded, z_excluded=dx / se if se > 0 else math.inf,
                   excluded_pass=bool(dx > Z_VERDICT * se))
    return row


def _estimate(v) -> Estimate:
    if isinstance(v, Estimate):
        return v
    if isinstance(v, dict):
        return Estimate(float(v["mean"]), float(v["se"]), int(v.get("n", 0)))
    raise TypeError(f"measure(N) must return Estimates (got {type(v).__name__})")


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def default_tag(model, params: dict, seed: int) -> str:
    """verify-MODEL-k1v1-k2v2...-seedS: the parameters in their given order, floats as %g (a
    file name that says what it holds, the same for the same inputs)."""
    keep = "".join(c if (c.isalnum() or c in "._+-") else "_"
                   for c in "-".join(f"{k}{_fmt(v)}" for k, v in params.items()
                                     if v is not None))
    return f"verify-{model.name}-{keep}-seed{seed}" if keep else f"verify-{model.name}-seed{seed}"


def run_ladder(model, params: dict, *, theory: dict, measure, Ns, instances: int, seed: int,
               out_dir="memgen-out", scaling: str = "1/N", excluded: dict | None = None,
               tag: str | None = None, header: str = "", progress=None,
               extra: dict | None = None, status: dict | None = None, atol: float = 1e-9,
               se_floor: float = 1e-12, unconverged_key: str = "unconverged",
               unconverged_note: str = "instances did not converge", verdict_note: str = "",
               name_width: int | None = None, plot_kw: dict | None = None) -> dict:
    """Measure ``model`` at each N of ``Ns``, extrapolate each observable of ``theory`` to
    N -> oo and judge it (see the module docstring); returns {"passed", "table", "record",
    "figure", "path"} (the shape of ``SaddlePointModel.verify``).

    ``theory``: {observable: N -> oo value}; its order is the table's. An observable that
    ``measure`` does not return at every N is left out (not measurable there).
    ``measure(N)``: {observable: Estimate} (or {"mean", "se", "n"} dicts), optionally with
    "unconverged": int. ``excluded``: {observable: value} the extrapolation must exclude.
    The record: ``make_record(model, params, status, Ns, instances, seed, scaling, rows,
    <unconverged_key>, passed, **extra)``, status = {**status, "verdict": "PASS"/"FAIL"};
    written to ``out_dir/tag.json`` (default tag :func:`default_tag`), the figure next to it as
    ``tag.png``. ``progress(done, total)`` after each N.
    Table options: ``header`` (first line), ``unconverged_note`` (the FAIL line of unconverged
    instances), ``verdict_note`` (after the verdict), ``name_width`` (observable column)."""
    if scaling not in SCALINGS:
        raise ValueError(f"scaling {scaling!r}: allowed {', '.join(SCALINGS)}")
    Ns = [int(N) for N in Ns]
    if len(Ns) < 2:
        raise ValueError("a ladder needs at least 2 sizes")
    excluded = dict(excluded or {})
    unknown = set(excluded) - set(theory)
    if unknown:
        raise ValueError(f"excluded values for observables without theory: {sorted(unknown)}")
    per_n = []
    for i, N in enumerate(Ns):
        per_n.append(measure(N))
        if progress:
            progress(i + 1, len(Ns))
    unconverged = int(sum(int(m.get("unconverged", 0) or 0) for m in per_n))
    rows, passed = [], True
    for k, th in theory.items():
        if any(k not in m for m in per_n):
            continue
        est = [_estimate(m[k]) for m in per_n]
        means = [e.mean for e in est]
        ses = [max(e.se, se_floor) for e in est]
        row = {"observable": k, **extrapolate(Ns, means, ses, th, scaling=scaling,
                                              excluded=excluded.get(k), atol=atol),
               "means": means, "ses": ses, "ns": [e.n for e in est]}
        passed &= row["pass"] and row.get("excluded_pass", True)
        rows.append(row)
    passed = bool(passed and rows and unconverged == 0)
    verdict = "PASS" if passed else "FAIL"
    tag = tag or default_tag(model, params, seed)
    record = make_record(model, params, {**(status or {}), "verdict": verdict}, Ns=Ns,
                         instances=instances, seed=seed, scaling=scaling, rows=rows,
                         **{unconverged_key: unconverged}, passed=passed, **(extra or {}))
    path = write_record(record, out_dir, tag)
    figure = plot_ladder(rows, Ns, path.with_suffix(".png"), scaling=scaling, **(plot_kw or {}))
    w = name_width or max([10] + [len(r["observable"]) + 1 for r in rows])
    lines = [header] if header else []
    lines.append(f"  {'observable':<{w}} {'theory':>10} {'N->oo fit':>10} {'se':>9} {'z':>6}"
                 "  verdict")
    for r in rows:
        lines.append(f"  {r['observable']:<{w}} {r['theory']:10.5f} {r['extrapolated']:10.5f} "
                     f"{r['se']:9.5f} {r['z']:6.2f}  {'PASS' if r['pass'] else 'FAIL'}")
    for r in rows:
        if "excluded" in r:
            lines.append(f"  {r['observable']}: excluded value {r['excluded']:.5f} lies "
                         f"{r['z_excluded']:.2f} se from the fit: "
                         + ("excluded" if r["excluded_pass"] else "NOT excluded: FAIL"))
    if not rows:
        lines.append("  no observable measured at every N: FAIL")
    if unconverged:
        lines.append(f"  {unconverged} {unconverged_note}: FAIL")
    lines.append(f"  verdict: {verdict}" + (f" {verdict_note}" if verdict_note else ""))
    return {"record": record, "table": "\n".join(lines), "figure": str(figure),
            "path": str(path), "passed": passed}


def plot_ladder(rows, Ns, path, *, scaling: str = "1/N", ncols: int = 3, dpi: int = 90):
    """One panel per observable: the per-N means with 1-se bars against x(N), the theory (solid),
    an excluded value (dashed), and the intercept at x = 0 with its 3-se bar. Returns ``path``."""
    from .plotting import pyplot
    plt = pyplot()
    n = max(1, len(rows))
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.7 * ncols, 3 * nrows), squeeze=False)
    for ax, r in zip(axes.ravel(), rows):
        draw_extrapolation(ax, r, Ns, scaling=scaling)
    for ax in axes.ravel()[len(rows):]:
        ax.set_visible(False)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def draw_extrapolation(ax, row, Ns, *, scaling: str = "1/N", label: str = "simulation",
                       theory_label: str = "theory"):
    """One observable's panel on the matplotlib axes ``ax``: the per-N means (``row["means"]``)
    with 1-se bars against x(N), the fitted line a + b x with its 1-se band (from ``row["cov"]``
    when present), the theory (solid), an excluded value (dashed), and the intercept at x = 0
    with its 3-se bar (the verdict's interval)."""
    x = np.asarray(scaling_variable(Ns, scaling))
    ax.errorbar(x, row["means"], yerr=row["ses"], fmt="o", color="C0", capsize=3, label=label)
    a, b = row["extrapolated"], row.get("slope")
    if b is not None and math.isfinite(a) and math.isfinite(b):
        xx = np.linspace(0, x.max() * 1.05, 50)
        ax.plot(xx, a + b * xx, color="C1", lw=1)
        if row.get("cov"):
            c = np.asarray(row["cov"], float)
            band = np.sqrt(np.maximum(c[0, 0] + 2 * xx * c[0, 1] + xx ** 2 * c[1, 1], 0))
            ax.fill_between(xx, a + b * xx - band, a + b * xx + band, color="C1", alpha=0.2)
    ax.axhline(row["theory"], color="k", lw=1, label=theory_label)
    if "excluded" in row:
        ax.axhline(row["excluded"], color="0.4", lw=1, ls="--", label="excluded")
    ax.errorbar([0], [a], yerr=[Z_VERDICT * row["se"]], fmt="s", color="C3", capsize=3,
                label=f"{scaling} fit (3 se)")
    ax.set_title(row["observable"])
    ax.set_xlabel(scaling)


def mean_estimate(values, *, n=None) -> Estimate:
    """Estimate of the mean of per-instance ``values`` (NaNs dropped): mean, se = sd/sqrt(n)
    (ddof 1; 0 for a single value)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Estimate(math.nan, math.nan, 0)
    se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else 0.0
    return Estimate(float(v.mean()), se, int(v.size) if n is None else n)
