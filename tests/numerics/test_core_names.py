"""The core modules name no model: no model's name, stem or parameter name appears in cli.py,
api.py, plotting.py, codegen.py or drivers.py (code, comments and docstrings alike).

The names come from the declarations (numerics/declaration.py), so a new model is checked as
soon as it is declared. Matching is by whole word (``\\b``, where ``_`` is a word character:
``eps`` does not match ``eps_gen``). Checked: model names and stems (any length), and parameter
names of three characters or more (shorter ones, n, c, N, d, are ordinary words and variables).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import memgenkit.numerics
from memgenkit.numerics.declaration import declarations

CORE = ("cli.py", "api.py", "plotting.py", "codegen.py", "drivers.py")
ROOT = Path(memgenkit.numerics.__file__).parent
MIN_PARAMETER = 3


def forbidden_names() -> dict[str, str]:
    """word -> what it is (for the failure message)."""
    out = {}
    for decl in declarations().values():
        out[decl.name] = f"model {decl.name}"
        out[decl.stem] = f"stem of {decl.name}"
        for part in re.split(r"[-_]", decl.name):  # "raf" of raf-gardner, "ti" is too short
            if len(part) >= MIN_PARAMETER:
                out.setdefault(part, f"part of model name {decl.name}")
        if decl.derived:
            for spec in decl.param_specs():
                if len(spec.name) >= MIN_PARAMETER:
                    out.setdefault(spec.name, f"parameter of {decl.name}")
    return out


def hits(text: str, names: dict[str, str]) -> list[str]:
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        for word, what in names.items():
            if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", line) or \
                    (("-" in word) and word in line):
                found.append(f"line {lineno}: '{word}' ({what}): {line.strip()}")
    return found


@pytest.mark.parametrize("module", CORE)
def test_core_module_names_no_model(module):
    found = hits((ROOT / module).read_text(), forbidden_names())
    assert not found, f"numerics/{module} names a model:\n" + "\n".join(found)


def test_the_check_finds_names():
    names = {"raf-gardner": "model", "raf_gardner": "stem", "raf": "part", "alpha": "parameter",
             "eps": "parameter"}
    assert hits('api.solve("raf-gardner", alpha=1.0)', names)
    assert hits("# raf models", names)
    assert hits("from .generated import raf_gardner", names)
    assert not hits("eps_gen, alphabet, the raffle, p_alpha", names)
    forbidden = forbidden_names()
    assert {"raf-gardner", "ti-krr", "raf_erm", "alpha", "eps", "kappa", "lam", "loss",
            "activation", "exceptions", "psi"} <= set(forbidden)
