"""Hebbian signal-to-noise theory of feature retrieval on power-law hidden-manifold data.

Conventions (shared/models/hopfield_powerlaw.md):

* N neurons, D = alpha_D N features f^k (i.i.d. +-1), P = alpha N examples
  xi^mu = sgn(sum_{k in S_mu} c_k^mu f^k), |S_mu| = L (odd), c = +-1;
* S_mu: L distinct features drawn without replacement (successive sampling) with weights
  pi_k = k^(-eta)/Z(eta, D), Z(eta, D) = sum_{k <= D} k^(-eta);
* p_k: the exact probability that feature k is in an example (NOT L pi_k); P_k ~ Binomial(P, p_k)
  the number of examples containing k, E[P_k] = P p_k, E[P_k^2] = P p_k (1 - p_k) + P^2 p_k^2;
* Hebb couplings J = (1/N) sum_mu xi^mu xi^mu^T (zero diagonal); the field at the state f^k is
  h_i = sum_{j != i} J_ij f^k_j;
* a_L = E[sgn(c_1 f_1 + ... + c_L f_L) c_1 f_1] = binom(L-1, (L-1)/2)/2^(L-1): the projection of an
  L-mixture on one of its features (1/2, 3/8, 5/16 for L = 3, 5, 7), also the overlap of the
  symmetric L-mixture state with each of its patterns;
* retrieval criterion: feature k is retrieved when its one-step overlap 1 - 2 H(S_k/sigma_k)
  reaches m_star, i.e. when the signal-to-noise ratio S_k/sigma_k >= u_star = H^(-1)((1-m_star)/2).
"""
from __future__ import annotations

import itertools

import sympy as sp

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
Q2 = sp.Symbol("Q2", positive=True)  # sum_l E[P_l^2]/P^2 over all D features
u_star = sp.Symbol("u_star", positive=True)
Z2 = sp.Symbol("Z2", positive=True)  # Z(2 eta, D)
k = sp.Symbol("k", positive=True)

PARAMETERS = [
    Parameter(N, 10.0, None, default=2000.0, description="number of neurons"),
    Parameter(eta, 0.5, None, lower_open=True, default=1.5,
              description="power-law exponent of the feature weights (eta > 1/2)"),
    Parameter(L, 1.0, 15.0, default=3.0, description="features per example (odd integer)"),
    Parameter(alpha_D, 0.0, None, lower_open=True, default=0.5, description="D/N"),
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0, description="P/N"),
    Parameter(m_star, 0.0, 1.0, lower_open=True, upper_open=True, default=0.95,
              description="retrieval criterion: one-step overlap reaching m_star"),
]


def a_L_expr(LL):
    return sp.gamma(LL) / (sp.gamma((LL + 1) / 2) ** 2 * 2 ** (LL - 1))


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Hebbian signal-to-noise on power-law hidden-manifold data",
                   conventions=__doc__.split("Conventions (shared/models/hopfield_powerlaw.md):")[1]
                   .strip(), parameters=PARAMETERS, order_parameters=[])
    aL = a_L_expr(L)
    d.step("mixture projection a_L",
           "E[sgn(sum_l c_l f_l) c_1 f_1] = P(c_2 f_2 + ... + c_L f_L = 0) = binom(L-1,(L-1)/2)/"
           "2^(L-1) = Gamma(L)/(Gamma((L+1)/2)^2 2^(L-1)); checked by exhaustive enumeration of "
           "the 2^L sign patterns for L = 1, 3, 5, 7 (1, 1/2, 3/8, 5/16); the linear projection of "
           "xi on the span of its features has variance L a_L^2 <= 1 (residual 1 - L a_L^2, 1/4 "
           "at L = 3).",
           [_check_aL(aL)], a_L=aL)

    _inclusion(d)
    _test_prediction(d)

    # Field at f^k: h_i = sum_mu xi_i^mu (xi^mu . f^k)/N.
    P = alpha * N
    signal = aL**2 * P * p_k
    var_coh = aL**4 * P**2 * (Q2 - (p_k * (1 - p_k) / P + p_k**2)) / N
    var_sig = aL**2 * (1 - aL**2) * P * p_k
    var_inc = (1 - L * aL**4) * alpha * (1 - p_k)
    var = var_coh + var_sig + var_inc
    snr = signal / sp.sqrt(var)
    d.step("Hebbian field along a feature",
           "Examples containing k contribute xi_i (xi.f^k/N) ~ a_L c_k xi_i, of mean a_L^2 f^k_i "
           "and variance a_L^2(1-a_L^2) each: signal S_k = a_L^2 E[P_k] f^k_i and variance "
           "a_L^2 (1-a_L^2) E[P_k]. An example containing l != k projects coherently on f^l with "
           "weight a_L, so the P_l examples of l add up to a_L^2 P_l f^l_i (f^l.f^k/N), a "
           "Gaussian crosstalk of variance a_L^4 E[P_l^2]/N (coherent, grows like P^2). The rest "
           "of each example's overlap with f^k (variance (1 - L a_L^4)/N out of the total 1/N) "
           "adds incoherently: alpha (1 - p_k)(1 - L a_L^4). Co-occurrence correlations between "
           "features are neglected.",
           [_check_L3_decomposition()],
           signal=signal, var_coherent=var_coh, var_signal=var_sig, var_incoherent=var_inc,
           snr=snr)

    m1 = 1 - 2 * H(snr)
    d.step("retrieval criterion",
           "One synchronous step from f^k flips each spin with probability H(S_k/sigma_k): "
           "overlap 1 - 2H(S_k/sigma_k). Retrieved when this reaches m_star: S_k/sigma_k >= "
           "u_star = H^(-1)((1 - m_star)/2) (u_star = 1.95996 at m_star = 0.95).",
           [check_symbolic(m1.subs(snr, u_star) - (1 - 2 * H(u_star)), "overlap at threshold")],
           m_one_step=m1)

    # Leading order: rare features (p_k -> 0), coherent noise only, p_l = gamma pi_l.
    ratio2 = sp.limit(var / signal**2 * N, N, sp.oo)
    lead = Q2 / p_k**2 - 1
    d.step("large-N noise-to-signal ratio",
           "sigma_k^2/S_k^2 = (Q2 - E[P_k^2]/P^2)/(N p_k^2) + O(1/(alpha N p_k)) + O(1/N^2): the "
           "coherent crosstalk dominates for rare features, and it does not depend on alpha "
           "(sympy limit of N sigma_k^2/S_k^2 at p_k, Q2 fixed).",
           [check_symbolic(sp.simplify(ratio2 - lead - (1 - aL**2) / (aL**2 * alpha * p_k)),
                           "limit N sigma^2/S^2 = Q2/p_k^2 - 1 + (1-a_L^2)/(a_L^2 alpha p_k)")],
           N_ratio2=ratio2)

    # With p_l = c pi_l for all l (c = L when no feature saturates): Q2 -> c^2 Z(2eta)/Z(eta)^2.
    Z1, cc = sp.symbols("Z1 c", positive=True)
    ratio_pl = (cc**2 * Z2 / Z1**2) / (N * (cc * k ** (-eta) / Z1) ** 2)
    k_lead = (N / (u_star**2 * Z2)) ** (1 / (2 * eta))
    d.step("k_max(N)",
           "With p_l proportional to pi_l, noise/signal = sqrt(Z(2eta,D)/(N k^(-2eta))) "
           "(poster); the largest retrieved k solves it = 1/u_star: k_max = (N/(u_star^2 "
           "Z(2eta, D)))^(1/(2 eta)). Exponent d log k_max/d log N = 1/(2 eta), no dependence "
           "on alpha, prefactor proportional to u_star^(-1/eta) (a stricter criterion retrieves "
           "fewer features). Z(2 eta, D) -> zeta(2 eta) as D -> oo for eta > 1/2.",
           [check_symbolic(sp.simplify(ratio_pl - Z2 * k ** (2 * eta) / N), "ratio"),
            check_symbolic(sp.simplify(sp.powsimp(ratio_pl.subs(k, k_lead), force=True)
                                       - 1 / u_star**2), "ratio = 1/u_star^2 at k_max"),
            check_symbolic(sp.simplify(N * sp.diff(sp.log(k_lead), N) - 1 / (2 * eta)),
                           "exponent 1/(2 eta)"),
            check_symbolic(sp.diff(k_lead, alpha), "no alpha dependence"),
            check_symbolic(sp.simplify(u_star * sp.diff(sp.log(k_lead), u_star) + 1 / eta),
                           "prefactor ~ u_star^(-1/eta)")],
           k_max=k_lead)

    d.kernel("snr", [p_k, Q2],
             [("a_L", aL), ("signal", signal), ("var_coherent", var_coh),
              ("var_signal", var_sig), ("var_incoherent", var_inc), ("snr", snr),
              ("m_one_step", m1)],
             "per-feature Hebbian signal, noise variances and signal-to-noise ratio")
    d.kernel("k_max_leading", [u_star, Z2], [("k_max", k_lead)],
             "leading-order k_max(N) = (N/(u_star^2 Z(2 eta, D)))^(1/(2 eta))")
    return d


def _check_L3_decomposition():
    """sgn(a + b + c) = (a + b + c)/2 - abc/2 for +-1 entries: a_3 = 1/2 on each feature and a
    residual -abc/2 (variance 1/4 = 1 - 3 a_3^2) orthogonal to every single feature."""
    bad = 0
    for a, b, c in itertools.product((1, -1), repeat=3):
        bad += abs(sp.sign(a + b + c) - (sp.Rational(a + b + c, 2) - sp.Rational(a * b * c, 2)))
    return Check("symbolic", bad == 0, "sgn(a+b+c) = (a+b+c)/2 - abc/2 on all 8 sign patterns",
                 float(bad))


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
           "The spec's claim: a test example is reconstructed when all its L features are "
           "learned. Measured, this is necessary, not sufficient (an unseen L-mixture of learned "
           "features can still collapse onto its strongest feature), so the fraction of examples "
           "with all features learned, P(S in K), is an upper bound on the reconstructed "
           "fraction (simulation/hopfield_snr_sim.py verifies the inclusion law, the necessity "
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
