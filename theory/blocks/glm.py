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

from ..derivation import Check
from ..evaluate import check_numeric, check_symbolic
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


def square_saddle_point(d, prior_eqs, hats_closed, ridge, syms, points, what):
    """Gaussian prior with the square-loss channel: the saddle point is algebraic (V from a
    quadratic, then m, then q). ``prior_eqs``: the prior map, ``hats_closed``: the channel map in
    closed form, ``ridge``: the ridge on the field; the checks run at ``points`` of ``syms``
    (the model's parameters: the first two points pick the positive root, the first three check
    the fixed point, all of them the cancellation-free root). Records "square loss: closed-form
    saddle point" (``what``: its description) and the kernel ``closed_form_square``."""
    # The square loss solves in closed form: V from a quadratic, then m, then q (linear).
    Vs = sp.solve(sp.Eq(V, prior_eqs[V].subs(Vh, hats_closed[2])), V)
    Vpos = [s for s in Vs if _positive_at(s, syms, points[:2])]
    V_root = Vpos[0]
    # The same root without cancellation: lam' V^2 + b V - c = 0 (lam' the ridge on the field,
    # c > 0: 1 plus the Moreau time of private coordinates) has V = (sqrt(D) - b)/(2 lam'), which
    # cancels for b > 0 as lam -> 0 (alpha > 1); written as (|b| - b)/(2 lam') + 2 c/(sqrt(D) +
    # |b|) both terms are non-negative.
    poly = sp.Poly(sp.numer(sp.together(V - prior_eqs[V].subs(Vh, hats_closed[2]))), V)
    c2, c1, c0 = poly.all_coeffs()
    b_, c_ = c1 / c2, -c0 / c2 * ridge          # V^2 + (b_/lam') V - c_/lam' = 0
    b_, c_ = sp.simplify(b_ * ridge), sp.simplify(c_)
    D_ = b_**2 + 4 * ridge * c_
    V_cf = (sp.Abs(b_) - b_) / (2 * ridge) + 2 * c_ / (sp.sqrt(D_) + sp.Abs(b_))
    stable_check = check_numeric(V_cf, V_root, syms, points, 1e-25,
                                 "cancellation-free root equals sympy's positive root")
    m_V = sp.factor(prior_eqs[m].subs({mh: hats_closed[0], Vh: hats_closed[2]}))
    q_eq = sp.Eq(q, prior_eqs[q].subs({mh: hats_closed[0], qh: hats_closed[1],
                                       Vh: hats_closed[2]}))
    q_V = sp.factor(sp.solve(q_eq.subs(m, m_V), q)[0])
    residuals = [prior_eqs[s].subs({mh: hats_closed[0], qh: hats_closed[1], Vh: hats_closed[2]})
                 - s for s in (m, q, V)]
    sub = {V: V_cf, m: m_V, q: q_V}
    d.step("square loss: closed-form saddle point", what,
           [_check_fixed_point(residuals, sub, syms, points[:3]), stable_check],
           V=V_cf, m=m_V, q=q_V)
    m_cf, q_cf = m_V.xreplace({V: V_cf}), q_V.xreplace({V: V_cf})
    d.kernel("closed_form_square", [], [("m", m_cf), ("q", q_cf), ("V", V_cf)],
             "square loss: the saddle point in closed form")
    return V_cf, m_cf, q_cf


def _positive_at(expr, syms, points):
    for s in points:
        if not float(expr.subs(dict(zip(syms, s)))) > 0:
            return False
    return True


def _check_fixed_point(residuals, sub, syms, points):
    import mpmath as mp
    worst = 0.0
    with mp.workdps(30):
        for s in points:
            p = {k: sp.Rational(str(x)) for k, x in zip(syms, s)}
            Vv = sub[V].subs(p).evalf(40)
            point = {V: Vv, m: sub[m].subs(p).subs(V, Vv).evalf(40),
                     q: sub[q].subs(p).subs(V, Vv).evalf(40)}
            for r in residuals:
                worst = max(worst, float(abs(r.subs(p).subs(point).evalf(40))))
    return Check("numeric", worst < 1e-25, "closed form is a fixed point of the prior o channel "
                 f"map at {len(points)} points (30 digits)", worst)
