"""Declared inputs and their one validation path.

* Model parameters: the kernel parameters come from ``PARAMETERS`` in the generated kernel
  module (read from its source, so validating input never needs numba or sympy); the model's
  declaration (numerics/declaration.py, ``params``; the model object's ``extra_params``) adds its
  own (new ``ParamSpec``s, and ``refine(...)`` to narrow a kernel parameter, e.g. to an integer
  with a maximum). ``declared_specs`` merges the two.
* Verb options (N, instances, seed, ladder, workers, tol, mixing, method, max_iter): ``OPTIONS``.
* Paths: ``check_output_file``, ``check_output_dir``, ``check_input_file``.

Conventions of a ``ParamSpec``: ``lower``/``upper`` None means unbounded, and then the infinite
value is refused (an infinite value is not a value); an infinite value is accepted only where it
is declared as a closed bound (``upper=math.inf, upper_open=False``: ti-krr's flow time t in
(0, inf], t = inf the converged flow). NaN is refused everywhere. Integers (``kind="integer"``)
need a finite ``upper``, their maximum. Categoricals (``kind="categorical"``) list their
``choices`` and also accept a choice's index (so a grid can sweep them). ``kind="text"``: a
string the model parses itself (ti-krr's exception list). ``default`` None: required, unless
``optional`` (then absent from the validated dict when not given). ``verbs``: None for the
model's own parameters; a tuple of verbs for options that only those verbs take through --set
(hopfield-snr's training options), which the model's ``validate`` does not accept.
"""
from __future__ import annotations

import ast
import math
import os
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

from .errors import InputError, ParameterError, UnknownParameterError

KINDS = ("real", "integer", "categorical", "text")


@dataclass(frozen=True)
class ParamSpec:
    name: str
    lower: float | None = None
    upper: float | None = None
    lower_open: bool = False
    upper_open: bool = False
    default: object = None
    description: str = ""
    kind: str = "real"
    choices: tuple = ()
    optional: bool = False
    verbs: tuple | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"ParamSpec {self.name}: kind {self.kind!r} not in {KINDS}")
        if self.kind == "integer" and (self.upper is None or not math.isfinite(self.upper)):
            raise ValueError(f"ParamSpec {self.name}: an integer needs a finite maximum (upper)")
        if self.kind == "categorical" and not self.choices:
            raise ValueError(f"ParamSpec {self.name}: a categorical needs its choices")

    @property
    def maximum(self):
        """Largest accepted integer (integers only)."""
        if self.kind != "integer":
            return None
        m = math.floor(self.upper)
        return m - 1 if self.upper_open and m == self.upper else m

    @property
    def minimum(self):
        """Smallest accepted integer (integers only; None: unbounded below)."""
        if self.kind != "integer" or self.lower is None:
            return None
        m = math.ceil(self.lower)
        return m + 1 if self.lower_open and m == self.lower else m

    def allowed(self) -> str:
        if self.kind == "categorical":
            return f"{self.name} in {{{', '.join(map(str, self.choices))}}}" + (
                f" ({self.description})" if self.description else "")
        if self.kind == "text":
            return f"{self.name}: {self.description}"
        if self.kind == "integer":
            lo = "-inf" if self.minimum is None else str(self.minimum)
            return f"{self.name} an integer in [{lo}, {self.maximum}]"
        lb = "(" if self.lower_open or self.lower is None else "["
        rb = ")" if self.upper_open or self.upper is None else "]"
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "inf" if self.upper is None else f"{self.upper:g}"
        return f"{self.name} in {lb}{lo}, {hi}{rb}"

    def _fail(self, value, reason, label):
        raise ParameterError(self.name, value, self.allowed(), reason=reason, label=label)

    def check(self, value, label: str | None = None):
        """The validated value (float, int or str by kind); ParameterError naming the parameter
        (or ``label``, e.g. "--tol") and what is allowed."""
        if self.kind == "text":
            if not isinstance(value, (str, list, tuple)):
                self._fail(value, "is not text", label)
            return value
        if self.kind == "categorical":
            if isinstance(value, str) and value in self.choices:
                return value
            try:
                f = float(value)
            except (TypeError, ValueError):
                self._fail(value, "is not one of the choices", label)
            if math.isfinite(f) and f == int(f) and 0 <= f < len(self.choices):
                return self.choices[int(f)]
            self._fail(value, "is not one of the choices", label)
        if isinstance(value, bool) or value is None:
            self._fail(value, "is not a number", label)
        if self.kind == "integer" and isinstance(value, int):
            v = value
        else:
            try:
                f = float(value)
            except (TypeError, ValueError):
                self._fail(value, "is not a number", label)
            except OverflowError:  # an int beyond the largest float
                self._fail(value, "is not a finite number", label)
            if math.isnan(f):
                self._fail(value, "is not a number", label)
            if math.isinf(f):
                closed_inf = (f > 0 and self.upper == math.inf and not self.upper_open) or \
                    (f < 0 and self.lower == -math.inf and not self.lower_open)
                if self.kind == "integer" or not closed_inf:
                    self._fail(value, "is not a finite number", label)
                return f
            if self.kind == "real":
                v = f
            else:
                if f != math.floor(f):
                    self._fail(value, "is not an integer", label)
                v = int(f)
        if self.kind == "integer":
            if (self.minimum is not None and v < self.minimum) or v > self.maximum:
                self._fail(value, "is out of range", label)
            return v
        if self.lower is not None and (v < self.lower or (self.lower_open and v == self.lower)):
            self._fail(value, "is out of range", label)
        if self.upper is not None and (v > self.upper or (self.upper_open and v == self.upper)):
            self._fail(value, "is out of range", label)
        return v

    def parse(self, text: str, label: str | None = None):
        """A value from command-line text, checked. Numbers for real and integer kinds (text that
        is not a number is refused naming the parameter), the text itself otherwise."""
        if self.kind in ("categorical", "text"):
            return self.check(text, label)
        try:
            value = int(text) if self.kind == "integer" and text.strip().lstrip("+-").isdigit() \
                else float(text)
        except ValueError:
            self._fail(text, "is not a number", label)
        return self.check(value, label)

    def describe(self) -> dict:
        """JSON-ready declaration (the API's list_models, printed by ``memgen list``)."""
        d = {"range": self.allowed(), "kind": self.kind, "default": self.default,
             "description": self.description}
        if self.kind == "integer":
            d["maximum"] = self.maximum
        if self.choices:
            d["choices"] = list(self.choices)
        if self.optional:
            d["optional"] = True
        if self.verbs is not None:
            d["verbs"] = list(self.verbs)
        return d


@dataclass(frozen=True)
class refine:  # noqa: N801 -- reads as a declaration: refine("n", kind="integer", upper=1e4)
    """In a model declaration's ``params``: the kernel parameter ``name`` with some fields changed
    (a kind, a maximum, a description). It may only narrow the kernel's declared range."""
    name: str
    changes: tuple

    def __init__(self, name, **changes):
        unknown = set(changes) - {f.name for f in fields(ParamSpec)}
        if unknown or "name" in changes:
            raise ValueError(f"refine({name}): unknown fields {sorted(unknown)}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "changes", tuple(sorted(changes.items())))


@lru_cache(maxsize=None)
def param_specs(stem: str) -> tuple[ParamSpec, ...]:
    """The kernel parameters declared in numerics/generated/<stem>.py (the order of the kernels'
    parameter vector)."""
    from .kernels import generated_path  # here: reading declarations needs no numpy
    tree = ast.parse(generated_path(stem).read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PARAMETERS":
            return tuple(ParamSpec(*row) for row in ast.literal_eval(node.value))
    raise RuntimeError(f"generated module {stem} declares no PARAMETERS")


def _narrower(new: ParamSpec, old: ParamSpec) -> bool:
    """Whether every value ``new`` accepts, ``old`` accepts too (at the two ends)."""
    integer = new.kind == "integer"
    lo, lo_open = (new.minimum, False) if integer else (new.lower, new.lower_open)
    hi, hi_open = (new.maximum, False) if integer else (new.upper, new.upper_open)
    lo_ok = old.lower is None or (lo is not None and (
        lo > old.lower or (lo == old.lower and (lo_open or not old.lower_open))))
    hi_ok = old.upper is None or (hi is not None and (
        hi < old.upper or (hi == old.upper and (hi_open or not old.upper_open))))
    return lo_ok and hi_ok


@lru_cache(maxsize=None)
def declared_specs(stem: str, extra: tuple = ()) -> tuple[ParamSpec, ...]:
    """Kernel parameters (refined where the model says so), then the model's own ones."""
    specs = {s.name: s for s in param_specs(stem)}
    for e in extra:
        if isinstance(e, refine):
            if e.name not in specs:
                raise RuntimeError(f"{stem}: refine({e.name}) names no kernel parameter")
            new = replace(specs[e.name], **dict(e.changes))
            if not _narrower(new, specs[e.name]):
                raise RuntimeError(f"{stem}: refine({e.name}) widens the kernel's range")
            specs[e.name] = new
        else:
            if e.name in specs:
                raise RuntimeError(f"{stem}: parameter {e.name} declared twice")
            specs[e.name] = e
    return tuple(specs.values())


def check_given(model: str, specs, values: dict, verb: str | None = None) -> dict:
    """Check only the values given (names known to ``verb``, each inside its declared domain),
    without defaults or the model's cross-parameter rules: the cheap check the command line and
    the API run before any kernel is loaded. Returns the checked values."""
    known = {s.name: s for s in specs if s.verbs is None or (verb is not None and verb in s.verbs)}
    out = {}
    for name, value in values.items():
        if name not in known:
            unknown_parameter(model, name, specs, known)
        out[name] = known[name].check(value)
    return out


def unknown_parameter(model: str, name: str, specs, known):
    """Raise for a parameter ``name`` the verb does not take (saying which verbs do, if any)."""
    for s in specs:
        if s.name == name and s.verbs:
            raise InputError(f"parameter '{name}' of model '{model}' is an option of "
                             f"{' and '.join(s.verbs)} only")
    raise UnknownParameterError(model, name, list(known))


def validate(model: str, specs, values: dict, extra: dict | None = None) -> dict:
    """Check names and declared domains; fill defaults (the model's own parameters only, i.e.
    specs with ``verbs`` None). ``extra``: name -> ParamSpec added (older call style)."""
    if isinstance(specs, str):  # validate(model, stem, values): the kernel parameters of stem
        specs = param_specs(specs)
    declared = tuple(specs)
    specs = {s.name: s for s in declared if s.verbs is None}
    specs.update(extra or {})
    for name in values:
        if name not in specs:
            unknown_parameter(model, name, declared, specs)
    out = {}
    for name, spec in specs.items():
        if name in values:
            out[name] = spec.check(values[name])
        elif spec.default is not None:
            out[name] = spec.check(spec.default)
        elif not spec.optional:
            raise ParameterError(name, None, spec.allowed(), reason="is required")
    return out


# -- verb options ------------------------------------------------------------------------------
# One declaration of the options the verbs take (CLI flags --N, --instances, ... and the API's
# keyword arguments). Sizes have maxima so that an overflowing value fails here, in one line,
# rather than deep in numpy. workers: at most the number of CPU cores.
SEED_MAX = 2 ** 32 - 1  # numpy's legacy seeding (np.random.seed, used inside kernels) limit
SIZE_MAX = 10 ** 7
SOLVE_METHODS = ("hybrid", "newton", "anderson", "fixed-point")


def _cores() -> int:
    return os.cpu_count() or 1


def option_spec(name: str, methods=None) -> ParamSpec:
    """The declared domain of verb option ``name`` (``methods``: a model's solve methods)."""
    if name == "workers":
        return ParamSpec("workers", 1, _cores(), default=1, kind="integer",
                         description=f"worker processes (1 to the {_cores()} CPU cores)")
    if name == "method":
        return ParamSpec("method", default="hybrid", kind="categorical",
                         choices=tuple(methods or SOLVE_METHODS), description="solver")
    return OPTIONS[name]


OPTIONS = {
    "N": ParamSpec("N", 1, SIZE_MAX, default=None, kind="integer",
                   description="system size of a simulation"),
    "instances": ParamSpec("instances", 1, 10 ** 6, kind="integer", optional=True,
                           description="sampled instances (seeds) per size"),
    "seed": ParamSpec("seed", 0, SEED_MAX, default=0, kind="integer",
                      description="random seed (same seed, same bytes)"),
    "ladder": ParamSpec("ladder", 1, SIZE_MAX, kind="integer",
                        description="each size N of the ladder"),
    "tol": ParamSpec("tol", 0.0, 1.0, True, True, 1e-12, "solver tolerance on the residual"),
    "mixing": ParamSpec("mixing", 0.0, 1.0, True, False, 0.5,
                        "weight on the new iterate in damped iterations"),
    "max_iter": ParamSpec("max_iter", 1, 10 ** 8, default=2000, kind="integer",
                          description="solver iteration limit"),
    "grid_points": ParamSpec("grid_points", 1, 10 ** 6, kind="integer",
                             description="points of one --grid axis"),
}
OPTIONS["workers"] = option_spec("workers")
OPTIONS["method"] = option_spec("method")


def check_option(name: str, value, label: str | None = None, methods=None):
    """The checked value of verb option ``name`` (None passes: the verb's default)."""
    if value is None:
        return None
    spec = option_spec(name, methods)
    label = label or f"option '{name}'"
    if isinstance(value, str) and spec.kind not in ("categorical", "text"):
        return spec.parse(value, label)
    return spec.check(value, label)


def check_ladder(values, label: str = "option 'ladder'") -> list[int] | None:
    """A ladder of sizes: a comma-separated string or a sequence of integers >= 1."""
    if values is None:
        return None
    spec = OPTIONS["ladder"]
    if isinstance(values, str):
        parts = [s.strip() for s in values.split(",")]
        if not all(parts):
            raise InputError(f"{label} = {values!r} is malformed: allowed comma-separated "
                             f"integers, each {spec.allowed()}")
        return [spec.parse(s, label) for s in parts]
    try:
        items = list(values)
    except TypeError:
        raise InputError(f"{label} = {values!r} is not a list of sizes: allowed "
                         f"{spec.allowed()} each") from None
    return [spec.check(x, label) for x in items]


# -- paths -------------------------------------------------------------------------------------
# Checked before any work starts, and never created above the final component: a path whose
# parent does not exist is refused (a typo must not grow a tree of directories).
def _writable_dir(d: Path) -> bool:
    return os.access(d, os.W_OK | os.X_OK)


def check_output_file(path, option: str = "--out") -> Path:
    p = Path(path)
    if str(path) == "" or p.name in ("", ".", ".."):
        raise InputError(f"{option} '{path}' is not a file name")
    if p.exists() and not p.is_file():
        raise InputError(f"{option} '{path}' exists and is not a file (a directory?): give a file "
                         "path")
    parent = p.parent
    if not parent.is_dir():
        raise InputError(f"{option} '{path}': folder '{parent}' does not exist (it is not created:"
                         " make it first)")
    if not _writable_dir(parent) or (p.exists() and not os.access(p, os.W_OK)):
        raise InputError(f"{option} '{path}' is not writable")
    return p


def check_output_dir(path, option: str = "--out-dir") -> Path:
    p = Path(path)
    if str(path) == "":
        raise InputError(f"{option} '': give a folder")
    if p.exists():
        if not p.is_dir():
            raise InputError(f"{option} '{path}' exists and is not a folder")
        if not _writable_dir(p):
            raise InputError(f"{option} '{path}' is not writable")
        return p
    parent = p.parent
    if not parent.is_dir():
        raise InputError(f"{option} '{path}': its parent '{parent}' does not exist (only the last "
                         "folder is created: make the parent first)")
    if not _writable_dir(parent):
        raise InputError(f"{option} '{path}': parent '{parent}' is not writable")
    return p


def check_input_file(path, option: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"{option} '{path}' does not exist")
    if not p.is_file():
        raise InputError(f"{option} '{path}' is not a file")
    if not os.access(p, os.R_OK):
        raise InputError(f"{option} '{path}' is not readable")
    return p
