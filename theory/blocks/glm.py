"""Generalized linear models at zero temperature (ERM): the symbols and the assembly.

Conventions (shared by the Gaussian prior, the Moreau channels and the data models):

* the predictor's field h on a sample; m = E h nu (student-teacher overlap), q = E h^2 (the
  student's squared norm in the field's scale), V the response (beta -> oo limit of beta (Q - q));
  their conjugates mhat, qhat, Vhat (all real: the conjugates of an ERM saddle point need not be
  positive until the equations hold);
* the cavity field of one sample is omega = sqrt(q) xi, xi a standard Gaussian; z is the trained
  prediction (the proximal point) and W its prox time;
* free entropy Phi = -m mhat + (q Vhat - V qhat)/2 + Phi_prior(mhat, qhat, Vhat) +
  alpha Phi_ch(m, q, V); -Phi is the minimized objective per dimension. Stationarity in the
  conjugates gives the prior map (m, q, V) of the hats, stationarity in (m, q, V) the channel map
  mhat = alpha dPhi_ch/dm, qhat = 2 alpha dPhi_ch/dV, Vhat = -2 alpha dPhi_ch/dq.

The channel term is kept opaque (``Phi_ch``) while the saddle-point structure is derived, then each
channel's derivatives are substituted (``channel_hats``).
"""
from __future__ import annotations

import sympy as sp

from ..evaluate import check_symbolic
from ..gaussian import tidy

m = sp.Symbol("m", real=True)
q, V = sp.symbols("q V", positive=True)
mh, qh, Vh = sp.symbols("mhat qhat Vhat", real=True)
alpha = sp.Symbol("alpha", positive=True)
xi, z, omega, W = sp.symbols("xi z omega W", real=True)


def legendre():
    """The coupling of the overlaps with their conjugates, -m mhat + (q Vhat - V qhat)/2."""
    return -m * mh + (q * Vh - V * qh) / 2


def free_entropy(d, Phi_prior, what):
    """Phi with an opaque channel term Phi_ch(m, q, V), recorded as the step
    "zero-temperature free entropy" (``what``: its description). Returns (Phi, Phi_ch)."""
    Phi_ch = sp.Function("Phi_ch")(m, q, V)
    Phi = legendre() + Phi_prior + alpha * Phi_ch
    d.step("zero-temperature free entropy", what, Phi=Phi)
    return Phi, Phi_ch


def prior_map(Phi_prior):
    """(m, q, V) from stationarity in the conjugates, read off directly (the equations are linear
    in m, q, V): m = dPhi_prior/dmhat, q = -2 dPhi_prior/dVhat, V = 2 dPhi_prior/dqhat."""
    return {m: sp.diff(Phi_prior, mh), q: -2 * sp.diff(Phi_prior, Vh),
            V: 2 * sp.diff(Phi_prior, qh)}


def channel_map(Phi):
    """(mhat, qhat, Vhat) from stationarity in (m, q, V), in terms of the opaque Phi_ch."""
    return sp.solve([sp.diff(Phi, s) for s in (m, q, V)], [mh, qh, Vh], dict=True)[0]


def saddle_point(d, Phi, ridge, ridge_text):
    """Both maps by sympy solve, recorded as "saddle-point equations"; checks V = 1/(ridge + Vhat)
    (the Gaussian prior at field-scale ridge ``ridge``, written ``ridge_text``)."""
    prior_eqs = sp.solve([sp.diff(Phi, s) for s in (mh, qh, Vh)], [m, q, V], dict=True)[0]
    ch_eqs = channel_map(Phi)
    d.step("saddle-point equations",
           "Stationarity of Phi in the conjugates gives the ridge prior map (m, q, V) of (mhat, "
           "qhat, Vhat); stationarity in (m, q, V) gives the channel map, mhat = alpha dPhi_ch/dm, "
           "qhat = 2 alpha dPhi_ch/dV, Vhat = -2 alpha dPhi_ch/dq (sympy solve of linear "
           "equations).",
           [check_symbolic(prior_eqs[V] - 1 / (ridge + Vh), f"V = 1/({ridge_text} + Vhat)")],
           m_prior=prior_eqs[m], q_prior=prior_eqs[q], V_prior=prior_eqs[V],
           mhat_channel=ch_eqs[mh], qhat_channel=ch_eqs[qh], Vhat_channel=ch_eqs[Vh])
    return prior_eqs, ch_eqs


def channel_hats(ch_eqs, Phi_ch, ch, inner=tidy, outer=tidy):
    """The channel map for one channel term ``ch``: its derivatives (each passed through
    ``inner``) substituted for Phi_ch's, each hat then passed through ``outer``."""
    derivs = {sp.Derivative(Phi_ch, s): inner(sp.diff(ch, s)) for s in (m, q, V)}
    return [outer(ch_eqs[s].subs(derivs)) for s in (mh, qh, Vh)]
