"""The package's model declarations, one light module per model (see numerics/declaration.py).

Every module here whose name does not start with ``_`` binds ``MODEL = ModelDeclaration(...)``
and is found by scanning this package: adding a model adds a file, it edits no list. These
modules stay light (no sympy, numba, theory or simulation imports): the command line reads all
of them on every start.
"""
