"""Hebbian signal-to-noise theory of feature retrieval on power-law hidden-manifold data.

Conventions:

* N neurons, D = alpha_D N features f^k (i.i.d. +-1), P = alpha N examples
  xi^mu = sgn(sum_{l in S_mu} c_l^mu f^l), |S_mu| = L (odd), coefficients c = +-1 uniform and
  independent (the random-sign mixtures of the model; the all-plus "clean" mixtures c = +1 are
  treated in the step 'clean mixtures', where the theory below does not apply);
* S_mu: L distinct features drawn without replacement (successive sampling) with weights
  pi_k = k^(-eta)/Z(eta, D), Z(eta, D) = sum_{k <= D} k^(-eta);
* p_k: the exact probability that feature k is in an example (NOT L pi_k); P_k ~ Binomial(P, p_k)
  the number of examples containing k; s1 = sum_l p_l^2 = E|S cap S'| (two independent supports);
* Walsh expansion sgn(sum_{l in S} c_l f^l) = sum over odd T subset S of b_|T| prod_{l in T}
  c_l f^l, b_1 = a_L = binom(L-1, (L-1)/2)/2^(L-1) (1/2, 3/8, 5/16 for L = 3, 5, 7),
  sum_t binom(L,t) b_t^2 = 1;
* Hebb couplings J = (1/N) sum_mu xi^mu xi^mu^T (zero diagonal); retrieval of feature k is one
  synchronous step from the state f^k: h_i = sum_{j != i} J_ij f^k_j, x_i = sgn(h_i);
* one-step overlap m_k = E[(1/N) sum_i f^k_i sgn(h_i)], E over the data (features, supports,
  signs) at fixed N, P, D; retrieval criterion: feature k is retrieved when m_k >= m_star, and
  k_max = the largest k with m_j >= m_star for every j <= k. Theory and simulation measure this
  same data-averaged overlap (one instance's overlap is not self-averaging: its crosstalk is
  frozen by the instance's feature overlaps f^l.f^k/N).

Building blocks: the Hebbian storage + sign readout block (theory/blocks/readouts/hebb_sign.py)
gives the self-overlap (N-1)/N, the crosstalk variance (N-1)/N^2 per stored example, the
one-step overlap 1 - 2H(S/sigma) and the Gaussian smoothing of a fluctuating signal; the mixture
structure (a_L, Walsh coefficients, inclusion probabilities, co-occurrence) is the model's own.
"""
from __future__ import annotations

import itertools
import random
from fractions import Fraction

import numpy as np
import sympy as sp

from ..blocks.checks import readout_limits
from ..blocks.readouts.hebb_sign import HebbSign
from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_symbolic
from ..gaussian import H

MODEL = "hopfield-snr"

N = sp.Symbol("N", positive=True)
eta = sp.Symbol("eta", positive=True)
L = sp.Symbol("L", positive=True)
alpha_D = sp.Symbol("alpha_D", positive=True)
alpha = sp.Symbol("alpha", positive=True)
m_star = sp.Symbol("m_star", positive=True)
p_k = sp.Symbol("p_k", positive=True)  # inclusion probability of feature k
s1 = sp.Symbol("s1", positive=True)  # sum_l p_l^2 = E|S cap S'|
u_star = sp.Symbol("u_star", positive=True)
Z1 = sp.Symbol("Z1", positive=True)  # Z(eta, D)
Z2 = sp.Symbol("Z2", positive=True)  # Z(2 eta, D)
gam = sp.Symbol("gamma", positive=True)  # lim p_k/pi_k for rare k
k = sp.Symbol("k", positive=True)

PARAMETERS = [
    Parameter(N, 10.0, None, default=2000.0, description="number of neurons"),
    Parameter(eta, 0.5, None, lower_open=True, default=1.5,
              description="power-law exponent of the feature weights (eta > 1/2)"),
    Parameter(L, 1.0, 15.0, default=3.0, description="features per example (odd integer)"),
    Parameter(alpha_D, 0.0, None, lower_open=True, default=0.5, description="D/N"),
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0, description="P/N"),
    Parameter(m_star, 0.0, 1.0, lower_open=True, upper_open=True, default=0.95,
              description="retrieval criterion: data-averaged one-step overlap reaching m_star"),
]


def a_L_expr(LL):
    return sp.gamma(LL) / (sp.gamma((LL + 1) / 2) ** 2 * 2 ** (LL - 1))


def walsh_coefficients(LL: int) -> dict[int, sp.Rational]:
    """b_t, t odd: the Walsh coefficients of the majority of LL signs, by enumeration."""
    out = {}
    for t in range(1, LL + 1, 2):
        tot = sp.S(0)
        for s in itertools.product((1, -1), repeat=LL):
            tot += sp.sign(sum(s)) * sp.prod(s[:t])
        out[t] = tot / 2**LL
    return out


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Hebbian signal-to-noise on power-law hidden-manifold data",
                   conventions=__doc__.split("Conventions:")[1].strip(),
                   parameters=PARAMETERS, order_parameters=[])
    aL = a_L_expr(L)
    d.step("mixture projection a_L",
           "E[sgn(sum_l c_l f_l) c_1 f_1] = P(c_2 f_2 + ... + c_L f_L = 0) = binom(L-1,(L-1)/2)/"
           "2^(L-1) = Gamma(L)/(Gamma((L+1)/2)^2 2^(L-1)); checked by exhaustive enumeration of "
           "the 2^L sign patterns for L = 1, 3, 5, 7 (1, 1/2, 3/8, 5/16).",
           [_check_aL(aL)], a_L=aL)
    d.step("Walsh expansion of an L-mixture",
           "sgn(sum_{l in S} c_l f_l) = sum over odd T subset S of b_|T| c_T f^T (c_T, f^T the "
           "products over T), exactly, for +-1 entries; b_1 = a_L and Parseval sum_t binom(L, t) "
           "b_t^2 = 1. L = 3: sgn(a+b+c) = (a+b+c)/2 - abc/2 (b_1 = 1/2, b_3 = -1/2); L = 5: "
           "b = 3/8, -1/8, 3/8. Checked on all sign patterns for L = 1..7.",
           [_check_walsh(aL)])

    _inclusion(d)
    _test_prediction(d)
    d.step("exact field decomposition",
           "From the state f^k: h_i = sum_mu xi_i^mu o_mu^(i), o_mu^(i) = (1/N) sum_{j != i} "
           "xi_j^mu f^k_j = sum_{T subset S_mu} b_T c_T q_T, with q_T = (1/N) sum_{j != i} "
           "f^T_j f^k_j. q_{k} = (N-1)/N exactly; every other q_T is the mean of N-1 i.i.d. "
           "uniform signs (f^T f^k is a product of distinct features), mean 0, variance "
           "(N-1)/N^2, pairwise uncorrelated and independent of site i. Hence h_i = A_i + B_i "
           "with A_i = a_L (N-1)/N sum_{mu ni k} c_k^mu xi_i^mu (the examples containing k: "
           "signal a_L^2 (N-1)/N P_k f^k_i plus the components a_L^2 c_k c_l f^l_i of every "
           "feature l that co-occurs with k, plus a_L b_T c_k c_T f^T_i for |T| >= 3) and "
           "B_i = sum_mu xi_i^mu sum_{T != {k}} b_T c_T q_T (the crosstalk through the random "
           "overlaps). Checked as an exact rational identity on random instances (N = 9, D = 5, "
           "P = 7, L = 3 and N = 11, D = 6, P = 5, L = 5) at every site.",
           [_check_decomposition()])

    # Moments over the data for random signs (c = +-1).
    P = alpha * N
    readout = HebbSign()
    r = readout.self_overlap(N)
    crosstalk = readout.crosstalk(N)  # (N-1)/N^2 per example
    signal = aL**2 * r * P * p_k
    var_sig = aL**2 * (1 - aL**2) * r**2 * P * p_k
    var_cnt = aL**4 * r**2 * P * p_k * (1 - p_k)
    var_inc = P * (1 - aL**2 * p_k) * crosstalk
    var_coh = aL**4 * P * (P - 1) * (s1 - p_k**2) * crosstalk
    var = var_coh + var_sig + var_cnt + var_inc
    snr = signal / sp.sqrt(var)
    d.step("moments of the field (random signs)",
           "Over the data at fixed P: E[f^k_i A_i] = a_L^2 (N-1)/N P p_k (signal S_k). Given P_k "
           "the co-occurring components of A have random signs c_k c_l (and c_k c_T), so they "
           "add incoherently: variance a_L^2 (1 - a_L^2) ((N-1)/N)^2 P_k by Parseval "
           "(var_signal); the count P_k ~ Binomial(P, p_k) adds a_L^4 ((N-1)/N)^2 P p_k(1-p_k) "
           "(var_count). B: the same example (mu = nu) gives E[o^2] - its q_k part, sum_mu "
           "(1 - a_L^2 1[k in S_mu])(N-1)/N^2 -> P (1 - a_L^2 p_k)(N-1)/N^2 (var_incoherent); "
           "two different examples correlate only through the same T in both, with c_T^2 = 1: "
           "the coherent crosstalk sum_{T != {k}} b_T^4 n_T^2 (N-1)/N^2, n_T the number of "
           "examples containing T; its |T| = 1 part is a_L^4 P(P-1)(s1 - p_k^2)(N-1)/N^2 "
           "(var_coherent: the P_l examples of l act together through the one overlap "
           "f^l.f^k/N). The |T| >= 3 parts are b_t^4 P(P-1) E[binom(|S cap S'|, t)] (repeated "
           "triples); they are left out: 0.8 % of var_coherent at eta = 1.5, L = 3 (support "
           "collision probability 0.0077 against E|S cap S'| = 0.99), less for smaller eta. "
           "A and B are uncorrelated (E q_T = 0).",
           [check_symbolic(sp.expand(var_inc.subs(p_k, 0) * N**2 / (N - 1) - P),
                           "var_incoherent = P (N-1)/N^2 when k is in no example"),
            _check_L1(var_sig, var_cnt)],
           signal=signal, var_coherent=var_coh, var_signal=var_sig, var_count=var_cnt,
           var_incoherent=var_inc, snr=snr)

    m1 = readout.overlap(snr)
    d.step("retrieval criterion",
           "A + B is Gaussian over the data to leading order (the coherent part is a sum of "
           "Gaussian overlaps q_l times +-1, the rest sums of many random signs), and a "
           "Gaussian count fluctuation of the signal only widens it: E_Z[1 - 2H((mu + s Z)/"
           "sigma)] = 1 - 2H(mu/sqrt(sigma^2 + s^2)) (checked with mpmath quadrature). So the "
           "data-averaged one-step overlap is m_k = 1 - 2H(S_k/sigma_k), and k is retrieved "
           "when S_k/sigma_k >= u_star = H^(-1)((1 - m_star)/2) (1.95996 at m_star = 0.95). "
           "S_k/sigma_k decreases with k (p_k does), so k_max is the number of k with "
           "S_k/sigma_k >= u_star.",
           [check_symbolic(m1.subs(snr, u_star) - (1 - 2 * H(u_star)), "overlap at threshold"),
            *readout_limits(readout, np.random.default_rng(0))],
           m_one_step=m1)

    ratio2 = sp.limit(var / signal**2 * N, N, sp.oo)
    lead = s1 / p_k**2 - 1
    nxt = (1 - aL**2) / (aL**2 * alpha * p_k) + (1 - p_k) / (alpha * p_k)
    d.step("large-N noise-to-signal ratio",
           "N sigma_k^2/S_k^2 -> (s1 - p_k^2)/p_k^2 + (1 - a_L^2)/(a_L^2 alpha p_k) + (1 - p_k)/"
           "(alpha p_k) at fixed p_k (sympy limit; var_incoherent is O(1/N) relative): the "
           "coherent crosstalk (first term) is alpha-independent; the co-occurrence and count "
           "terms fall like 1/(alpha p_k).",
           [check_symbolic(sp.simplify(ratio2 - lead - nxt), "limit N sigma^2/S^2")],
           N_ratio2=ratio2)

    # Rare features: p_k -> gamma pi_k, gamma = int_0^oo P(N(t) <= L-1) dt (the clock integral).
    pik = k ** (-eta) / Z1
    ratio_lead = lead.subs(p_k, gam * pik) + 1  # s1/p_k^2 (p_k^2 << s1)
    k_lead = (N * gam**2 / (u_star**2 * Z1**2 * s1)) ** (1 / (2 * eta))
    d.step("k_max(N)",
           "For rare features p_k = gamma pi_k (1 + O(pi_k)), gamma = lim p_k/pi_k = "
           "int_0^oo P(N(t) <= L-1) dt (the clock integral at w_k -> 0: the expected time of the "
           "L-th draw). Keeping the coherent term, N sigma^2/S^2 = s1/p_k^2, and S/sigma = "
           "u_star gives k_max = (N gamma^2/(u_star^2 Z(eta,D)^2 s1))^(1/(2 eta)): exponent "
           "1/(2 eta), no alpha dependence, prefactor ~ u_star^(-1/eta). With p_l = L pi_l for "
           "every l (no saturation) gamma = L, s1 = L^2 Z(2eta,D)/Z(eta,D)^2 and this is "
           "(N/(u_star^2 Z(2eta,D)))^(1/(2eta)). Where the law does not hold: (i) at finite N "
           "the co-occurrence and count terms multiply the noise-to-signal ratio by 1 + "
           "p_k (1/a_L^2 - p_k)/(alpha s1); at k_max, p_k ~ u_star sqrt(s1/N), a relative "
           "correction u_star/(a_L^2 alpha sqrt(N s1)) (0.18 at N = 2000, alpha = 1, L = 3, "
           "eta = 1.5): the law is the N -> oo limit at fixed alpha, reached slowly, and at "
           "small alpha (alpha sqrt(N) of order u_star/(a_L^2 sqrt(s1)) or less) k_max falls "
           "below it and grows with alpha; (ii) the frequent features have p_k < L pi_k "
           "(saturation), which the law's gamma and s1 carry exactly; (iii) for clean mixtures "
           "(c = +1) it fails altogether (step 'clean mixtures').",
           [check_symbolic(sp.simplify(sp.powsimp(ratio_lead.subs(k, k_lead), force=True) / N
                                       - 1 / u_star**2), "S/sigma = u_star at k_max"),
            check_symbolic(sp.simplify(sp.powsimp(
                k_lead.subs({gam: L, s1: L**2 * Z2 / Z1**2}), force=True)
                - (N / (u_star**2 * Z2)) ** (1 / (2 * eta))), "gamma = L: the poster's law"),
            check_symbolic(sp.simplify(N * sp.diff(sp.log(k_lead), N) - 1 / (2 * eta)),
                           "exponent 1/(2 eta)"),
            check_symbolic(sp.diff(k_lead, alpha), "no alpha dependence"),
            check_symbolic(sp.simplify(u_star * sp.diff(sp.log(k_lead), u_star) + 1 / eta),
                           "prefactor ~ u_star^(-1/eta)")],
           k_max=k_lead)

    _clean_mixtures(d)

    d.kernel("snr", [p_k, s1],
             [("a_L", aL), ("signal", signal), ("var_coherent", var_coh),
              ("var_signal", var_sig), ("var_count", var_cnt), ("var_incoherent", var_inc),
              ("snr", snr), ("m_one_step", m1)],
             "per-feature Hebbian signal, noise variances, signal-to-noise ratio and one-step "
             "overlap (random signs)")
    d.kernel("k_max_leading", [u_star, Z1, s1, gam], [("k_max", k_lead)],
             "leading-order k_max(N) = (N gamma^2/(u_star^2 Z(eta,D)^2 s1))^(1/(2 eta))")
    return d


def _check_L1(var_sig, var_cnt):
    """L = 1 (xi = c f, a_1 = 1): the co-occurrence variance vanishes, the count one remains."""
    v = sp.simplify(var_sig.subs(L, 1))
    c = sp.simplify(var_cnt.subs(L, 1) - ((N - 1) / N) ** 2 * alpha * N * p_k * (1 - p_k))
    return Check("symbolic", v == 0 and c == 0, "L = 1: var_signal = 0, var_count = "
                 "((N-1)/N)^2 P p(1-p)")


def _check_walsh(aL):
    worst = 0
    for LL in range(1, 8, 2):
        b = walsh_coefficients(LL)
        if b[1] != aL.subs(L, LL):
            worst = 1
        if sum(sp.binomial(LL, t) * bt**2 for t, bt in b.items()) != 1:
            worst = 1
        for s in itertools.product((1, -1), repeat=LL):
            rec = sum(bt * sp.prod(T) for t, bt in b.items()
                      for T in itertools.combinations(s, t))
            if rec != sp.sign(sum(s)):
                worst = 1
    return Check("symbolic", worst == 0, "expansion exact on every sign pattern, b_1 = a_L, "
                 "Parseval, L = 1, 3, 5, 7", float(worst))


def _check_decomposition():
    """h_i = A_i + B_i exactly (rational arithmetic) on two random small instances."""
    ok = True
    for (NN, DD, PP, LL, seed) in ((9, 5, 7, 3, 1), (11, 6, 5, 5, 2)):
        rnd = random.Random(seed)
        F = [[rnd.choice((1, -1)) for _ in range(NN)] for _ in range(DD)]
        sup = [rnd.sample(range(DD), LL) for _ in range(PP)]
        sgn = [[rnd.choice((1, -1)) for _ in range(LL)] for _ in range(PP)]
        X = [[1 if sum(c * F[l][i] for l, c in zip(s, cs)) > 0 else -1 for i in range(NN)]
             for s, cs in zip(sup, sgn)]
        b = {t: Fraction(int(sp.numer(v)), int(sp.denom(v)))
             for t, v in walsh_coefficients(LL).items()}
        kk = 0
        for i in range(NN):
            h = sum(Fraction(X[mu][i] * X[mu][j] * F[kk][j], NN)
                    for mu in range(PP) for j in range(NN) if j != i)
            A, B = Fraction(0), Fraction(0)
            for mu in range(PP):
                for t in b:
                    for idx in itertools.combinations(range(LL), t):
                        T = [sup[mu][a] for a in idx]
                        cT = 1
                        for a in idx:
                            cT *= sgn[mu][a]
                        q = Fraction(sum(_prod(F[l][j] for l in T) * F[kk][j]
                                         for j in range(NN) if j != i), NN)
                        term = X[mu][i] * b[t] * cT * q
                        if T == [kk]:
                            A += term
                        else:
                            B += term
            # A is a_L (N-1)/N sum_{mu ni k} c_k xi_i
            A2 = sum(b[1] * Fraction(NN - 1, NN) * sgn[mu][sup[mu].index(kk)] * X[mu][i]
                     for mu in range(PP) if kk in sup[mu])
            ok &= (h == A + B) and (A == A2)
    return Check("symbolic", bool(ok), "h_i = A_i + B_i exactly at every site of two random "
                 "instances (L = 3 and 5)")


def _prod(it):
    out = 1
    for x in it:
        out *= x
    return out


def _clean_mixtures(d):
    """c = +1: the co-occurrence term is coherent and the overlap saturates below 1."""
    g2, g3 = sp.symbols("g2 g3")
    # f^k xi for a clean 3-mixture (k, l, m), with g_l = f^k f^l: sgn(1 + g_l + g_m)
    ok = all(sp.sign(1 + a + b) == sp.Rational(1 + a + b - a * b, 2)
             for a, b in itertools.product((1, -1), repeat=2))
    # toy law: k with {2,3} (w = 3/5), {2,4} (1/5) or {3,4} (1/5): m_inf by enumeration
    w = {(2, 3): sp.Rational(3, 5), (2, 4): sp.Rational(1, 5), (3, 4): sp.Rational(1, 5)}
    m_inf = sp.S(0)
    for gs in itertools.product((1, -1), repeat=3):
        g = dict(zip((2, 3, 4), gs))
        A = sum(wt * sp.sign(1 + g[a] + g[b]) for (a, b), wt in w.items())
        m_inf += sp.sign(A) / 8
    d.step("clean mixtures (c = +1)",
           "With all coefficients +1 (xi = sgn(f^a + f^b + ...)), f^k_i A_i = a_L (N-1)/N "
           "sum_{mu ni k} sgn(1 + sum_{l in S_mu \\ k} g_l), g_l = f^k_i f^l_i i.i.d. +-1 over "
           "sites; for L = 3 sgn(1 + g_l + g_m) = (1 + g_l + g_m - g_l g_m)/2. The co-occurring "
           "features no longer cancel: the f^l component is a_L^2 n_kl (n_kl the examples "
           "containing k and l), of the order of the signal a_L^2 P_k, for every N. B (the "
           "crosstalk through overlaps) still falls like 1/sqrt(N) relative to the signal, so "
           "as N -> oo the one-step overlap tends to m_inf(k) = E_g[sgn(sum_{S ni k} w_S "
           "sgn(1 + sum_{l in S\\k} g_l))] with w_S = P(S_mu = S | k in S_mu), strictly below 1 "
           "(it is 1 only if no sign pattern of the partners outvotes the signal). Example: "
           "partner pairs {2,3}, {2,4}, {3,4} with weights 3/5, 1/5, 1/5 give m_inf = 1/2 "
           "(enumeration). For rare k the partner law tends to a k-independent one, so m_inf(k) "
           "tends to a constant: with m_star above it no feature is retrieved at any N (k_max "
           "= 0), with m_star below it the criterion is again set by the Gaussian B term. The "
           "N^(1/(2 eta)) law and the random-sign moments above do not apply to clean "
           "mixtures.",
           [Check("symbolic", bool(ok), "sgn(1+a+b) = (1+a+b-ab)/2 on the 4 sign patterns"),
            check_symbolic(m_inf - sp.Rational(1, 2), "toy m_inf = 1/2 by enumeration")])


def _check_aL(aL):
    worst = 0
    for LL in (1, 3, 5, 7):
        tot = sp.S(0)
        for signs in itertools.product((1, -1), repeat=LL):
            s = sum(signs)
            tot += sp.sign(s) * signs[0]
        tot /= 2**LL
        worst = max(worst, abs(sp.nsimplify(tot - aL.subs(L, LL))))
        worst = max(worst, 0 if 1 - LL * aL.subs(L, LL) ** 2 >= 0 else 1)
    return Check("symbolic", worst == 0, "a_L by enumeration, L = 1, 3, 5, 7", float(worst))


def _inclusion(d):
    """p_k = int_0^oo w_k e^(-w_k t) P(fewer than L others fired by t) dt (exponential clocks)."""
    t = sp.Symbol("t", positive=True)
    ws = [sp.Rational(5, 12), sp.Rational(1, 4), sp.Rational(1, 6), sp.Rational(1, 6)]
    ok, worst = True, 0
    for LL in (2, 3):
        for kk in range(len(ws)):
            others = [w for j, w in enumerate(ws) if j != kk]
            # P(#others fired by t <= L-1), each fired w.p. 1 - exp(-w t) independently
            Q = sp.S(0)
            for fired in itertools.product((0, 1), repeat=len(others)):
                if sum(fired) <= LL - 1:
                    term = sp.S(1)
                    for f, w in zip(fired, others):
                        term *= (1 - sp.exp(-w * t)) if f else sp.exp(-w * t)
                    Q += term
            p_int = sp.integrate(sp.expand(ws[kk] * sp.exp(-ws[kk] * t) * Q), (t, 0, sp.oo))
            p_enum = _enumerate_inclusion(ws, LL, kk)
            diff = sp.simplify(p_int - p_enum)
            ok &= diff == 0
            worst = max(worst, abs(float(diff)))
    d.step("exact inclusion probabilities",
           "Successive sampling of L distinct features equals the order of L first arrivals of "
           "independent exponential clocks of rates w_k (the Gumbel-top-L trick in another form), "
           "so p_k = int_0^oo w_k e^(-w_k t) P(N_(-k)(t) <= L-1) dt, N_(-k)(t) the number of other "
           "clocks rung by t (a Poisson-binomial count). Checked exactly (rational arithmetic) "
           "against the enumeration of all ordered draws for D = 4 weights (5,3,2,2)/12 and "
           "L = 2, 3. sum_k p_k = L; p_k < L pi_k for the frequent features and > for the rare.",
           [Check("symbolic", bool(ok), "integral = enumeration for D = 4, L = 2, 3, every k",
                  worst)])


def _test_prediction(d):
    """P(S subset of K): the fraction of fresh examples whose features are all learned."""
    t = sp.Symbol("t", positive=True)
    ws = [sp.Rational(5, 12), sp.Rational(1, 4), sp.Rational(1, 6), sp.Rational(1, 6)]
    K = (0, 1, 2)
    ok = True
    for LL in (2, 3):
        within = sp.S(0)
        for seq in itertools.permutations(K, LL):
            prob, left = sp.S(1), sp.S(1)
            for j in seq:
                prob *= ws[j] / left
                left -= ws[j]
            within += prob
        # K misses only feature 3: P(S in K) = 1 - p_3, p_3 from the clock integral
        others = ws[:3]
        Q = sp.S(0)
        for fired in itertools.product((0, 1), repeat=3):
            if sum(fired) <= LL - 1:
                term = sp.S(1)
                for f, w in zip(fired, others):
                    term *= (1 - sp.exp(-w * t)) if f else sp.exp(-w * t)
                Q += term
        p3 = sp.integrate(sp.expand(ws[3] * sp.exp(-ws[3] * t) * Q), (t, 0, sp.oo))
        ok &= sp.simplify(within - (1 - p3)) == 0
    d.step("test reconstruction from learned features",
           "The claim to test: a test example is reconstructed when all its L features are "
           "learned. Measured, this is necessary, not sufficient (an unseen L-mixture of learned "
           "features can still collapse onto its strongest feature), so the fraction of examples "
           "with all features learned, P(S in K), is an upper bound on the reconstructed "
           "fraction (simulation/hopfield_snr.py verifies the inclusion law, the necessity "
           "and the bound). P(S in K) = sum over ordered L-tuples (k_1..k_L) of distinct "
           "members of the learned set K of prod_j w_(k_j)/(1 - w_(k_1) - ... - w_(k_(j-1))). "
           "Checked exactly for D = 4, K = {1, 2, 3}, L = 2, 3 against 1 - p_4 from the clock "
           "integral.",
           [Check("symbolic", bool(ok), "P(S in K) = 1 - p_4 for K = all but feature 4")])


def _enumerate_inclusion(ws, LL, kk):
    tot = sp.S(0)
    for seq in itertools.permutations(range(len(ws)), LL):
        if kk not in seq:
            continue
        prob, left = sp.S(1), sp.S(1)
        for j in seq:
            prob *= ws[j] / left
            left -= ws[j]
        tot += prob
    return tot
