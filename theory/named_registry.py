"""A registry of records by name, shared by the two halves of each special-function record.

Plain Python (no sympy), so the numba half in numerics/ can use it without putting sympy on the
solve path.
"""
from __future__ import annotations


class NamedRegistry:
    """Records with a ``name`` attribute, in registration order. Registering the same record
    again is a no-op; a different record under a taken name is an error (two definitions of one
    function would make codegen and evaluation disagree)."""

    def __init__(self, what: str):
        self.what = what
        self._records: dict = {}

    def register(self, record):
        old = self._records.get(record.name)
        if old is not None and old != record:
            raise ValueError(f"{self.what} {record.name!r} is already registered")
        self._records[record.name] = record
        return record

    def unregister(self, name: str) -> None:
        self._records.pop(name)

    def records(self) -> tuple:
        return tuple(self._records.values())

    def get(self, name: str):
        return self._records[name]

    def find(self, name: str):
        return self._records.get(name)
