"""Ising prior: binary weights w_i = +-1 (|w|^2 = N), written as a Legendre transform in (q, qhat).

Conventions: q = w^a.w^b/N between two students, qhat its conjugate (the Lagrange multiplier of
the overlap constraint); z is the standard Gaussian of the Hubbard-Stratonovich transformation;
log 2cosh is the special function ``LogCosh2`` (theory/spins.py), stable for large fields.
"""
from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ...derivation import Check
from ...evaluate import check_numeric, check_symbolic
from ...gaussian import gauss_avg, gauss_integral
from ...spins import LogCosh2
from ..base import Pairing, Prior
from ..symbols import q, qhat, z

# (q, qhat) sample points for the numeric checks, inside the domain 0 < q < 1, qhat > 0.
_SAMPLES = [(0.3, 0.4), (0.6, 2.5), (0.9, 11.0)]


class Ising(Prior):
    """Binary student w_i = +-1: G_S = -qhat (1-q)/2 + E_z log 2cosh(sqrt(qhat) z)."""

    name = "ising"

    def order_parameters(self, teacher=False):
        self._no_teacher(teacher)
        return [q, qhat]

    @staticmethod
    def _no_teacher(teacher):
        if teacher:
            raise NotImplementedError("the Ising prior has no teacher overlap yet (R, Rhat)")

    def entropic(self, d, teacher=False):
        """Replicate n students, impose q_ab = q (a < b) with conjugates qhat, sum over w^a = +-1
        site by site; the quadratic form is linearized by a Gaussian z; then n -> 0."""
        self._no_teacher(teacher)
        n = sp.Symbol("n", positive=True)
        S = sp.Symbol("S", real=True)
        # sum_{a<b} w^a w^b = (S^2 - n)/2 with S = sum_a w^a, since (w^a)^2 = 1: every spin
        # configuration for n = 2..5.
        worst = 0
        for nn in range(2, 6):
            for w in itertools.product((-1, 1), repeat=nn):
                pairs = sum(w[a] * w[b] for a in range(nn) for b in range(a + 1, nn))
                worst = max(worst, abs(pairs - (sum(w) ** 2 - nn) / sp.S(2)))
        d.step("replicated spin sum",
               "Per site, exp(qhat sum_{a<b} w^a w^b) = exp(qhat (S^2 - n)/2) with S = sum_a w^a "
               "(w^a = +-1); checked over every configuration for n = 2..5.",
               [Check("symbolic", worst == 0, "sum_{a<b} w^a w^b = (S^2 - n)/2 for n = 2..5",
                      float(worst))], pair_sum=(S**2 - n) / 2)
        hs = gauss_avg(sp.exp(sp.sqrt(qhat) * z * S), z)
        d.step("Hubbard-Stratonovich",
               "exp(qhat S^2/2) = E_z exp(sqrt(qhat) z S), so the sum over w^1..w^n factorizes: "
               "sum_w exp(sqrt(qhat) z S) = (2 cosh(sqrt(qhat) z))^n.",
               [check_numeric(hs, sp.exp(qhat * S**2 / 2), [qhat, S],
                              [(0.4, 1.0), (2.5, -2.0), (1.3, 3.0)], 1e-20,
                              "E_z exp(sqrt(qhat) z S) = exp(qhat S^2/2) (mpmath)"),
                _check_replicated(n)],
               site_sum=sp.exp(-n * qhat / 2) * gauss_avg((2 * sp.cosh(sp.sqrt(qhat) * z))**n,
                                                         z))
        # Per replica: -qhat q (n-1)/2 from the conjugate term and -qhat/2 from (S^2 - n)/2;
        # (1/n) log E_z (2cosh)^n -> E_z log 2cosh (replica limit, as for the channel).
        poly = -n * (n - 1) * qhat * q / 2 - n * qhat / 2
        lim = sp.limit(poly / n, n, 0)
        G_S = lim + gauss_avg(LogCosh2(sp.sqrt(qhat) * z), z)
        d.step("entropic term, n -> 0",
               "G_S = lim_{n->0} (1/n)[-n(n-1) qhat q/2 - n qhat/2 + log E_z (2cosh(sqrt(qhat) z))"
               "^n] = -qhat (1-q)/2 + E_z log 2cosh(sqrt(qhat) z).",
               [check_symbolic(lim + qhat * (1 - q) / 2, "limit of the polynomial part"),
                _check_n_to_zero()], G_S=G_S)
        mom = self.moments()[qhat]
        d.step("moment form of dG_S/dqhat (Stein's lemma)",
               "dG_S/dqhat = -(1-q)/2 + E_z[z tanh(sqrt(qhat) z)]/(2 sqrt(qhat)) and "
               "E_z[z f(z)] = E_z[f'(z)] give dG_S/dqhat = (q - E_z tanh^2(sqrt(qhat) z))/2.",
               [check_numeric(sp.diff(G_S, qhat), mom, [q, qhat], _SAMPLES, 1e-20,
                              "sympy derivative equals the moment form (mpmath)",
                              breakpoints=[sp.S(0)])], dG_S_dqhat=mom)
        return G_S

    def moments(self, teacher=False):
        return {qhat: (q - gauss_avg(sp.tanh(sp.sqrt(qhat) * z)**2, z)) / 2}

    def pairings(self, teacher=False):
        # q <- q - 2 dphi/dqhat = E tanh^2; qhat <- qhat - 2 dphi/dq = -2 alpha dG_E/dq (dG_S/dq
        # = qhat/2): both right-hand sides are free of the parameter they update.
        return [Pairing(q, qhat, -2), Pairing(qhat, q, -2)]

    def hints(self):
        """E_z tanh^2(sqrt(qhat) z) varies on the scale 1/sqrt(qhat) around z = 0."""
        return [(sp.S(0), 1 / sp.sqrt(qhat))]

    def domain(self, values):
        qq, qh = values.get(q), values.get(qhat)
        return bool(0.0 < qq < 1.0 and qh > 0.0)

    def q_to_one(self, d):
        """1 - q = E_z sech^2(sqrt(qhat) z) ~ sqrt(2/(pi qhat)) as qhat -> oo: with u = sqrt(qhat)
        z the integrand concentrates at z = 0, E_z sech^2 -> Npdf(0) int sech^2(u) du/sqrt(qhat)
        and int sech^2 = 2. Returns the asymptotic 1 - q in qhat."""
        u = sp.Symbol("u", real=True)
        total = sp.integrate(1 - sp.tanh(u)**2, (u, -sp.oo, sp.oo))
        one_minus_q = total / sp.sqrt(2 * sp.pi * qhat)
        d.step("q -> 1 asymptotics of the prior",
               "1 - q = E_z sech^2(sqrt(qhat) z) -> (1/sqrt(2 pi qhat)) int sech^2(u) du = "
               "sqrt(2/(pi qhat)) as qhat -> oo (the relative correction is O(1/qhat)).",
               [check_symbolic(total - 2, "int sech^2(u) du = 2 (sympy)"),
                _check_sech_asymptotics(one_minus_q)], one_minus_q=one_minus_q)
        return one_minus_q

    def load_at_q_one(self, d, G_E, I, alpha, params, samples, cuts=()):
        """The load where the saddle point reaches q = 1, for a channel with 2(1-q) G_E -> -I
        (``Channel.q_to_one``): then dG_E/dq ~ -I/(2(1-q)^2), the pairing gives qhat = -2 alpha
        dG_E/dq ~ alpha I/(1-q)^2, and with 1-q ~ sqrt(2/(pi qhat)) (``q_to_one``) q -> 1 at
        alpha = 2/(pi I). Checked numerically on the full equations at ``samples`` (values of
        ``params``, the channel's parameters, besides q): 2(1-q) G_E -> -I, and at that alpha the
        ratio E sech^2(sqrt(qhat) z)/(1-q), qhat = -2 alpha dG_E/dq, tends to 1 as q -> 1."""
        one_minus_q = self.q_to_one(d)
        delta, Isym = sp.symbols("delta I", positive=True)
        sol = sp.solve(sp.Eq(delta, one_minus_q.subs(qhat, alpha * Isym / delta**2)), alpha)
        a_lim = sol[0].subs(Isym, I)
        d.step("q -> 1 limit of the saddle point",
               "qhat = -2 alpha dG_E/dq ~ alpha I/(1-q)^2 and 1 - q ~ sqrt(2/(pi qhat)) meet at "
               "alpha = 2/(pi I): the load where the replica-symmetric saddle point reaches q = 1.",
               [check_symbolic(sol[0] - 2 / (sp.pi * Isym), "alpha = 2/(pi I) solves both"),
                _check_load_limit(G_E, I, a_lim, params, samples, cuts)], alpha_q_to_one=a_lim)
        return a_lim

    def sample(self, rng, N):
        return np.where(rng.random(N) < 0.5, 1.0, -1.0)


def _check_replicated(n):
    """The whole site term at n = 2, 3: sum over 2^n configurations of exp(qhat sum_{a<b} w^a w^b)
    against exp(-n qhat/2) E_z (2cosh(sqrt(qhat) z))^n (mpmath quadrature)."""
    import mpmath as mp
    worst = 0.0
    with mp.workdps(30):
        for nn, qh in ((2, mp.mpf("0.7")), (3, mp.mpf("1.9"))):
            direct = sum(mp.exp(qh * sum(w[a] * w[b] for a in range(nn) for b in range(a + 1, nn)))
                         for w in itertools.product((-1, 1), repeat=nn))
            hs = mp.exp(-nn * qh / 2) * mp.quad(lambda x: mp.npdf(x) * (2 * mp.cosh(
                mp.sqrt(qh) * x))**nn, [-mp.inf, 0, mp.inf])
            worst = max(worst, float(abs(direct / hs - 1)))
    return Check("numeric", worst < 1e-20, "direct spin sum = exp(-n qhat/2) E_z (2cosh)^n at "
                 "n = 2, 3", worst)


def _check_n_to_zero():
    """(1/n) log E_z (2cosh(sqrt(qhat) z))^n at n = 1e-8 against E_z log 2cosh (mpmath)."""
    import mpmath as mp
    with mp.workdps(40):
        qh, nn = mp.mpf("1.7"), mp.mpf("1e-8")
        f = lambda x: mp.npdf(x) * (2 * mp.cosh(mp.sqrt(qh) * x))**nn  # noqa: E731
        lhs = mp.log(mp.quad(f, [-mp.inf, 0, mp.inf])) / nn
        rhs = mp.quad(lambda x: mp.npdf(x) * mp.log(2 * mp.cosh(mp.sqrt(qh) * x)),
                      [-mp.inf, 0, mp.inf])
        err = float(abs(lhs - rhs))
    return Check("numeric", err < 1e-6, "(1/n) log E (2cosh)^n at n = 1e-8 vs E log 2cosh "
                 "(difference O(n))", err)


def _check_sech_asymptotics(one_minus_q):
    """sqrt(pi qhat/2) E_z sech^2(sqrt(qhat) z) -> 1: the gap at qhat = 1e4, 1e6, 1e8 shrinks
    like 1/qhat."""
    import mpmath as mp
    from ...evaluate import mp_function
    gaps = []
    with mp.workdps(30):
        exact = mp_function(1 - gauss_integral(sp.tanh(sp.sqrt(qhat) * z)**2, z), [qhat],
                            [sp.S(0), 1 / sp.sqrt(qhat), -1 / sp.sqrt(qhat)])
        approx = mp_function(one_minus_q, [qhat])
        for qh in (1e4, 1e6, 1e8):
            gaps.append(float(abs(exact(qh) / approx(qh) - 1)))
    ok = gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-7
    return Check("numeric", bool(ok), "|E sech^2 / sqrt(2/(pi qhat)) - 1| at qhat = 1e4, 1e6, 1e8: "
                 + ", ".join(f"{g:.2e}" for g in gaps), gaps[-1])


def _check_load_limit(G_E, I, a_lim, params, samples, cuts):
    import mpmath as mp
    from ...evaluate import mp_function
    gaps_E, gaps_q = [], []
    with mp.workdps(30):
        f_E = mp_function(G_E, [q, *params], cuts)
        f_dE = mp_function(sp.diff(G_E, q), [q, *params], cuts)
        f_I, f_a = mp_function(I, params), mp_function(a_lim, params)
        for dl in (mp.mpf("1e-3"), mp.mpf("1e-5")):
            ge = gr = 0.0
            for s in samples:
                ge = max(ge, float(abs(2 * dl * f_E(1 - dl, *s) + f_I(*s))))
                qh = -2 * f_a(*s) * f_dE(1 - dl, *s)
                w = 1 / mp.sqrt(qh)
                sech2 = mp.quad(lambda x: mp.npdf(x) / mp.cosh(x / w)**2,
                                [-mp.inf, -w, 0, w, mp.inf])
                gr = max(gr, float(abs(sech2 / dl - 1)))
            gaps_E.append(ge)
            gaps_q.append(gr)
    ok = gaps_E[1] < gaps_E[0] and gaps_q[1] < gaps_q[0] and gaps_q[1] < 1e-2
    return Check("numeric", bool(ok), "at 1-q = 1e-3, 1e-5: max |2(1-q) G_E + I| = "
                 + ", ".join(f"{g:.2e}" for g in gaps_E) + "; max |(1-T_q)/(1-q) - 1| at alpha = "
                 "2/(pi I) = " + ", ".join(f"{g:.2e}" for g in gaps_q), gaps_q[1])
