"""The models theory/ knows how to derive, by their command-line names."""
from __future__ import annotations

import importlib

# model name -> module under memgenkit.theory.models (one model per file)
MODELS = {
    "raf-gardner": "raf_gardner",
    "raf-erm": "raf_erm",
    "raf-bayes": "raf_bayes",
    "raf-rf": "raf_rf",
    "hopfield-ags": "hopfield_ags",
    "hopfield-snr": "hopfield_snr",
    "ti-krr": "ti_krr",
    "composition": "composition",
    "ising-gardner": "ising_gardner",
    "ising-raf": "ising_raf",
}


def stem(model: str) -> str:
    """File stem used for derivations/<stem>.json and numerics/generated/<stem>.py."""
    return MODELS[model]


def derive(model: str):
    module = importlib.import_module(f"memgenkit.theory.models.{MODELS[model]}")
    return module.derive()
