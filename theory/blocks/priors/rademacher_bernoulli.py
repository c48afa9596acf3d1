"""Rademacher-Bernoulli sparse prior, written as a Legendre transform in (q, qhat).

Each weight is w_i = 0 with probability 1 - rho and +-a with probability rho/2 each,
a = 1/sqrt(rho), so E w^2 = 1. rho = 1 is the Ising (binary) prior.

Normalization: **unconstrained**. The students are weighted by the product prior P(w) itself (a
probability measure, so G_S = 0 at qhat = 0: the free entropy is the log prior *probability* of the
solution set, not a count of vectors); no Lagrange multiplier fixes |w|^2. The self-overlap
Q = w.w/N is therefore not an order parameter of this block: it sits at its prior value
E w^2 = 1 (its conjugate Qhat = 0), which is what a channel that sees the student field with
variance 1 assumes. That is exact where the self-overlap conjugate vanishes at the saddle point
(Bayes-optimal inference with this prior as the teacher's, Nishimori); a model whose channel
couples to the norm must add (Q, Qhat) itself.

Derivation (random labels; the teacher branch is ``_teacher``). With n replicas and the overlap q = w^a.w^b/N enforced by
its conjugate qhat, the per-site term is

    sum_w P(w) exp((qhat/2) [(sum_a w_a)^2 - sum_a w_a^2])
        = E_z prod_a [ sum_w P(w) exp(sqrt(qhat) z w - qhat w^2/2) ],

and the multiplier contributes -qhat q n(n-1)/2; per replica and n -> 0,

    G_S(q, qhat) = qhat q / 2 + E_z log Z(z),
    Z(z) = sum_w P(w) exp(sqrt(qhat) z w - qhat w^2/2) = (1-rho) + rho e^{-c} cosh(x),

with c = qhat a^2/2 and x = sqrt(qhat) a z. At rho = 1, log Z = -qhat/2 + log cosh(sqrt(qhat) z)
and G_S = -qhat(1-q)/2 + E_z log cosh(sqrt(qhat) z), the Ising prior (probability measure; the
counting measure adds log 2).

Moments: dG_S/dq = qhat/2 and, with Stein's lemma E_z[z f(z)] = E_z f'(z) applied to the
posterior mean <w>_z = a rho e^{-c} sinh(x)/Z(z),

    dG_S/dqhat = (q - E_z <w>_z^2) / 2,

the moment the fixed-point map uses (q <- E_z <w>^2). Stable form: log Z is written as
logaddexp(log(1-rho), log(rho) - c + logcosh(x)) with logcosh(x) = |x| + log(1 + e^{-2|x|}) - log 2
and logaddexp(u, v) = max(u, v) + log(1 + e^{-|u-v|}), so no exponential overflows at large qhat;
<w>_z = a tanh(x) sigma(log(rho/(1-rho)) - c + logcosh(x)), sigma the logistic function written
as exp(min(u, 0))/(1 + e^{-|u|}) (sigma = 1 at rho = 1). Every exponent in both forms is <= 0;
``tests/theory/blocks/test_checks.py`` evaluates them through the kernel printer in plain Python
(where an overflowing exp raises) at qhat up to 1e6.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ...derivation import Parameter
from ...evaluate import check_numeric, check_symbolic
from ...gaussian import gauss_avg
from ..base import Pairing, Prior
from ..symbols import R, Rhat, q, qhat, z

rho = sp.Symbol("rho", positive=True)

# Sample points (q, qhat, rho) for the numeric checks of the steps, rho = 1 included.
_SAMPLES = [(0.3, 0.4, 0.2), (0.6, 2.5, 0.55), (0.85, 7.0, 0.9), (0.5, 1.3, 1.0)]


def _logcosh(x):
    return sp.Abs(x) + sp.log(1 + sp.exp(-2 * sp.Abs(x))) - sp.log(2)


def _logaddexp(u, v):
    return sp.Max(u, v) + sp.log(1 + sp.exp(-sp.Abs(u - v)))


def _log1m_rho():
    # log(1 - rho); at rho = 1 the zero weight is absent and log Z = log(rho) - c + logcosh(x).
    return sp.log(1 - rho)


class RademacherBernoulli(Prior):
    """Rademacher-Bernoulli weights (0 w.p. 1-rho, +-1/sqrt(rho) w.p. rho/2): G_S = qhat q/2 +
    E_z log[(1-rho) + rho e^{-qhat/(2 rho)} cosh(sqrt(qhat/rho) z)], Legendre form in (q, qhat),
    unconstrained normalization (see the module docstring); with a teacher from the same prior
    also (R, Rhat), G_S += -R Rhat and the field gains Rhat w*."""

    name = "rademacher-bernoulli"
    parameters = (Parameter(rho, 0.0, 1.0, lower_open=True, default=0.5,
                            description="density of non-zero weights"),)

    def __init__(self, rho_value=None):
        # None: rho stays a symbol (a model parameter); a number fixes it (rho = 1: Ising).
        self.rho = rho if rho_value is None else sp.nsimplify(rho_value)

    def _sub(self, expr):
        return expr if self.rho is rho else expr.subs(rho, self.rho)

    def order_parameters(self, teacher=False):
        return [q, qhat, R, Rhat] if teacher else [q, qhat]

    # -- pieces ---------------------------------------------------------------------------------
    @staticmethod
    def field(shift=0):
        """The site field h = sqrt(qhat) z + shift (shift = Rhat w* with a teacher)."""
        return sp.sqrt(qhat) * z + shift

    def _xc(self, h=None):
        a = 1 / sp.sqrt(rho)
        return (self.field() if h is None else h) * a, qhat * a**2 / 2

    def log_partition_plain(self, h=None):
        x, c = self._xc(h)
        return sp.log((1 - rho) + rho * sp.exp(-c) * sp.cosh(x))

    def log_partition(self, h=None):
        """Stable log Z(h) (module docstring); at rho = 1 the zero-weight branch is dropped."""
        x, c = self._xc(h)
        branch = sp.log(self.rho) - c + _logcosh(x)
        if self.rho == 1:
            return self._sub(branch)
        return self._sub(_logaddexp(_log1m_rho(), branch))

    def posterior_mean(self, h=None):
        """<w> under P(w) exp(h w - qhat w^2/2), h = sqrt(qhat) z by default; stable form."""
        x, c = self._xc(h)
        a = 1 / sp.sqrt(rho)
        if self.rho == 1:
            return self._sub(sp.tanh(x))
        u = sp.log(rho / (1 - rho)) - c + _logcosh(x)
        # sigma(u) = exp(min(u, 0)) / (1 + exp(-|u|)): both exponents <= 0, so neither
        # overflows (1/(1 + exp(-u)) would, for qhat large and x small).
        sigma = sp.exp(sp.Min(u, 0)) / (1 + sp.exp(-sp.Abs(u)))
        return self._sub(a * sp.tanh(x) * sigma)

    # -- contract -------------------------------------------------------------------------------
    # rho (a symbol or a number) -> (steps, G_S): the steps and their checks are deterministic,
    # so a second derivation with the same rho replays them instead of re-running the mpmath
    # checks (the generic block checks derive each prior several times).
    _derived: dict = {}

    def entropic(self, d, teacher=False):
        cls = type(self)  # a subclass changing any piece of G_S gets its own entry
        key = (cls._entropic, cls.log_partition, cls.log_partition_plain, cls._xc,
               cls.posterior_mean, self.rho, teacher)
        if key not in self._derived:
            scratch = type(d)(model=d.model, title="", conventions="", parameters=[],
                              order_parameters=[])
            G_S = self._entropic(scratch)
            if teacher:
                G_S = self._teacher(scratch, G_S)
            RademacherBernoulli._derived[key] = (list(scratch.steps), G_S)
        steps, G_S = self._derived[key]
        d.steps.extend(steps)
        return G_S

    def _entropic(self, d):
        x, c = self._xc()
        plain = self.log_partition_plain()
        n = sp.Symbol("n", positive=True)
        # the replica limit of the multiplier and site terms: (1/n)[-qhat q n(n-1)/2] -> qhat q/2
        lim = sp.limit(-qhat * q * n * (n - 1) / 2 / n, n, 0)
        samples = [s for s in _SAMPLES if s[2] < 1]
        d.step("rademacher-bernoulli site measure",
               "sum_w P(w) exp(sqrt(qhat) z w - qhat w^2/2) = (1-rho) + rho e^{-qhat/(2rho)} "
               "cosh(sqrt(qhat/rho) z) (w in {0, +-1/sqrt(rho)}); the multiplier term "
               "-qhat q n(n-1)/2 gives qhat q/2 per replica as n -> 0. The stable logaddexp form "
               "of log Z is checked against the plain one (mpmath, 30 digits).",
               [check_symbolic(
                   sp.exp(plain) - sum(p * sp.exp(sp.sqrt(qhat) * z * w - qhat * w**2 / 2)
                                       for w, p in ((0, 1 - rho), (1 / sp.sqrt(rho), rho / 2),
                                                    (-1 / sp.sqrt(rho), rho / 2))),
                   "Z(z) is the sum over the three weight values", lambda e: sp.simplify(
                       e.rewrite(sp.exp))),
                check_symbolic(lim - qhat * q / 2, "replica limit of the multiplier term"),
                check_numeric(plain, _logaddexp(_log1m_rho(), sp.log(rho) - c + _logcosh(x)),
                              [q, qhat, rho, z], [s + (zz,) for s in samples
                                                  for zz in (-2.1, 0.0, 0.7)],
                              1e-25, "stable log Z equals log((1-rho) + rho e^{-c} cosh x)")],
               log_Z=plain)
        G_S = qhat * q / 2 + gauss_avg(self.log_partition(), z)
        d.step("entropic term", "G_S(q, qhat) = qhat q/2 + E_z log Z(z) (Legendre form, "
               "unconstrained normalization: the self-overlap stays at E w^2 = 1).", G_S=G_S)
        # rho = 1: the zero weight drops out and the site term is the Ising prior's.
        at_one = (qhat * q / 2 + (sp.log(rho) - c + _logcosh(x))).subs(rho, 1)
        ising = -qhat * (1 - q) / 2 + _logcosh(sp.sqrt(qhat) * z)
        d.step("rho = 1: Ising prior",
               "At rho = 1, log Z = -qhat/2 + log cosh(sqrt(qhat) z) and G_S = -qhat(1-q)/2 + "
               "E_z log cosh(sqrt(qhat) z), the Ising prior in the probability-measure "
               "normalization.", [check_symbolic(at_one - ising, "integrands agree at rho = 1")])
        # this class's own moments (a subclass overriding them is left to the generic checks)
        mom = RademacherBernoulli.moments(self, False)
        syms = [q, qhat] + ([rho] if self.rho is rho else [])
        pts = [s if self.rho is rho else s[:2] for s in samples]
        d.step("moments",
               "dG_S/dq = qhat/2; dG_S/dqhat = (q - E_z <w>_z^2)/2 by Stein's lemma on the "
               "posterior mean <w>_z = a rho e^{-c} sinh(x)/Z(z), written stably as "
               "a tanh(x) sigma(log(rho/(1-rho)) - c + log cosh x). Checked against sympy's "
               "derivative of the stable G_S (mpmath, 20 digits, at one point here; the generic "
               "block checks compare them at random points).",
               [check_symbolic(sp.diff(G_S, q) - mom[q], "dG_S/dq = qhat/2"),
                check_numeric(sp.diff(G_S, qhat), mom[qhat], syms, pts[1:2], 1e-15,
                              "dG_S/dqhat equals the declared moment", dps=20)],
               dG_dq=mom[q], dG_dqhat=mom[qhat])
        return G_S

    def _teacher(self, d, G_S0):
        """With a teacher w* drawn from the same prior: the overlaps R_a = R add
        Rhat sum_a w^a w*_i - n R Rhat per site, so the site field is sqrt(qhat) z + Rhat w*;
        w* = 0 with probability 1-rho (field sqrt(qhat) z), +-a with rho/2 each, and w* = -a
        maps onto +a under (w, z) -> (-w, -z) (P(w) is even), so
        G_S = qhat q/2 - R Rhat + (1-rho) E_z log Z(sqrt(qhat) z) + rho E_z log Z(sqrt(qhat) z
        + Rhat a)."""
        a = 1 / sp.sqrt(rho)
        h1 = self.field(Rhat * a)
        G_S = (qhat * q / 2 - R * Rhat + self._sub(1 - rho) * gauss_avg(self.log_partition(), z)
               + self._sub(rho) * gauss_avg(self.log_partition(h1), z))
        # the w* = -a branch equals the w* = +a one: checked on the plain log Z at sample points
        hm = self.field(-Rhat * a)
        samples = [(0.3, 0.4, 0.2, 0.3, 0.2), (0.6, 2.5, -0.5, -1.1, 0.55)]
        syms = [q, qhat, R, Rhat, rho]
        mom = RademacherBernoulli.moments(self, True)
        # one point: the generic block checks compare the moments at random points as well
        pts = [s if self.rho is rho else s[:4] for s in samples[1:]]
        syms_m = syms if self.rho is rho else syms[:4]
        d.step("teacher overlap",
               "exp(Rhat sum_a w^a w*_i - n R Rhat) per site fixes R_a = R, adding the field "
               "Rhat w* and -R Rhat per replica; the teacher weight w* is averaged over the same "
               "prior, its sign folded by the symmetry (w, z) -> (-w, -z). dG_S/dRhat = -R + "
               "E[w* <w>] and dG_S/dqhat = (q - E_{w*,z} <w>^2)/2 (Stein's lemma on z), checked "
               "against sympy's derivative (mpmath, 20 digits).",
               [check_numeric(gauss_avg(self.log_partition_plain(hm), z),
                              gauss_avg(self.log_partition_plain(h1), z), syms, samples[:1],
                              1e-15,
                              "E_z log Z(sqrt(qhat) z - Rhat a) = E_z log Z(sqrt(qhat) z + "
                              "Rhat a)", dps=20)]
               + [check_symbolic(sp.diff(G_S, s_) - mom[s_], f"dG_S/d{s_} = {mom[s_]}")
                  for s_ in (q, R)]
               + [check_numeric(sp.diff(G_S, s_), mom[s_], syms_m, pts, 1e-15,
                                f"dG_S/d{s_} equals the declared moment", dps=20)
                  for s_ in (qhat, Rhat)],
               G_S_teacher=G_S)
        return G_S

    def pairings(self, teacher=False):
        # q <- from dphi/dqhat = (q - E<w>^2)/2 with c = -2: T_q = E<w>^2 (free of q);
        # qhat <- from dphi/dq = qhat/2 + alpha dG_E/dq with c = -2: T_qhat = -2 alpha dG_E/dq.
        # With a teacher (as the Ising block): R <- R + dphi/dRhat = E[w* <w>], Rhat <- Rhat +
        # dphi/dR = alpha dG_E/dR.
        out = [Pairing(q, qhat, sp.S(-2)), Pairing(qhat, q, sp.S(-2))]
        return out + [Pairing(R, Rhat, sp.S(1)), Pairing(Rhat, R, sp.S(1))] if teacher else out

    def moments(self, teacher=False):
        if not teacher:
            return {q: qhat / 2, qhat: (q - gauss_avg(self.posterior_mean() ** 2, z)) / 2}
        a = 1 / sp.sqrt(rho)
        m0, m1 = self.posterior_mean(), self.posterior_mean(self.field(Rhat * a))
        r = self._sub(rho)
        return {q: qhat / 2, R: -Rhat,
                qhat: (q - (1 - r) * gauss_avg(m0 ** 2, z) - r * gauss_avg(m1 ** 2, z)) / 2,
                Rhat: -R + r * self._sub(a) * gauss_avg(m1, z)}

    def domain(self, values):
        qq, qh, rr = values.get(q), values.get(qhat), values.get(R, 0.0)
        r = values.get(rho, 0.5) if self.rho is rho else float(self.rho)
        return bool(0.0 < qq < 1.0 and qh > 0.0 and rr * rr < qq and 0.0 < r <= 1.0)

    def single_site(self, values):
        """(support, probabilities) of one weight at ``values`` (rho by symbol)."""
        # values keyed by symbol (block checks) or by name (simulation, like label models)
        r = (float(values.get(rho, values.get("rho", 0.5))) if self.rho is rho
             else float(self.rho))
        a = 1.0 / np.sqrt(r)
        return np.array([0.0, a, -a]), np.array([1.0 - r, r / 2, r / 2])

    def sample(self, rng, N, values=None):
        """N weights from the prior (``values``: {rho: ...} when rho is a symbol; default 0.5).
        The norm is unconstrained: |w|^2/N -> 1 as N grows, with fluctuations O(N^-1/2)."""
        w, p = self.single_site(values or {})
        return rng.choice(w, size=N, p=p)

    def ising_limit(self):
        """The Ising prior's G_S in the same (probability-measure) normalization."""
        return -qhat * (1 - q) / 2 + gauss_avg(_logcosh(sp.sqrt(qhat) * z), z)
