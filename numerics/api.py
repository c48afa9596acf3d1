"""The Python API: what the ``memgen`` command line does, callable from a notebook.

Example (MODEL a name from ``list_models()``, NAME=value its parameters; the README has
worked examples for every model)::

    from memgenkit.numerics import api
    r = api.solve("MODEL", {"NAME": 1.0})       # Result: order_params, observables, status,
    r.order_params, r.observables, r.status     # derivation_hash
    b = api.boundary("MODEL", {"NAME": 0.2})    # the critical value of the model's boundary
    c = api.continuation("MODEL", "NAME", np.linspace(0.05, 2, 200), {"OTHER": 0.2})
    v = api.verify("MODEL", {"NAME": 0.5}, Ns=[50, 100, 200], instances=60, seed=1)

Every function validates its parameters (``InputError`` naming the parameter and its range).
Nothing here imports sympy: derivations are read from the stored kernels.
"""
from __future__ import annotations

from . import models as _models
from . import resources as _resources
from .continuation import continuation as _continuation
from .sweep import parse_grid, sweep as _sweep

__all__ = ["list_models", "model", "solve", "boundary", "continuation", "sweep",
           "simulate", "verify", "parse_grid", "derive", "check_derivations", "optimize"]

_SOLVE_OPTIONS = ("init", "method", "mixing", "tol", "max_iter", "trace")


# -- input validation ----------------------------------------------------------------------------
# Every verb checks its whole input here first (numerics.params: declared parameters, verb
# options, paths): cheap, before any kernel is loaded and before any file is opened for writing.
# Model-specific cross-parameter rules stay in the model's validate().
def _boundary_models() -> list[str]:
    return [n for n in _models.MODELS if _models.get(n).has("boundary")]


def check_input(verb: str, model_name: str, params: dict | None = None, *, grid=None,
                **options):
    """Validate ``verb``'s input without doing any work; returns the model object.

    ``params``: the model parameters (each checked against its declaration); ``grid``: the
    swept parameter names (sweep); ``options``: the verb's options (method, mixing, tol, max_iter,
    N, instances, seed, workers, Ns, out, out_dir, task; others are the model's keywords, checked
    against its verb-specific declarations where it has them). Raises InputError."""
    from .errors import InputError
    from .params import check_ladder, check_option, check_output_dir, check_output_file
    m = _models.get(model_name)
    params = dict(params or {})
    task = options.pop("task", None)
    if task is not None and task not in ("solve", "boundary"):
        raise InputError(f"unknown sweep task '{task}': choose solve or boundary")
    if verb == "boundary" or task == "boundary":
        if not m.has("boundary"):
            raise InputError(f"model '{model_name}' has no boundary: models with one are "
                             f"{', '.join(_boundary_models())}")
        own = m.boundary_variable
        if verb == "sweep" and own is not None and (own in (grid or ()) or own in params):
            raise InputError(f"sweep --boundary: '{own}' is what the boundary of {model_name} "
                             f"solves for; sweep the other parameters instead")
    m.check_given(params, verb)
    specs = {s.name: s for s in m.param_specs() if s.verbs and verb in s.verbs}
    for name, value in options.items():
        if value is None:
            continue
        if name == "method":
            check_option("method", value, methods=m.solve_methods)
        elif name in ("mixing", "tol", "max_iter", "N", "instances", "seed", "workers"):
            check_option(name, value)
        elif name == "Ns":
            check_ladder(value, "option 'Ns' (--ladder)")
        elif name == "out":
            check_output_file(value, "--out")
        elif name == "out_dir":
            check_output_dir(value, "--out-dir")
        elif name in specs:
            specs[name].check(value)
    return m


def list_models() -> list[dict]:
    """Name, one-line summary and every declared parameter (range, kind, default, description;
    ``verbs`` where only some verbs take it) of every model (numerics/declaration.py)."""
    out = []
    for name, decl in _models.MODELS.items():
        if not decl.derived:  # declared, kernels not generated yet
            out.append({"model": name, "doc": decl.summary, "kind": decl.kind,
                        "blocks": list(decl.blocks), "parameters": {},
                        "boundary": decl.boundary, "derived": False})
            continue
        m = _models.get(name)
        out.append({"model": name, "doc": decl.summary, "kind": decl.kind,
                    "blocks": list(decl.blocks),
                    "parameters": {s.name: s.describe() for s in m.param_specs()},
                    "boundary": m.boundary_variable if m.has("boundary") else None})
    return out


def model(name: str):
    """The model object (kernels loaded on first use)."""
    return _models.get(name)


def _check(m, verb: str, params: dict, method=None, kw=None):
    """Refuse, before any work or file write, a size whose estimated cost exceeds the limits
    (``resources.check``: one line naming the size, the estimate and the limit).

    ``m.cost`` gets the validated parameters, the verb's keyword options with ``method``'s
    defaults filled in, and ``given``: the parameter names the caller set (a model whose size is
    a parameter may read it from --N unless the parameter is given). Parameters that do not
    validate are left to the verb, whose own validation reports them before it does any work."""
    import inspect

    from .errors import InputError
    params = dict(params or {})
    try:
        v = m.validate(dict(params))
    except InputError:
        return
    opts = {}
    if method is not None:
        opts = {k: p.default for k, p in inspect.signature(method).parameters.items()
                if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}
    opts.update(kw or {})
    cost = m.cost(verb, v, given=frozenset(params), **opts)
    if cost is None:
        return
    parts = [f"{k}={_resources.sizes(x) if isinstance(x, (int, float)) else x}"
             for k, x in params.items()]
    if opts.get("N") is not None and not {"n", "N"} & set(params):  # a parameter overrides --N
        parts.append(f"N={_resources.sizes(opts['N'])}")
    if verb == "verify":
        Ns = opts.get("Ns")
        parts.append("ladder N=" + ",".join(_resources.sizes(x) for x in Ns) if Ns else
                     ("the quick ladder" if opts.get("quick") else "the default ladder"))
    if opts.get("instances"):
        parts.append(f"{opts['instances']} instances")
    if (opts.get("workers") or 1) > 1:
        parts.append(f"{opts['workers']} workers")
    _resources.check(cost, f"{verb} {m.name}" + (" at " + ", ".join(parts) if parts else ""))


def _split(kw):
    opts = {k: kw.pop(k) for k in list(kw) if k in _SOLVE_OPTIONS}
    return kw, opts


def solve(model_name: str, params: dict | None = None, **kw):
    """Saddle point at the given parameters. Solver options: init, method, mixing (weight on the
    new iterate), tol, max_iter, trace."""
    params_kw, opts = _split(kw)
    merged = {**(params or {}), **params_kw}
    m = check_input("solve", model_name, merged, **{k: v for k, v in opts.items()
                                                      if k not in ("init", "trace")})
    _check(m, "solve", merged)
    return m.solve(merged, **opts)


def boundary(model_name: str, params: dict | None = None, **kw):
    """The model's phase boundary at the given parameters: the critical value of its declared
    boundary variable (and what the model reports there)."""
    merged = {**(params or {}), **kw}
    m = check_input("boundary", model_name, merged)
    _check(m, "boundary", merged)
    return m.boundary(merged)


def continuation(model_name: str, parameter: str, values, params: dict | None = None, *,
                 both: bool = True, **kw):
    """Warm-started solves along ``parameter``, forward and backward (see numerics.continuation)."""
    params_kw, opts = _split(kw)
    base = {**(params or {}), **params_kw}
    values = list(values)
    m = check_input("solve", model_name, base, **{k: v for k, v in opts.items()
                                                   if k not in ("init", "trace")})
    if not values:
        from .errors import InputError
        raise InputError(f"continuation along '{parameter}' needs at least one value")
    for v in values:
        m.check_given({parameter: v})
    m.validate({**base, parameter: values[0]})
    for x in values:
        _check(m, "solve", {**base, parameter: x})
    return _continuation(m, parameter, values, base, both=both, **opts)


def sweep(model_name: str, grid, params: dict | None = None, *, out=None, workers: int = 1,
          task: str = "solve", progress=None, collect: bool = True, **kw):
    """Resumable grid sweep. ``grid``: list of "name=start:stop:num" strings or (name, values).
    ``collect=False`` (with ``out``): return a summary, the records stay in the file only.
    The grid's size is bounded by the memory its sweep needs (numerics.sweep), not by a count."""
    grids = [parse_grid(g) if isinstance(g, str) else (g[0], list(g[1])) for g in grid]
    params_kw, opts = _split(kw)
    check_input("sweep", model_name, {**(params or {}), **params_kw},
                grid=[n for n, _ in grids], task=task, out=out, workers=workers,
                **{k: v for k, v in opts.items() if k not in ("init", "trace")})
    return _sweep(model_name, grids, {**(params or {}), **params_kw}, out=out, workers=workers,
                  task=task, progress=progress, collect=collect, **opts)


def simulate(model_name: str, params: dict | None = None, **kw):
    """Finite-N instances of the model, measured (see the model's ``simulate``)."""
    m = check_input("simulate", model_name, params, **kw)
    _check(m, "simulate", params, m.simulate, kw)
    return m.simulate(params or {}, **kw)


def verify(model_name: str, params: dict | None = None, **kw):
    """Theory against finite-N simulation, with a pass/fail verdict (see the model's ``verify``)."""
    m = check_input("verify", model_name, params, **kw)
    if kw.get("Ns") is not None:
        from .params import check_ladder
        kw["Ns"] = check_ladder(kw["Ns"])
    _check(m, "verify", params, m.verify, kw)
    return m.verify(params or {}, **kw)


def derive(model_name: str | None = None):
    """Re-run derivations and codegen, writing derivations/ and numerics/generated/ (needs sympy)."""
    names = [model_name] if model_name else list(_models.MODELS)
    for n in names:
        if n not in _models.MODELS:
            from .errors import UnknownModelError
            raise UnknownModelError(n, list(_models.MODELS))
    from . import derive as _derive
    return {n: _derive.write(n) for n in names}


def check_derivations(model_name: str | None = None, workers: int = 2, force: bool = False):
    """Stored files that are stale, per model (empty lists: all up to date).

    A model whose stamp still holds (numerics.derive: same theory sources, versions and stored
    files as at its last successful check) is answered at once; ``force`` re-derives every one.
    The models that must be re-derived run in parallel processes (each derivation is
    independent, mostly single-threaded sympy and mpmath), which halves the check on two cores."""
    names = [model_name] if model_name else list(_models.MODELS)
    for n in names:
        if n not in _models.MODELS:
            from .errors import UnknownModelError
            raise UnknownModelError(n, list(_models.MODELS))
    from . import derive as _derive
    out = {n: [] for n in names}
    todo = [n for n in names if force or not _derive.stamped(n)]
    if workers <= 1 or len(todo) <= 1:
        out.update({n: _derive.stale(n, force=True) for n in todo})
        return out
    from functools import partial

    from .pool import worker_pool
    with worker_pool(min(workers, len(todo))) as pool:
        out.update(zip(todo, pool.map(partial(_derive.stale, force=True), todo)))
    return out


def optimize(model_name: str, params: dict | None = None, *, minimize: str, over: str,
             bounds=None, log: bool | None = None, xtol: float = 1e-6, **kw):
    """Minimize an observable over one parameter (bounded Brent on converged solves).

    ``bounds`` (lo, hi) default to the parameter's declared range, clipped to [1e-4, 1e2] for
    positive unbounded parameters; the search runs in log10 of the parameter when it is positive
    (``log`` overrides). Points whose solve does not converge count as +inf and are reported.
    Returns a dict: argmin, minimum, the solve there, evaluations, unconverged points, and a
    message when the minimum sits at the edge of the search range.
    """
    import math

    from .errors import InputError
    params_kw, opts = _split(kw)
    base = {**(params or {}), **params_kw}
    m = check_input("solve", model_name, base, **{k: v for k, v in opts.items()
                                                   if k not in ("init", "trace")})
    specs = {s.name: s for s in m.param_specs() if s.kind == "real" and s.verbs is None}
    if over not in specs:
        raise InputError(f"--over '{over}': model '{model_name}' has no real-valued parameter "
                         f"'{over}' (choose one of {', '.join(specs)})")
    spec = specs[over]
    if bounds is None:
        lo = spec.lower if spec.lower is not None else -1e2
        hi = spec.upper if spec.upper is not None and math.isfinite(spec.upper) else 1e2
        if spec.lower is not None and spec.lower <= 0 and spec.lower_open:
            lo = 1e-4
        # Defaults lie strictly inside open bounds (c in [0, 1): search up to 1 - 1e-6).
        if spec.lower_open and lo == spec.lower:
            lo += 1e-6 * (hi - lo)
        if spec.upper_open and hi == spec.upper:
            hi -= 1e-6 * (hi - lo)
        bounds = (lo, hi)
    else:
        try:
            lo, hi = bounds
        except (TypeError, ValueError):
            raise InputError(f"--range {bounds!r}: expected two numbers LO:HI") from None
        bounds = (spec.check(lo, f"--range bound of {over}"),
                  spec.check(hi, f"--range bound of {over}"))
    lo, hi = map(float, bounds)
    if not lo < hi:
        raise InputError(f"--range: empty search range for {over}: [{lo:g}, {hi:g}] (need "
                         "LO < HI)")
    spec.check(lo), spec.check(hi)
    from scipy.optimize import minimize_scalar
    for x in (lo, hi):  # the sized end of the search range (a size parameter)
        _check(m, "solve", {**base, over: x})
    use_log = (lo > 0) if log is None else bool(log)
    evals, bad = [], []

    def objective(u):
        v = 10.0 ** u if use_log else u
        r = m.solve({**base, over: v}, **opts)
        val = r.observables.get(minimize) if r.converged else None
        if r.converged and val is None:
            raise InputError(f"--minimize '{minimize}': not an observable of {model_name} "
                             f"(observables: {', '.join(r.observables)})")
        evals.append((v, val))
        if val is None or not math.isfinite(val):
            bad.append(v)
            return math.inf
        return val
    a, b = (math.log10(lo), math.log10(hi)) if use_log else (lo, hi)
    res = minimize_scalar(objective, bounds=(a, b), method="bounded",
                          options={"xatol": xtol})
    x = 10.0 ** res.x if use_log else float(res.x)
    best = m.solve({**base, over: x}, **opts)
    edge = abs(res.x - a) < 10 * xtol or abs(res.x - b) < 10 * xtol
    msg = (f"minimum at the edge of the search range [{lo:g}, {hi:g}]: widen --range"
           if edge else "")
    return {"model": model_name, "params": best.params, "over": over, "minimize": minimize,
            "argmin": x, "minimum": best.observables.get(minimize), "log_search": use_log,
            "range": [lo, hi], "converged": bool(best.converged and res.success and not edge),
            "evaluations": len(evals), "unconverged_points": bad, "message": msg,
            "solution": best.to_dict()}
