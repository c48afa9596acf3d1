"""The derivation record: named, checked steps and the kernels they produce.

A model's derivation is a sequence of named steps (ansatz, Gaussian integrals, replica limits,
asymptotic limits, differentiation, rearrangements). Every step carries the expressions it produced
and the result of the check that was run on it (symbolic identity, or agreement of mpmath
evaluations at sample points when sympy cannot take the step itself).

The record ends with *kernels*: named lists of expressions that the numerical layer compiles. A
kernel has inputs (the unknowns handed in as a vector ``x``) and the model's parameters (a vector
``p`` in the order of ``Derivation.parameters``). Quadrature hints (center, scale) tell the
generated code where an integrand varies on a short scale (scale > 0) or has a kink (scale 0).

A derivation may also end with *tables* of constants the numerical layer reads as plain numbers
(``Derivation.table``): named rows of real numbers, each a closed form or a high-precision
``Float`` (quadrature done here, in the theory, with its check in a step). Codegen evaluates every
entry to 30 digits and writes the nearest float64 (numerics/codegen.py, ``TABLES``).

Serialization: expressions are stored as sympy ``srepr`` strings, which round-trip exactly; the
content hash is the SHA-256 of the canonical JSON of everything except the hash itself.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from . import special_registry

FORMAT_VERSION = 1


def to_srepr(expr) -> str:
    return sp.srepr(sp.sympify(expr))


def from_srepr(text: str):
    namespace = {name: getattr(sp, name) for name in dir(sp) if not name.startswith("_")}
    namespace.update(special_registry.sympy_namespace())  # every registered special
    return eval(text, namespace)  # srepr output is a sympy constructor call by definition


@dataclass
class Check:
    """Outcome of verifying one derivation step."""

    method: str  # "symbolic" or "numeric"
    passed: bool
    detail: str
    max_error: float | None = None

    def to_dict(self):
        return {"method": self.method, "passed": self.passed, "detail": self.detail,
                "max_error": None if self.max_error is None else float(f"{self.max_error:.3g}")}


@dataclass
class Step:
    name: str
    description: str
    expressions: dict[str, Any]
    checks: list[Check] = field(default_factory=list)

    def to_dict(self):
        return {
            "name": self.name,
            "description": self.description,
            "expressions": {k: to_srepr(v) for k, v in self.expressions.items()},
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class Kernel:
    """A compiled function ``name(x, p, out)``: out[i] = outputs[i](x, p)."""

    name: str
    inputs: list[sp.Symbol]
    outputs: list[tuple[str, Any]]
    description: str = ""
    hints: list[tuple[Any, Any]] = field(default_factory=list)

    def to_dict(self):
        return {
            "name": self.name,
            "description": self.description,
            "inputs": [to_srepr(s) for s in self.inputs],
            "outputs": [[n, to_srepr(e)] for n, e in self.outputs],
            "hints": [[to_srepr(c), to_srepr(s)] for c, s in self.hints],
        }


@dataclass
class Table:
    """Named rows of constants: ``rows[key]`` holds one real number per entry of ``columns``."""

    name: str
    columns: list[str]
    rows: dict[str, list[Any]]
    description: str = ""

    def to_dict(self):
        return {"name": self.name, "description": self.description,
                "columns": list(self.columns),
                "rows": {k: [to_srepr(v) for v in vals] for k, vals in self.rows.items()}}


@dataclass
class Parameter:
    """A model parameter with its allowed range; ``lower``/``upper`` may be None (unbounded)."""

    symbol: sp.Symbol
    lower: float | None
    upper: float | None
    lower_open: bool = False
    upper_open: bool = False
    default: float | None = None
    description: str = ""

    def to_dict(self):
        return {"symbol": to_srepr(self.symbol), "lower": self.lower, "upper": self.upper,
                "lower_open": self.lower_open, "upper_open": self.upper_open,
                "default": self.default, "description": self.description}


class DerivationError(RuntimeError):
    """A derivation step failed its check."""


@dataclass
class Derivation:
    model: str
    title: str
    conventions: str
    parameters: list[Parameter]
    order_parameters: list[sp.Symbol]
    steps: list[Step] = field(default_factory=list)
    kernels: list[Kernel] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def step(self, name, description, checks=(), **expressions):
        """Record a step; a failed check aborts the derivation (nothing stale gets stored)."""
        checks = list(checks)
        for c in checks:
            if not c.passed:
                raise DerivationError(f"{self.model}: step '{name}' failed its check: {c.detail}")
        self.steps.append(Step(name, description, expressions, checks))
        return expressions

    def kernel(self, name, inputs, outputs, description="", hints=()):
        """Declare a compiled function; ``hints`` are (center, scale) pairs for its quadrature."""
        self.kernels.append(Kernel(name, list(inputs), list(outputs), description, list(hints)))

    def table(self, name, columns, rows, description=""):
        """Declare a table of constants for the numerical layer: ``rows`` maps a key to one real
        number per column, each a closed form or a ``Float`` (no unevaluated integral: the
        theory evaluates, and checks, what has no closed form)."""
        columns = list(columns)
        clean = {}
        for key, vals in rows.items():
            vals = [sp.sympify(v) for v in vals]
            if len(vals) != len(columns):
                raise ValueError(f"table {name!r}, row {key!r}: {len(vals)} values for "
                                 f"{len(columns)} columns")
            for v in vals:
                if not v.is_number or v.has(sp.Integral) or not v.is_real:
                    raise ValueError(f"table {name!r}, row {key!r}: {v} is not a real number in "
                                     "closed form")
            clean[str(key)] = vals
        self.tables.append(Table(name, columns, clean, description))

    def content(self) -> dict:
        out = self._content()
        if self.tables:  # only derivations with tables carry the key (the others' hashes stay)
            out["tables"] = [t.to_dict() for t in self.tables]
        return out

    def _content(self) -> dict:
        return {
            "format": FORMAT_VERSION,
            "model": self.model,
            "title": self.title,
            "conventions": self.conventions,
            "parameters": [p.to_dict() for p in self.parameters],
            "order_parameters": [to_srepr(s) for s in self.order_parameters],
            "steps": [s.to_dict() for s in self.steps],
            "kernels": [k.to_dict() for k in self.kernels],
            "metadata": self.metadata,
        }

    def to_json(self) -> str:
        content = self.content()
        content["hash"] = content_hash(content)
        return json.dumps(content, indent=1, sort_keys=True) + "\n"

    def to_markdown(self) -> str:
        h = content_hash(self.content())
        lines = [f"# {self.title}", "", f"Model `{self.model}`; derivation hash `{h}`.", "",
                 "Generated by `memgen derive`; do not edit.", "", "## Conventions", "",
                 self.conventions, "", "## Parameters", ""]
        for p in self.parameters:
            lo = "-inf" if p.lower is None else p.lower
            hi = "inf" if p.upper is None else p.upper
            lb = "(" if p.lower_open or p.lower is None else "["
            rb = ")" if p.upper_open or p.upper is None else "]"
            lines.append(f"- ${sp.latex(p.symbol)}$ in {lb}{lo}, {hi}{rb}: {p.description}")
        lines += ["", "## Steps", ""]
        for i, s in enumerate(self.steps, 1):
            lines += [f"### {i}. {s.name}", "", s.description, ""]
            for k, v in s.expressions.items():
                lines += [f"$$ {sp.latex(sp.Symbol(k))} = {sp.latex(v)} $$", ""]
            for c in s.checks:
                status = "passed" if c.passed else "FAILED"
                err = "" if c.max_error is None else f" (max error {c.max_error:.3g})"
                lines.append(f"- check ({c.method}): {status}{err}: {c.detail}")
            lines.append("")
        lines += ["## Kernels", ""]
        for k in self.kernels:
            ins = ", ".join(f"${sp.latex(s)}$" for s in k.inputs)
            lines += [f"### `{k.name}`({ins})", "", k.description, ""]
            for n, e in k.outputs:
                name = n.replace("_", r"\_")
                lines += [f"$$ \\mathrm{{{name}}} = {sp.latex(e)} $$", ""]
        if self.tables:
            lines += ["## Tables", ""]
        for t in self.tables:
            lines += [f"### `{t.name}`", "", t.description, "",
                      "| | " + " | ".join(t.columns) + " |",
                      "|---" * (len(t.columns) + 1) + "|"]
            for key, vals in t.rows.items():
                lines.append(f"| {key} | " + " | ".join(f"${sp.latex(v)}$" for v in vals) + " |")
            lines.append("")
        return "\n".join(lines) + "\n"


def content_hash(content: dict) -> str:
    payload = {k: v for k, v in content.items() if k != "hash"}
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def load_json(text: str) -> dict:
    """Parse a stored derivation and rebuild its sympy objects (round trip of srepr)."""
    raw = json.loads(text)
    out = dict(raw)
    out["order_parameters"] = [from_srepr(s) for s in raw["order_parameters"]]
    out["parameters"] = [dict(p, symbol=from_srepr(p["symbol"])) for p in raw["parameters"]]
    out["kernels"] = [
        {"name": k["name"], "description": k["description"],
         "inputs": [from_srepr(s) for s in k["inputs"]],
         "outputs": [(n, from_srepr(e)) for n, e in k["outputs"]],
         "hints": [(from_srepr(c), from_srepr(s)) for c, s in k["hints"]]}
        for k in raw["kernels"]
    ]
    out["tables"] = [dict(t, rows={k: [from_srepr(v) for v in vals]
                                   for k, vals in t["rows"].items()})
                     for t in raw.get("tables", [])]
    out["steps"] = [dict(s, expressions={n: from_srepr(e) for n, e in s["expressions"].items()})
                    for s in raw["steps"]]
    return out
