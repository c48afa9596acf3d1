"""Derived equations; see README."""
