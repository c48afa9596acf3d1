"""Result records: what every solve, boundary and sweep point returns and writes.

A result carries the model, its parameters, order parameters, observables, solver status, the
derivation hash of the equations it solved, and the versions of the toolchain, so a file of
results can be traced to exactly what produced it.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


@dataclass
class Result:
    model: str
    params: dict
    order_params: dict
    observables: dict
    status: dict  # converged, iterations, residual, method, message
    derivation_hash: str
    versions: dict = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        return bool(self.status.get("converged"))

    def to_dict(self) -> dict:
        return _clean({"model": self.model, "params": self.params,
                       "order_params": self.order_params, "observables": self.observables,
                       "status": self.status, "derivation_hash": self.derivation_hash,
                       "versions": self.versions})

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), allow_nan=False, **kw)

    def __getitem__(self, key):
        for d in (self.order_params, self.observables, self.params):
            if key in d:
                return d[key]
        raise KeyError(key)
