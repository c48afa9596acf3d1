"""``memgen``: a thin command line over memgenkit.numerics.api.

Exit status: 0 success; 1 a solve that did not converge or a verification that failed; 2 bad input
(one line on stderr naming the parameter and its allowed range, no traceback).
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import sys

from .errors import InputError


def _parse_sets(items, specs=None, model: str | None = None, all_specs=None) -> dict:
    """--set NAME=VALUE items -> {name: value}. With ``specs`` (a model's declared parameters for
    the verb) each value is parsed by its declaration (numbers, integers, choices, text) and
    checked, and unknown names are refused; without, values are numbers (the study's --set)."""
    from .params import unknown_parameter
    known = {s.name: s for s in specs} if specs is not None else None
    out = {}
    for item in items or []:
        if "=" not in item:
            raise InputError(f"malformed --set '{item}': expected name=value")
        k, v = (s.strip() for s in item.split("=", 1))
        if not k:
            raise InputError(f"malformed --set '{item}': missing the parameter name")
        if k in out:
            raise InputError(f"--set: parameter '{k}' given twice (in '{item}'); give it once")
        if known is not None:
            if k not in known:
                unknown_parameter(model, k, all_specs or specs, known)
            out[k] = known[k].parse(v)
            continue
        try:
            out[k] = float(v)
        except ValueError:
            raise InputError(f"malformed --set '{item}': value of '{k}' is not a number") \
                from None
        if not math.isfinite(out[k]):
            raise InputError(f"--set {k}={v}: not a finite number")
    return out


def _model_sets(args, verb: str) -> dict:
    """The --set values of ``args.model`` for ``verb``, parsed by the model's declarations."""
    from . import api
    m = api.model(args.model)
    specs = [s for s in m.param_specs() if s.verbs is None or verb in s.verbs]
    return _parse_sets(args.set, specs, args.model, m.param_specs())


def _cli_options(verb: str) -> dict:
    """flag -> (CliOption, the models declaring it) for the models' extra flags on ``verb``."""
    from .declaration import declarations
    out: dict = {}
    for decl in declarations().values():
        for opt in decl.cli_options:
            if verb in opt.verbs:
                prev = out.get(opt.flag)
                if prev is not None and prev[0].param != opt.param:
                    raise RuntimeError(f"{opt.flag}: declared by {', '.join(prev[1])} and "
                                       f"{decl.name} for different parameters")
                out[opt.flag] = (prev[0] if prev else opt, (prev[1] if prev else ()) + (decl.name,))
    return out


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _with_cli_options(args, verb: str, out: dict) -> dict:
    """``out`` (the --set values) plus the models' extra flags given (numerics.declaration
    ``cli_options``: ``--FLAG VALUE`` sets its parameter, as text)."""
    for flag, (opt, _) in _cli_options(verb).items():
        value = getattr(args, _dest(flag), None)
        if value is None:
            continue
        if opt.param in out:
            raise InputError(f"{opt.param} given twice ({flag} and --set {opt.param}=...)")
        out[opt.param] = value
    return out


def _params(args, verb: str) -> dict:
    """--set values, plus the model-declared flags (e.g. a text parameter) where given."""
    return _with_cli_options(args, verb, _model_sets(args, verb))


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.12g}" if math.isfinite(v) else str(v)
    return str(v)


def _print_result(r, as_json):
    d = r.to_dict()
    if as_json:
        d.pop("versions", None)
        print(json.dumps(d, allow_nan=False))
        return
    print(f"model {d['model']}  (derivation {d['derivation_hash']})")
    print("  params:       " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.params.items()))
    if r.order_params:
        print("  order params: " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.order_params.items()))
    if r.observables:
        print("  observables:  " + ", ".join(f"{k}={_fmt(v)}" for k, v in r.observables.items()))
    st = r.status
    print(f"  status:       converged={st['converged']} iterations={st['iterations']} "
          f"residual={_fmt(st['residual'])} method={st.get('method', '')}"
          + (f" error={_fmt(st['error'])}" if "error" in st else ""))
    if st.get("message"):
        print(f"  message:      {st['message']}")


def _progress(label):
    from .progress import Progress
    return Progress(0, label)


def cmd_list(args):
    from . import api
    for m in api.list_models():
        print(f"{m['model']}: {m['doc']}")
        if m.get("derived") is False:
            print(f"    not derived yet: run `memgen derive {m['model']}`")
        for name, spec in m["parameters"].items():
            if spec["kind"] in ("categorical", "text"):
                rng = f"{name} ({spec['kind']})" if spec["kind"] == "text" else \
                    f"{name} in {{{', '.join(spec['choices'])}}}"
            else:
                rng = spec["range"]
            default = ("optional" if spec.get("optional") else "required") \
                if spec["default"] is None else f"default {_fmt(spec['default']) or 'none'}"
            verbs = f" [{', '.join(spec['verbs'])} only]" if "verbs" in spec else ""
            print(f"    {rng:<34} {default}: {spec['description']}{verbs}")
        if m["boundary"]:
            print(f"    boundary: solves for {m['boundary']}")
        if m.get("blocks"):
            print(f"    blocks: {' + '.join(m['blocks'])}")
    return 0


def cmd_derive(args):
    from . import api
    if args.show_kernel:
        from .declaration import lookup
        decl = lookup(args.model)
        if not decl.derived:
            raise decl.not_derived()
        print(decl.generated_path.read_text())
        return 0
    if args.check:
        stale = api.check_derivations(args.model, force=args.force)
        bad = [str(p) for paths in stale.values() for p in paths]
        for name, paths in stale.items():
            print(f"{name}: " + ("stale: " + ", ".join(str(p) for p in paths) if paths
                                 else "up to date"))
        if bad:
            print("stored derivations or generated kernels are stale: run `memgen derive`",
                  file=sys.stderr)
            return 1
        return 0
    for name, paths in api.derive(args.model).items():
        print(f"{name}: " + ("wrote " + ", ".join(str(p) for p in paths) if paths
                             else "unchanged"))
    return 0


def cmd_solve(args):
    from . import api
    opts = {"method": args.method, "mixing": args.mixing, "tol": args.tol,
            "trace": args.trace}
    r = api.solve(args.model, _params(args, "solve"), **opts)
    _print_result(r, args.json)
    if args.trace and not args.json:
        print("  trace (fixed-point residual per iteration): "
              + " ".join(f"{x:.2e}" for x in r.status.get("trace", [])))
    return 0 if r.converged else 1


def cmd_boundary(args):
    from . import api
    r = api.boundary(args.model, _params(args, "boundary"))
    _print_result(r, args.json)
    return 0 if r.converged else 1


_SWEEP_TABLE_ROWS = 10_000


def cmd_sweep(args):
    from . import api
    from .progress import Progress
    grids = [api.parse_grid(g) for g in args.grid or []]
    fixed = _model_sets(args, "sweep")
    api.check_input("sweep", args.model, fixed, grid=[n for n, _ in grids],
                    task="boundary" if args.boundary else "solve", out=args.out,
                    workers=args.workers, method=args.method, mixing=args.mixing, tol=args.tol)
    n_points = math.prod(len(v) for _, v in grids)
    # A table of more rows than anyone reads is not printed: with --out the records stay in the
    # file only (the sweep then holds one byte of state per point, not every record).
    collect = not args.out or args.json or n_points <= _SWEEP_TABLE_ROWS
    with Progress(0, f"sweep {args.model}") as bar:
        recs = api.sweep(args.model, grids, fixed, out=args.out, workers=args.workers,
                         task="boundary" if args.boundary else "solve", progress=bar,
                         method=args.method, mixing=args.mixing, tol=args.tol, collect=collect)
    if not collect:
        print(f"{recs['points']} points ({recs['computed']} computed now), "
              f"{recs['converged']} converged; records in {args.out}")
        return 0 if recs["converged"] == recs["points"] else 1
    if args.json:
        print(json.dumps(recs, allow_nan=False))
    else:
        names = [n for n, _ in grids]
        obs = sorted({k for r in recs for k in r["observables"]})
        ops = sorted({k for r in recs for k in r["order_params"]})
        print("  ".join(f"{c:>12}" for c in names + ops + obs + ["converged"]))
        for r in recs:
            row = [r["params"][n] for n in names] + [r["order_params"].get(k) for k in ops] \
                + [r["observables"].get(k) for k in obs]
            print("  ".join(f"{_fmt(v) if v is not None else 'nan':>12}" for v in row)
                  + f"  {r['status']['converged']!s:>12}")
    if args.out:
        print(f"results in {args.out}", file=sys.stderr)
    return 0 if all(r["status"]["converged"] for r in recs) else 1


def cmd_simulate(args):
    from . import api
    r = api.simulate(args.model, _params(args, "simulate"), N=args.N, instances=args.instances,
                     seed=args.seed)
    print(json.dumps(r["record"], allow_nan=False) if args.json else r["table"])
    return 0


def cmd_verify(args):
    from . import api
    from .progress import Progress
    from .params import check_ladder
    Ns = check_ladder(args.ladder, "--ladder") if args.ladder is not None else None
    with Progress(0, f"verify {args.model}") as bar:
        r = api.verify(args.model, _params(args, "verify"), Ns=Ns, instances=args.instances,
                       seed=args.seed, workers=args.workers, out_dir=args.out_dir,
                       quick=args.quick, progress=bar)
    if args.json:
        print(json.dumps(r["record"], allow_nan=False))
    else:
        print(r["table"])
        print(f"figure: {r['figure']}\nresults: {r['path']}")
    return 0 if r["passed"] else 1


def cmd_optimize(args):
    from . import api
    bounds = None
    if args.range is not None:
        parts = args.range.split(":")
        try:
            bounds = tuple(float(x) for x in parts)
        except ValueError:
            bounds = ()
        if len(bounds) != 2:
            raise InputError(f"malformed --range '{args.range}': expected LO:HI (two numbers)")
    r = api.optimize(args.model, _model_sets(args, "solve"), minimize=args.minimize, over=args.over,
                     bounds=bounds)
    if args.json:
        print(json.dumps(r, allow_nan=False))
    else:
        print(f"{r['model']}: minimize {r['minimize']} over {r['over']} in "
              f"[{r['range'][0]:g}, {r['range'][1]:g}]"
              + (" (log scale)" if r["log_search"] else ""))
        print(f"  argmin {r['over']} = {_fmt(r['argmin'])}, {r['minimize']} = "
              f"{_fmt(r['minimum'])}  ({r['evaluations']} solves)")
        obs = r["solution"]["observables"]
        print("  there:  " + ", ".join(f"{k}={_fmt(v)}" for k, v in obs.items()))
        if r["unconverged_points"]:
            print(f"  {len(r['unconverged_points'])} points did not converge (treated as +inf)")
        if r["message"]:
            print(f"  message: {r['message']}")
    return 0 if r["converged"] else 1


def _number(option, text):
    try:
        v = float(text)
    except ValueError:
        raise InputError(f"malformed {option} '{text}': not a number") from None
    if not math.isfinite(v):
        raise InputError(f"malformed {option} '{text}': not a finite number")
    return v


# Verbs of the models' own (declaration ``cli_verbs``) use these: the --set parser and numbers.
parse_sets, parse_number = _parse_sets, _number


def cmd_plot(args):
    """Inputs in this order, all before any solve: --out, --sweep (or MODEL), --set, --x."""
    from . import api, plotting
    from .params import check_output_file
    out = check_output_file(args.out, "--out")
    y = args.y.split(",") if args.y else None
    if args.sweep:
        print(f"figure: {plotting.plot_sweep(args.sweep, out, x=args.x, y=y)}")
        return 0
    if not args.model:
        raise InputError("plot needs MODEL and --x NAME=START:STOP:NUM (or --sweep FILE)")
    fixed = _with_cli_options(args, "plot", _model_sets(args, "solve"))
    m = api.model(args.model)
    if not args.x and hasattr(m, "figures"):
        # Models with their own figures (a model's ``figures(params, out_dir)``).
        api.check_input("solve", args.model, fixed)
        paths = m.figures(fixed, out_dir=str(out.parent))
        print(f"figure: {', '.join(map(str, paths))}")
        return 0
    if not args.x:
        raise InputError("plot needs MODEL and --x NAME=START:STOP:NUM (or --sweep FILE)")
    name, values = api.parse_grid(args.x)
    c = api.continuation(args.model, name, values, fixed, both=False)
    recs = [r.to_dict() for r in c.forward.results]
    path = plotting.plot_curves(recs, name, y or list(m.order_names) + list(m.declaration.plot_y),
                                out, plotting.title(args.model, fixed))
    print(f"figure: {path}")
    return 0


def cmd_cache(args):
    from . import kernels
    if args.action == "clear":
        print(f"removed {kernels.clear()}")
    else:
        root = kernels.cache_root()
        entries = sorted(p.name for p in root.iterdir()) if root.exists() else []
        print(f"cache: {root}\n" + "\n".join(f"  {e}" for e in entries))
    return 0


def _boundaries() -> dict:
    from .declaration import declarations
    return {n: d for n, d in declarations().items() if d.boundary is not None}


def _model_verbs() -> list:
    """The modules adding the models' own verbs, once each (numerics.declaration ``cli_verbs``:
    light modules with ``add_parser(subparsers, limits)``)."""
    import importlib

    from .declaration import declarations
    names = dict.fromkeys(m for d in declarations().values() for m in d.cli_verbs)
    return [importlib.import_module(m) for m in names]


class _Parser(argparse.ArgumentParser):
    """argparse with the one-line error contract: a usage error raises InputError (printed by
    main as one line, exit 2) instead of printing the usage block. --help is unchanged."""

    def error(self, message):
        raise InputError(f"{message} (see `{self.prog} --help`)")


# Verb options parsed by their declarations (numerics.params.OPTIONS): argparse keeps the text,
# main() checks it, so every bad value gets the same one-line message naming the option.
_OPTION_FLAGS = ("N", "instances", "seed", "workers", "tol", "mixing")


def build_parser():
    p = _Parser(prog="memgen", description="memgenkit: derive, solve and verify "
                                "replica theories of memorization and generalization")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("list", help="list models and their parameters").set_defaults(func=cmd_list)

    d = sub.add_parser("derive", help="derive equations and generate kernels (needs sympy)")
    d.add_argument("model", nargs="?")
    d.add_argument("--check", action="store_true",
                   help="exit 1 if stored derivations or kernels are stale")
    d.add_argument("--force", action="store_true",
                   help="with --check: re-derive even where the last check's stamp still holds")
    d.add_argument("--show-kernel", action="store_true", help="print the generated kernel source")
    d.set_defaults(func=cmd_derive)

    def limits(sp):
        sp.add_argument("--max-memory", metavar="SIZE", help="refuse sizes whose estimated "
                        "memory exceeds SIZE, e.g. 4G (default: MEMGEN_MAX_MEMORY, else the "
                        "memory available now)")
        sp.add_argument("--max-time", metavar="DURATION", help="refuse sizes whose estimated "
                        "time exceeds DURATION, e.g. 12h (default: MEMGEN_MAX_TIME, else 24h)")

    def common(sp, solve_opts=True):
        limits(sp)
        sp.add_argument("model")
        sp.add_argument("--set", action="extend", nargs="+", metavar="NAME=VALUE",
                        help="parameter values, e.g. --set NAME=1.5 OTHER=0.2 (`memgen list` "
                             "shows each model's)")
        sp.add_argument("--json", action="store_true", help="print one JSON object")
        if solve_opts:
            sp.add_argument("--method", default="hybrid",
                            help="hybrid | newton | anderson | fixed-point")
            sp.add_argument("--mixing", default=0.5,
                            help="weight on the new iterate in damped iterations, in (0, 1] "
                                 "(default 0.5)")
            sp.add_argument("--tol", default=1e-12, help="residual tolerance, in (0, 1) "
                            "(default 1e-12)")

    def model_opts(sp, verb):
        """The flags the models declare for ``verb`` (declaration ``cli_options``)."""
        for flag, (opt, names) in _cli_options(verb).items():
            sp.add_argument(flag, metavar=opt.metavar, dest=_dest(flag),
                            help=f"{', '.join(names)}: {opt.help}")

    s = sub.add_parser("solve", help="solve the saddle-point equations")
    common(s)
    model_opts(s, "solve")
    s.add_argument("--trace", action="store_true", help="print the residual per iteration")
    s.set_defaults(func=cmd_solve)

    b = sub.add_parser("boundary", help="phase boundary: the critical value of the model's "
                       "boundary variable (" + ", ".join(f"{n}: {d.boundary}" for n, d in
                                                         _boundaries().items()) + ")")
    common(b, solve_opts=False)
    model_opts(b, "boundary")
    b.set_defaults(func=cmd_boundary)

    w = sub.add_parser("sweep", help="resumable grid sweep")
    common(w)
    w.add_argument("--grid", action="append", metavar="NAME=START:STOP:NUM")
    w.add_argument("--workers", default=1, help="worker processes, 1 to the number of CPU cores")
    w.add_argument("--out", help="JSON-lines file; rerunning the same sweep resumes it")
    w.add_argument("--boundary", action="store_true",
                   help="sweep the phase boundary instead of the saddle point")
    w.set_defaults(func=cmd_sweep)

    m = sub.add_parser("simulate", help="sample finite-N instances and measure")
    common(m, solve_opts=False)
    model_opts(m, "simulate")
    m.add_argument("--N", default=100)
    m.add_argument("--instances", default=50)
    m.add_argument("--seed", default=0, help="random seed, an integer in [0, 2^32 - 1]")
    m.set_defaults(func=cmd_simulate)

    v = sub.add_parser("verify", help="theory against finite-N simulation, with a verdict")
    common(v, solve_opts=False)
    model_opts(v, "verify")
    v.add_argument("--ladder", help="comma-separated N values, e.g. 50,100,200,400")
    v.add_argument("--instances", default=None, help="instances per size (>= 1; default: the "
                   "model's)")
    v.add_argument("--seed", default=0, help="random seed, an integer in [0, 2^32 - 1]")
    v.add_argument("--workers", default=1, help="worker processes, 1 to the number of CPU cores")
    v.add_argument("--out-dir", default="memgen-out")
    v.add_argument("--quick", action="store_true", help="small ladder (seconds, for tests)")
    v.set_defaults(func=cmd_verify)

    o = sub.add_parser("optimize", help="minimize an observable over one parameter")
    common(o, solve_opts=False)
    o.add_argument("--minimize", required=True, metavar="OBSERVABLE")
    o.add_argument("--over", required=True, metavar="PARAM")
    o.add_argument("--range", metavar="LO:HI", help="search range (default: declared range, "
                   "positive parameters searched in log scale on [1e-4, 1e2])")
    o.set_defaults(func=cmd_optimize)

    # verbs of the models' own (declaration ``cli_verbs``), e.g. a family's studies
    for module in _model_verbs():
        module.add_parser(sub, limits)

    pl = sub.add_parser("plot", help="plot theory curves along a parameter, or a sweep file")
    pl.add_argument("model", nargs="?")
    pl.add_argument("--set", action="extend", nargs="+", metavar="NAME=VALUE")
    pl.add_argument("--x", help="NAME=START:STOP:NUM, the parameter on the horizontal axis")
    pl.add_argument("--y", default=None, help="comma-separated quantities to plot")
    pl.add_argument("--sweep", help="plot a sweep file instead of solving")
    pl.add_argument("--out", default="memgen-plot.png",
                    help="figure file (models with their own figures write next to it)")
    model_opts(pl, "plot")
    limits(pl)
    pl.set_defaults(func=cmd_plot)

    c = sub.add_parser("cache", help="compiled-kernel cache")
    c.add_argument("action", choices=["clear", "info"])
    c.set_defaults(func=cmd_cache)
    return p


def _parser():
    # Built once per set of declared models (about 10 ms): main() is called in-process by tests
    # and notebooks, and a user model (MEMGEN_MODEL_PATH) may add flags and verbs.
    from .declaration import declarations
    return _parser_for(tuple((n, str(d.source)) for n, d in declarations().items()))


@functools.lru_cache(maxsize=4)
def _parser_for(declared):
    return build_parser()


def main(argv=None):
    from . import resources
    from .params import check_option
    try:
        args = _parser().parse_args(argv)  # the parser reads the declarations (user models too)
        for name in _OPTION_FLAGS:
            if isinstance(getattr(args, name, None), str):
                setattr(args, name, check_option(name, getattr(args, name), f"--{name}"))
        # process-wide limits for this command only (main may be called repeatedly, e.g. in tests)
        resources.set_max_memory(resources.parse_size(args.max_memory)
                                 if getattr(args, "max_memory", None) else None)
        resources.set_max_seconds(resources.parse_duration(args.max_time)
                                  if getattr(args, "max_time", None) else None)
        resources.limit(), resources.time_limit()  # a malformed MEMGEN_MAX_* fails every verb
        return args.func(args)
    except InputError as e:
        print(f"memgen: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("memgen: interrupted (finished sweep points are kept in --out)", file=sys.stderr)
        return 130
    finally:
        resources.set_max_memory(None)
        resources.set_max_seconds(None)


if __name__ == "__main__":
    sys.exit(main())
