"""Rules-and-Facts learned by empirical risk minimization (ridge / kernel ERM), replica symmetric.

Conventions (rules and facts, part 2: learners):

* data x ~ N(0, I_d), teacher |w*|^2 = d, nu = w*.x/sqrt(d); alpha = n/d; with probability 1-eps a
  rule, y = sign(nu), with probability eps a fact, y = +-1 uniformly and independent of x;
* learner: a dot-product kernel in its Gaussian-equivalent form K = mu1^2 X X^T/d + mustar^2 I
  (mu0 = 0), i.e. the feature map phi(x_mu) = (mu1 x_mu/sqrt(d), mustar e_mu): a linear part and
  one private coordinate per training sample. ERM objective
  sum_mu loss(y_mu, f(x_mu)) + (lam/2) |theta|^2 (the RKHS norm); mu1 = 1, mustar = 0 is the plain
  linear learner w_hat = argmin sum_mu loss(y_mu, w.x_mu/sqrt(d)) + (lam/2)|w|^2;
* losses, all functions of the margin y z: square (1/2)(y - z)^2, hinge max(0, 1 - y z),
  logistic log(1 + exp(-y z));
* order parameters of the linear part of the predictor, h = mu1 w.x/sqrt(d): m = mu1 w.w*/d,
  q = mu1^2 |w|^2/d, V (response); conjugates mhat, qhat, Vhat;
* eps_gen = arccos(m/sqrt(q))/pi on fresh rule samples; eps_mem, eps_train_rule: fractions of
  training facts / rules whose trained prediction (the proximal point) has the wrong sign;
  train_loss = minimized objective per sample (loss plus ridge, divided by n).

Replica symmetry is exact: the objective is convex for the three losses.
"""
from __future__ import annotations

import sympy as sp

from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic
from ..gaussian import H, gauss_avg, gauss_integral, tidy
from ..prox import MoreauLogistic, ProxLogistic

MODEL = "raf-erm"
LOSSES = ("square", "hinge", "logistic")

m = sp.Symbol("m", real=True)
q, V = sp.symbols("q V", positive=True)
mh, qh, Vh = sp.symbols("mhat qhat Vhat", real=True)
alpha, lam, mu1 = sp.symbols("alpha lam mu1", positive=True)
eps, mustar = sp.symbols("eps mustar", nonnegative=True)
t, z, omega, Wsym = sp.symbols("xi z omega W", real=True)
u, v, ws = sp.symbols("u v wstar", real=True)

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, n/d"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
    Parameter(lam, 0.0, None, lower_open=True, default=1.0,
              description="ridge (regularization) strength"),
    Parameter(mu1, 0.0, None, lower_open=True, default=1.0,
              description="linear coefficient of the kernel (Gaussian equivalence)"),
    Parameter(mustar, 0.0, None, default=0.0,
              description="non-linear coefficient of the kernel: extra per-sample capacity"),
]

TAU = mustar**2 / lam          # Moreau time of the private coordinates (kernel part)
W_EFF = V + TAU                # effective prox time seen by the channel
LAM_EFF = lam / mu1**2         # ridge on the field-scaled weights u = mu1 w

# (m, q, V, alpha, eps, lam, mu1, mustar) sample points with m^2 < q.
_SAMPLES = [
    (0.3, 0.5, 0.8, 1.3, 0.2, 0.5, 1.0, 0.0),
    (0.6, 1.7, 2.3, 0.7, 0.5, 0.1, 1.4, 0.6),
    (-0.2, 0.3, 0.4, 3.0, 0.05, 2.0, 0.8, 0.3),
]
_HINT_P = (sp.S(0), sp.sqrt(q - m**2) / sp.Abs(m))  # short scale of the rule channel near xi = 0


def _cuts(loss):
    """Kinks (scale-0 hints) of the channel integrands of one loss, in the variable xi."""
    if loss == "hinge":
        return [((1 - W_EFF) / sp.sqrt(q), sp.S(0)), (1 / sp.sqrt(q), sp.S(0))]
    if loss == "logistic":
        # The prox z(omega) bends from omega + W (z << 0) to omega (z >> 0) over |z| of order
        # one: omega in [-W, 0] up to O(1), centred at omega* = -W/2. In xi that is a scale of
        # 1/sqrt(q): graded panels there keep the quadrature exact when q and W are large.
        s = 1 / sp.sqrt(q)
        return [(-W_EFF / sp.sqrt(q), s), (-W_EFF / (2 * sp.sqrt(q)), s), (sp.S(0), s)]
    return []


def derive() -> Derivation:
    d = Derivation(model=MODEL, title="Rules-and-Facts ERM: ridge and kernel learners (RS)",
                   conventions=__doc__.split("Conventions (rules and facts, part 2: learners):")[1]
                   .strip(),
                   parameters=PARAMETERS, order_parameters=[m, q, V])

    prior = _prior(d)
    _kernel_features(d)
    P_plus = _channel(d)

    # Free entropy with an opaque channel term: the saddle-point structure is derived once and
    # the per-loss channel derivatives substituted afterwards.
    Phi_ch = sp.Function("Phi_ch")(m, q, V)
    Phi = -m * mh + (q * Vh - V * qh) / 2 + prior + alpha * Phi_ch
    d.step("zero-temperature free entropy",
           "Phi = -m mhat + (q Vhat - V qhat)/2 + Phi_prior(mhat, qhat, Vhat) + alpha Phi_ch(m, q, "
           "V), Phi_ch = -E_{xi,y} M_W(y, sqrt(q) xi), the Gaussian average of the Moreau envelope"
           " of the loss with W = V + mustar^2/lam (beta -> oo limit with V = beta (Q - q)). "
           "The minimized ERM objective per dimension is -Phi at the saddle point.",
           Phi=Phi)

    prior_eqs = sp.solve([sp.diff(Phi, s) for s in (mh, qh, Vh)], [m, q, V], dict=True)[0]
    ch_eqs = sp.solve([sp.diff(Phi, s) for s in (m, q, V)], [mh, qh, Vh], dict=True)[0]
    d.step("saddle-point equations",
           "Stationarity of Phi in the conjugates gives the ridge prior map (m, q, V) of (mhat, "
           "qhat, Vhat); stationarity in (m, q, V) gives the channel map, mhat = alpha dPhi_ch/dm, "
           "qhat = 2 alpha dPhi_ch/dV, Vhat = -2 alpha dPhi_ch/dq (sympy solve of linear "
           "equations).",
           [check_symbolic(prior_eqs[V] - 1 / (LAM_EFF + Vh), "V = 1/(lam/mu1^2 + Vhat)")],
           m_prior=prior_eqs[m], q_prior=prior_eqs[q], V_prior=prior_eqs[V],
           mhat_channel=ch_eqs[mh], qhat_channel=ch_eqs[qh], Vhat_channel=ch_eqs[Vh])
    # d(-Phi)/d lam = |w|^2/(2d) (envelope theorem): the free entropy is the minimized objective.
    lam_check = sp.diff(Phi, lam).subs(prior_eqs) + (q / mu1**2 / 2).subs(prior_eqs)
    d.step("envelope identity",
           "At the prior stationary point d(-Phi)/d lam = q/(2 mu1^2) = |w|^2/(2d), the derivative "
           "of the minimized objective per dimension: -Phi is that objective.",
           [check_symbolic(lam_check, "dPhi/dlam + q/(2 mu1^2) = 0 at stationarity")])

    d.kernel("prior", [mh, qh, Vh], [("m", prior_eqs[m]), ("q", prior_eqs[q]),
                                     ("V", prior_eqs[V])],
             "ridge prior map (mhat, qhat, Vhat) -> (m, q, V)")

    eps_gen = sp.acos(m / sp.sqrt(q)) / sp.pi
    for loss in LOSSES:
        M, z_star, pieces = _envelope(d, loss)
        ch = _channel_term(d, loss, P_plus, pieces)
        derivs = {sp.Derivative(Phi_ch, s): tidy(sp.diff(ch, s)) for s in (m, q, V)}
        hats = [tidy(ch_eqs[s].subs(derivs)) for s in (mh, qh, Vh)]
        if loss == "logistic":
            _check_gradient(d, ch, [e.subs(alpha, 1) / c for e, c in zip(
                hats, (1, 2, -2))])
        hints = [_HINT_P] + _cuts(loss)
        if loss == "square":
            hats = _square_closed_form(d, ch, P_plus, hats, prior_eqs)
        hats = [_explicit(h) for h in hats]
        d.kernel(f"channel_{loss}", [m, q, V],
                 [("mhat", hats[0]), ("qhat", hats[1]), ("Vhat", hats[2])],
                 f"channel map (m, q, V) -> (mhat, qhat, Vhat), {loss} loss", hints)

        om_star = _threshold(d, loss)
        eps_mem = H(-om_star / sp.sqrt(q))
        rule_wrong = 2 * gauss_integral(H(-m * t / sp.sqrt(q - m**2)), t, -sp.oo,
                                        om_star / sp.sqrt(q))
        phi_val = _explicit(Phi.subs(Phi_ch, ch))
        train_loss = -phi_val / alpha
        d.step(f"observables, {loss} loss",
               "The trained prediction on a training sample is z = prox_W(y, omega) (for kernels "
               "the prox of the full loss at W = V + mustar^2/lam: the private coordinate "
               "contributes mustar^2/lam to the prox time). prox is increasing in omega, so "
               "y z < 0 iff y omega < omega* with prox(omega*) = 0. Facts: y independent of xi, "
               "eps_mem = P(sqrt(q) xi < omega*) = H(-omega*/sqrt(q)); rules: eps_train_rule = "
               "2 int_{-oo}^{omega*/sqrt q} Dxi H(-m xi/sqrt(q - m^2)); train_loss = -Phi/alpha.",
               eps_mem=eps_mem, eps_train_rule=rule_wrong, train_loss=train_loss)
        d.kernel(f"observables_{loss}", [m, q, V, mh, qh, Vh],
                 [("eps_gen", eps_gen), ("eps_mem", eps_mem), ("eps_train_rule", rule_wrong),
                  ("train_loss", train_loss), ("free_entropy", phi_val)],
                 f"observables at the saddle point, {loss} loss",
                 hints + [(om_star / sp.sqrt(q), sp.S(0))])
    return d


def _explicit(expr):
    """The logistic envelope written out (for the kernels) after differentiation."""
    return expr.replace(lambda e: isinstance(e, MoreauLogistic), lambda e: e.explicit())


def _prior(d):
    """Ridge prior: max over one coordinate u of the field-scaled weights, averaged."""
    obj = mh * u * ws + sp.sqrt(qh) * v * u - (Vh + LAM_EFF) * u**2 / 2
    u_star = sp.solve(sp.diff(obj, u), u)[0]
    value = sp.expand(obj.subs(u, u_star))
    # E over teacher coordinate ws and standard Gaussian v (independent): E ws^2 = E v^2 = 1.
    avg = sp.Poly(value, ws, v)
    moments = {(2, 0): 1, (0, 2): 1, (1, 1): 0, (1, 0): 0, (0, 1): 0, (0, 0): 1}
    Phi_prior = sp.simplify(sum(c * moments[mon] for mon, c in zip(avg.monoms(), avg.coeffs())))
    d.step("ridge prior term",
           "Phi_prior = E max_u [mhat u w* + sqrt(qhat) v u - (Vhat + lam/mu1^2) u^2/2] over the "
           "field-scaled weight u = mu1 w (ridge lam |w|^2/2 = (lam/mu1^2) u^2/2), w* and v "
           "independent with unit second moments.",
           [check_symbolic(Phi_prior - (mh**2 + qh) / (2 * (LAM_EFF + Vh)),
                           "Phi_prior = (mhat^2 + qhat)/(2 (lam/mu1^2 + Vhat))")],
           Phi_prior=Phi_prior)
    return Phi_prior


def _kernel_features(d):
    """The private coordinates of the equivalent kernel shift the prox time by mustar^2/lam."""
    h, s = sp.symbols("h s", real=True)
    tau = sp.Symbol("tau", positive=True)
    # min over the private coordinate v of loss(z = h + mustar v) + lam v^2/2 is the Moreau
    # envelope of the loss at time mustar^2/lam; shown for the square loss, and the semigroup
    # M_V(M_tau f) = M_{V+tau} f of Moreau envelopes, again on the square loss.
    sq = (1 - (h + mustar * v))**2 / 2 + lam * v**2 / 2
    v_star = sp.solve(sp.diff(sq, v), v)[0]
    env = sp.simplify(sq.subs(v, v_star))
    inner = (1 - s)**2 / (2 * (1 + tau))           # M_tau of the square loss at s
    outer = inner + (s - omega)**2 / (2 * V)
    s_star = sp.solve(sp.diff(outer, s), s)[0]
    d.step("kernel features: private coordinates",
           "With phi(x_mu) = (mu1 x_mu/sqrt d, mustar e_mu), the coordinate e_mu appears only in "
           "sample mu: minimizing over it gives the Moreau envelope of the loss at time tau = "
           "mustar^2/lam, and the channel prox of that envelope at time V is the prox of the loss "
           "at time W = V + tau (Moreau semigroup); the trained prediction on the sample is the "
           "prox of the loss at time W. Checked on the square loss.",
           [check_symbolic(env - (1 - h)**2 / (2 * (1 + TAU)), "min_v = M_{mustar^2/lam}"),
            check_symbolic(outer.subs(s, s_star) - (1 - omega)**2 / (2 * (1 + V + tau)),
                           "M_V(M_tau) = M_{V+tau}")],
           tau=TAU, W=W_EFF)


def _channel(d):
    P_plus = (1 - eps) * H(-m * t / sp.sqrt(q - m**2)) + eps / 2
    mean, std = m * t / sp.sqrt(q), sp.sqrt(1 - m**2 / q)
    direct = gauss_integral(1, z, -mean / std, sp.oo)
    d.step("two-component channel",
           "Student cavity field omega = sqrt(q) xi; teacher field nu | xi ~ N(m xi/sqrt q, 1 - "
           "m^2/q). P(y = +1 | xi) = (1-eps) H(-m xi/sqrt(q - m^2)) + eps/2 (rule weight 1-eps, "
           "fact weight eps). All losses depend on y z only, so the y = -1 term maps onto y = +1 "
           "under xi -> -xi: E_{xi,y} g(y, omega) = 2 E_xi P(+1|xi) g(+1, sqrt(q) xi).",
           [check_numeric(direct, H(-m * t / sp.sqrt(q - m**2)), [q, m, t],
                          [(0.3, 0.2, 0.4), (0.7, -0.5, -1.2), (0.95, 0.9, 0.3)], 1e-25,
                          "rule P(y = +1 | xi) against the direct Gaussian integral")],
           P_plus=P_plus)
    return P_plus


def _envelope(d, loss):
    """Prox and Moreau envelope M(omega, W) at label +1; returns pieces [(lo, hi, M)] in omega."""
    if loss == "square":
        ell = (1 - z)**2 / 2
        z_star = sp.solve(sp.diff(ell + (z - omega)**2 / (2 * Wsym), z), z)[0]
        M = sp.simplify((ell + (z - omega)**2 / (2 * Wsym)).subs(z, z_star))
        d.step("square loss: proximal operator",
               "prox(omega, W) solves z - omega - W(1 - z) = 0 in closed form.",
               [check_symbolic(M - (1 - omega)**2 / (2 * (1 + Wsym)), "M = (1-omega)^2/(2(1+W))")],
               prox=z_star, M=M)
        return M, z_star, [(-sp.oo, sp.oo, M)]
    if loss == "hinge":
        # Regions of the piecewise-linear loss: z < 1 (slope -1), z = 1 (kink), z > 1 (flat).
        z_lin = sp.solve(sp.diff((1 - z) + (z - omega)**2 / (2 * Wsym), z), z)[0]  # omega + W
        M_lin = sp.expand((1 - z_lin) + (z_lin - omega)**2 / (2 * Wsym))
        M_kink = (1 - omega)**2 / (2 * Wsym)
        pieces = [(-sp.oo, 1 - Wsym, M_lin), (1 - Wsym, sp.S(1), M_kink), (sp.S(1), sp.oo, 0)]
        d.step("hinge loss: proximal operator",
               "prox(omega, W) = omega + W for omega < 1 - W (z < 1: slope -1), 1 for 1 - W <= "
               "omega <= 1 (the kink), omega for omega > 1 (flat part). M is C^1 with kinks of "
               "its second derivative at omega = 1 - W and omega = 1: the Gaussian integrals are "
               "split there. Checked against brute-force minimization (mpmath) at 6 points.",
               [_check_hinge(pieces)],
               z_low=z_lin, M_low=M_lin, M_mid=M_kink)
        return None, None, pieces
    # logistic: implicit prox; the loss written with |z| so that it never overflows.
    zs = ProxLogistic(omega, Wsym)
    M = MoreauLogistic(omega, Wsym)
    d.step("logistic loss: proximal operator",
           "prox(omega, W) solves z - omega - W/(1 + exp(z)) = 0 (unique root, in [omega, omega "
           "+ W]); no closed form, evaluated by an inner safeguarded Newton solve inside the "
           "kernel. Its derivatives by implicit differentiation: dz/domega = 1/(1 + W s(z)), "
           "dz/dW = (1/(1 + e^z))/(1 + W s(z)), s(z) = 1/(2 + 2 cosh z). The envelope M is kept "
           "as a function whose derivatives are given by the envelope theorem, dM/domega = "
           "(omega - z)/W and dM/dW = -(z - omega)^2/(2 W^2) (checked against mpmath "
           "differences of the explicit M); explicitly M = (|z| - z)/2 + log(1 + e^-|z|) + "
           "(z - omega)^2/(2W).",
           [_check_logistic_prox(), _check_envelope()],
           prox=zs, M=M, M_explicit=M.explicit())
    return M, zs, [(-sp.oo, sp.oo, M)]


def _channel_term(d, loss, P_plus, pieces):
    omega_xi = sp.sqrt(q) * t
    ch = 0
    for lo, hi, M in pieces:
        if M == 0:
            continue
        lo_x = lo if lo in (-sp.oo, sp.oo) else (lo / sp.sqrt(q)).subs(Wsym, W_EFF)
        hi_x = hi if hi in (-sp.oo, sp.oo) else (hi / sp.sqrt(q)).subs(Wsym, W_EFF)
        integrand = P_plus * M.subs({omega: omega_xi, Wsym: W_EFF})
        ch += -2 * gauss_integral(integrand, t, lo_x, hi_x)
    d.step(f"channel term, {loss} loss",
           "Phi_ch(m, q, V) = -2 int Dxi P(+1|xi) M(sqrt(q) xi, W), W = V + mustar^2/lam"
           + (", split at the kinks xi = (1-W)/sqrt q and 1/sqrt q (M = 0 above the second)"
              if loss == "hinge" else "") + ".",
           Phi_ch=ch)
    return ch


def _square_closed_form(d, ch, P_plus, hats, prior_eqs):
    """Square loss: the Gaussian averages are moments, and the saddle point is algebraic."""
    kappa = (1 - eps) * sp.sqrt(2 / sp.pi)
    moments = [(gauss_avg(P_plus, t), sp.Rational(1, 2)),
               (gauss_avg(P_plus * t, t), (1 - eps) * m / sp.sqrt(2 * sp.pi * q)),
               (gauss_avg(P_plus * t**2, t), sp.Rational(1, 2))]
    checks = [check_numeric(a, b, [m, q, eps], [(0.3, 0.5, 0.2), (-0.6, 1.7, 0.5),
                                                (0.9, 0.95, 0.0)], 1e-20,
                            f"E_xi P(+1|xi) xi^{k} in closed form", breakpoints=[sp.S(0)])
              for k, (a, b) in enumerate(moments)]
    W = W_EFF
    ch_closed = -(1 + q - kappa * 2 * m) / (2 * (1 + W))
    checks.append(check_numeric(ch, ch_closed, [m, q, V, eps, lam, mustar],
                                [(0.3, 0.5, 0.8, 0.2, 0.5, 0.0), (-0.6, 1.7, 2.3, 0.5, 0.1, 0.6)],
                                1e-20, "channel term equals its closed form",
                                breakpoints=[sp.S(0)]))
    hats_closed = [alpha * sp.diff(ch_closed, m), 2 * alpha * sp.diff(ch_closed, V),
                   -2 * alpha * sp.diff(ch_closed, q)]
    samples = [s for s in _SAMPLES]
    syms = [m, q, V, alpha, eps, lam, mu1, mustar]
    for name, a, b in zip(("mhat", "qhat", "Vhat"), hats, hats_closed):
        checks.append(check_numeric(a, b, syms, samples[:2], 1e-18,
                                    f"{name}: integral form equals the closed form",
                                    breakpoints=[sp.S(0)]))
    d.step("square loss: Gaussian averages in closed form",
           "E P(+1|xi) = 1/2, E P(+1|xi) xi = (1-eps) m/sqrt(2 pi q), E P(+1|xi) xi^2 = 1/2, so "
           "Phi_ch = -(1 + q - 2 kappa m)/(2 (1 + W)), kappa = (1-eps) sqrt(2/pi). The channel "
           "map becomes mhat = alpha kappa/(1+W), qhat = alpha (1 + q - 2 kappa m)/(1+W)^2, "
           "Vhat = alpha/(1+W).",
           checks, Phi_ch=ch_closed, mhat=hats_closed[0], qhat=hats_closed[1],
           Vhat=hats_closed[2])
    # The square loss solves in closed form: V from a quadratic, then m, then q (linear).
    Vs = sp.solve(sp.Eq(V, prior_eqs[V].subs(Vh, hats_closed[2])), V)
    Vpos = [s for s in Vs if _positive_at(s)]
    V_root = Vpos[0]
    # The same root without cancellation: lam' V^2 + b V - c = 0 (lam' = lam/mu1^2, c = 1 + tau)
    # has V = (sqrt(D) - b)/(2 lam'), which cancels for b > 0 as lam -> 0 (alpha > 1); written as
    # (|b| - b)/(2 lam') + 2 c/(sqrt(D) + |b|) both terms are non-negative.
    poly = sp.Poly(sp.numer(sp.together(V - prior_eqs[V].subs(Vh, hats_closed[2]))), V)
    c2, c1, c0 = poly.all_coeffs()
    b_, c_ = c1 / c2, -c0 / c2 * LAM_EFF          # V^2 + (b_/lam') V - c_/lam' = 0
    b_, c_ = sp.simplify(b_ * LAM_EFF), sp.simplify(c_)
    D_ = b_**2 + 4 * LAM_EFF * c_
    V_cf = (sp.Abs(b_) - b_) / (2 * LAM_EFF) + 2 * c_ / (sp.sqrt(D_) + sp.Abs(b_))
    stable_check = check_numeric(V_cf, V_root, [alpha, eps, lam, mu1, mustar],
                                 [(1.3, 0.2, 0.5, 1.0, 0.0), (0.4, 0.7, 0.05, 0.5, 1.2),
                                  (5.0, 0.0, 1e-3, 2.0, 0.1), (0.5, 0.1, 2.0, 1.0, 0.3)], 1e-25,
                                 "cancellation-free root equals sympy's positive root")
    m_V = sp.factor(prior_eqs[m].subs({mh: hats_closed[0], Vh: hats_closed[2]}))
    q_eq = sp.Eq(q, prior_eqs[q].subs({mh: hats_closed[0], qh: hats_closed[1],
                                       Vh: hats_closed[2]}))
    q_V = sp.factor(sp.solve(q_eq.subs(m, m_V), q)[0])
    residuals = [prior_eqs[s].subs({mh: hats_closed[0], qh: hats_closed[1], Vh: hats_closed[2]})
                 - s for s in (m, q, V)]
    sub = {V: V_cf, m: m_V, q: q_V}
    d.step("square loss: closed-form saddle point",
           "The square loss solves in closed form: V = 1/(lam/mu1^2 + alpha/(1 + V + tau)) is a "
           "quadratic in V (its positive root, written without cancellation), then m = mhat V "
           "and q = (mhat^2 + qhat) V^2 is linear in q (m and q written in terms of V). Checked: the closed form is a fixed "
           "point of the iterated map (30 digits, 3 parameter points); the numerics also test "
           "it against the iteration.",
           [_check_fixed_point(residuals, sub), stable_check],
           V=V_cf, m=m_V, q=q_V)
    m_cf, q_cf = m_V.xreplace({V: V_cf}), q_V.xreplace({V: V_cf})
    d.kernel("closed_form_square", [], [("m", m_cf), ("q", q_cf), ("V", V_cf)],
             "square loss: the saddle point in closed form")
    return hats_closed


def _positive_at(expr):
    vals = [alpha, eps, lam, mu1, mustar]
    for s in ((1.3, 0.2, 0.5, 1.0, 0.0), (0.4, 0.7, 0.05, 0.5, 1.2)):
        if not float(expr.subs(dict(zip(vals, s)))) > 0:
            return False
    return True


def _check_fixed_point(residuals, sub):
    import mpmath as mp
    vals = [alpha, eps, lam, mu1, mustar]
    worst = 0.0
    with mp.workdps(30):
        for s in ((1.3, 0.2, 0.5, 1.0, 0.0), (0.4, 0.7, 0.05, 0.5, 1.2), (5.0, 0.0, 1e-3, 2.0,
                                                                             0.1)):
            p = {k: sp.Rational(str(x)) for k, x in zip(vals, s)}
            Vv = sub[V].subs(p).evalf(40)
            point = {V: Vv, m: sub[m].subs(p).subs(V, Vv).evalf(40),
                     q: sub[q].subs(p).subs(V, Vv).evalf(40)}
            for r in residuals:
                worst = max(worst, float(abs(r.subs(p).subs(point).evalf(40))))
    return Check("numeric", worst < 1e-25, "closed form is a fixed point of the prior o channel "
                 "map at 3 points (30 digits)", worst)


def _threshold(d, loss):
    """omega* with prox(omega*) = 0: from z - omega + W loss'(z) = 0 at z = 0."""
    slope = {"square": sp.diff((1 - z)**2 / 2, z), "hinge": sp.diff(1 - z, z),
             "logistic": sp.diff(sp.log(1 + sp.exp(-z)), z)}[loss].subs(z, 0)
    om = sp.solve(sp.Eq(0 - omega + Wsym * slope, 0), omega)[0].subs(Wsym, W_EFF)
    d.step(f"sign threshold, {loss} loss",
           "prox(omega) = 0 at omega* = W loss'(0) (stationarity at z = 0; for the hinge, 0 lies "
           "in the slope -1 region).", omega_star=om)
    return om


def _check_hinge(pieces):
    import mpmath as mp
    worst = 0.0
    with mp.workdps(30):
        for om_v, W_v in ((-2.0, 0.5), (0.7, 0.5), (1.3, 0.5), (-0.3, 2.0), (0.2, 2.0),
                          (0.9, 0.05)):
            om_v, W_v = mp.mpf(om_v), mp.mpf(W_v)
            f = lambda zz: max(0, 1 - zz) + (zz - om_v)**2 / (2 * W_v)  # noqa: E731
            # convex piecewise quadratic: minimize on each smooth piece, exact at 30 digits
            cands = [mp.mpf(1), om_v, om_v + W_v]
            brute = min(f(c) for c in cands)
            grid = min(f(om_v - 3 + 6 * k / mp.mpf(2000) * (1 + W_v)) for k in range(2001))
            for lo, hi, M in pieces:
                lo_v = -mp.inf if lo == -sp.oo else mp.mpf(str(sp.N(lo.subs(Wsym, W_v), 30)))
                hi_v = mp.inf if hi == sp.oo else mp.mpf(str(sp.N(hi.subs(Wsym, W_v), 30)))
                if lo_v <= om_v < hi_v:
                    val = mp.mpf(str(sp.N(sp.sympify(M).subs({omega: om_v, Wsym: W_v}), 30)))
            worst = max(worst, float(abs(val - brute)))
            assert grid >= brute - 1e-12  # the candidates do contain the minimum
    return Check("numeric", worst < 1e-25, "piecewise envelope against the minimum over the "
                 "stationary candidates (and a 2001-point grid) at 6 (omega, W)", worst)


def _check_logistic_prox():
    import mpmath as mp

    from ..prox import _mp_prox_logistic
    zs = ProxLogistic(omega, Wsym)
    d_om, d_W = (sp.lambdify([omega, Wsym], zs.diff(s), modules="mpmath") for s in (omega, Wsym))
    worst = 0.0
    with mp.workdps(30):
        for om_v, W_v in ((-2.0, 0.5), (0.7, 1.5), (3.0, 0.2), (-8.0, 4.0)):
            zz = _mp_prox_logistic(om_v, W_v)
            stat = zz - om_v - W_v / (1 + mp.exp(zz))
            fd_om = mp.diff(lambda o: _mp_prox_logistic(o, W_v), om_v)
            fd_W = mp.diff(lambda w: _mp_prox_logistic(om_v, w), W_v)
            worst = max(worst, float(abs(stat)), float(abs(fd_om - d_om(om_v, W_v))),
                        float(abs(fd_W - d_W(om_v, W_v))))
    return Check("numeric", worst < 1e-15, "prox solves its stationarity condition and the "
                 "implicit derivatives match mpmath finite differences at 4 points", worst)


def _check_envelope():
    import mpmath as mp

    from ..prox import _mp_moreau_logistic
    M = MoreauLogistic(omega, Wsym)
    d_om, d_W = (sp.lambdify([omega, Wsym], M.diff(s), modules="mpmath") for s in (omega, Wsym))
    worst = 0.0
    with mp.workdps(30):
        for om_v, W_v in ((-2.0, 0.5), (0.7, 1.5), (3.0, 0.2), (-8.0, 4.0)):
            fd_om = mp.diff(lambda o: _mp_moreau_logistic(o, W_v), om_v)
            fd_W = mp.diff(lambda w: _mp_moreau_logistic(om_v, w), W_v)
            worst = max(worst, float(abs(fd_om - d_om(om_v, W_v))),
                        float(abs(fd_W - d_W(om_v, W_v))))
    return Check("numeric", worst < 1e-15, "envelope-theorem derivatives of M against mpmath "
                 "finite differences of the explicit envelope at 4 points", worst)


def _check_gradient(d, ch, grads):
    """Channel derivatives (implicit prox derivatives) against mpmath differences of Phi_ch.

    The channel term is one Gaussian integral over the whole line (fixed limits), so
    differentiation under the integral sign is exact and the check is done on the integrands at
    a few xi, which keeps the derivation fast (the integrated check is in the tests).
    """
    import mpmath as mp

    from ..evaluate import _mp_namespace
    mods = [_mp_namespace(), "mpmath"]
    (I,) = ch.atoms(sp.Integral)
    f = sp.lambdify([t, m, q, V, eps, lam, mustar], -2 * I.function, modules=mods)
    worst = 0.0
    s = (0.3, 0.5, 0.8, 0.2, 0.5, 0.3)
    with mp.workdps(20):
        for i, var in enumerate((m, V, q)):
            (Ig,) = [a for a in sp.sympify(grads[i]).atoms(sp.Integral)]
            coeff = sp.simplify(grads[i] / Ig)
            g = sp.lambdify([t, m, q, V, eps, lam, mustar, alpha, mu1], coeff * Ig.function,
                            modules=mods)
            j = [m, q, V, eps, lam, mustar].index(var)
            for x in (-2.5, -0.4, 0.7, 3.1):
                num = mp.diff(lambda y: f(x, *(s[:j] + (y,) + s[j + 1:])), s[j])
                ana = g(x, *s, 1, 1)
                worst = max(worst, float(abs(num - ana) / max(abs(ana), 1e-3)))
    d.step("logistic channel: gradient check",
           "The integrands of dPhi_ch/dm, dPhi_ch/dV, dPhi_ch/dq from sympy (implicit prox "
           "derivatives) against mpmath numerical derivatives of the Phi_ch integrand at 4 xi "
           "(fixed limits: differentiation under the integral sign is exact).",
           [Check("numeric", worst < 1e-10, "relative error of the three derivatives", worst)])
