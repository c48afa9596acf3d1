"""Rules-and-Facts learned by random features of finite width (square loss, ridge), replica symmetric.

Conventions (rules and facts, part 2, finite width):

* data and labels as in raf-erm: x ~ N(0, I_d), teacher |w*|^2 = d, nu = w*.x/sqrt(d), alpha = n/d,
  a rule y = sign(nu) with probability 1-eps, a fact (y = +-1 at random) with probability eps;
* learner: p = psi d random features v(x) = s(F x) - mu0 (first layer F fixed, p x d, rows of unit
  norm; in the theory F has i.i.d. N(0, 1/d) entries, the same spectrum as n, d -> oo), centred
  by mu0 = E s(z) (the constant part is not modelled, as in raf-erm); only the readout a is trained,
  by ridge: min_a sum_mu (1/2)(y_mu - f(x_mu))^2 + (lam/2)|a|^2 with f(x) = a.v(x)/sqrt(p);
* Gaussian equivalence (Gaussian-covariate model, Loureiro et al. 2021): v behaves like
  mu1 F x + mustar z, z ~ N(0, I_p), with mu1 = E z s(z) and mustar^2 = E s^2 - mu0^2 - mu1^2: the
  student covariance Omega = mu1^2 F F^T + mustar^2 I_p, the student-teacher covariance Phi = mu1 F;
  the spectrum of F F^T is Marchenko-Pastur with ratio psi (theory/spectra.py);
* order parameters of the predictor's field f(x): m = E f nu = mu1 a^T F w*/sqrt(p d),
  q = E f^2 = a^T Omega a/p, and V (response); conjugates mhat, qhat, Vhat; mu1 = 1, mustar = 0 is a
  linear activation (the learner is then linear in x, with the ridge acting on a, not on w);
* eps_gen = arccos(m/sqrt q)/pi on fresh rule samples; eps_mem, eps_train_rule: fractions of
  training facts / rules whose trained prediction has the wrong sign; train_loss = minimized
  objective per sample (square loss plus ridge, divided by n).

As psi -> oo the model becomes raf-erm with the same (mu1, mustar) (the kernel limit, with
V_rf = V_erm + mustar^2/lam); the convex square loss makes replica symmetry exact.
"""
from __future__ import annotations

import sympy as sp

from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic
from ..gaussian import H, gauss_integral
from ..spectra import MPResolvent, MPStieltjes, mp_average
from .raf_erm import (_HINT_P, _channel, _envelope, alpha, eps, lam, m, mh, mu1, mustar, omega,
                      q, qh, t, V, Vh, Wsym)

MODEL = "raf-rf"

psi = sp.Symbol("psi", positive=True)
s = sp.Symbol("s", nonnegative=True)       # an eigenvalue of F F^T
a_ = sp.Symbol("a", real=True)             # the readout along one eigen-direction
zeta, gv = sp.symbols("zeta g", real=True)  # teacher and noise coordinates along it

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, n/d"),
    Parameter(psi, 0.0, None, lower_open=True, default=2.0,
              description="random features per dimension, p/d"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
    Parameter(lam, 0.0, None, lower_open=True, default=1.0,
              description="ridge (regularization) strength on the readout"),
    Parameter(mu1, 0.0, None, lower_open=True, default=1.0,
              description="linear coefficient of the activation, E z s(z)"),
    Parameter(mustar, 0.0, None, default=0.0,
              description="non-linear coefficient of the activation, (E s^2 - mu0^2 - mu1^2)^1/2"),
]

T_S = mu1**2 * s + mustar**2            # student variance along an eigen-direction of F F^T
C_V = Vh * mu1**2 / psi                 # Vhat (mu1^2 s + mustar^2)/psi + lam = C_V (s - Z0)
Z0 = -(lam + Vh * mustar**2 / psi) / C_V

# (mhat, qhat, Vhat, alpha, psi, eps, lam, mu1, mustar) sample points; psi on both sides of 1
_PRIOR_SAMPLES = [
    (0.7, 0.4, 1.3, 1.5, 0.5, 0.2, 0.3, 1.0, 0.0),
    (0.4, 1.1, 0.6, 0.8, 3.0, 0.1, 0.05, 0.5, 0.6),
    (1.2, 0.2, 2.5, 2.0, 1.7, 0.3, 1.5, 0.8, 0.3),
]
_PARAM_SYMS = [alpha, psi, eps, lam, mu1, mustar]


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Rules-and-Facts: random features of finite width, "
                   "square loss and ridge (RS)",
                   conventions=__doc__.split("Conventions (rules and facts, part 2, finite "
                                             "width):")[1].strip(),
                   parameters=PARAMETERS, order_parameters=[m, q, V])
    d.step("Gaussian equivalence",
           "The features v = s(F x) - mu0 are replaced by the Gaussian covariates mu1 F x + "
           "mustar z with the same first two moments jointly with the teacher field: Omega = "
           "E v v^T = mu1^2 F F^T + mustar^2 I_p, Phi = E v x^T = mu1 F (Stein's lemma for unit-"
           "norm rows). The student field f = a.v/sqrt p and the teacher field nu are then jointly "
           "Gaussian with E nu^2 = 1, E f nu = m, E f^2 = q. (Checked against simulation with the "
           "true non-linear features, in the tests.)",
           Omega=mu1**2 * sp.Symbol("FF^T") + mustar**2, Phi=mu1 * sp.Symbol("F"))

    Phi_prior = _prior(d)
    P_plus = _channel(d)
    M, _, _ = _envelope(d, "square")

    Phi_ch = sp.Function("Phi_ch")(m, q, V)
    Phi = -m * mh + (q * Vh - V * qh) / 2 + Phi_prior + alpha * Phi_ch
    d.step("zero-temperature free entropy",
           "Phi = -m mhat + (q Vhat - V qhat)/2 + Phi_prior(mhat, qhat, Vhat) + alpha Phi_ch(m, q, "
           "V), Phi_ch = -E_{xi,y} M_V(y, sqrt(q) xi), the Gaussian average of the Moreau envelope "
           "of the square loss at time V (beta -> oo with V = beta (Q - q)); there are no private "
           "per-sample coordinates here: the non-linear part of the features lives in q. -Phi is "
           "the minimized objective per dimension.", Phi=Phi)
    # Stationarity in the conjugates is linear in (m, q, V): read off directly (sp.solve would
    # expand the implicit derivatives into sums with cancellations).
    prior_eqs = {m: sp.diff(Phi_prior, mh), q: -2 * sp.diff(Phi_prior, Vh),
                 V: 2 * sp.diff(Phi_prior, qh)}
    stat = [sp.diff(Phi, x).subs(prior_eqs) for x in (mh, qh, Vh)]
    ch_eqs = sp.solve([sp.diff(Phi, x) for x in (m, q, V)], [mh, qh, Vh], dict=True)[0]
    _check_prior_map(d, Phi_prior, prior_eqs, stat)

    ch = -2 * gauss_integral(P_plus * M.subs({omega: sp.sqrt(q) * t, Wsym: V}), t, -sp.oo, sp.oo)
    kappa = (1 - eps) * sp.sqrt(2 / sp.pi)
    ch_closed = -(1 + q - 2 * kappa * m) / (2 * (1 + V))
    derivs = {sp.Derivative(Phi_ch, x): sp.diff(ch_closed, x) for x in (m, q, V)}
    hats = [sp.simplify(ch_eqs[x].subs(derivs)) for x in (mh, qh, Vh)]
    d.step("square-loss channel",
           "Phi_ch = -2 int Dxi P(+1|xi) (1 - sqrt(q) xi)^2/(2(1 + V)); its Gaussian moments "
           "E P = 1/2, E P xi = (1-eps) m/sqrt(2 pi q), E P xi^2 = 1/2 give Phi_ch = -(1 + q - "
           "2 kappa m)/(2(1 + V)), kappa = (1-eps) sqrt(2/pi) (as in raf-erm with W = V). The "
           "channel map: mhat = alpha kappa/(1+V), qhat = alpha (1 + q - 2 kappa m)/(1+V)^2, "
           "Vhat = alpha/(1+V).",
           [check_numeric(ch, ch_closed, [m, q, V, eps],
                          [(0.3, 0.5, 0.8, 0.2), (-0.6, 1.7, 2.3, 0.5), (0.9, 0.95, 0.1, 0.0)],
                          1e-20, "channel integral equals its closed form",
                          breakpoints=[sp.S(0)]),
            check_symbolic(hats[2] - alpha / (1 + V), "Vhat = alpha/(1+V)")],
           Phi_ch=ch_closed, mhat=hats[0], qhat=hats[1], Vhat=hats[2])

    _kernel_limit(d, prior_eqs)
    V_res, m_V, q_V = _square_reduction(d, prior_eqs, hats)

    d.kernel("prior", [mh, qh, Vh], [(n, _explicit(prior_eqs[x])) for n, x in
                                     (("m", m), ("q", q), ("V", V))],
             "Gaussian-covariate ridge prior map (mhat, qhat, Vhat) -> (m, q, V)")
    d.kernel("channel_square", [m, q, V], [("mhat", hats[0]), ("qhat", hats[1]),
                                           ("Vhat", hats[2])],
             "square-loss channel map (m, q, V) -> (mhat, qhat, Vhat)")
    d.kernel("v_equation", [V], [("residual", _explicit(V_res))],
             "square loss: the scalar equation for V (zero at the saddle point)")
    d.kernel("closed_form_square", [V], [("m", _explicit(m_V)), ("q", _explicit(q_V))],
             "square loss: m and q at the saddle point, given V")

    om_star = -V  # prox (omega + V y)/(1 + V) changes sign at y omega = -V
    eps_gen = sp.acos(m / sp.sqrt(q)) / sp.pi
    eps_mem = H(-om_star / sp.sqrt(q))
    rule_wrong = 2 * gauss_integral(H(-m * t / sp.sqrt(q - m**2)), t, -sp.oo, om_star / sp.sqrt(q))
    phi_val = _explicit(Phi.subs(Phi_ch, ch_closed))
    d.step("observables",
           "The trained prediction on a training sample is the prox (omega + V y)/(1 + V) of its "
           "cavity field omega = sqrt(q) xi: wrong sign iff y omega < -V. Facts (y independent of "
           "xi): eps_mem = H(V/sqrt q); rules: eps_train_rule = 2 int_{-oo}^{-V/sqrt q} Dxi "
           "H(-m xi/sqrt(q - m^2)); eps_gen = arccos(m/sqrt q)/pi; train_loss = -Phi/alpha.",
           eps_gen=eps_gen, eps_mem=eps_mem, eps_train_rule=rule_wrong,
           train_loss=-phi_val / alpha)
    d.kernel("observables", [m, q, V, mh, qh, Vh],
             [("eps_gen", eps_gen), ("eps_mem", eps_mem), ("eps_train_rule", rule_wrong),
              ("train_loss", -phi_val / alpha), ("free_entropy", phi_val)],
             "observables at the saddle point", [_HINT_P, (om_star / sp.sqrt(q), sp.S(0))])
    return d


def _explicit(expr):
    """The spectral transforms written out (cancellation-free forms) for the kernels."""
    return sp.sympify(expr).replace(lambda e: isinstance(e, (MPStieltjes, MPResolvent)),
                                    lambda e: e.explicit())


def _prior(d):
    """Ridge on the readout, one eigen-direction of F F^T at a time, then the MP average."""
    obj = ((mh * mu1 * sp.sqrt(s) * zeta + sp.sqrt(qh) * sp.sqrt(T_S) * gv) * a_ / sp.sqrt(psi)
           - (Vh * T_S / psi + lam) * a_**2 / 2)
    a_star = sp.solve(sp.diff(obj, a_), a_)[0]
    value = sp.expand(obj.subs(a_, a_star))
    poly = sp.Poly(value, zeta, gv)
    moments = {(2, 0): 1, (0, 2): 1, (1, 1): 0, (1, 0): 0, (0, 1): 0, (0, 0): 1}
    per_dir = sp.simplify(psi * sum(c * moments[mon] for mon, c in zip(poly.monoms(),
                                                                        poly.coeffs())))
    target = (mh**2 * mu1**2 * s + qh * T_S) / (2 * (lam + Vh * T_S / psi))
    d.step("readout prior, one eigen-direction",
           "In the eigenbasis of F F^T (eigenvalue s), the teacher enters through (F w*)_k = "
           "sqrt(s) zeta_k and the noise through sqrt(Omega_k) g_k, zeta, g ~ N(0, 1) independent "
           "(w* isotropic). Per direction: max_a sqrt(d/p)[mhat mu1 sqrt(s) zeta + sqrt(qhat "
           "(mu1^2 s + mustar^2)) g] a - (Vhat (d/p)(mu1^2 s + mustar^2) + lam) a^2/2, averaged; "
           "summed over the p directions and divided by d: Phi_prior = E_s[(mhat^2 mu1^2 s + "
           "qhat (mu1^2 s + mustar^2)) / (2 (lam + Vhat (mu1^2 s + mustar^2)/psi))], s ~ "
           "Marchenko-Pastur(psi) with its atom at 0.",
           [check_symbolic(per_dir - target, "per-direction value (times psi)")],
           per_direction=target)

    z, ps = sp.symbols("z psi_", real=True)
    d.step("Marchenko-Pastur transforms",
           "g(z) = E[1/(s - z)] solves psi z g^2 + (z + psi - 1) g + 1 = 0 and h(z) = E[s/(s - z)] "
           "= 1 + z g solves psi h^2 + (z - psi - 1) h + 1 = 0 (z < 0); written in cancellation-"
           "free forms (theory/spectra.py). Checked against direct mpmath quadrature of the MP "
           "density plus its atom, psi < 1, = 1 and > 1, z from -1e3 to -1e-3.",
           [_check_transforms()],
           g=MPStieltjes(z, ps).explicit(), h=MPResolvent(z, ps).explicit())

    A = mu1**2 * (mh**2 + qh)
    B = qh * mustar**2
    Phi_prior = (A * MPResolvent(Z0, psi) + B * MPStieltjes(Z0, psi)) / (2 * C_V)
    d.step("prior term through the spectral transforms",
           "lam + Vhat (mu1^2 s + mustar^2)/psi = c (s - z0), c = Vhat mu1^2/psi, z0 = -(lam + "
           "Vhat mustar^2/psi)/c < 0, so the MP average is Phi_prior = [A h(z0) + B g(z0)]/(2c) "
           "with A = mu1^2 (mhat^2 + qhat), B = qhat mustar^2.",
           [check_symbolic(((A * s + B) / (C_V * (s - Z0))) - target * 2,
                           "(A s + B)/(c (s - z0)) is twice the per-direction value"),
            _check_prior_average(Phi_prior, target)],
           c=C_V, z0=Z0, Phi_prior=Phi_prior)
    return Phi_prior


def _mp_point(sample):
    import mpmath as mp
    syms = [mh, qh, Vh] + _PARAM_SYMS
    return {k: mp.mpf(v) for k, v in zip(syms, sample)}


def _check_transforms():
    import mpmath as mp
    z, ps = sp.symbols("z psi_", real=True)
    fg = sp.lambdify([z, ps], MPStieltjes(z, ps).explicit(), modules="mpmath")
    fh = sp.lambdify([z, ps], MPResolvent(z, ps).explicit(), modules="mpmath")
    worst = 0.0
    with mp.workdps(30):
        for zv, pv in ((-0.3, 0.5), (-2.0, 3.0), (-1e-3, 0.25), (-50.0, 4.0), (-0.7, 1.0),
                       (-1e3, 40.0)):
            zv, pv = mp.mpf(zv), mp.mpf(pv)
            g_ref = mp_average(lambda x: 1 / (x - zv), pv)
            h_ref = mp_average(lambda x: x / (x - zv), pv)
            for val, ref in ((fg(zv, pv), g_ref), (fh(zv, pv), h_ref),
                             (MPStieltjes._imp_(zv, pv), g_ref),
                             (MPResolvent._imp_(zv, pv), h_ref)):
                worst = max(worst, float(abs(val - ref) / abs(ref)))
    return Check("numeric", worst < 1e-20, "g, h (explicit forms and polynomial roots) against "
                 "quadrature of the density at 6 (z, psi)", worst)


def _check_prior_average(Phi_prior, per_dir):
    import mpmath as mp
    f_closed = sp.lambdify([mh, qh, Vh] + _PARAM_SYMS, _explicit(Phi_prior), modules="mpmath")
    f_dir = sp.lambdify([s, mh, qh, Vh] + _PARAM_SYMS, per_dir, modules="mpmath")
    worst = 0.0
    with mp.workdps(30):
        for smp in _PRIOR_SAMPLES:
            vals = [mp.mpf(v) for v in smp]
            ref = mp_average(lambda x: f_dir(x, *vals), vals[4])
            worst = max(worst, float(abs(f_closed(*vals) - ref) / abs(ref)))
    return Check("numeric", worst < 1e-20, "closed-form Phi_prior against quadrature of the "
                 "per-direction value over the MP law at 3 points (psi = 0.5, 3, 1.7)", worst)


def _check_prior_map(d, Phi_prior, prior_eqs, stat):
    """m, q, V from differentiating the closed form (implicit derivatives of h, g) against mpmath
    derivatives of the quadrature form of Phi_prior."""
    import mpmath as mp
    per_dir = (mh**2 * mu1**2 * s + qh * T_S) / (2 * (lam + Vh * T_S / psi))
    f_dir = sp.lambdify([s, mh, qh, Vh] + _PARAM_SYMS, per_dir, modules="mpmath")
    maps = [sp.lambdify([mh, qh, Vh] + _PARAM_SYMS, _explicit(prior_eqs[x]), modules="mpmath")
            for x in (m, q, V)]
    worst = 0.0
    with mp.workdps(30):
        for smp in _PRIOR_SAMPLES[:2]:
            vals = [mp.mpf(v) for v in smp]

            def phi(i, x):
                w = list(vals)
                w[i] = x
                return mp_average(lambda e: f_dir(e, *w), w[4])
            # stationarity: m = dPhi_prior/dmhat, q = -2 dPhi_prior/dVhat, V = 2 dPhi_prior/dqhat
            ref = [mp.diff(lambda x: phi(0, x), vals[0]),
                   -2 * mp.diff(lambda x: phi(2, x), vals[2]),
                   2 * mp.diff(lambda x: phi(1, x), vals[1])]
            for f, r in zip(maps, ref):
                worst = max(worst, float(abs(f(*vals) - r) / abs(r)))
    d.step("prior map",
           "Stationarity in the conjugates: m = dPhi_prior/dmhat, V = 2 dPhi_prior/dqhat, q = "
           "-2 dPhi_prior/dVhat (sympy, with the implicit derivatives of g and h). Checked "
           "against mpmath numerical derivatives of the quadrature form of Phi_prior.",
           [check_symbolic(sum(sp.Abs(e) for e in stat), "the map solves the stationarity "
                           "equations"),
            Check("numeric", worst < 1e-15, "m, q, V against numerical derivatives at 2 points",
                  worst)],
           m=prior_eqs[m], q=prior_eqs[q], V=prior_eqs[V])


def _kernel_limit(d, prior_eqs):
    """psi -> oo: the raf-erm prior map, V shifted by the Moreau time mustar^2/lam."""
    import mpmath as mp
    maps = [sp.lambdify([mh, qh, Vh] + _PARAM_SYMS, _explicit(prior_eqs[x]), modules="mpmath")
            for x in (m, q, V)]
    lam_eff = lam / mu1**2
    erm = [mh / (lam_eff + Vh), (mh**2 + qh) / (lam_eff + Vh)**2,
           1 / (lam_eff + Vh) + mustar**2 / lam]
    erm_f = [sp.lambdify([mh, qh, Vh] + _PARAM_SYMS, e, modules="mpmath") for e in erm]
    devs = []
    with mp.workdps(40):
        for ps in (1e2, 1e4, 1e6, 1e8):
            worst = mp.mpf(0)
            for smp in _PRIOR_SAMPLES:
                vals = [mp.mpf(v) for v in smp]
                vals[4] = mp.mpf(ps)
                for f, g in zip(maps, erm_f):
                    worst = max(worst, abs(f(*vals) - g(*vals)) / abs(g(*vals)))
            devs.append(float(worst))
    ratios = [devs[i] / devs[i + 1] for i in range(len(devs) - 1)]
    ok = devs[-1] < 1e-6 and all(r > 50 for r in ratios)
    d.step("kernel limit psi -> oo",
           "As psi -> oo the nonzero eigenvalues of F F^T concentrate at psi (mass 1/psi) and the "
           "rest sit at 0: Phi_prior -> mu1^2 (mhat^2 + qhat)/(2 (lam + mu1^2 Vhat)) + qhat "
           "mustar^2/(2 lam), the raf-erm prior plus qhat tau/2 with tau = mustar^2/lam. So m, q "
           "-> raf-erm's and V -> V_erm + tau, which is raf-erm's prox time W: the raf-erm "
           "saddle point. sympy cannot take this limit through the implicit transforms; checked "
           "numerically (40 digits): the largest relative deviation of the prior map from the "
           "limit at psi = 1e2, 1e4, 1e6, 1e8 is " + ", ".join(f"{x:.2e}" for x in devs)
           + " (O(1/psi)).",
           [Check("numeric", ok, "deviation from the kernel limit falls like 1/psi", devs[-1])],
           m_limit=erm[0], q_limit=erm[1], V_limit=erm[2])


def _square_reduction(d, prior_eqs, hats):
    """The square loss: one scalar equation for V, then m and q explicitly."""
    import mpmath as mp
    V_of = prior_eqs[V]
    indep = [sp.diff(V_of, x) for x in (mh, qh)]
    sub_h = {mh: hats[0], qh: hats[1], Vh: hats[2]}
    V_res = V_of.subs(Vh, hats[2]) - V
    m_V = prior_eqs[m].subs(sub_h)
    # q = A + B q (qhat is affine in q): solved by hand, sp.solve would expand everything
    q_rhs = prior_eqs[q].subs(sub_h).subs(m, m_V)
    B_q = sp.diff(q_rhs, q)
    q_V = q_rhs.subs(q, 0) / (1 - B_q)
    # 30-digit fixed point: root of the V equation, then m(V), q(V); the full prior o channel
    # map must leave it unchanged.
    f_res = sp.lambdify([V] + _PARAM_SYMS, _explicit(V_res), modules="mpmath")
    f_m = sp.lambdify([V] + _PARAM_SYMS, _explicit(m_V), modules="mpmath")
    f_q = sp.lambdify([V] + _PARAM_SYMS, _explicit(q_V), modules="mpmath")
    maps = [sp.lambdify([m, q, V] + _PARAM_SYMS, _explicit(prior_eqs[x].subs(sub_h)),
                        modules="mpmath") for x in (m, q, V)]
    worst = 0.0
    with mp.workdps(30):
        for pv in ((1.5, 0.5, 0.2, 0.3, 1.0, 0.0), (0.8, 3.0, 0.1, 0.05, 0.5, 0.6),
                   (4.0, 1.7, 0.3, 1.5, 0.8, 0.3)):
            pv = [mp.mpf(x) for x in pv]
            Vs = mp.findroot(lambda x: f_res(x, *pv), mp.mpf(1))
            x = [f_m(Vs, *pv), f_q(Vs, *pv), Vs]
            for f, xv in zip(maps, x):
                worst = max(worst, float(abs(f(*x, *pv) - xv)))
    d.step("square loss: one scalar equation",
           "V = 2 dPhi_prior/dqhat depends on Vhat only, and Vhat = alpha/(1+V): the saddle point "
           "reduces to one scalar equation for V (its left side is increasing in V and bounded "
           "by E[mu1^2 s + mustar^2]/lam, so the root is bracketed by (0, (mu1^2 + mustar^2)/lam]"
           "); then m = dPhi_prior/dmhat at the channel's mhat, and q solves a linear equation. "
           "Checked: at 3 points the 30-digit root and m(V), q(V) are a fixed point of the full "
           "prior o channel map.",
           [check_symbolic(indep[0], "dV/dmhat = 0"), check_symbolic(indep[1], "dV/dqhat = 0"),
            check_symbolic(sp.diff(B_q, q), "the q equation is affine in q"),
            Check("numeric", worst < 1e-25, "fixed-point residual of the reduced solution",
                  worst)],
           V_equation=V_res, m_of_V=m_V, q_of_V=q_V)
    return V_res, m_V, q_V
