"""What a computation will cost, decided before it starts.

Every model states the cost of its sizes as formulas (``SaddlePointModel.cost``): peak memory in
bytes and a rough wall time on one core. The API compares the memory estimate with the limit
before any work is done and refuses with one line (``ResourceError``, an ``InputError``: exit 2 on
the command line) naming the size, the estimate and the limit.

The limit is, in order: ``set_max_memory`` (the CLI's ``--max-memory``), the environment variable
``MEMGEN_MAX_MEMORY``, or the memory available now (``MemAvailable`` on Linux, else physical
memory). Sizes are written like ``512M``, ``8G``, ``1.5GiB`` or plain bytes.

Time is checked too, against a much looser limit: the time estimates are rough (constants
calibrated at small sizes on a loaded 2-core machine, good to a factor of a few), so they only
refuse the absurd, e.g. an O(n^3) factorization that would take weeks. The time limit is
``set_max_seconds`` (the CLI's ``--max-time``), else ``MEMGEN_MAX_TIME``, else ``MAX_SECONDS``
(24 h). Durations are written like ``90s``, ``30m``, ``12h``, ``7d`` or plain seconds.

Memory estimates are peaks of the process's resident memory (numpy arrays, the LP/QP solvers'
copies, temporaries), checked against measurements in tests/numerics/test_resources.py.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from .errors import InputError


@dataclass(frozen=True)
class Cost:
    """Estimated peak memory (bytes) and wall time (seconds, one core) of one computation.

    ``detail`` is the formula in words, e.g. ``"8 n^2 bytes for the n x n margin matrix"``; it is
    printed when the estimate is refused, so the user sees which size to lower."""
    memory: float
    seconds: float = 0.0
    detail: str = ""

    def __add__(self, other: "Cost") -> "Cost":
        if other is None:
            return self
        detail = "; ".join(d for d in (self.detail, other.detail) if d)
        return Cost(self.memory + other.memory, self.seconds + other.seconds, detail)


class ResourceError(InputError):
    """A size whose estimated cost exceeds the memory limit."""


_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9,
          "t": 1e12, "tb": 1e12, "kib": 2.0 ** 10, "mib": 2.0 ** 20, "gib": 2.0 ** 30,
          "tib": 2.0 ** 40}

_max_memory: float | None = None
_max_seconds: float | None = None
MAX_SECONDS = 24 * 3600.0  # default time limit: refuse only what would run for more than a day
_DURATIONS = {"": 1.0, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


def parse_size(text, option: str = "--max-memory") -> float:
    """Bytes from ``"8G"``, ``"512MiB"``, ``"1e9"``; InputError naming ``option`` otherwise."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*([A-Za-z]*)\s*", str(text))
    unit = m.group(2).lower() if m else None
    try:
        value = float(m.group(1)) * _UNITS[unit] if m else math.nan
    except (ValueError, KeyError):
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"malformed {option} '{text}': expected a positive finite size such as "
                         "512M, 8G or 2GiB")
    return value


def parse_duration(text, option: str = "--max-time") -> float:
    """Seconds from ``"90s"``, ``"30m"``, ``"12h"``, ``"7d"``, ``"3600"``; InputError otherwise."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+|inf)\s*([A-Za-z]*)\s*", str(text), re.IGNORECASE)
    try:
        value = float(m.group(1)) * _DURATIONS[m.group(2).lower()] if m else math.nan
    except (ValueError, KeyError):
        value = math.nan
    if not (value > 0):  # inf is allowed: no time limit
        raise InputError(f"malformed {option} '{text}': expected a positive duration such as "
                         "90s, 30m, 12h or 7d (or inf)")
    return value


def set_max_seconds(limit: float | None) -> None:
    """Set (seconds) or clear (None) the process-wide time limit."""
    global _max_seconds
    _max_seconds = None if limit is None else float(limit)


def time_limit() -> tuple[float, str]:
    """The time limit in seconds and where it comes from."""
    if _max_seconds is not None:
        return _max_seconds, "--max-time"
    env = os.environ.get("MEMGEN_MAX_TIME")
    if env:
        return parse_duration(env, "MEMGEN_MAX_TIME"), "MEMGEN_MAX_TIME"
    return MAX_SECONDS, "default"


def set_max_memory(limit: float | None) -> None:
    """Set (bytes) or clear (None) the process-wide memory limit."""
    global _max_memory
    _max_memory = None if limit is None else float(limit)


def available_memory() -> float:
    """Memory available to a new allocation now, in bytes."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return math.inf


def limit() -> tuple[float, str]:
    """The memory limit in bytes and where it comes from."""
    if _max_memory is not None:
        return _max_memory, "--max-memory"
    env = os.environ.get("MEMGEN_MAX_MEMORY")
    if env:
        return parse_size(env, "MEMGEN_MAX_MEMORY"), "MEMGEN_MAX_MEMORY"
    return available_memory(), "available memory"


def fmt_bytes(x: float) -> str:
    if not math.isfinite(x):
        return "unbounded"
    for unit, size in (("EiB", 2.0 ** 60), ("PiB", 2.0 ** 50), ("TiB", 2.0 ** 40), ("GiB", 2.0 ** 30), ("MiB", 2.0 ** 20),
                       ("KiB", 2.0 ** 10)):
        if x >= size:
            return f"{x / size:.3g} {unit}"
    return f"{x:.0f} B"


def fmt_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "unbounded"
    if s < 120:
        return f"{s:.3g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    if s < 2 * 86400:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} days"


def check(cost: Cost | None, what: str) -> None:
    """Refuse (ResourceError, one line) when ``cost.memory`` exceeds the memory limit or
    ``cost.seconds`` the time limit."""
    if cost is None:
        return
    detail = f" ({cost.detail})" if cost.detail else ""
    lim, source = limit()
    if cost.memory > lim or not math.isfinite(cost.memory):
        raise ResourceError(f"{what}: estimated memory {fmt_bytes(cost.memory)}{detail} exceeds "
                            f"the limit {fmt_bytes(lim)} ({source}); lower the size, or raise "
                            "--max-memory if the machine has more")
    tlim, tsource = time_limit()
    if cost.seconds > tlim or math.isnan(cost.seconds):
        raise ResourceError(f"{what}: estimated time {fmt_seconds(cost.seconds)}{detail} exceeds "
                            f"the limit {fmt_seconds(tlim)} ({tsource}); lower the size, or "
                            "raise --max-time (the estimate is rough: a few times either way)")


# -- composing estimates ----------------------------------------------------------------------
def sequential(costs, detail: str = "") -> Cost:
    """Steps run one after another, each freeing its memory: the largest peak, the summed time."""
    costs = [c for c in costs if c is not None]
    if not costs:
        return Cost(0.0, 0.0, detail)
    big = max(costs, key=lambda c: c.memory)
    return Cost(big.memory, sum(c.seconds for c in costs), detail or big.detail)


def repeated(cost: Cost, times: int, parallel: int = 1) -> Cost:
    """``times`` runs of one step, ``parallel`` of them at once (processes: memory adds up)."""
    par = max(1, min(int(parallel), int(times)))
    return Cost(cost.memory * par, cost.seconds * times / par, cost.detail)


def ladder(per_instance, Ns, instances: int, detail: str = "") -> Cost:
    """A size ladder run one size after another, ``instances`` instances at each, one at a
    time: ``per_instance(N)`` is the Cost of one instance at size N."""
    return sequential([repeated(per_instance(N), instances) for N in Ns], detail)


def sizes(value) -> str:
    """A number for messages: 10000000 -> '1e+07', 200 -> '200', 0.5 -> '0.5'."""
    v = float(value)
    if v != int(v):
        return f"{v:.6g}"
    return f"{v:.0f}" if abs(v) < 1e6 else f"{v:.3g}"


def run_sizes(verb: str, opts: dict, *, N: int, instances: int, verify_instances,
              simulation: str):
    """The system sizes and instance count a ``simulate`` or ``verify`` call runs, or None for
    any other verb. simulate: ``opts`` N and instances, else the defaults ``N``, ``instances``;
    verify: ``opts`` Ns, else the QUICK_LADDER / DEFAULT_LADDER of the module
    ``memgenkit.numerics.simulation.<simulation>``, and ``verify_instances`` = (quick, full).
    The simulation module is imported only for verify: it can pull in scipy.stats (about 1 s),
    which a solve (its cost is asked for too) must not pay."""
    if verb == "simulate":
        return [int(opts.get("N") or N)], int(opts.get("instances") or instances)
    if verb != "verify":
        return None
    import importlib
    quick = bool(opts.get("quick"))
    Ns = opts.get("Ns")
    if not Ns:
        sim = importlib.import_module(f"memgenkit.numerics.simulation.{simulation}")
        Ns = sim.QUICK_LADDER if quick else sim.DEFAULT_LADDER
    return [int(x) for x in Ns], int(opts.get("instances") or verify_instances[0 if quick else 1])
