"""Building blocks of replica-symmetric models: priors, channels, label models, data models.

``base`` holds the contracts; one block per file under ``priors/``, ``channels/`` and
``readouts/`` (how a stored memory is read from its local field); label models in ``labels``;
data models (isotropic inputs, random features) in ``data``; the sparse sample-feature graph in
``graph`` and its Gaussian cavity messages in ``cavity``; the kernel-ridge predictor (closed
form, ridgeless limit, gradient flow) in ``kernel_ridge``; ``assemble`` builds a free entropy from
blocks, ``glm`` the zero-temperature free entropy of a generalized
linear model (ERM) and its symbols; ``checks`` runs the same checks on every block (``BLOCKS``
lists them).
"""
from __future__ import annotations

from .base import Block, Channel, DataModel, LabelModel, Pairing, Prior, Readout
from .channels.bayes import BayesPosterior
from .channels.margin import Margin
from .channels.moreau import Moreau
from .cavity import GaussianCavity
from .data import Isotropic, RandomFeatures
from .graph import BernoulliGraph
from .kernel_ridge import KernelRidge
from .labels import LabelNoise, RandomLabels, RulesAndFacts, SignTeacher
from .priors.gaussian import Gaussian
from .priors.ising import Ising
from .priors.rademacher_bernoulli import RademacherBernoulli
from .priors.spherical import Spherical
from .readouts.hebb_sign import HebbSign

__all__ = ["Block", "Channel", "DataModel", "LabelModel", "Pairing", "Prior", "Margin",
           "LabelNoise", "RandomLabels", "RulesAndFacts", "SignTeacher", "Spherical", "Ising",
           "BLOCKS", "BayesPosterior", "Gaussian", "Isotropic", "Moreau", "RandomFeatures",
           "RademacherBernoulli", "BernoulliGraph", "GaussianCavity", "HebbSign", "Readout",
           "KernelRidge"]

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
    "bernoulli-graph": BernoulliGraph,
    "gaussian-cavity": GaussianCavity,
    "hebb-sign": HebbSign,
    "kernel-ridge": KernelRidge,
}
