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
    store_pairing(d, fe)
    return fe


def store_pairing(d, fe):
    """Store ``fe``'s declared pairing in ``d.metadata["pairing"]`` for the solver (the
    fixed-point step of theta_i is c_i F[pairing[i]]) where it is not the identity."""
    idx = fe.pairing_indices()
    if idx != list(range(len(fe.order_params))):
        d.metadata["pairing"] = idx


def saddle_point(d, fe, *, args, samples, cuts=(), hints=(), observables=(),
                 kind="log volume per dimension"):
    """Stationarity, its Jacobian, the fixed-point map and the four kernels every saddle-point
    model has: ``newton`` (F, J row by row, c), ``fixed_point`` (T), ``free_entropy`` (phi) and
    ``observables`` (``observables``: (name, expression) pairs).

    The gradient is checked against an mpmath derivative of phi at ``samples`` (tuples in the
    order of ``args``: the order parameters, then the model parameters); ``cuts``: quadrature
    breakpoints of the checks; ``hints``: (center, scale) quadrature hints of the kernels."""
    theta = list(fe.order_params)
    F, J = fe.stationarity(), fe.jacobian()
    d.step("saddle-point equations",
           "Stationarity of phi, differentiating under the integral sign (sympy, Leibniz rule).",
           [check_gradient(fe.phi, F, args, samples, cuts)], **{f"F_{a}": Fi for a, Fi in zip(
               theta, F)})
    T, c = fe.fixed_point_map(d), fe.preconditioners()
    names = [str(a) for a in theta]
    d.kernel("newton", theta,
             [(f"F_{a}", Fi) for a, Fi in zip(names, F)]
             + [(f"J_{a}{b}", J[i][j]) for i, a in enumerate(names) for j, b in enumerate(names)]
             + [(f"c_{a}", ci) for a, ci in zip(names, c)],
             "stationarity F = grad phi, Jacobian J = Hessian of phi, preconditioner c", hints)
    d.kernel("fixed_point", theta, [(f"T_{a}", Ti) for a, Ti in zip(names, T)],
             "preconditioned fixed-point map", hints)
    d.kernel("free_entropy", theta, [("phi", fe.phi)], kind, hints)
    d.kernel("observables", theta, list(observables), "observables at the saddle point", hints)
    return F, T


def check_gradient(phi, F, args, samples, cuts=()):
    """F_i = dphi/dtheta_i (sympy, possibly in a moment form) against an mpmath numerical
    derivative of phi at ``samples``; theta_i is ``args[i]``."""
    import mpmath as mp

    from ..derivation import Check
    from ..evaluate import mp_function
    worst = 0.0
    with mp.workdps(25):
        f_phi = mp_function(phi, args, cuts)
        f_F = [mp_function(Fi, args, cuts) for Fi in F]
        for s in samples:
            s = tuple(s)
            for i in range(len(F)):
                num = mp.diff(lambda v: f_phi(*(s[:i] + (v,) + s[i + 1:])), s[i])
                ana = f_F[i](*s)
                worst = max(worst, float(abs(num - ana) / max(abs(ana), 1)))
    return Check("numeric", worst < 1e-12, f"sympy gradient vs mpmath numerical derivative of phi "
                 f"at {len(samples)} sample points", worst)


def replicon(d, prior, channel, labels, *, alpha=alpha_symbol, teacher=False):
    """The replicon (de Almeida-Thouless) eigenvalue of a replica-symmetric GLM saddle point,
    lambda = 1 - alpha M_out M_in, M_out = E[(d^2 log Z_out/domega^2)^2] (channel), M_in =
    E[(d^2 log Z_in/dB^2)^2] (prior): RS is locally stable where lambda > 0 (Gardner & Derrida
    1988 for the perceptron; the form is checked by the model against a literature value)."""
    m_in = prior.replicon_moment(d, teacher)
    m_out = channel.replicon_moment(d, labels)
    lam = 1 - alpha * m_out * m_in
    d.step("replicon eigenvalue",
           "lambda = 1 - alpha E_t[(d^2 log Z_out/domega^2)^2] E_z[(d^2 log Z_in/dB^2)^2]; "
           "replica symmetry is locally stable while lambda > 0.", replicon=lam)
    return lam
