"""Hopfield model with Hebb couplings: replica-symmetric retrieval at zero temperature (AGS 1987).

Conventions:

* N Ising neurons S_i = +-1, P = alpha N random patterns xi^mu in {+-1}^N, Hebb couplings
  J_ij = (1/N) sum_mu xi_i^mu xi_j^mu (i != j), energy E = -(1/2) sum_{i != j} J_ij S_i S_j;
* one condensed pattern with retrieval overlap m = (1/N) sum_i xi_i^1 S_i;
* Edwards-Anderson overlap q = (1/N) sum_i <S_i>^2 and its conjugate r (alpha r is the variance of
  the crosstalk field from the non-condensed patterns);
* free energy per neuron f(m, q, r) (Amit, Gutfreund and Sompolinsky, Ann. Phys. 173, 30 (1987)):
  f = alpha/2 + m^2/2 + alpha/(2 beta) [log(1 - beta(1-q)) - beta q/(1 - beta(1-q))]
      + alpha beta r (1-q)/2 - (1/beta) E_z log 2 cosh(beta (m + sqrt(alpha r) z));
* zero temperature: beta -> oo at fixed C = beta (1 - q) (the susceptibility), order parameters
  (m, C, r); the T = 0 free energy f0(m, C, r) is the ground-state energy per neuron;
* the saddle-point equations are the stationarity conditions of f (retrieval states minimize f over
  m); their retrieval solution exists for alpha < alpha_c ~ 0.138, with m(alpha_c) ~ 0.967.

Building blocks: the spin term (condensed pattern, conjugate r, spin sum) is the Ising prior's site
term with a teacher (theory/blocks/priors/ising.py): the gauge S_i -> xi_i^1 S_i makes the
condensed pattern the teacher, R = m its overlap, Rhat = mhat its conjugate (= beta m at the
saddle) and qhat = alpha beta^2 r. The T = 0 free energy is a ``FreeEntropy`` (theory/
free_entropy.py) with phi = f0 = G_site + alpha G_pattern (a free energy: retrieval states minimize
it over m; stationarity is sign-blind). Its equations are stored in the natural order
(df0/dm, df0/dC, df0/dr); the declared pairing m <- df0/dm, C <- df0/dr, r <- df0/dC says which
equation updates which order parameter in the fixed-point map.
"""
from __future__ import annotations

import sympy as sp

from ..blocks import symbols as bs
from ..blocks.assemble import saddle_point, store_pairing
from ..blocks.base import Pairing
from ..blocks.priors.ising import Ising
from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic
from ..free_entropy import FreeEntropy
from ..gaussian import H, Npdf, gauss_avg, gauss_integral
from ..spins import LogCosh2

MODEL = "hopfield-ags"

alpha = sp.Symbol("alpha", positive=True)
beta = sp.Symbol("beta", positive=True)
m = sp.Symbol("m", real=True)
q = sp.Symbol("q", positive=True)
r = sp.Symbol("r", positive=True)
C = sp.Symbol("C", positive=True)
z = sp.Symbol("z", real=True)
u = sp.Symbol("u", positive=True)

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=0.05,
              description="patterns per neuron, P/N"),
]


def derive() -> Derivation:
    d = Derivation(
        model=MODEL,
        title="Hopfield model, replica-symmetric retrieval at zero temperature (AGS)",
        conventions=__doc__.split("Conventions:")[1].strip(),
        parameters=PARAMETERS,
        order_parameters=[m, C, r],
    )
    f, site, logdet = _finite_temperature(d)
    G_site, G_pattern = _zero_temperature_limit(d, f, site, logdet)
    _saddle_point(d, G_site, G_pattern)
    return d


# --- finite temperature ----------------------------------------------------------------------
def _finite_temperature(d: Derivation):
    n = sp.Symbol("n", positive=True)
    # Non-condensed patterns: each contributes a Gaussian integral over its overlaps m^a with the
    # n replicas, giving det(1 - beta Q)^(-1/2) with the replica overlap matrix Q (Q_aa = 1).
    lam_bulk = 1 - beta * (1 - q)
    lam_top = 1 - beta * (1 - q) - n * beta * q
    diffs = []
    for nn in (2, 3, 4):
        M = sp.eye(nn) - beta * sp.Matrix(nn, nn, lambda a, b: 1 if a == b else q)
        diffs.append(sp.expand(M.det() - (lam_bulk ** (nn - 1) * lam_top).subs(n, nn)))
    logdet = sp.limit(((n - 1) * sp.log(lam_bulk) + sp.log(lam_top)) / n, n, 0)
    expected = sp.log(1 - beta * (1 - q)) - beta * q / (1 - beta * (1 - q))
    d.step("non-condensed patterns",
           "Integrating out the overlaps of the P - 1 non-condensed patterns gives, per pattern, "
           "det(1 - beta Q)^(-1/2) with Q_aa = 1, Q_ab = q. The matrix has eigenvalue "
           "1 - beta(1-q) (n-1 times) and 1 - beta(1-q) - n beta q (checked on explicit "
           "determinants, n = 2, 3, 4); (1/n) log det -> log(1-beta(1-q)) - beta q/(1-beta(1-q)) "
           "as n -> 0 (sympy limit).",
           [check_symbolic(sum(sp.Abs(x) for x in diffs), "det identity for n = 2, 3, 4"),
            check_symbolic(logdet - expected, "n -> 0 limit of (1/n) log det(1 - beta Q)")],
           logdet=logdet)

    # Spin term: the Ising prior with a teacher. The condensed pattern's energy -N m^2/2 gives
    # exp(beta N m^2/2) per replica; m = (1/N) sum_i xi_i S_i is imposed with a conjugate mhat;
    # the gauge S_i -> xi_i S_i makes xi^1 the all-ones teacher; the crosstalk couples replicas
    # through (alpha beta^2/2) r sum_{a != b} S^a S^b = qhat sum_{a<b} with qhat = alpha beta^2 r.
    G_S = Ising().entropic(d, teacher=True)
    mhat = sp.Symbol("mhat", real=True)
    to_hopfield = {bs.qhat: alpha * beta**2 * r, bs.R: m, bs.Rhat: mhat}
    site_mhat = beta * m**2 / 2 + G_S.xreplace(to_hopfield)
    (mhat_saddle,) = sp.solve(sp.diff(site_mhat, m), mhat)
    site = site_mhat.xreplace({mhat: mhat_saddle})
    (I_spin,) = site.atoms(sp.Integral)
    h = m + sp.sqrt(alpha * r) * z
    field = (sp.sqrt(bs.qhat) * bs.z + bs.Rhat).xreplace(to_hopfield).xreplace({mhat: mhat_saddle})
    d.step("spin term from the Ising prior",
           "The condensed pattern adds beta m^2/2 per replica (energy -N m^2/2); imposing m = "
           "(1/N) sum xi_i S_i with a conjugate mhat and gauging S_i -> xi_i S_i, the site term "
           "is the Ising prior's with a teacher at R = m, Rhat = mhat, qhat = alpha beta^2 r (the "
           "crosstalk coupling (alpha beta^2/2) r sum_{a != b} S^a S^b). Stationarity in m gives "
           "mhat = beta m, so -beta f_site = beta m^2/2 - m mhat - qhat(1-q)/2 + E_z log 2cosh("
           "sqrt(qhat) z + mhat) = -beta m^2/2 + alpha beta^2 r (q-1)/2 + E_z log 2cosh(beta(m + "
           "sqrt(alpha r) z)).",
           [check_symbolic(mhat_saddle - beta * m, "mhat = beta m at the saddle"),
            check_symbolic(field - beta * h,
                           "field sqrt(qhat) z + mhat = beta(m + sqrt(alpha r) z)"),
            check_symbolic(site.xreplace({I_spin: 0})
                           - (-beta * m**2 / 2 + alpha * beta**2 * r * (q - 1) / 2),
                           "polynomial part of the site term")],
           site=site)

    f = alpha / 2 + alpha / (2 * beta) * logdet - site / beta
    d.step("free energy per neuron",
           "f = alpha/2 + (alpha/2 beta) log det term - (1/beta) site term = alpha/2 + m^2/2 + "
           "(alpha/2 beta) log det term + alpha beta r(1-q)/2 - (1/beta) E_z log 2cosh(beta(m + "
           "sqrt(alpha r) z)); the alpha/2 removes the diagonal self-coupling (J_ii = 0).", f=f)

    # Finite-T saddle point (the AGS equations), as a check of the free energy.
    s = 1 - beta * (1 - q)
    dfq = sp.diff(f, q)
    dfm = sp.diff(f, m)
    m_eq = m - gauss_avg(sp.tanh(beta * h), z)
    samples = [(0.8, 0.9, 1.3, 0.05, 3.0), (0.3, 0.5, 2.0, 0.1, 1.7)]
    d.step("finite-temperature saddle point",
           "df/dq = (alpha beta/2)(q/(1-beta(1-q))^2 - r) (sympy), so r = q/(1-beta(1-q))^2; "
           "df/dm = m - E_z tanh(beta h) (checked with mpmath at 2 points), so "
           "m = E_z tanh(beta(m + sqrt(alpha r) z)).",
           [check_symbolic(dfq - alpha * beta / 2 * (q / s**2 - r), "df/dq"),
            check_numeric(dfm, m_eq, [m, q, r, alpha, beta], samples, 1e-20, "df/dm")],
           df_dq=dfq, df_dm=dfm)
    return f, site, logdet


# --- zero temperature ------------------------------------------------------------------------
def _zero_temperature_limit(d: Derivation, f, site, logdet):
    (I_logcosh,) = f.atoms(sp.Integral)
    to_C = {q: 1 - C / beta}
    # Each block's polynomial part separately: the site term (spins, conjugate) and the pattern
    # term (non-condensed patterns, with the alpha/2 of the diagonal), per pattern.
    site_rest = sp.limit((-site.xreplace({I_logcosh: 0}) / beta).subs(to_C), beta, sp.oo)
    pattern = sp.limit((sp.S(1) / 2 + logdet / (2 * beta)).subs(to_C), beta, sp.oo)
    x = sp.Symbol("x", positive=True)
    # the integrand's own LogCosh2, written out as log(2 cosh) for sympy's limit
    pointwise = sp.limit(LogCosh2(beta * x).rewrite(sp.cosh) / beta, beta, sp.oo)
    s_ = sp.sqrt(alpha * r)
    absavg = gauss_avg(sp.Abs(m + s_ * z), z)
    f0_integral = site_rest - absavg + alpha * pattern
    d.step("zero-temperature limit",
           "beta -> oo with C = beta(1-q) fixed: the non-integral part of the site term tends to "
           "m^2/2 + alpha r C/2 and the pattern term (per pattern) to 1/2 - 1/(2(1-C)) (sympy "
           "limits); (1/beta) log 2cosh(beta x) -> |x| "
           "pointwise (sympy limit, x > 0, even in x), and 0 <= (1/beta) log 2cosh(beta x) - |x| "
           "<= log(2)/beta, so the Gaussian average converges to E_z |m + sqrt(alpha r) z| "
           "(checked with mpmath at beta = 1e2, 1e4: gap below log(2)/beta and shrinking).",
           [check_symbolic(site_rest - (m**2 / 2 + alpha * r * C / 2), "limit of the site term"),
            check_symbolic(pattern - (sp.S(1) / 2 - 1 / (2 * (1 - C))),
                           "limit of the pattern term"),
            check_symbolic(pointwise - x, "(1/beta) log 2cosh(beta x) -> x for x > 0"),
            _check_logcosh_limit(I_logcosh, absavg)],
           f0=f0_integral)

    closed = m * (1 - 2 * H(m / s_)) + 2 * s_ * Npdf(m / s_)
    split = (gauss_integral(m + s_ * z, z, -m / s_, sp.oo)
             - gauss_integral(m + s_ * z, z, -sp.oo, -m / s_))
    d.step("Gaussian average of |h|",
           "E_z |m + s z| with s = sqrt(alpha r), split at the kink z = -m/s: "
           "m (1 - 2 H(m/s)) + 2 s Npdf(m/s) (mpmath, 30 digits, against the direct integral and "
           "against the split integrals).",
           [check_numeric(absavg, closed, [m, r, alpha],
                          [(0.9, 1.2, 0.1), (0.3, 2.0, 0.05), (-0.5, 0.7, 0.3)], 1e-25,
                          "E|h| closed form", breakpoints=[-m / s_]),
            check_numeric(split, closed, [m, r, alpha], [(0.9, 1.2, 0.1)], 1e-25,
                          "split integrals")],
           E_abs_h=closed)
    return site_rest - closed, pattern


def _check_logcosh_limit(I_logcosh, absavg):
    import mpmath as mp

    from ..evaluate import mp_function
    args = [m, r, alpha, beta]
    pts = [(0.9, 1.1, 0.1), (0.2, 0.8, 0.4)]
    gaps = {}
    with mp.workdps(30):
        f_lc = mp_function(I_logcosh / beta, args, [-m / sp.sqrt(alpha * r)])
        f_abs = mp_function(absavg, [m, r, alpha], [-m / sp.sqrt(alpha * r)])
        for b in (1e2, 1e4):
            gaps[b] = max(float(f_lc(*p, b) - f_abs(*p)) for p in pts)
    ok = all(0 <= g <= mp.log(2) / b for b, g in gaps.items()) and gaps[1e4] < gaps[1e2]
    return Check("numeric", bool(ok), "(1/beta) E log 2cosh(beta h) - E|h| at 2 points: "
                 + ", ".join(f"{g:.2e} at beta={b:g}" for b, g in gaps.items()), gaps[1e4])


def _saddle_point(d: Derivation, G_site, G_pattern):
    s_ = sp.sqrt(alpha * r)
    # m is fixed by its own equation; C and r by each other's: df0/dr = 0 gives C, df0/dC = 0
    # gives r. c = -2/alpha cancels the alpha C/2 and alpha r/2 of the conjugate term.
    fe = FreeEntropy([m, C, r], G_site, G_pattern, alpha,
                     pairing=[Pairing(m, m, sp.S(-1)), Pairing(C, r, -2 / alpha),
                              Pairing(r, C, -2 / alpha)])
    store_pairing(d, fe)
    d.step("zero-temperature free energy",
           "f0(m, C, r) = G_site + alpha G_pattern with G_site = m^2/2 + alpha r C/2 - E_z |m + "
           "sqrt(alpha r) z| and G_pattern = 1/2 - 1/(2(1-C)): the ground-state energy per "
           "neuron, extremized over (m, C, r) (retrieval states minimize it over m).", phi=fe.phi)
    F, T = saddle_point(
        d, fe, args=[m, C, r, alpha],
        samples=[(0.9, 0.3, 1.5, 0.1), (0.6, 0.5, 3.0, 0.05), (-0.4, 0.2, 0.8, 0.3)],
        observables=[("error_fraction", (1 - m) / 2), ("susceptibility", C)],
        kind="zero-temperature free energy per neuron (ground-state energy per neuron)")
    F_m, F_C, F_r = F
    T_expected = [1 - 2 * H(m / s_), 2 * Npdf(m / s_) / s_, 1 / (1 - C)**2]
    d.step("zero-temperature saddle-point equations (AGS)",
           "df0/dm = m - (1 - 2H(m/s)), i.e. m = erf(m/sqrt(2 alpha r)); df0/dC = (alpha/2)(r - "
           "1/(1-C)^2); df0/dr = (alpha/2)(C - 2 Npdf(m/s)/s), s = sqrt(alpha r): the AGS "
           "equations. The fixed-point map is m <- 1 - 2H(m/s), C <- 2 Npdf(m/s)/s, r <- "
           "1/(1-C)^2.",
           [check_symbolic(F_m - (m - 1 + 2 * H(m / s_)), "df0/dm"),
            check_symbolic(F_C - alpha / 2 * (r - 1 / (1 - C)**2), "df0/dC"),
            check_symbolic(F_r - alpha / 2 * (C - 2 * Npdf(m / s_) / s_), "df0/dr")]
           + [check_symbolic(Ti - Te, f"T_{xi}") for Ti, Te, xi in zip(T, T_expected, (m, C, r))])

    # Capacity: eliminate (C, r) and parametrize by u = m / s.
    m_u = 1 - 2 * H(u)
    s_u = m_u / u
    C_u = 2 * Npdf(u) / s_u
    r_u = 1 / (1 - C_u)**2
    sqrt_alpha = sp.simplify(s_u * (1 - C_u))
    alpha_u = sqrt_alpha**2
    subs = {m: m_u, C: C_u, r: r_u, alpha: alpha_u}
    resid = sum(Fi.xreplace(subs) ** 2 for Fi in F)
    d.step("retrieval branch parametrized by u = m/sqrt(alpha r)",
           "With u = m/s: m = 1 - 2H(u), s = m/u, C = 2 Npdf(u)/s, r = 1/(1-C)^2 and "
           "sqrt(alpha) = s (1 - C) = (1 - 2H(u))/u - 2 Npdf(u) =: g(u). Substituting back makes "
           "all three equations vanish (mpmath, 30 digits, at u = 0.8, 1.5, 2.5, 4 where g > 0). "
           "g -> 0 at u -> 0 and u -> oo, so the retrieval solution exists for alpha <= alpha_c "
           "= max_u g(u)^2, reached at g'(u) = 0; the stable (retrieval) branch is u > u_c.",
           [check_numeric(resid, sp.S(0), [u], [(0.8,), (1.5,), (2.5,), (4.0,)], 1e-50,
                          "sum of squared equations on the branch", relative=False),
            check_symbolic(sqrt_alpha - ((1 - 2 * H(u)) / u - 2 * Npdf(u)), "g(u)")],
           g=sqrt_alpha, alpha_of_u=alpha_u, m_of_u=m_u)
    g = (1 - 2 * H(u)) / u - 2 * Npdf(u)
    dg = sp.diff(g, u)
    d.step("capacity condition",
           "g'(u) = 0: -(1 - 2H(u))/u^2 + 2 Npdf(u)/u + 2 u Npdf(u) (sympy).",
           [check_symbolic(dg - (-(1 - 2 * H(u)) / u**2 + 2 * Npdf(u) / u + 2 * u * Npdf(u)),
                           "g'(u)")],
           dg=dg)
    d.kernel("capacity", [u],
             [("g", g), ("dg_du", dg), ("d2g_du2", sp.diff(dg, u)), ("alpha", g**2),
              ("m", m_u), ("C", C_u), ("r", r_u)],
             "retrieval branch as a function of u = m/sqrt(alpha r); capacity at dg/du = 0")
