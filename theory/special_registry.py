"""The special functions and implicit operators that derivations may contain: the sympy side.

A special function (H, log H, the Gaussian ratio, a proximal operator, a spectral transform) is
one ``SpecialFunction`` record here and one record of the same ``name`` in
``memgenkit.numerics.special_registry`` (its numba side: accuracy domain, sampled pieces, error
bound, the file that enters the kernel cache key). The record is split across the two layers
because theory/ never imports numerics/ and the solve path never imports sympy; the shared name
joins them, and ``tests/theory/test_special_registry.py`` checks that the halves agree.

From this record

* ``derivation.from_srepr`` rebuilds the class from stored ``srepr`` strings (``name`` must be the
  class name, which is what ``srepr`` writes);
* ``evaluate.mp_function`` evaluates it with ``mpmath`` (the independent reference of every
  kernel);
* ``numerics.codegen`` prints it as ``numba(args...)`` and emits ``from module import numba``
  into the generated module (every module for ``always_import`` records, else only the modules
  whose kernels use it).

A record with ``numba=None`` has no compiled implementation: its class defines ``explicit()``
and a derivation lowers it before declaring kernels (codegen refuses it); its numerics record
still declares where the compiled explicit form is accurate.

Adding a special function: its sympy class (with ``fdiff``) and mpmath implementation in
theory/, a record below; its numba function in numerics/ and a record in
``numerics/special_registry.py``. ``register`` adds a record at run time (tests do, for a toy
function, without touching these files).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from . import gaussian, prox, spectra, spins


@dataclass(frozen=True)
class SpecialFunction:
    name: str  # the sympy class name: srepr strings and the numerics record use it
    cls: type  # the sympy Function subclass
    mpmath: Callable  # mpmath implementation, called with mpf arguments at the working precision
    numba: str | None = None  # name of the numba function generated kernels call
    module: str | None = None  # the module generated kernels import ``numba`` from
    always_import: bool = False  # imported by every generated module, used or not

    def __post_init__(self):
        if not (isinstance(self.cls, type) and issubclass(self.cls, sp.Function)):
            raise TypeError(f"{self.name}: cls must be a sympy Function subclass")
        if self.cls.__name__ != self.name:
            raise ValueError(f"{self.name}: the record name must be the class name "
                             f"{self.cls.__name__!r} (srepr writes the class name)")
        if (self.numba is None) != (self.module is None):
            raise ValueError(f"{self.name}: numba and module are given together or not at all")
        if self.numba is None and not hasattr(self.cls, "explicit"):
            raise ValueError(f"{self.name}: without a numba implementation the class must "
                             "define explicit() (derivations lower it before codegen)")


_NUMERICS = "memgenkit.numerics."

_RECORDS: dict[str, SpecialFunction] = {}


def register(record: SpecialFunction) -> SpecialFunction:
    """Add a record; a different record under a name already taken is an error."""
    old = _RECORDS.get(record.name)
    if old is not None and old != record:
        raise ValueError(f"special function {record.name!r} is already registered")
    _RECORDS[record.name] = record
    return record


def unregister(name: str) -> None:
    _RECORDS.pop(name)


def records() -> tuple[SpecialFunction, ...]:
    """All records, in registration order (codegen emits import lines in this order)."""
    return tuple(_RECORDS.values())


def get(name: str) -> SpecialFunction:
    return _RECORDS[name]


def record_of(expr) -> SpecialFunction | None:
    """The record of an applied special function (``H(x)``), or None when it is not one."""
    r = _RECORDS.get(type(expr).__name__)
    return r if r is not None and type(expr) is r.cls else None


def sympy_namespace() -> dict:
    """Class name -> class, for rebuilding stored srepr strings."""
    return {r.name: r.cls for r in _RECORDS.values()}


def mpmath_namespace() -> dict:
    """Class name -> mpmath implementation (``lambdify(..., modules=[this, "mpmath"])``)."""
    return {r.name: r.mpmath for r in _RECORDS.values()}


for _record in (
    SpecialFunction("Npdf", gaussian.Npdf, gaussian.mp_npdf, "npdf", _NUMERICS + "special",
                    always_import=True),
    SpecialFunction("H", gaussian.H, gaussian.mp_H, "H", _NUMERICS + "special",
                    always_import=True),
    SpecialFunction("LogH", gaussian.LogH, gaussian.mp_logH, "logH", _NUMERICS + "special",
                    always_import=True),
    SpecialFunction("GH", gaussian.GH, gaussian.mp_gh, "gh", _NUMERICS + "special",
                    always_import=True),
    SpecialFunction("LogCosh2", spins.LogCosh2, spins.mp_logcosh2, "logcosh2",
                    _NUMERICS + "special"),
    SpecialFunction("ProxLogistic", prox.ProxLogistic, prox._mp_prox_logistic,
                    "prox_logistic", _NUMERICS + "prox"),
    SpecialFunction("MoreauLogistic", prox.MoreauLogistic, prox._mp_moreau_logistic),
    SpecialFunction("MPStieltjes", spectra.MPStieltjes, spectra._mp_stieltjes),
    SpecialFunction("MPResolvent", spectra.MPResolvent, spectra._mp_resolvent),
):
    register(_record)
del _record
