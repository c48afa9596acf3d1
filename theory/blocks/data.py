"""Data models of generalized linear models: how the inputs reach the predictor's field.

Conventions (theory/blocks/glm.py for the overlaps): inputs x ~ N(0, I_d), teacher field
nu = w*.x/sqrt(d) with |w*|^2 = d, ridge lam on the trained weights.

* ``Isotropic``: the field is the linear one, h = w.x/sqrt(d). With ``kernel=True`` the learner
  is a dot-product kernel in its Gaussian-equivalent form K = mu1^2 X X^T/d + mustar^2 I (mu0 = 0),
  i.e. the feature map (mu1 x_mu/sqrt(d), mustar e_mu): the field is h = mu1 w.x/sqrt(d) (the
  ridge on u = mu1 w is lam/mu1^2) and the private coordinates e_mu shift the prox time by
  tau = mustar^2/lam (W = V + tau).
* ``RandomFeatures``: p = psi d features s(F x) - mu0 with F fixed (i.i.d. N(0, 1/d) entries in
  the theory), readout a trained; Gaussian equivalence replaces them by mu1 F x + mustar z, so the
  ridge prior is averaged over the Marchenko-Pastur spectrum of F F^T (theory/spectra.py) and the
  prox time is V.

Each gives the Gaussian prior (theory/blocks/priors/gaussian.py) its ridge (``prior``) and the
Moreau channel its prox time (``time``, ``time_text``).
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from ..derivation import Check, Parameter
from ..evaluate import check_symbolic
from ..gaussian import gauss_avg
from ..spectra import MPResolvent, MPStieltjes, mp_average
from .base import DataModel
from .glm import V, Vh, m, mh, omega, q, qh
from .priors.gaussian import LAM, Gaussian, lam, v

mu1 = sp.Symbol("mu1", positive=True)
mustar = sp.Symbol("mustar", nonnegative=True)
psi = sp.Symbol("psi", positive=True)
s = sp.Symbol("s", nonnegative=True)       # an eigenvalue of F F^T
a_ = sp.Symbol("a", real=True)             # the readout along one eigen-direction
zeta, gv = sp.symbols("zeta g", real=True)  # teacher and noise coordinates along it

_MU1 = Parameter(mu1, 0.0, None, lower_open=True, default=1.0,
                 description="linear coefficient of the kernel / activation, E z s(z)")
_MUSTAR = Parameter(mustar, 0.0, None, default=0.0,
                    description="non-linear coefficient of the kernel / activation")


# Activations of random features (and of the random-feature kernel a dot-product kernel comes
# from), on a standard Gaussian pre-activation x: (s(x), mu0 = E s, mu1 = E x s, mustar =
# (E s^2 - mu0^2 - mu1^2)^(1/2)), the coefficients in their literature closed forms (tanh: mu1 by
# Stein's lemma, E x s(x) = E s'(x)). Read by the generic checks (theory/blocks/checks.py:
# ``data_activations``), which recompute them by quadrature and Monte Carlo, and recorded by
# ``activation_table`` as the derivation's table "activations", which codegen writes into the
# generated module (``TABLES``) and the numerics read (numerics/common/activations.py).
x_act = sp.Symbol("x", real=True)


def _activations():
    relu0 = 1 / sp.sqrt(2 * sp.pi)
    tanh1 = gauss_avg(1 - sp.tanh(x_act)**2, x_act)
    return {
        "linear": (x_act, sp.S(0), sp.S(1), sp.S(0)),
        "sign": (sp.sign(x_act), sp.S(0), sp.sqrt(2 / sp.pi), sp.sqrt(1 - 2 / sp.pi)),
        "relu": (sp.Max(0, x_act), relu0, sp.Rational(1, 2),
                 sp.sqrt(sp.Rational(1, 2) - relu0**2 - sp.Rational(1, 4))),
        "erf": (sp.erf(x_act), sp.S(0), 2 / sp.sqrt(3 * sp.pi),
                sp.sqrt(2 / sp.pi * sp.asin(sp.Rational(2, 3)) - 4 / (3 * sp.pi))),
        "tanh": (sp.tanh(x_act), sp.S(0), tanh1,
                 sp.sqrt(gauss_avg(sp.tanh(x_act)**2, x_act) - tanh1**2)),
    }


ACTIVATION_COLUMNS = ("mu0", "mu1", "mustar")
ACTIVATION_DPS = 30  # digits of the table's quadratures and of its check


def activation_table(d, acts):
    """Record ``acts`` ({name: (s(x), mu0, mu1, mustar)}) as step "activation coefficients" and
    table "activations" (columns mu0, mu1, mustar). A closed form is stored as it is; a
    coefficient with a Gaussian average left (tanh) is evaluated here by mpmath quadrature to
    ``ACTIVATION_DPS`` digits and stored as a Float of that precision. Checked: (mu0, mu1,
    mu0^2 + mu1^2 + mustar^2) against direct quadrature of (E s, E x s, E s^2) from s itself
    (split at 0, where sign and relu have their kink), absolute error below 1e-25. The squared
    form keeps the check at full precision where mustar = 0 (a square root of a rounding error
    would read 1e-15)."""
    import mpmath as mp

    from ..evaluate import mp_function
    rows, worst, closed = {}, mp.mpf(0), {}
    with mp.workdps(ACTIVATION_DPS + 10):
        for name, (s_, *coeffs) in acts.items():
            vals = []
            for col, c in zip(ACTIVATION_COLUMNS, coeffs):
                closed[f"{col}_{name}"] = c
                vals.append(sp.Float(mp_function(c, [])(), ACTIVATION_DPS)
                            if c.has(sp.Integral) else c)
            rows[name] = vals
            f = mp_function(s_, [x_act])
            with mp.workdps(ACTIVATION_DPS):
                direct = [mp.quad(lambda x: mp.npdf(x) * x**k * f(x)**e, [-mp.inf, 0, mp.inf])
                          for k, e in ((0, 1), (1, 1), (0, 2))]
            m0, m1, ms = (mp_function(v, [])() for v in vals)
            worst = max(worst, *(abs(a - b) for a, b in zip((m0, m1, m0**2 + m1**2 + ms**2),
                                                            direct)))
    d.step("activation coefficients",
           "Gaussian-equivalence coefficients of the activations on x ~ N(0, 1): mu0 = E s, mu1 "
           "= E x s (for tanh E s' = E (1 - tanh^2), Stein's lemma), mustar = (E s^2 - mu0^2 - "
           "mu1^2)^(1/2); literature closed forms where they exist (sign, relu, erf, linear), "
           f"tanh's two Gaussian averages by mpmath quadrature at {ACTIVATION_DPS} digits. "
           "Recorded as the table 'activations', which the numerics read from the generated "
           "module. Checked against direct quadrature of E s, E x s, E s^2 from s itself.",
           [Check("numeric", worst < 1e-25, f"(mu0, mu1, mu0^2 + mu1^2 + mustar^2) of "
                  f"{sorted(acts)} against quadrature of (E s, E x s, E s^2), "
                  f"{ACTIVATION_DPS} digits", float(worst))],
           **closed)
    d.table("activations", ACTIVATION_COLUMNS, rows,
            "Gaussian-equivalence coefficients (mu0, mu1, mustar) of each activation s on a "
            "standard Gaussian pre-activation: mu0 = E s, mu1 = E x s, mustar^2 = E s^2 - mu0^2 "
            "- mu1^2 (step 'activation coefficients').")
    return rows


class Isotropic(DataModel):
    """Isotropic Gaussian inputs, learned linearly or (``kernel``) through the Gaussian-equivalent
    dot-product kernel mu1^2 X X^T/d + mustar^2 I."""

    name = "isotropic"

    def __init__(self, kernel=False):
        self.kernel = kernel
        self.parameters = (_MU1, _MUSTAR) if kernel else ()
        self.tau = mustar**2 / lam if kernel else sp.S(0)  # Moreau time of private coordinates
        self.time = V + self.tau if kernel else V
        self.time_text = "W = V + mustar^2/lam" if kernel else "W = V"
        self.ridge = lam / mu1**2 if kernel else lam     # ridge on the field-scaled weights

    def prior(self):
        """The Gaussian (ridge) prior on the field-scaled weights."""
        if not self.kernel:
            return Gaussian()
        return Gaussian(self.ridge, "lam/mu1^2", "the field-scaled weight u = mu1 w (ridge lam "
                        "|w|^2/2 = (lam/mu1^2) u^2/2)", parameters=(LAM, _MU1))

    def kernel_features(self, d):
        """The private coordinates of the equivalent kernel shift the prox time by mustar^2/lam."""
        h, s_ = sp.symbols("h s", real=True)
        tau = sp.Symbol("tau", positive=True)
        # min over the private coordinate v of loss(z = h + mustar v) + lam v^2/2 is the Moreau
        # envelope of the loss at time mustar^2/lam; shown for the square loss, and the semigroup
        # M_V(M_tau f) = M_{V+tau} f of Moreau envelopes, again on the square loss.
        sq = (1 - (h + mustar * v))**2 / 2 + lam * v**2 / 2
        v_star = sp.solve(sp.diff(sq, v), v)[0]
        env = sp.simplify(sq.subs(v, v_star))
        inner = (1 - s_)**2 / (2 * (1 + tau))           # M_tau of the square loss at s
        outer = inner + (s_ - omega)**2 / (2 * V)
        s_star = sp.solve(sp.diff(outer, s_), s_)[0]
        d.step("kernel features: private coordinates",
               "With phi(x_mu) = (mu1 x_mu/sqrt d, mustar e_mu), the coordinate e_mu appears only "
               "in sample mu: minimizing over it gives the Moreau envelope of the loss at time tau "
               "= mustar^2/lam, and the channel prox of that envelope at time V is the prox of the "
               "loss at time W = V + tau (Moreau semigroup); the trained prediction on the sample "
               "is the prox of the loss at time W. Checked on the square loss.",
               [check_symbolic(env - (1 - h)**2 / (2 * (1 + self.tau)), "min_v = M_{mustar^2/lam}"),
                check_symbolic(outer.subs(s_, s_star) - (1 - omega)**2 / (2 * (1 + V + tau)),
                               "M_V(M_tau) = M_{V+tau}")],
               tau=self.tau, W=self.time)

    def sample(self, rng, n, N):
        return rng.standard_normal((n, N))

    @property
    def label(self):
        """The block's name with its variant (the checks' messages)."""
        return "isotropic (kernel)" if self.kernel else "isotropic"

    def activations(self):
        """{name: (s(x), mu0, mu1, mustar)} in ``x_act`` for the kernel's activations (the
        kernel form only; the linear learner has none)."""
        return _activations() if self.kernel else {}

    def activation_table(self, d):
        """Step "activation coefficients" and table "activations" of the kernel's activations
        (module function ``activation_table``); the linear learner records none."""
        return activation_table(d, self.activations()) if self.kernel else {}


def explicit(expr):
    """The spectral transforms written out (cancellation-free forms) for the kernels."""
    return sp.sympify(expr).replace(lambda e: isinstance(e, (MPStieltjes, MPResolvent)),
                                    lambda e: e.explicit())


class RandomFeatures(DataModel):
    """p = psi d random features, Gaussian-equivalent to mu1 F x + mustar z; the ridge acts on the
    readout, averaged over the Marchenko-Pastur spectrum of F F^T.

    Numeric checks run at ``samples``: (mhat, qhat, Vhat) followed by the values of ``params``
    (the model's parameter symbols, psi among them)."""

    name = "random-features"
    time, time_text = V, "W = V"
    T_S = mu1**2 * s + mustar**2            # student variance along an eigen-direction of F F^T
    C_V = Vh * mu1**2 / psi                 # Vhat (mu1^2 s + mustar^2)/psi + lam = C_V (s - Z0)
    Z0 = -(lam + Vh * mustar**2 / psi) / C_V

    def __init__(self, params=(psi, lam, mu1, mustar), samples=()):
        self.parameters = (Parameter(psi, 0.0, None, lower_open=True, default=2.0,
                                     description="random features per dimension, p/d"),
                           _MU1, _MUSTAR)
        self.params, self.samples = list(params), list(samples)
        self._psi = 3 + self.params.index(psi)  # position of psi in a sample

    def equivalence(self, d):
        d.step("Gaussian equivalence",
               "The features v = s(F x) - mu0 are replaced by the Gaussian covariates mu1 F x + "
               "mustar z with the same first two moments jointly with the teacher field: Omega = "
               "E v v^T = mu1^2 F F^T + mustar^2 I_p, Phi = E v x^T = mu1 F (Stein's lemma for "
               "unit-norm rows). The student field f = a.v/sqrt p and the teacher field nu are "
               "then jointly Gaussian with E nu^2 = 1, E f nu = m, E f^2 = q. (Checked against "
               "simulation with the true non-linear features, in the tests.)",
               Omega=mu1**2 * sp.Symbol("FF^T") + mustar**2, Phi=mu1 * sp.Symbol("F"))

    def per_direction(self):
        """The ridge prior along one eigen-direction (eigenvalue s), times psi."""
        T_S = self.T_S
        return (mh**2 * mu1**2 * s + qh * T_S) / (2 * (lam + Vh * T_S / psi))

    def prior_term(self, d, prior):
        """Phi_prior through the MP transforms (three steps, with their checks)."""
        T_S = self.T_S
        obj = ((mh * mu1 * sp.sqrt(s) * zeta + sp.sqrt(qh) * sp.sqrt(T_S) * gv) * a_
               / sp.sqrt(psi) - (Vh * T_S / psi + lam) * a_**2 / 2)
        per_dir = prior.maximize(obj, a_, (zeta, gv), scale=psi)
        target = self.per_direction()
        d.step("readout prior, one eigen-direction",
               "In the eigenbasis of F F^T (eigenvalue s), the teacher enters through (F w*)_k = "
               "sqrt(s) zeta_k and the noise through sqrt(Omega_k) g_k, zeta, g ~ N(0, 1) "
               "independent (w* isotropic). Per direction: max_a sqrt(d/p)[mhat mu1 sqrt(s) zeta "
               "+ sqrt(qhat (mu1^2 s + mustar^2)) g] a - (Vhat (d/p)(mu1^2 s + mustar^2) + lam) "
               "a^2/2, averaged; summed over the p directions and divided by d: Phi_prior = "
               "E_s[(mhat^2 mu1^2 s + qhat (mu1^2 s + mustar^2)) / (2 (lam + Vhat (mu1^2 s + "
               "mustar^2)/psi))], s ~ Marchenko-Pastur(psi) with its atom at 0.",
               [check_symbolic(per_dir - target, "per-direction value (times psi)")],
               per_direction=target)

        z, ps = sp.symbols("z psi_", real=True)
        d.step("Marchenko-Pastur transforms",
               "g(z) = E[1/(s - z)] solves psi z g^2 + (z + psi - 1) g + 1 = 0 and h(z) = "
               "E[s/(s - z)] = 1 + z g solves psi h^2 + (z - psi - 1) h + 1 = 0 (z < 0); written "
               "in cancellation-free forms (theory/spectra.py). Checked against direct mpmath "
               "quadrature of the MP density plus its atom, psi < 1, = 1 and > 1, z from -1e3 to "
               "-1e-3.",
               [_check_transforms()],
               g=MPStieltjes(z, ps).explicit(), h=MPResolvent(z, ps).explicit())

        A = mu1**2 * (mh**2 + qh)
        B = qh * mustar**2
        C_V, Z0 = self.C_V, self.Z0
        Phi_prior = (A * MPResolvent(Z0, psi) + B * MPStieltjes(Z0, psi)) / (2 * C_V)
        d.step("prior term through the spectral transforms",
               "lam + Vhat (mu1^2 s + mustar^2)/psi = c (s - z0), c = Vhat mu1^2/psi, z0 = -(lam "
               "+ Vhat mustar^2/psi)/c < 0, so the MP average is Phi_prior = [A h(z0) + B g(z0)]/"
               "(2c) with A = mu1^2 (mhat^2 + qhat), B = qhat mustar^2.",
               [check_symbolic(((A * s + B) / (C_V * (s - Z0))) - target * 2,
                               "(A s + B)/(c (s - z0)) is twice the per-direction value"),
                self._check_prior_average(Phi_prior, target)],
               c=C_V, z0=Z0, Phi_prior=Phi_prior)
        return Phi_prior

    def _lambdify(self, expr, head=()):
        return sp.lambdify(list(head) + [mh, qh, Vh] + self.params, expr, modules="mpmath")

    def _check_prior_average(self, Phi_prior, per_dir):
        import mpmath as mp
        f_closed = self._lambdify(explicit(Phi_prior))
        f_dir = self._lambdify(per_dir, [s])
        worst = 0.0
        with mp.workdps(30):
            for smp in self.samples:
                vals = [mp.mpf(x) for x in smp]
                ref = mp_average(lambda x: f_dir(x, *vals), vals[self._psi])
                worst = max(worst, float(abs(f_closed(*vals) - ref) / abs(ref)))
        return Check("numeric", worst < 1e-20, "closed-form Phi_prior against quadrature of the "
                     "per-direction value over the MP law at 3 points (psi = 0.5, 3, 1.7)", worst)

    def prior_map_check(self, d, prior_eqs, stat):
        """m, q, V from differentiating the closed form (implicit derivatives of h, g) against
        mpmath derivatives of the quadrature form of Phi_prior; step "prior map"."""
        import mpmath as mp
        f_dir = self._lambdify(self.per_direction(), [s])
        maps = [self._lambdify(explicit(prior_eqs[x])) for x in (m, q, V)]
        worst = 0.0
        k = self._psi
        with mp.workdps(30):
            for smp in self.samples[:2]:
                vals = [mp.mpf(x) for x in smp]

                def phi(i, x):
                    w = list(vals)
                    w[i] = x
                    return mp_average(lambda e: f_dir(e, *w), w[k])
                # stationarity: m = dPhi_prior/dmhat, q = -2 dPhi_prior/dVhat,
                # V = 2 dPhi_prior/dqhat
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
                Check("numeric", worst < 1e-15, "m, q, V against numerical derivatives at 2 "
                      "points", worst)],
               m=prior_eqs[m], q=prior_eqs[q], V=prior_eqs[V])

    def kernel_limit(self, d, prior_eqs):
        """psi -> oo: the isotropic-kernel prior map, V shifted by the Moreau time mustar^2/lam."""
        import mpmath as mp
        maps = [self._lambdify(explicit(prior_eqs[x])) for x in (m, q, V)]
        lam_eff = lam / mu1**2
        erm = [mh / (lam_eff + Vh), (mh**2 + qh) / (lam_eff + Vh)**2,
               1 / (lam_eff + Vh) + mustar**2 / lam]
        erm_f = [self._lambdify(e) for e in erm]
        devs = []
        with mp.workdps(40):
            for ps in (1e2, 1e4, 1e6, 1e8):
                worst = mp.mpf(0)
                for smp in self.samples:
                    vals = [mp.mpf(x) for x in smp]
                    vals[self._psi] = mp.mpf(ps)
                    for f, g in zip(maps, erm_f):
                        worst = max(worst, abs(f(*vals) - g(*vals)) / abs(g(*vals)))
                devs.append(float(worst))
        ratios = [devs[i] / devs[i + 1] for i in range(len(devs) - 1)]
        ok = devs[-1] < 1e-6 and all(r > 50 for r in ratios)
        d.step("kernel limit psi -> oo",
               "As psi -> oo the nonzero eigenvalues of F F^T concentrate at psi (mass 1/psi) and "
               "the rest sit at 0: Phi_prior -> mu1^2 (mhat^2 + qhat)/(2 (lam + mu1^2 Vhat)) + "
               "qhat mustar^2/(2 lam), the raf-erm prior plus qhat tau/2 with tau = mustar^2/lam. "
               "So m, q -> raf-erm's and V -> V_erm + tau, which is raf-erm's prox time W: the "
               "raf-erm saddle point. sympy cannot take this limit through the implicit "
               "transforms; checked numerically (40 digits): the largest relative deviation of the "
               "prior map from the limit at psi = 1e2, 1e4, 1e6, 1e8 is "
               + ", ".join(f"{x:.2e}" for x in devs) + " (O(1/psi)).",
               [Check("numeric", ok, "deviation from the kernel limit falls like 1/psi",
                      devs[-1])],
               m_limit=erm[0], q_limit=erm[1], V_limit=erm[2])

    def square_reduction(self, d, prior_eqs, hats, points):
        """With the square-loss channel: one scalar equation for V, then m and q explicitly; step
        "square loss: one scalar equation", its fixed point checked at ``points`` (values of
        ``params``). Returns (V residual, m(V), q(V))."""
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
        f_res, f_m, f_q = (sp.lambdify([V] + self.params, explicit(e), modules="mpmath")
                           for e in (V_res, m_V, q_V))
        maps = [sp.lambdify([m, q, V] + self.params, explicit(prior_eqs[x].subs(sub_h)),
                            modules="mpmath") for x in (m, q, V)]
        worst = 0.0
        with mp.workdps(30):
            for pv in points:
                pv = [mp.mpf(x) for x in pv]
                Vs = mp.findroot(lambda x: f_res(x, *pv), mp.mpf(1))
                x = [f_m(Vs, *pv), f_q(Vs, *pv), Vs]
                for f, xv in zip(maps, x):
                    worst = max(worst, float(abs(f(*x, *pv) - xv)))
        d.step("square loss: one scalar equation",
               "V = 2 dPhi_prior/dqhat depends on Vhat only, and Vhat = alpha/(1+V): the saddle "
               "point reduces to one scalar equation for V (its left side is increasing in V and "
               "bounded by E[mu1^2 s + mustar^2]/lam, so the root is bracketed by (0, (mu1^2 + "
               "mustar^2)/lam]); then m = dPhi_prior/dmhat at the channel's mhat, and q solves a "
               f"linear equation. Checked: at {len(points)} points the 30-digit root and m(V), "
               "q(V) are a fixed point of the full prior o channel map.",
               [check_symbolic(indep[0], "dV/dmhat = 0"),
                check_symbolic(indep[1], "dV/dqhat = 0"),
                check_symbolic(sp.diff(B_q, q), "the q equation is affine in q"),
                Check("numeric", worst < 1e-25, "fixed-point residual of the reduced solution",
                      worst)],
               V_equation=V_res, m_of_V=m_V, q_of_V=q_V)
        return V_res, m_V, q_V

    def sample(self, rng, n, N):
        return rng.standard_normal((n, N))

    # --- hooks of the generic checks (theory/blocks/checks.py) ---------------------------------
    def activations(self):
        """{name: (s(x), mu0, mu1, mustar)} in ``x_act``: the activations (mu1, mustar) come
        from."""
        return _activations()

    def activation_table(self, d):
        """Step "activation coefficients" and table "activations" (module function
        ``activation_table``)."""
        return activation_table(d, self.activations())

    def sample_features(self, rng, d, values):
        """F, p x d with p = round(psi d) (``values[psi]``) and i.i.d. N(0, 1/d) entries: the
        fixed random projection whose F F^T has the Marchenko-Pastur law (theory/spectra.py)."""
        p = max(1, int(round(float(values[psi]) * d)))
        return rng.standard_normal((p, d)) / np.sqrt(d)

    def stieltjes(self, zz):
        """E_s[1/(s - zz)] (zz < 0) of the spectral law of F F^T the derivation averages over:
        Marchenko-Pastur(psi) with its atom at 0."""
        return MPStieltjes(zz, psi)


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
