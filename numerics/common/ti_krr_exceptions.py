"""ti-krr's ``exceptions`` parameter "a>b,..." (item a beats the higher item b): parsing.

Shared by models/ti_krr.py and simulation/ti_krr.py (see numerics/common/__init__.py).
"""
from __future__ import annotations

from ..errors import InputError


def split_pairs(spec: str, sep: str, malformed) -> list[tuple[int, int]]:
    """'a<sep>b,c<sep>d' -> [(a, b), (c, d)] as integers; ``malformed(part)`` is the message of
    the InputError for a part that is not two integers around one ``sep``."""
    items = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        bits = part.split(sep)
        try:
            if len(bits) != 2:
                raise ValueError
            items.append((int(bits[0]), int(bits[1])))
        except ValueError:
            raise InputError(malformed(part)) from None
    return items


def parse_exceptions(spec, n: int | None = None) -> list[tuple[int, int]]:
    """'6>4,9>5' (or [(6, 4), (9, 5)]) -> [(6, 4), (9, 5)]: item a beats the higher item b."""
    if spec is None or spec == "" or spec == []:
        return []
    items = split_pairs(spec, ">", lambda part: (
        f"malformed exception '{part}': expected a>b with integer items (item a beats the "
        "higher item b, a >= b + 2), e.g. --exceptions 6>4,9>5")) if isinstance(spec, str) \
        else spec
    out = []
    for a, b in items:
        a, b = int(a), int(b)
        if a < b + 2:
            raise InputError(f"exception '{a}>{b}' is not an exception: need a >= b + 2 (the "
                             "lower item a beats a higher item b that is not adjacent)")
        if b < 1 or (n is not None and a > n):
            raise InputError(f"exception '{a}>{b}': items must lie in 1..{n}")
        if (a, b) in out:
            raise InputError(f"exception '{a}>{b}' is listed twice")
        out.append((a, b))
    return sorted(out)
