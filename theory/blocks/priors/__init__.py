"""Priors (entropic terms), one per file."""
