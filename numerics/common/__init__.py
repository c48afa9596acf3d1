"""Pieces a model and its simulation both need, kept below both layers.

Models import their simulation (lazily, in simulate/verify), never the reverse; what a simulation
shares with its model (an input's parsing, constants derived from a parameter) lives here so that
numerics/simulation/ imports nothing from numerics/models/ (tests/numerics/test_import_graph.py).
"""
