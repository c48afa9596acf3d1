"""Building blocks of replica-symmetric models: priors, channels, label models, data models.

``base`` holds the contracts; one block per file under ``priors/`` and ``channels/``; label
models in ``labels``; ``assemble`` builds a free entropy from blocks; ``checks`` runs the same
checks on every block (``BLOCKS`` lists them).
"""
from __future__ import annotations

from .base import Block, Channel, DataModel, LabelModel, Pairing, Prior
from .channels.margin import Margin
from .labels import LabelNoise, RandomLabels, RulesAndFacts, SignTeacher
from .priors.rademacher_bernoulli import RademacherBernoulli
from .priors.spherical import Spherical

__all__ = ["Block", "Channel", "DataModel", "LabelModel", "Pairing", "Prior", "Margin",
           "LabelNoise", "RandomLabels", "RulesAndFacts", "SignTeacher", "Spherical", "RademacherBernoulli",
           "BLOCKS"]

# Every block the generic checks run on, by name (a factory, so each check gets a fresh one).
BLOCKS = {
    "spherical": Spherical,
    "rademacher-bernoulli": RademacherBernoulli,
    "margin": Margin,
    "sign-teacher": SignTeacher,
    "rules-and-facts": RulesAndFacts,
    "label-noise": LabelNoise,
    "random-labels": RandomLabels,
}
