"""ERM channels through the Moreau envelope of the loss: square, hinge, logistic.

Conventions (theory/blocks/glm.py): every loss is a function of the margin y z, written at label
y = +1 (labels enter through y omega); the trained prediction on a sample is the proximal point
z = prox_W(omega) = argmin_z loss(z) + (z - omega)^2/(2 W) of its cavity field omega = sqrt(q) xi,
W the prox time (V, or V plus the Moreau time of private kernel coordinates: the data model's
``time``); the Moreau envelope M(omega, W) is the minimum. The channel term is
Phi_ch(m, q, V) = -E_{xi,y} M(y omega, W) = -2 E_xi P(+1|xi) M(sqrt(q) xi, W) for a label law
symmetric under (y, xi) -> (-y, -xi).

Losses: square (1/2)(1 - z)^2, hinge max(0, 1 - z), logistic log(1 + exp(-z)) (its prox has no
closed form: theory/prox.py).
"""
from __future__ import annotations

import sympy as sp

from ...derivation import Check
from ...evaluate import check_numeric, check_symbolic
from ...gaussian import gauss_avg, gauss_integral
from ...prox import MoreauLogistic, ProxLogistic
from ..base import Channel, draw_in_range
from ..glm import V, W as Wsym, alpha, m, omega, q, xi as t, z
from ..labels import sign_moments
from ..symbols import R

LOSSES = ("square", "hinge", "logistic")

# Folding y = -1 onto y = +1 (the label models' cavity step cites it).
FOLD = ("All losses depend on y z only, so the y = -1 term maps onto y = +1 under xi -> -xi: "
        "E_{xi,y} g(y, omega) = 2 E_xi P(+1|xi) g(+1, sqrt(q) xi).")


def explicit(expr):
    """The logistic envelope written out (for the kernels) after differentiation."""
    return expr.replace(lambda e: isinstance(e, MoreauLogistic), lambda e: e.explicit())


class Moreau(Channel):
    """ERM with loss ``loss`` (square | hinge | logistic) at prox time ``time`` (written
    ``time_text``): Phi_ch = -2 E_xi P(+1|xi) M(sqrt(q) xi, W)."""

    name = "moreau"

    def __init__(self, loss="square", time=V, time_text="W = V", parameters=()):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.loss, self.time, self.time_text = loss, time, time_text
        # the parameters of ``time`` beyond V (e.g. the kernel's lam, mustar), for the checks
        self.parameters = tuple(parameters)

    def cuts(self):
        """Kinks (scale-0 hints) of the channel integrands, in the variable xi."""
        W_ = self.time
        if self.loss == "hinge":
            return [((1 - W_) / sp.sqrt(q), sp.S(0)), (1 / sp.sqrt(q), sp.S(0))]
        if self.loss == "logistic":
            # The prox z(omega) bends from omega + W (z << 0) to omega (z >> 0) over |z| of order
            # one: omega in [-W, 0] up to O(1), centred at omega* = -W/2. In xi that is a scale of
            # 1/sqrt(q): graded panels there keep the quadrature exact when q and W are large.
            s = 1 / sp.sqrt(q)
            return [(-W_ / sp.sqrt(q), s), (-W_ / (2 * sp.sqrt(q)), s), (sp.S(0), s)]
        return []

    def envelope(self, d):
        """Prox and envelope M(omega, W) at label +1: (M, prox, pieces [(lo, hi, M)] in omega)."""
        if self.loss == "square":
            ell = (1 - z)**2 / 2
            z_star = sp.solve(sp.diff(ell + (z - omega)**2 / (2 * Wsym), z), z)[0]
            M = sp.simplify((ell + (z - omega)**2 / (2 * Wsym)).subs(z, z_star))
            d.step("square loss: proximal operator",
                   "prox(omega, W) solves z - omega - W(1 - z) = 0 in closed form.",
                   [check_symbolic(M - (1 - omega)**2 / (2 * (1 + Wsym)),
                                   "M = (1-omega)^2/(2(1+W))")],
                   prox=z_star, M=M)
            return M, z_star, [(-sp.oo, sp.oo, M)]
        if self.loss == "hinge":
            # Regions of the piecewise-linear loss: z < 1 (slope -1), z = 1 (kink), z > 1 (flat).
            z_lin = sp.solve(sp.diff((1 - z) + (z - omega)**2 / (2 * Wsym), z), z)[0]
            M_lin = sp.expand((1 - z_lin) + (z_lin - omega)**2 / (2 * Wsym))
            M_kink = (1 - omega)**2 / (2 * Wsym)
            pieces = [(-sp.oo, 1 - Wsym, M_lin), (1 - Wsym, sp.S(1), M_kink),
                      (sp.S(1), sp.oo, 0)]
            d.step("hinge loss: proximal operator",
                   "prox(omega, W) = omega + W for omega < 1 - W (z < 1: slope -1), 1 for 1 - W <= "
                   "omega <= 1 (the kink), omega for omega > 1 (flat part). M is C^1 with kinks of "
                   "its second derivative at omega = 1 - W and omega = 1: the Gaussian integrals "
                   "are split there. Checked against brute-force minimization (mpmath) at 6 "
                   "points.",
                   [_check_hinge(pieces)],
                   z_low=z_lin, M_low=M_lin, M_mid=M_kink)
            return None, None, pieces
        # logistic: implicit prox; the loss written with |z| so that it never overflows.
        zs = ProxLogistic(omega, Wsym)
        M = MoreauLogistic(omega, Wsym)
        d.step("logistic loss: proximal operator",
               "prox(omega, W) solves z - omega - W/(1 + exp(z)) = 0 (unique root, in [omega, "
               "omega + W]); no closed form, evaluated by an inner safeguarded Newton solve inside "
               "the kernel. Its derivatives by implicit differentiation: dz/domega = 1/(1 + W "
               "s(z)), dz/dW = (1/(1 + e^z))/(1 + W s(z)), s(z) = 1/(2 + 2 cosh z). The envelope "
               "M is kept as a function whose derivatives are given by the envelope theorem, "
               "dM/domega = (omega - z)/W and dM/dW = -(z - omega)^2/(2 W^2) (checked against "
               "mpmath differences of the explicit M); explicitly M = (|z| - z)/2 + log(1 + "
               "e^-|z|) + (z - omega)^2/(2W).",
               [_check_logistic_prox(), _check_envelope()],
               prox=zs, M=M, M_explicit=M.explicit())
        return M, zs, [(-sp.oo, sp.oo, M)]

    # --- hooks of the generic checks (theory/blocks/checks.py) ---------------------------------
    # Read only by the checks, never by a derivation: the expressions above are the derivation's.
    @property
    def label(self):
        """The block's name with its loss (the checks' messages)."""
        return f"moreau-{self.loss}"

    def loss_expr(self):
        """The loss at label +1 as a function of the margin ``z`` (glm's z): the objective the
        checks minimize by brute force."""
        return {"square": (1 - z)**2 / 2, "hinge": sp.Max(0, 1 - z),
                "logistic": sp.log(1 + sp.exp(-z))}[self.loss]

    def prox_pieces(self, d):
        """[(lo, hi, prox, M)]: the proximal point and the envelope at label +1 on omega in
        [lo, hi), in (omega, W) (glm's W, the prox time before ``time`` is substituted). From
        ``envelope``; the hinge's three regions get their prox from the same stationarity
        conditions (slope -1: z = omega + W; the kink: z = 1; flat: z = omega)."""
        M, zs, pieces = self.envelope(d)
        if self.loss != "hinge":
            return [(lo, hi, zs, Mp) for lo, hi, Mp in pieces]
        z_lin = sp.solve(sp.diff((1 - z) + (z - omega)**2 / (2 * Wsym), z), z)[0]
        z_flat = sp.solve(sp.diff((z - omega)**2 / (2 * Wsym), z), z)[0]
        return [(lo, hi, zp, Mp) for (lo, hi, Mp), zp in zip(pieces, (z_lin, sp.S(1), z_flat))]

    def sample_point(self, rng, labels):
        """(q, m) from the label model's (q, R) (m plays R: the GLM's teacher overlap), V
        log-uniform on [0.05, 3], label and channel parameters."""
        v = dict(labels.sample_point(rng))
        v[m] = v.pop(R, 0.0)
        v[V] = draw_in_range(rng, 0.0, None)
        return {**v, **self.sample_parameters(rng)}

    def channel_integral(self, P_plus, pieces):
        """Phi_ch(m, q, V) = -2 int Dxi P(+1|xi) M(sqrt(q) xi, W), split at the envelope's
        pieces (the expression only)."""
        omega_xi = sp.sqrt(q) * t
        ch = 0
        for lo, hi, M in pieces:
            if M == 0:
                continue
            lo_x = lo if lo in (-sp.oo, sp.oo) else (lo / sp.sqrt(q)).subs(Wsym, self.time)
            hi_x = hi if hi in (-sp.oo, sp.oo) else (hi / sp.sqrt(q)).subs(Wsym, self.time)
            integrand = P_plus * M.subs({omega: omega_xi, Wsym: self.time})
            ch += -2 * gauss_integral(integrand, t, lo_x, hi_x)
        return ch

    def channel_term(self, d, P_plus, pieces):
        """``channel_integral`` recorded as the step "channel term, <loss> loss"."""
        ch = self.channel_integral(P_plus, pieces)
        d.step(f"channel term, {self.loss} loss",
               f"Phi_ch(m, q, V) = -2 int Dxi P(+1|xi) M(sqrt(q) xi, W), {self.time_text}"
               + (", split at the kinks xi = (1-W)/sqrt q and 1/sqrt q (M = 0 above the second)"
                  if self.loss == "hinge" else "") + ".",
               Phi_ch=ch)
        return ch

    def energetic(self, d, labels, samples=()):
        """G_E = Phi_ch for ``labels`` (their cavity step, the envelope, the channel term)."""
        if hasattr(labels, "record_cavity"):
            P_plus = labels.record_cavity(d, q, m, t, FOLD)
        else:
            P_plus = labels.conditional(1, t, q, m)
            d.step("label law on the cavity field", "P(y = +1 | xi) with the teacher overlap m. "
                   + FOLD, P_plus=P_plus)
        _, _, pieces = self.envelope(d)
        return self.channel_term(d, P_plus, pieces)

    def threshold(self, d):
        """omega* with prox(omega*) = 0: from z - omega + W loss'(z) = 0 at z = 0."""
        slope = {"square": sp.diff((1 - z)**2 / 2, z), "hinge": sp.diff(1 - z, z),
                 "logistic": sp.diff(sp.log(1 + sp.exp(-z)), z)}[self.loss].subs(z, 0)
        om = sp.solve(sp.Eq(0 - omega + Wsym * slope, 0), omega)[0].subs(Wsym, self.time)
        d.step(f"sign threshold, {self.loss} loss",
               "prox(omega) = 0 at omega* = W loss'(0) (stationarity at z = 0; for the hinge, 0 "
               "lies in the slope -1 region).", omega_star=om)
        return om

    # --- square loss: Gaussian moments ----------------------------------------------------------
    def square_closed(self, labels):
        """Square loss, label law w theta(y nu) + (1-w)/2: Phi_ch = -(1 + q - 2 kappa m)/
        (2 (1 + W)) with kappa = E[y nu] = w sqrt(2/pi)."""
        kappa = labels.sign_weight()[0] * sp.sqrt(2 / sp.pi)
        return -(1 + q - kappa * 2 * m) / (2 * (1 + self.time))

    def square_averages(self, d, ch, P_plus, labels, hats, checks_at):
        """The square-loss channel term and map in closed form, step "square loss: Gaussian
        averages in closed form". ``checks_at``: {"moments": (symbols, points) of the label
        moments, "channel": (symbols, points) of the channel term, "hats": (symbols, points) of
        the channel map}. Returns the closed-form hats."""
        w_text = labels.sign_weight()[1]
        closed = sign_moments(labels, q, m)
        moments = [(gauss_avg(P_plus * t**k, t), closed[k]) for k in range(3)]
        syms, pts = checks_at["moments"]
        checks = [check_numeric(a, b, syms, pts, 1e-20, f"E_xi P(+1|xi) xi^{k} in closed form",
                                breakpoints=[sp.S(0)])
                  for k, (a, b) in enumerate(moments)]
        ch_closed = self.square_closed(labels)
        syms, pts = checks_at["channel"]
        checks.append(check_numeric(ch, ch_closed, syms, pts, 1e-20,
                                    "channel term equals its closed form",
                                    breakpoints=[sp.S(0)]))
        hats_closed = [alpha * sp.diff(ch_closed, m), 2 * alpha * sp.diff(ch_closed, V),
                       -2 * alpha * sp.diff(ch_closed, q)]
        syms, pts = checks_at["hats"]
        for name, a, b in zip(("mhat", "qhat", "Vhat"), hats, hats_closed):
            checks.append(check_numeric(a, b, syms, pts, 1e-18,
                                        f"{name}: integral form equals the closed form",
                                        breakpoints=[sp.S(0)]))
        d.step("square loss: Gaussian averages in closed form",
               f"E P(+1|xi) = 1/2, E P(+1|xi) xi = {w_text} m/sqrt(2 pi q), E P(+1|xi) xi^2 = "
               "1/2, so Phi_ch = -(1 + q - 2 kappa m)/(2 (1 + W)), kappa = "
               f"{w_text} sqrt(2/pi). The channel map becomes mhat = alpha kappa/(1+W), qhat = "
               "alpha (1 + q - 2 kappa m)/(1+W)^2, Vhat = alpha/(1+W).",
               checks, Phi_ch=ch_closed, mhat=hats_closed[0], qhat=hats_closed[1],
               Vhat=hats_closed[2])
        return hats_closed

    # --- logistic loss: gradient check ----------------------------------------------------------
    def gradient_check(self, d, ch, grads, args, sample, unit=()):
        """Channel derivatives (implicit prox derivatives) against mpmath differences of Phi_ch.

        The channel term is one Gaussian integral over the whole line (fixed limits), so
        differentiation under the integral sign is exact and the check is done on the integrands
        at a few xi, which keeps the derivation fast (the integrated check is in the tests).
        ``grads``: dPhi_ch/dm, dPhi_ch/dV, dPhi_ch/dq; ``args``: the symbols of Phi_ch, m, q, V
        first, at ``sample``; ``unit``: further symbols of ``grads``, set to 1.
        """
        import mpmath as mp

        from ...evaluate import _mp_namespace
        mods = [_mp_namespace(), "mpmath"]
        (I,) = ch.atoms(sp.Integral)
        f = sp.lambdify([t] + list(args), -2 * I.function, modules=mods)
        worst = 0.0
        s = tuple(sample)
        with mp.workdps(20):
            for i, var in enumerate((m, V, q)):
                (Ig,) = [a for a in sp.sympify(grads[i]).atoms(sp.Integral)]
                coeff = sp.simplify(grads[i] / Ig)
                g = sp.lambdify([t] + list(args) + list(unit), coeff * Ig.function, modules=mods)
                j = list(args).index(var)
                for x in (-2.5, -0.4, 0.7, 3.1):
                    num = mp.diff(lambda y: f(x, *(s[:j] + (y,) + s[j + 1:])), s[j])
                    ana = g(x, *s, *([1] * len(unit)))
                    worst = max(worst, float(abs(num - ana) / max(abs(ana), 1e-3)))
        d.step("logistic channel: gradient check",
               "The integrands of dPhi_ch/dm, dPhi_ch/dV, dPhi_ch/dq from sympy (implicit prox "
               "derivatives) against mpmath numerical derivatives of the Phi_ch integrand at 4 xi "
               "(fixed limits: differentiation under the integral sign is exact).",
               [Check("numeric", worst < 1e-10, "relative error of the three derivatives",
                      worst)])


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

    from ...prox import _mp_prox_logistic
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

    from ...prox import _mp_moreau_logistic
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

