"""``memgen study frontier|rates|phase|learners``: the command line over studies/raf_erm.py.

Declared by raf-erm (numerics/declarations/raf_erm.py, ``cli_verbs``) and added to the command
line by cli.py generically, as ``add_parser(subparsers, limits)``. Kept light: the study module
(which imports the API and numpy) is imported only when the verb runs.
"""
from __future__ import annotations

import json
import sys

from ..errors import InputError

# --set names each study takes (grids have their own options).
_STUDY_SETS = {"frontier": ("alpha", "eps"), "rates": ("eps", "lam"), "phase": ("lam",)}
# option -> studies it applies to
_STUDY_OPTIONS = {"lam": ("frontier",), "alpha": ("rates", "phase"), "eps": ("phase",),
                  "mem_threshold": ("phase",), "gen_gap": ("phase",)}


def cmd_study(args):
    from ..cli import parse_number as _number, parse_sets as _parse_sets
    from ..progress import Progress
    from . import raf_erm as S
    if args.study == "learners":
        for label, (model, params) in S.LEARNERS.items():
            print(f"{label:<28} {model} " + ", ".join(f"{k}={v}" for k, v in params.items()))
        print("or inline: MODEL:name=value,... (e.g. raf-erm:loss=hinge,mu1=0.8,mustar=0.4)")
        return 0
    for opt, studies in _STUDY_OPTIONS.items():
        if getattr(args, opt) is not None and args.study not in studies:
            flag = "--" + opt.replace("_", "-")
            hint = (f"; {args.study} takes --set {opt}=VALUE" if opt in _STUDY_SETS[args.study]
                    else "")
            raise InputError(f"{flag} applies to study {' and '.join(studies)}, not "
                             f"{args.study}{hint}")
    from ..params import check_output_dir
    check_output_dir(args.out, "--out")
    sets = _parse_sets(args.set)
    for k in sets:
        if k not in _STUDY_SETS[args.study]:
            raise InputError(f"study {args.study}: --set {k} is not one of its parameters "
                             f"({', '.join(_STUDY_SETS[args.study])}); learner parameters go in "
                             "--learner MODEL:name=value,...")
    with Progress(0, f"study {args.study}") as bar:
        if args.study == "frontier":
            rec = S.frontier(lams=args.lam, learners=args.learner, progress=bar, **sets)
        elif args.study == "rates":
            rec = S.rates(alphas=args.alpha, learners=args.learner, progress=bar, **sets)
        else:
            if args.learner and len(args.learner) > 1:
                raise InputError(f"phase takes one --learner, got {len(args.learner)}")
            rec = S.phase(learner=args.learner[0] if args.learner else None, alphas=args.alpha,
                          epss=args.eps, progress=bar,
                          mem_threshold=(0.05 if args.mem_threshold is None else
                                         _number("--mem-threshold", args.mem_threshold)),
                          gen_gap=(0.02 if args.gen_gap is None else
                                   _number("--gen-gap", args.gen_gap)), **sets)
    files = S.write(rec, args.out)
    if args.json:
        print(json.dumps({**rec, "files": files}, allow_nan=False))
    else:
        print(S.table(rec))
        print(f"figure: {files['figure']}\ndata: {files['data']}")
    empty = S.unconverged_curves(rec)
    if empty:
        print(f"memgen: no converged point for: {', '.join(empty)}", file=sys.stderr)
    return 1 if empty else 0


def add_parser(sub, limits):
    """Add ``study`` to the command line's subparsers (``limits``: adds --max-memory/--max-time)."""
    st = sub.add_parser("study", help="Rules-and-Facts studies: trade-off frontier, large-alpha "
                        "rates, (alpha, eps) phase diagram (figure + JSON in --out)")
    st.add_argument("study", choices=["frontier", "rates", "phase", "learners"],
                    help="learners: list the --learner names")
    st.add_argument("--set", action="extend", nargs="+", metavar="NAME=VALUE",
                    help="frontier: alpha, eps (default 2, 0.2); rates: eps (default 0.2), lam "
                         "(default: eps_gen-optimal lam at each alpha); phase: lam (same default)")
    st.add_argument("--learner", action="append", metavar="NAME",
                    help="a learner label (see `memgen study learners`) or MODEL:name=value,...; "
                         "repeat for several (frontier default: all; rates: ridge, hinge, kernel "
                         "ridge relu; phase: one, default kernel ridge relu)")
    st.add_argument("--lam", metavar="LO:HI:NUM|v1,...",
                    help="frontier: the lam values, log-spaced (default 1e-4:1e2:61)")
    st.add_argument("--alpha", metavar="LO:HI:NUM|v1,...",
                    help="rates: alpha values, log-spaced (default 100:3162:7); phase: alpha grid, "
                         "linear (default 0.5:6:12)")
    st.add_argument("--eps", metavar="LO:HI:NUM|v1,...",
                    help="phase: eps grid, linear (default 0.05:0.6:12)")
    st.add_argument("--mem-threshold", metavar="X",
                    help="phase: facts memorized when eps_mem < X (default 0.05)")
    st.add_argument("--gen-gap", metavar="X",
                    help="phase: rule generalized when eps_gen - Bayes eps_gen <= X (default 0.02)")
    st.add_argument("--out", default="memgen-out", help="folder for the JSON and the figure")
    st.add_argument("--json", action="store_true", help="print the record as one JSON object")
    limits(st)
    st.set_defaults(func=cmd_study)
