"""Errors for bad user input. The CLI prints their message as one line and exits with status 2."""
from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user: the message names what is wrong and what is allowed."""


class ParameterError(InputError):
    """A value outside its declared domain. ``label`` names it in the message (default
    "parameter 'NAME'"; the command line passes e.g. "--tol" for an option); ``reason``: what is
    wrong with it (out of range, not a number, not a finite number, not an integer, ...)."""

    def __init__(self, name, value, allowed, reason="is out of range", label=None):
        self.name, self.value, self.allowed, self.reason = name, value, allowed, reason
        label = label or f"parameter '{name}'"
        super().__init__(f"{label} = {value!r} {reason}: allowed {allowed}")


class UnknownModelError(InputError):
    def __init__(self, model, known):
        super().__init__(f"unknown model '{model}': known models are {', '.join(known)}")


class UnknownParameterError(InputError):
    def __init__(self, model, name, known):
        super().__init__(f"model '{model}' has no parameter '{name}': its parameters are "
                         f"{', '.join(known)}")
