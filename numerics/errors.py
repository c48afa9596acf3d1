"""Errors for bad user input. The CLI prints their message as one line and exits with status 2."""
from __future__ import annotations


class InputError(ValueError):
    """Bad input from a user: the message names what is wrong and what is allowed."""


class ParameterError(InputError):
    def __init__(self, name, value, allowed):
        self.name, self.value, self.allowed = name, value, allowed
        super().__init__(f"parameter '{name}' = {value!r} is out of range: allowed {allowed}")


class UnknownModelError(InputError):
    def __init__(self, model, known):
        super().__init__(f"unknown model '{model}': known models are {', '.join(known)}")


class UnknownParameterError(InputError):
    def __init__(self, model, name, known):
        super().__init__(f"model '{model}' has no parameter '{name}': its parameters are "
                         f"{', '.join(known)}")
