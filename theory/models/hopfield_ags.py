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

The stationarity equations are stored in the order (dF/dm, dF/dr, dF/dC), so that each equation is
paired with the order parameter (m, C, r) it determines in the fixed-point form.
"""
from __future__ import annotations

import sympy as sp

from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic
from ..gaussian import H, Npdf, gauss_avg, gauss_integral

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
    f = _finite_temperature(d)
    f0 = _zero_temperature_limit(d, f)
    _saddle_point(d, f0)
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

    # Spin trace: the conjugate r couples replicas through (alpha beta^2/2) sum_{a != b} r s^a s^b;
    # with sum_{a != b} s^a s^b = (sum_a s^a)^2 - n (s^2 = 1) a Gaussian z decouples the replicas.
    svars = sp.symbols("s1:4")
    pair_sum = sum(svars[a] * svars[b] for a in range(3) for b in range(3) if a != b)
    hs_identity = sp.expand(sum(svars) ** 2 - 3 - pair_sum).subs({s: 1 for s in svars})
    hs_identity2 = sp.expand(sum(svars) ** 2 - 3 - pair_sum).subs(
        {svars[0]: 1, svars[1]: -1, svars[2]: 1})
    conj = sp.limit((-(alpha * beta**2 / 2) * n * (n - 1) * r * q
                     - n * alpha * beta**2 * r / 2) / n, n, 0)
    d.step("spin trace and conjugate term",
           "sum_{a != b} s^a s^b = (sum_a s^a)^2 - n for Ising spins (checked at n = 3 on two spin "
           "configurations); the square is linearized by a Gaussian z, giving per replica "
           "log 2 cosh(beta(m + sqrt(alpha r) z)). The replica-symmetric conjugate term "
           "-(alpha beta^2/2) sum_{a != b} r q together with the -n from the diagonal gives, per "
           "replica as n -> 0, alpha beta^2 r (q - 1)/2 in -beta f.",
           [check_symbolic(sp.Abs(hs_identity) + sp.Abs(hs_identity2),
                           "(sum s)^2 - n = sum_{a != b} s^a s^b for s = +-1"),
            check_symbolic(conj - alpha * beta**2 * r * (q - 1) / 2, "n -> 0 limit")],
           conjugate=conj)

    h = m + sp.sqrt(alpha * r) * z
    f = (alpha / 2 + m**2 / 2 + alpha / (2 * beta) * logdet - conj / beta
         - gauss_avg(sp.log(2 * sp.cosh(beta * h)), z) / beta)
    d.step("free energy per neuron",
           "f = alpha/2 + m^2/2 + (alpha/2 beta) log det term + alpha beta r(1-q)/2 - "
           "(1/beta) E_z log 2cosh(beta(m + sqrt(alpha r) z)); the alpha/2 removes the diagonal "
           "self-coupling (J_ii = 0).", f=f)

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
    return f


# --- zero temperature ------------------------------------------------------------------------
def _zero_temperature_limit(d: Derivation, f):
    integrals = list(f.atoms(sp.Integral))
    (I_logcosh,) = integrals
    non_integral = f.xreplace({I_logcosh: 0}).subs(q, 1 - C / beta)
    lim_rest = sp.limit(non_integral, beta, sp.oo)
    expected_rest = alpha / 2 + m**2 / 2 - alpha / (2 * (1 - C)) + alpha * r * C / 2
    x = sp.Symbol("x", positive=True)
    pointwise = sp.limit(sp.log(2 * sp.cosh(beta * x)) / beta, beta, sp.oo)
    s_ = sp.sqrt(alpha * r)
    absavg = gauss_avg(sp.Abs(m + s_ * z), z)
    f0_integral = alpha / 2 + m**2 / 2 - alpha / (2 * (1 - C)) + alpha * r * C / 2 - absavg
    d.step("zero-temperature limit",
           "beta -> oo with C = beta(1-q) fixed: the non-integral terms tend to alpha/2 + m^2/2 "
           "- alpha/(2(1-C)) + alpha r C/2 (sympy limit); (1/beta) log 2cosh(beta x) -> |x| "
           "pointwise (sympy limit, x > 0, even in x), and 0 <= (1/beta) log 2cosh(beta x) - |x| "
           "<= log(2)/beta, so the Gaussian average converges to E_z |m + sqrt(alpha r) z| "
           "(checked with mpmath at beta = 1e2, 1e4: gap below log(2)/beta and shrinking).",
           [check_symbolic(lim_rest - expected_rest, "limit of the non-integral terms"),
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
    f0 = f0_integral.xreplace({absavg: closed})
    return f0


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


def _saddle_point(d: Derivation, f0):
    s_ = sp.sqrt(alpha * r)
    F_m, F_C, F_r = (sp.diff(f0, v) for v in (m, C, r))
    d.step("zero-temperature saddle-point equations",
           "Stationarity of f0 (sympy): df0/dm = m - (1 - 2H(m/s)), i.e. m = erf(m/sqrt(2 alpha "
           "r)); df0/dC = (alpha/2)(r - 1/(1-C)^2); df0/dr = (alpha/2)(C - 2 Npdf(m/s)/s), "
           "s = sqrt(alpha r): the AGS equations.",
           [check_symbolic(F_m - (m - 1 + 2 * H(m / s_)), "df0/dm"),
            check_symbolic(F_C - alpha / 2 * (r - 1 / (1 - C)**2), "df0/dC"),
            check_symbolic(F_r - alpha / 2 * (C - 2 * Npdf(m / s_) / s_), "df0/dr")],
           F_m=F_m, F_C=F_C, F_r=F_r)

    # Equations paired with the order parameter they fix: (m, C, r) <- (F_m, F_r, F_C).
    E = [F_m, F_r, F_C]
    X = [m, C, r]
    c = [sp.S(-1), -2 / alpha, -2 / alpha]
    T = [sp.simplify(xi + ci * Ei) for xi, ci, Ei in zip(X, c, E)]
    T_expected = [1 - 2 * H(m / s_), 2 * Npdf(m / s_) / s_, 1 / (1 - C)**2]
    d.step("fixed-point form",
           "m <- 1 - 2H(m/s), C <- 2 Npdf(m/s)/s, r <- 1/(1-C)^2, i.e. T = x + c E with "
           "c = (-1, -2/alpha, -2/alpha) and E = (df0/dm, df0/dr, df0/dC).",
           [check_symbolic(Ti - Te, f"T_{xi}") for Ti, Te, xi in zip(T, T_expected, X)],
           T_m=T[0], T_C=T[1], T_r=T[2])
    Jac = [[sp.diff(Ei, xj) for xj in X] for Ei in E]
    d.kernel("newton", X,
             [(f"E_{i}", Ei) for i, Ei in enumerate(E)]
             + [(f"J_{i}{j}", Jac[i][j]) for i in range(3) for j in range(3)]
             + [(f"c_{xi}", ci) for xi, ci in zip(X, c)],
             "equations E = (df0/dm, df0/dr, df0/dC), Jacobian dE/d(m, C, r), preconditioner c")
    d.kernel("fixed_point", X, [(f"T_{xi}", Ti) for xi, Ti in zip(X, T)],
             "fixed-point map (m, C, r) <- T")
    d.kernel("free_entropy", X, [("f0", f0)],
             "zero-temperature free energy per neuron (ground-state energy per neuron)")
    d.kernel("observables", X, [("error_fraction", (1 - m) / 2), ("susceptibility", C)],
             "fraction of wrong bits in the retrieval state, and C = beta(1-q)")

    # Capacity: eliminate (C, r) and parametrize by u = m / s.
    m_u = 1 - 2 * H(u)
    s_u = m_u / u
    C_u = 2 * Npdf(u) / s_u
    r_u = 1 / (1 - C_u)**2
    sqrt_alpha = sp.simplify(s_u * (1 - C_u))
    alpha_u = sqrt_alpha**2
    subs = {m: m_u, C: C_u, r: r_u, alpha: alpha_u}
    resid = sum(Ei.xreplace(subs) ** 2 for Ei in E)
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
