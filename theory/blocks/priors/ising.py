"""Ising prior: binary weights w_i = +-1 (|w|^2 = N), written as a Legendre transform in (q, qhat).

Conventions: q = w^a.w^b/N between two students, qhat its conjugate (the Lagrange multiplier of
the overlap constraint); with a teacher w* in {-1, +1}^N also R = w.w*/N and its conjugate Rhat
(the gauge w_i -> w_i w*_i makes the teacher all +1, so Rhat acts as a uniform field); z is the
standard Gaussian of the Hubbard-Stratonovich transformation; log 2cosh is the special function
``LogCosh2`` (theory/spins.py), stable for large fields.
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
from ..symbols import R, Rhat, q, qhat, z

# (q, qhat) sample points for the numeric checks, inside the domain 0 < q < 1, qhat > 0.
_SAMPLES = [(0.3, 0.4), (0.6, 2.5), (0.9, 11.0)]
# (q, qhat, R, Rhat) sample points with a teacher, R^2 < q
_SAMPLES_TEACHER = [(0.3, 0.4, 0.2, 0.3), (0.6, 2.5, -0.5, -1.1), (0.9, 11.0, 0.8, 2.0)]


class Ising(Prior):
    """Binary student w_i = +-1: G_S = -qhat (1-q)/2 + E_z log 2cosh(sqrt(qhat) z); with a
    teacher -R Rhat is added and the field is sqrt(qhat) z + Rhat."""

    name = "ising"

    def order_parameters(self, teacher=False):
        return [q, qhat, R, Rhat] if teacher else [q, qhat]

    @staticmethod
    def _field(teacher):
        return sp.sqrt(qhat) * z + (Rhat if teacher else 0)

    def entropic(self, d, teacher=False):
        """Replicate n students, impose q_ab = q (a < b) with conjugates qhat, sum over w^a = +-1
        site by site; the quadratic form is linearized by a Gaussian z; then n -> 0. With a
        teacher, the overlaps R_a = R add Rhat sum_a w^a w*_i per site (gauge: w*_i = +1)."""
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
        field = self._field(teacher)
        G_S = lim + gauss_avg(LogCosh2(field), z)
        if teacher:
            G_S = lim - R * Rhat + gauss_avg(LogCosh2(field), z)
            d.step("teacher overlap",
                   "exp(Rhat sum_a w^a w*_i - n R Rhat) per site fixes R_a = R; the gauge "
                   "w^a_i -> w^a_i w*_i leaves the spin sums and q unchanged and makes w*_i = +1, "
                   "so the field is sqrt(qhat) z + Rhat and -R Rhat is added per replica.",
                   [_check_replicated(n, teacher=True)], field=field)
        d.step("entropic term, n -> 0",
               "G_S = lim_{n->0} (1/n)[-n(n-1) qhat q/2 - n qhat/2 + log E_z (2cosh(sqrt(qhat) z))"
               "^n] = -qhat (1-q)/2 + E_z log 2cosh(sqrt(qhat) z)."
               + (" With a teacher: -R Rhat + E_z log 2cosh(sqrt(qhat) z + Rhat)." if teacher
                  else ""),
               [check_symbolic(lim + qhat * (1 - q) / 2, "limit of the polynomial part"),
                _check_n_to_zero()], G_S=G_S)
        mom = self.moments(teacher)
        syms, samples = ([q, qhat, R, Rhat], _SAMPLES_TEACHER) if teacher else ([q, qhat],
                                                                                 _SAMPLES)
        cuts = [sp.S(0), -Rhat / sp.sqrt(qhat)] if teacher else [sp.S(0)]
        d.step("moment form of dG_S/dqhat (Stein's lemma)",
               "dG_S/dqhat = -(1-q)/2 + E_z[z tanh(sqrt(qhat) z)]/(2 sqrt(qhat)) and "
               "E_z[z f(z)] = E_z[f'(z)] give dG_S/dqhat = (q - E_z tanh^2(sqrt(qhat) z))/2."
               + (" With a teacher the field is sqrt(qhat) z + Rhat, and dG_S/dRhat = -R + E_z "
                  "tanh(sqrt(qhat) z + Rhat)." if teacher else ""),
               [check_numeric(sp.diff(G_S, s_), m_, syms, samples, 1e-20,
                              f"sympy derivative{' in ' + str(s_) if teacher else ''} equals "
                              "the moment form (mpmath)",
                              breakpoints=cuts) for s_, m_ in mom.items()],
               **{f"dG_S_d{s_}": m_ for s_, m_ in mom.items()})
        return G_S

    def moments(self, teacher=False):
        field = self._field(teacher)
        out = {qhat: (q - gauss_avg(sp.tanh(field)**2, z)) / 2}
        if teacher:
            out[Rhat] = -R + gauss_avg(sp.tanh(field), z)
        return out

    def replicon_moment(self, d, teacher=False):
        """E_z[(d^2/dB^2 log 2cosh B)^2] at B = the field: the prior's factor of the replicon
        (the squared variance of one spin in its local field), = E_z (1 - tanh^2)^2."""
        B = sp.Symbol("B", real=True)
        second = sp.diff(LogCosh2(B), B, 2)
        m = gauss_avg(second.subs(B, self._field(teacher))**2, z)
        d.step("replicon factor of the prior",
               "d^2/dB^2 log 2cosh B = 1 - tanh^2 B, the variance of a spin in the field B; its "
               "square averaged over the field.",
               [check_symbolic(second - (1 - sp.tanh(B)**2), "second derivative of log 2cosh")],
               M_in=m)
        return m

    def pairings(self, teacher=False):
        # q <- q - 2 dphi/dqhat = E tanh^2; qhat <- qhat - 2 dphi/dq = -2 alpha dG_E/dq (dG_S/dq
        # = qhat/2): both right-hand sides are free of the parameter they update. With a
        # teacher R <- R + dphi/dRhat = E tanh and Rhat <- Rhat + dphi/dR = alpha dG_E/dR.
        out = [Pairing(q, qhat, -2), Pairing(qhat, q, -2)]
        return out + [Pairing(R, Rhat, 1), Pairing(Rhat, R, 1)] if teacher else out

    def hints(self, teacher=False):
        """E_z tanh^2(field) varies on the scale 1/sqrt(qhat) where the field crosses 0."""
        return [(-(Rhat if teacher else 0) / sp.sqrt(qhat), 1 / sp.sqrt(qhat))]

    def domain(self, values):
        qq, qh, rr = values.get(q), values.get(qhat), values.get(R, 0.0)
        return bool(0.0 < qq < 1.0 and qh > 0.0 and rr * rr < qq)

    def q_to_one(self, d):
        """Without a teacher: 1 - q = E_z sech^2(sqrt(qhat) z) ~ sqrt(2/(pi qhat)) as qhat -> oo:
        with u = sqrt(qhat) z the integrand concentrates at z = 0, E_z sech^2 -> Npdf(0) int sech^2(u) du/sqrt(qhat)
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


def _check_replicated(n, teacher=False):
    """The whole site term at n = 2, 3: sum over 2^n configurations of exp(qhat sum_{a<b} w^a w^b
    + Rhat sum_a w^a) against exp(-n qhat/2) E_z (2cosh(sqrt(qhat) z + Rhat))^n (mpmath; Rhat = 0
    without a teacher)."""
    import mpmath as mp
    worst = 0.0
    with mp.workdps(30):
        for nn, qh, rh in ((2, mp.mpf("0.7"), mp.mpf("0.4")), (3, mp.mpf("1.9"), mp.mpf("-1.2"))):
            rh = rh if teacher else 0
            direct = sum(mp.exp(qh * sum(w[a] * w[b] for a in range(nn) for b in range(a + 1, nn))
                                + rh * sum(w)) for w in itertools.product((-1, 1), repeat=nn))
            hs = mp.exp(-nn * qh / 2) * mp.quad(lambda x: mp.npdf(x) * (2 * mp.cosh(
                mp.sqrt(qh) * x + rh))**nn, [-mp.inf, 0, mp.inf])
            worst = max(worst, float(abs(direct / hs - 1)))
    return Check("numeric", worst < 1e-20, "direct spin sum = exp(-n qhat/2) E_z (2cosh)^n at "
                 "n = 2, 3" + (" with the teacher field Rhat" if teacher else ""), worst)


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
