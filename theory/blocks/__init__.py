"""Building blocks of replica-symmetric models: priors, channels, label models, data models.

``base`` holds the contracts; one block per file under ``priors/`` and ``channels/``; label
models in ``labels``; the kernel-ridge predictor in ``kernel_ridge``; data models (isotropic inputs, random features) in ``data``; ``assemble``
builds a free entropy from blocks, ``glm`` the zero-temperature free entropy of a generalized
linear model (ERM) and its symbols; ``checks`` runs the same checks on every block (``BLOCKS``
lists them).
"""
from __future__ import annotations

from .base import Block, Channel, DataModel, LabelModel, Pairing, Prior
from .channels.bayes import BayesPosterior
from .channels.margin import Margin
from .channels.moreau import Moreau
from .data import Isotropic, RandomFeatures
from .kernel_ridge import KernelRidge
from .labels import LabelNoise, RandomLabels, RulesAndFacts, SignTeacher
from .priors.gaussian import Gaussian
from .priors.ising import Ising
from .priors.rademacher_bernoulli import RademacherBernoulli
from .priors.spherical import Spherical

__all__ = ["Block", "Channel", "DataModel", "LabelModel", "Pairing", "Prior", "Margin",
           "LabelNoise", "RandomLabels", "RulesAndFacts", "SignTeacher", "Spherical", "Ising",
           "BLOCKS", "BayesPosterior", "Gaussian", "Isotropic", "Moreau", "RandomFeatures",
           "RademacherBernoulli", "KernelRidge"]

# Every block the generic checks run on, by name (a factory, so each check gets a fresh one).
BLOCKS = {
    "spherical": Spherical,
    "ising": Ising,
    "rademacher-bernoulli": RademacherBernoulli,
    "margin": Margin,
    "sign-teacher": SignTeacher,
    "rules-and-facts": RulesAndFacts,
    "label-noise": LabelNoise,
    "random-labels": RandomLabels,
    "gaussian": Gaussian,
    "moreau-square": lambda: Moreau("square"),
    "moreau-hinge": lambda: Moreau("hinge"),
    "moreau-logistic": lambda: Moreau("logistic"),
    "bayes": BayesPosterior,
    "isotropic": Isotropic,
    "kernel": lambda: Isotropic(kernel=True),
    "random-features": RandomFeatures,
    "kernel-ridge": KernelRidge,
}
