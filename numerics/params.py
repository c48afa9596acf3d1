"""Model parameters: their declared ranges (read from the generated kernel module's source, so
validating input never needs numba or sympy) and validation of user values."""
from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from functools import lru_cache

from .errors import ParameterError, UnknownParameterError
from .kernels import GENERATED_DIR


@dataclass(frozen=True)
class ParamSpec:
    name: str
    lower: float | None
    upper: float | None
    lower_open: bool
    upper_open: bool
    default: float | None
    description: str

    def allowed(self) -> str:
        lb = "(" if self.lower_open or self.lower is None else "["
        rb = ")" if self.upper_open or self.upper is None else "]"
        lo = "-inf" if self.lower is None else f"{self.lower:g}"
        hi = "inf" if self.upper is None else f"{self.upper:g}"
        return f"{self.name} in {lb}{lo}, {hi}{rb}"

    def check(self, value) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParameterError(self.name, value, self.allowed()) from None
        if math.isnan(v):
            raise ParameterError(self.name, value, self.allowed())
        if self.lower is not None and (v < self.lower or (self.lower_open and v == self.lower)):
            raise ParameterError(self.name, value, self.allowed())
        if self.upper is not None and (v > self.upper or (self.upper_open and v == self.upper)):
            raise ParameterError(self.name, value, self.allowed())
        return v


@lru_cache(maxsize=None)
def param_specs(stem: str) -> tuple[ParamSpec, ...]:
    tree = ast.parse((GENERATED_DIR / f"{stem}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PARAMETERS":
            return tuple(ParamSpec(*row) for row in ast.literal_eval(node.value))
    raise RuntimeError(f"generated module {stem} declares no PARAMETERS")


def validate(model: str, stem: str, values: dict, extra: dict | None = None) -> dict:
    """Check names and ranges; fill defaults. ``extra``: model-level ParamSpecs not in kernels."""
    specs = {s.name: s for s in param_specs(stem)}
    specs.update(extra or {})
    for name in values:
        if name not in specs:
            raise UnknownParameterError(model, name, list(specs))
    out = {}
    for name, spec in specs.items():
        if name in values:
            out[name] = spec.check(values[name])
        elif spec.default is not None:
            out[name] = float(spec.default)
        else:
            raise ParameterError(name, None, spec.allowed() + " (required)")
    return out
