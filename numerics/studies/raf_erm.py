"""Rules-and-Facts studies over ERM learners and the Bayes-optimal benchmark (issue 3):

* ``frontier``: the (eps_gen, eps_mem) trade-off as the ridge lam varies, for each learner, against
  the Bayes-optimal eps_gen, with each learner's eps_gen-optimal lam refined by ``api.optimize``;
* ``rates``: eps_gen ~ C alpha^-b at large alpha, fitted exponent b and constant C (Bayes-optimal:
  b = 1; ridge, kernel and hinge learners at eps > 0: b = 1/2);
* ``phase``: an (alpha, eps) grid for one learner: the facts are *memorized* when eps_mem <
  mem_threshold, the rule is *generalized* when eps_gen - eps_gen(Bayes) <= gen_gap; four classes
  (both / memorized only / generalized only / neither).

Every point keeps its solver status; non-converged points are recorded and listed, never drawn
through or classified. Every record carries the study parameters, the derivation hash of each model
used and the toolchain versions. ``memgen study frontier|rates|phase`` is the command line over
this module; in a notebook::

    from memgenkit.numerics.studies import raf_erm as S
    rec = S.frontier(alpha=2, eps=0.2, learners=["ridge", "kernel ridge relu"])
    S.write(rec, "out")       # out/raf-frontier-alpha2-eps0.2.{json,png}
    print(S.table(rec))

Learners: ``LEARNERS`` maps a label to (model, parameters beyond alpha, eps, lam). Any model with
parameters alpha, eps, lam and observables eps_gen, eps_mem can be added as a line there; a
learner can also be given inline as ``MODEL:name=value,...`` (e.g. ``raf-erm:loss=hinge,mu1=0.8,
mustar=0.4``).
"""
from __future__ import annotations

import json
import math
import re

import numpy as np

from .. import api
from ..errors import InputError
from ..kernels import versions
from ..results import _clean

BAYES = "raf-bayes"

# label -> (model, parameters beyond alpha, eps, lam). Labels are what --learner takes (any case).
LEARNERS = {
    "ridge": ("raf-erm", dict(loss="square")),
    "hinge": ("raf-erm", dict(loss="hinge")),
    "logistic": ("raf-erm", dict(loss="logistic")),
    "kernel ridge relu": ("raf-erm", dict(loss="square", activation="relu")),
    "kernel svm relu": ("raf-erm", dict(loss="hinge", activation="relu")),
    "kernel logistic relu": ("raf-erm", dict(loss="logistic", activation="relu")),
    "kernel ridge sign": ("raf-erm", dict(loss="square", activation="sign")),
    "random features relu psi=1": ("raf-rf", dict(activation="relu", psi=1.0)),
    "random features relu psi=4": ("raf-rf", dict(activation="relu", psi=4.0)),
}
RATES_LEARNERS = ("ridge", "hinge", "kernel ridge relu")  # finite-width RF saturates: no rate
PHASE_LEARNER = "kernel ridge relu"
STUDY_AXES = ("alpha", "eps", "lam")  # set by the study, never by a learner
OPT_RANGE = (1e-4, 1e2)  # search range of the eps_gen-optimal lam (rates, phase)

DEFAULTS = {"frontier_lam": "1e-4:1e2:61", "rates_alpha": "100:3162.2776601683795:7",
            "phase_alpha": "0.5:6:12", "phase_eps": "0.05:0.6:12"}

CLASSES = ("both", "memorized only", "generalized only", "neither")


# -- input ----------------------------------------------------------------------------------------
def parse_values(option: str, spec, log: bool = False) -> list[float]:
    """Grid values from ``START:STOP:NUM`` (endpoints included; geometric when ``log``) or
    ``v1,v2,...``; a list of numbers passes through. Sorted, duplicates dropped. Errors name
    ``option``."""
    from ..params import OPTIONS
    most = OPTIONS["grid_points"].maximum
    scale = "log-spaced, START and STOP > 0" if log else "linear"
    msg = (f"malformed {option} '{spec}': expected START:STOP:NUM ({scale}; finite START and "
           f"STOP, integer NUM in [1, {most}]) or v1,v2,...")
    try:
        if isinstance(spec, str):
            if ":" in spec:
                parts = spec.split(":")
                if len(parts) != 3:
                    raise ValueError
                lo, hi, num = float(parts[0]), float(parts[1]), int(parts[2])
                if not 1 <= num <= most or not (math.isfinite(lo) and math.isfinite(hi)):
                    raise ValueError
                if log and not (lo > 0 and hi > 0):
                    raise ValueError
                vals = (np.geomspace(lo, hi, num) if log else np.linspace(lo, hi, num)).tolist()
            else:
                vals = [float(v) for v in spec.split(",") if v.strip()]
        else:
            vals = [float(v) for v in spec]
        if not vals or not all(math.isfinite(v) for v in vals):
            raise ValueError
    except (ValueError, TypeError):
        raise InputError(msg) from None
    return sorted(set(vals))


def _value(v: str):
    try:
        return float(v)
    except ValueError:
        return v


def resolve_learner(name) -> tuple[str, str, dict]:
    """(label, model, parameters) of a learner: a LEARNERS label (any case), a (label, (model,
    params)) pair, or an inline ``MODEL:name=value,...``."""
    from ..models import MODELS
    if isinstance(name, tuple):
        label, (model, params) = name
        return str(label), model, dict(params)
    key = " ".join(str(name).split()).lower()
    for label, (model, params) in LEARNERS.items():
        if label.lower() == key:
            return label, model, dict(params)
    if ":" in str(name):
        model, _, rest = str(name).partition(":")
        model = model.strip()
        if model not in MODELS:
            raise InputError(f"--learner '{name}': unknown model '{model}' (known models: "
                             f"{', '.join(MODELS)})")
        params = {}
        for item in filter(None, (s.strip() for s in rest.split(","))):
            if "=" not in item:
                raise InputError(f"--learner '{name}': malformed '{item}', expected name=value")
            k, v = (s.strip() for s in item.split("=", 1))
            params[k] = _value(v)
        return str(name).strip(), model, params
    raise InputError(f"unknown --learner '{name}': choose one of "
                     + ", ".join(f"'{k}'" for k in LEARNERS) + " or MODEL:name=value,...")


def _learners(names, default) -> list[tuple[str, str, dict]]:
    if names is None:
        names = default
    elif isinstance(names, dict):
        names = list(names.items())
    elif isinstance(names, str):
        names = [names]
    out = [resolve_learner(n) for n in names]
    if not out:
        raise InputError("no --learner given")
    labels = [label for label, _, _ in out]
    if len(set(labels)) != len(labels):
        raise InputError(f"--learner repeats: {labels}")
    for label, _, params in out:
        clash = [k for k in STUDY_AXES if k in params]
        if clash:
            raise InputError(f"--learner '{label}' sets {', '.join(clash)}: the study sets "
                             "alpha, eps and lam")
    return out


def _validate(model: str, params: dict) -> dict:
    return api.model(model).validate(params)


def _check_fraction(name, value, lo_open=True):
    if not (isinstance(value, (int, float)) and math.isfinite(value)
            and (value > 0 if lo_open else value >= 0) and value <= 1):
        flag = "--" + name.replace("_", "-")
        raise InputError(f"{name} ({flag}) = {value!r} is out of range: allowed {name} in "
                         f"{'(0' if lo_open else '[0'}, 1]")
    return float(value)


def _header(study: str, params: dict, learners, models_used) -> dict:
    return {"study": study, "params": params,
            "learners": {label: {"model": model, "params": extra}
                         for label, model, extra in learners},
            "derivation_hashes": {m: api.model(m).derivation_hash
                                  for m in sorted(set(models_used))},
            "versions": versions()}


def _status(r) -> dict:
    st = {k: v for k, v in r.status.items() if k != "trace"}
    st["converged"] = bool(r.converged)
    return st


def _optimal(model, params, bounds=OPT_RANGE) -> dict:
    """eps_gen-optimal lam (bounded Brent on converged solves, api.optimize) and the solve there.
    An optimum at the edge of the range (e.g. hinge at large alpha, where lam -> 0 is best) is
    kept, flagged ``lam_at_edge``: the solve there is still a valid ERM point."""
    o = api.optimize(model, params, minimize="eps_gen", over="lam", bounds=bounds)
    sol = o["solution"]
    st = {k: v for k, v in sol["status"].items() if k != "trace"}
    st.update(converged=bool(sol["status"]["converged"]), optimize_evaluations=o["evaluations"],
              optimize_unconverged=o["unconverged_points"], lam_at_edge=bool(o["message"]),
              optimize_message=o["message"])
    return {"lam": o["argmin"], "observables": sol["observables"], "status": st}


def _bayes(alpha, eps) -> dict:
    r = api.solve(BAYES, alpha=float(alpha), eps=float(eps))
    return {"eps_gen": r.observables.get("eps_gen"), "q": r.order_params.get("q"),
            "status": _status(r)}


# -- frontier -------------------------------------------------------------------------------------
def frontier(alpha=2.0, eps=0.2, lams=None, learners=None, progress=None) -> dict:
    """(eps_gen, eps_mem) along lam for each learner (default: all of LEARNERS), the eps_gen-optimal
    lam of each (refined within the lam range) and the Bayes-optimal eps_gen."""
    lams = parse_values("--lam", DEFAULTS["frontier_lam"] if lams is None else lams, log=True)
    ls = _learners(learners, list(LEARNERS))
    bp = _validate(BAYES, dict(alpha=alpha, eps=eps))
    alpha, eps = bp["alpha"], bp["eps"]
    for label, model, extra in ls:  # bad input fails before any work
        for lam in lams:
            _validate(model, dict(extra, alpha=alpha, eps=eps, lam=lam))
    rec = _header("frontier", {"alpha": bp["alpha"], "eps": bp["eps"], "lam": lams},
                  ls, [m for _, m, _ in ls] + [BAYES])
    rec["bayes"] = _bayes(alpha, eps)
    total = len(ls) * (len(lams) + 1)
    if progress:
        progress(0, total)
    curves = {}
    for label, model, extra in ls:
        points = []
        for lam in lams:
            r = api.solve(model, dict(extra, alpha=alpha, eps=eps, lam=lam))
            points.append({"lam": lam,
                           "eps_gen": r.observables.get("eps_gen") if r.converged else None,
                           "eps_mem": r.observables.get("eps_mem") if r.converged else None,
                           "observables": r.observables if r.converged else {},
                           "status": _status(r)})
            if progress:
                progress()
        opt = (_optimal(model, dict(extra, alpha=alpha, eps=eps), (lams[0], lams[-1]))
               if len(lams) > 1 else None)
        if progress:
            progress()
        curves[label] = {
            "params": {k: v for k, v in _validate(model, dict(extra, alpha=alpha, eps=eps,
                                                               lam=lams[0])).items()
                       if k not in STUDY_AXES},
            "points": points, "optimum": opt,
            "unconverged_lams": [p["lam"] for p in points if not p["status"]["converged"]]}
    rec["curves"] = curves
    return _clean(rec)


def plot_frontier(rec, path):
    from ..plotting import _segments, pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for i, (label, c) in enumerate(rec["curves"].items()):
        pts = c["points"]
        ok = [p["status"]["converged"] for p in pts]
        x = [p["eps_mem"] if p["eps_mem"] is not None else np.nan for p in pts]
        y = [p["eps_gen"] if p["eps_gen"] is not None else np.nan for p in pts]
        xy_ok = [(xi, yi, o) for xi, yi, o in zip(x, y, ok)]
        for k, seg in enumerate(_segments([a for a, _, _ in xy_ok], [b for _, b, _ in xy_ok],
                                          [o and np.isfinite(a) for a, _, o in xy_ok])):
            s = np.array(seg)
            ax.plot(s[:, 0], s[:, 1], ".-", ms=3, lw=1, color=f"C{i}",
                    label=label if k == 0 else None)
        o = c.get("optimum")
        if o and o["status"]["converged"]:
            ax.plot(o["observables"]["eps_mem"], o["observables"]["eps_gen"], "*", ms=9,
                    color=f"C{i}", mec="k", mew=0.5)
    b = rec["bayes"]["eps_gen"]
    if b is not None:
        ax.axhline(b, color="k", ls="--", lw=1, label="Bayes-optimal eps_gen")
    ax.set_xlabel("eps_mem (training facts misclassified)")
    ax.set_ylabel("eps_gen (fresh rule samples misclassified)")
    lam = rec["params"]["lam"]
    ax.set_title(f"trade-off along lam in [{lam[0]:g}, {lam[-1]:g}], "
                 f"alpha={rec['params']['alpha']:g}, eps={rec['params']['eps']:g}  "
                 "(*: eps_gen-optimal lam)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


# -- rates ----------------------------------------------------------------------------------------
def fit_power_law(alphas, values) -> dict | None:
    """Least-squares line through (log alpha, log value): value ~ constant * alpha^-exponent; with
    the local exponents between consecutive points (they approach the asymptotic one)."""
    a, v = np.asarray(alphas, float), np.asarray(values, float)
    if len(a) < 2:
        return None
    slope, icpt = np.polyfit(np.log(a), np.log(v), 1)
    local = (-np.diff(np.log(v)) / np.diff(np.log(a))).tolist()
    return {"exponent": float(-slope), "constant": float(math.exp(icpt)),
            "local_exponents": local, "points": len(a)}


def rates(eps=0.2, alphas=None, learners=None, lam=None, progress=None) -> dict:
    """eps_gen at large alpha for Bayes-optimal and each learner (default: ridge, hinge, kernel
    ridge relu), at the eps_gen-optimal lam of each alpha (``lam=None``) or at a fixed lam; fitted
    exponent and constant of eps_gen ~ C alpha^-b over the converged points."""
    alphas = parse_values("--alpha", DEFAULTS["rates_alpha"] if alphas is None else alphas,
                          log=True)
    ls = _learners(learners, list(RATES_LEARNERS))
    for label, model, extra in ls:
        for a in alphas:
            _validate(model, dict(extra, alpha=a, eps=eps, lam=1.0 if lam is None else lam))
    for a in alphas:
        _validate(BAYES, dict(alpha=a, eps=eps))
    rec = _header("rates", {"eps": float(eps), "alpha": alphas,
                            "lam": "optimal" if lam is None else float(lam),
                            "lam_search_range": list(OPT_RANGE) if lam is None else None},
                  ls, [m for _, m, _ in ls] + [BAYES])
    if progress:
        progress(0, (len(ls) + 1) * len(alphas))
    series = {}
    pts = []
    for a in alphas:
        b = _bayes(a, eps)
        pts.append({"alpha": a, "eps_gen": b["eps_gen"], "status": b["status"]})
        if progress:
            progress()
    series["bayes"] = {"model": BAYES, "points": pts}
    for label, model, extra in ls:
        pts = []
        for a in alphas:
            base = dict(extra, alpha=a, eps=eps)
            if lam is None:
                o = _optimal(model, base)
                pts.append({"alpha": a, "lam": o["lam"],
                            "eps_gen": o["observables"].get("eps_gen")
                            if o["status"]["converged"] else None, "status": o["status"]})
            else:
                r = api.solve(model, dict(base, lam=float(lam)))
                pts.append({"alpha": a, "lam": float(lam),
                            "eps_gen": r.observables.get("eps_gen") if r.converged else None,
                            "status": _status(r)})
            if progress:
                progress()
        series[label] = {"model": model, "points": pts}
    for s in series.values():
        good = [p for p in s["points"] if p["status"]["converged"] and p["eps_gen"]
                and p["eps_gen"] > 0]
        s["fit"] = fit_power_law([p["alpha"] for p in good], [p["eps_gen"] for p in good])
        s["unconverged_alphas"] = [p["alpha"] for p in s["points"]
                                   if not p["status"]["converged"]]
        s["lam_at_edge_alphas"] = [p["alpha"] for p in s["points"]
                                   if p["status"].get("lam_at_edge")]
    rec["series"] = series
    return _clean(rec)


def plot_rates(rec, path):
    from ..plotting import pyplot
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.6))
    for i, (label, s) in enumerate(rec["series"].items()):
        good = [p for p in s["points"] if p["status"]["converged"] and p["eps_gen"]]
        if not good:
            continue
        a = np.array([p["alpha"] for p in good])
        # distinct markers: curves may coincide (kernel ridge = ridge at a shifted lam)
        ax.loglog(a, [p["eps_gen"] for p in good], "osD^v<>"[i % 7], ms=7 - 1.2 * (i % 4),
                  mfc="none", color=f"C{i}")
        f = s["fit"]
        if f:
            xx = np.geomspace(a.min(), a.max(), 50)
            ax.loglog(xx, f["constant"] * xx ** -f["exponent"], "-", lw=1, color=f"C{i}",
                      label=f"{label}: {f['constant']:.4g} alpha^-{f['exponent']:.4f}")
    lam = rec["params"]["lam"]
    ax.set_xlabel("alpha = n/d")
    ax.set_ylabel("eps_gen")
    ax.set_title(f"large-alpha rates, eps={rec['params']['eps']:g}, lam "
                 f"{'eps_gen-optimal' if lam == 'optimal' else '= %g' % lam}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


# -- phase ----------------------------------------------------------------------------------------
def classify(eps_mem, eps_gen, bayes_eps_gen, mem_threshold, gen_gap) -> str:
    """Memorized: eps_mem < mem_threshold; generalized: eps_gen - bayes_eps_gen <= gen_gap."""
    mem = eps_mem < mem_threshold
    gen = eps_gen - bayes_eps_gen <= gen_gap
    return CLASSES[0 if mem and gen else 1 if mem else 2 if gen else 3]


def phase(learner=None, alphas=None, epss=None, mem_threshold=0.05, gen_gap=0.02, lam=None,
          progress=None) -> dict:
    """Class of every (alpha, eps) cell for one learner (default kernel ridge relu) at its
    eps_gen-optimal lam (``lam=None``) or a fixed lam. ``grid[i][j]`` is eps = epss[i], alpha =
    alphas[j]; a cell whose learner or Bayes solve did not converge has class None."""
    mem_threshold = _check_fraction("mem_threshold", mem_threshold)
    gen_gap = _check_fraction("gen_gap", gen_gap, lo_open=False)
    alphas = parse_values("--alpha", DEFAULTS["phase_alpha"] if alphas is None else alphas)
    epss = parse_values("--eps", DEFAULTS["phase_eps"] if epss is None else epss)
    if learner is not None and not isinstance(learner, (str, tuple)):
        learner = list(learner)
        if len(learner) != 1:
            raise InputError(f"phase takes one --learner, got {len(learner)}")
        learner = learner[0]
    (label, model, extra), = _learners([learner or PHASE_LEARNER], None)
    for e in epss:
        for a in alphas:
            _validate(model, dict(extra, alpha=a, eps=e, lam=1.0 if lam is None else lam))
            _validate(BAYES, dict(alpha=a, eps=e))
    rec = _header("phase", {"learner": label, "alpha": alphas, "eps": epss,
                            "mem_threshold": mem_threshold, "gen_gap": gen_gap,
                            "lam": "optimal" if lam is None else float(lam),
                            "lam_search_range": list(OPT_RANGE) if lam is None else None},
                  [(label, model, extra)], [model, BAYES])
    if progress:
        progress(0, len(alphas) * len(epss))
    grid = []
    for e in epss:
        row = []
        for a in alphas:
            base = dict(extra, alpha=a, eps=e)
            if lam is None:
                o = _optimal(model, base)
                lam_c, obs, st = o["lam"], o["observables"], o["status"]
            else:
                r = api.solve(model, dict(base, lam=float(lam)))
                lam_c, obs, st = float(lam), r.observables, _status(r)
            b = _bayes(a, e)
            ok = bool(st["converged"] and b["status"]["converged"])
            cell = {"alpha": a, "eps": e, "lam": lam_c, "converged": ok, "status": st,
                    "bayes_status": b["status"], "bayes_eps_gen": b["eps_gen"],
                    "eps_gen": obs.get("eps_gen") if ok else None,
                    "eps_mem": obs.get("eps_mem") if ok else None, "class": None}
            if ok:
                cell["gap"] = cell["eps_gen"] - cell["bayes_eps_gen"]
                cell["class"] = classify(cell["eps_mem"], cell["eps_gen"], b["eps_gen"],
                                         mem_threshold, gen_gap)
            row.append(cell)
            if progress:
                progress()
        grid.append(row)
    rec["grid"] = grid
    rec["unconverged"] = [{"alpha": c["alpha"], "eps": c["eps"]} for row in grid for c in row
                          if not c["converged"]]
    rec["counts"] = {k: sum(c["class"] == k for row in grid for c in row) for k in CLASSES}
    return _clean(rec)


_CLASS_COLORS = ("#2ca02c", "#1f77b4", "#ff7f0e", "#b0b0b0")


def _edges(v):
    v = np.asarray(v, float)
    if len(v) == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5]) if v[0] == 0 else v[0] * np.array([0.9, 1.1])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def plot_phase(rec, path):
    """Categorical image of the four classes; non-converged cells left blank and marked x; the
    threshold contours (eps_mem = mem_threshold, eps_gen - Bayes = gen_gap) drawn through
    converged cells only."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    from ..plotting import pyplot
    plt = pyplot()
    p = rec["params"]
    A, E = np.array(p["alpha"]), np.array(p["eps"])
    grid = rec["grid"]
    cls = np.ma.masked_invalid(np.array(
        [[CLASSES.index(c["class"]) if c["class"] else np.nan for c in row] for row in grid]))
    fig, ax = plt.subplots(figsize=(6.8, 5))
    ax.pcolormesh(_edges(A), _edges(E), cls, cmap=ListedColormap(_CLASS_COLORS), vmin=-0.5,
                  vmax=3.5, shading="flat")
    bad = [(c["alpha"], c["eps"]) for row in grid for c in row if not c["converged"]]
    if bad:
        ax.plot(*zip(*bad), "kx", ms=6, label="not converged")
    if len(A) > 1 and len(E) > 1:
        mem = np.ma.masked_invalid(np.array(
            [[c["eps_mem"] if c["converged"] else np.nan for c in row] for row in grid]))
        gap = np.ma.masked_invalid(np.array(
            [[c["gap"] if c["converged"] else np.nan for c in row] for row in grid]))
        for z, lev, ls in ((mem, p["mem_threshold"], "-"), (gap, p["gen_gap"], "--")):
            if z.count() and z.min() < lev < z.max():
                ax.contour(A, E, z, levels=[lev], colors="k", linestyles=ls, linewidths=1)
    handles = [Patch(color=c, label=k) for c, k in zip(_CLASS_COLORS, CLASSES)]
    handles += [plt.Line2D([], [], color="k", ls="-", label=f"eps_mem = {p['mem_threshold']:g}"),
                plt.Line2D([], [], color="k", ls="--",
                           label=f"eps_gen - Bayes = {p['gen_gap']:g}")]
    if bad:
        handles.append(plt.Line2D([], [], color="k", marker="x", ls="", label="not converged"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_xlabel("alpha = n/d")
    ax.set_ylabel("eps (fraction of facts)")
    lam = p["lam"]
    ax.set_title(f"{p['learner']}, lam {'eps_gen-optimal' if lam == 'optimal' else '= %g' % lam}:"
                 " facts memorized / rule generalized", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


# -- files and tables -----------------------------------------------------------------------------
def _slug(s: str) -> str:
    return re.sub(r"[^A-Za-z0-9.=_-]+", "-", s).strip("-")


def tag(rec) -> str:
    p = rec["params"]
    if rec["study"] == "frontier":
        return f"raf-frontier-alpha{p['alpha']:g}-eps{p['eps']:g}"
    if rec["study"] == "rates":
        return f"raf-rates-eps{p['eps']:g}" + ("" if p["lam"] == "optimal" else f"-lam{p['lam']:g}")
    return f"raf-phase-{_slug(p['learner'])}" + ("" if p["lam"] == "optimal"
                                                  else f"-lam{p['lam']:g}")


_PLOTS = {"frontier": plot_frontier, "rates": plot_rates, "phase": plot_phase}


def write(rec, out_dir) -> dict:
    """Write the record as JSON and its figure (PNG) into ``out_dir`` (created when its parent
    exists; never above it); returns both paths."""
    from ..params import check_output_dir
    out = check_output_dir(out_dir, "--out")
    out.mkdir(exist_ok=True)
    base = tag(rec)
    data = out / f"{base}.json"
    data.write_text(json.dumps(rec, indent=1, allow_nan=False))
    fig = _PLOTS[rec["study"]](rec, out / f"{base}.png")
    return {"data": str(data), "figure": str(fig)}


def _f(v, fmt=".5f"):
    return "-" if v is None else format(v, fmt)


def table(rec) -> str:
    """A short text summary of a study record."""
    p = rec["params"]
    lines = []
    if rec["study"] == "frontier":
        lam = p["lam"]
        lines.append(f"frontier: alpha={p['alpha']:g}, eps={p['eps']:g}, lam in [{lam[0]:g}, "
                     f"{lam[-1]:g}] ({len(lam)} values); Bayes-optimal eps_gen "
                     f"{_f(rec['bayes']['eps_gen'])}")
        lines.append(f"  {'learner':<28} {'min eps_gen':>11} {'at lam':>9} {'eps_mem there':>13}"
                     f" {'min eps_mem':>11}  unconverged lams")
        for label, c in rec["curves"].items():
            o = c["optimum"]
            ok = o is not None and o["status"]["converged"]
            mems = [q["eps_mem"] for q in c["points"] if q["eps_mem"] is not None]
            un = c["unconverged_lams"]
            lines.append(
                f"  {label:<28} {_f(o['observables'].get('eps_gen') if ok else None):>11} "
                f"{_f(o['lam'] if ok else None, '.4g'):>9} "
                f"{_f(o['observables'].get('eps_mem') if ok else None):>13} "
                f"{_f(min(mems) if mems else None):>11}  "
                + (f"{len(un)} ({un[0]:.3g}..{un[-1]:.3g})" if un else "0")
                + ("  [optimum at the lam-range edge]" if ok and o["status"]["lam_at_edge"]
                   else ""))
    elif rec["study"] == "rates":
        lam = p["lam"]
        a = p["alpha"]
        lines.append(f"rates: eps={p['eps']:g}, alpha in [{a[0]:g}, {a[-1]:g}] ({len(a)} values), "
                     f"lam {'eps_gen-optimal at each alpha' if lam == 'optimal' else '= %g' % lam};"
                     " fit eps_gen ~ C alpha^-b")
        lines.append(f"  {'learner':<28} {'b':>8} {'C':>9} {'last local b':>12}  notes")
        for label, s in rec["series"].items():
            f = s["fit"]
            notes = []
            if s["unconverged_alphas"]:
                notes.append(f"{len(s['unconverged_alphas'])} alphas not converged")
            if s["lam_at_edge_alphas"]:
                notes.append(f"optimal lam at the search edge for {len(s['lam_at_edge_alphas'])}"
                             " alphas")
            lines.append(f"  {label:<28} {_f(f and f['exponent'], '.4f'):>8} "
                         f"{_f(f and f['constant'], '.4g'):>9} "
                         f"{_f(f and f['local_exponents'][-1], '.4f'):>12}  " + "; ".join(notes))
    else:
        lam = p["lam"]
        lines.append(f"phase: {p['learner']}, lam "
                     f"{'eps_gen-optimal' if lam == 'optimal' else '= %g' % lam}; memorized: "
                     f"eps_mem < {p['mem_threshold']:g}, generalized: eps_gen - Bayes <= "
                     f"{p['gen_gap']:g}")
        heads = [f"{a:.4g}" for a in p["alpha"]]
        w = max(map(len, heads)) + 1
        lines.append(f"  {'eps / alpha':<11} " + "".join(f"{h:>{w}}" for h in heads))
        code = {"both": "B", "memorized only": "M", "generalized only": "G", "neither": "-",
                None: "."}
        for e, row in zip(p["eps"], rec["grid"]):
            lines.append(f"  {e:<11.4g} " + "".join(f"{code[c['class']]:>{w}}" for c in row))
        lines.append("  B: both, M: facts memorized only, G: rule generalized only, -: neither, "
                     ".: not converged")
        lines.append("  counts: " + ", ".join(f"{k} {v}" for k, v in rec["counts"].items()))
        if rec["unconverged"]:
            lines.append("  not converged: " + ", ".join(
                f"(alpha={c['alpha']:g}, eps={c['eps']:g})" for c in rec["unconverged"]))
    return "\n".join(lines)


def unconverged_curves(rec) -> list[str]:
    """Labels of curves / series with no converged point at all (the CLI exits 1 then)."""
    if rec["study"] == "frontier":
        return [k for k, c in rec["curves"].items()
                if not any(q["status"]["converged"] for q in c["points"])]
    if rec["study"] == "rates":
        return [k for k, s in rec["series"].items() if s["fit"] is None]
    return [] if any(c["converged"] for row in rec["grid"] for c in row) else ["phase"]

