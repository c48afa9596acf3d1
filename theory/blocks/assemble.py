"""A free entropy assembled from blocks: phi = G_S(prior) + alpha G_E(channel, labels)."""
from __future__ import annotations

from ..free_entropy import FreeEntropy
from .symbols import alpha as alpha_symbol


def volume(d, prior, channel, labels, *, alpha=alpha_symbol, samples=(), what=None):
    """The replica-symmetric free entropy of the volume of students that ``channel`` accepts on
    samples labelled by ``labels``, under ``prior``; every block records its steps on ``d``.

    ``samples``: points for the channel's numeric checks (see ``Channel.energetic``). The pairing
    of order parameters with equations is the prior's; where it is not the identity it is stored
    in ``d.metadata["pairing"]`` for the solver (the fixed-point step is c_i F[pairing[i]]).
    """
    teacher = labels.teacher
    G_S = prior.entropic(d, teacher)
    G_E = channel.energetic(d, labels, samples)
    theta = prior.order_parameters(teacher)
    fe = FreeEntropy(theta, G_S, G_E, alpha, pairing=prior.pairings(teacher),
                     gradient=prior.moments(teacher))
    args = ", ".join(map(str, theta))
    d.step("free entropy", what or f"phi({args}) = G_S({args}) + alpha G_E({args}): the log "
           f"volume per dimension, extremized over ({args}).", phi=fe.phi)
    idx = fe.pairing_indices()
    if idx != list(range(len(theta))):
        d.metadata["pairing"] = idx
    return fe
