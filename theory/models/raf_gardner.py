"""Rules-and-Facts Gardner volume: spherical perceptron with margin kappa on RAF data.

Conventions (rules and facts, part 1: the Gardner volume):

* student w with |w|^2 = N; teacher w* with |w*|^2 = N; inputs x ~ N(0, I_N); alpha = P/N;
* constraints y_mu w.x_mu / sqrt(N) >= kappa for every sample, rule and fact alike;
* labels: with probability 1-eps a rule, y = sign(nu) with nu = w*.x/sqrt(N); with probability eps
  a fact, y = +-1 uniformly and independent of everything;
* order parameters: q = w^a.w^b/N (two solutions), R = w.w*/N (solution and teacher);
* generalization error of the typical (Gibbs / version-space) solution: eps_gen = arccos(R)/pi.

Replica symmetry is exact here for kappa >= 0 (the solution space is a convex cone), which is why the
parameter range of kappa starts at 0.
"""
from __future__ import annotations

import sympy as sp

from ..derivation import Derivation, Parameter
from ..evaluate import check_numeric, check_symbolic
from ..blocks.assemble import saddle_point, volume
from ..blocks.channels.margin import Margin
from ..blocks.labels import RulesAndFacts, SignTeacher
from ..blocks.priors.spherical import Spherical
from ..gaussian import H, Npdf, tidy

MODEL = "raf-gardner"

q = sp.Symbol("q", positive=True)
R = sp.Symbol("R", real=True)
alpha = sp.Symbol("alpha", positive=True)
eps = sp.Symbol("eps", nonnegative=True)
kappa = sp.Symbol("kappa", nonnegative=True)
t, z = sp.symbols("t z", real=True)

PARAMETERS = [
    Parameter(alpha, 0.0, None, lower_open=True, default=1.0,
              description="samples per dimension, P/N"),
    Parameter(eps, 0.0, 1.0, default=0.0, description="fraction of facts (random labels)"),
    Parameter(kappa, 0.0, None, default=0.0,
              description="margin; replica symmetry is exact for kappa >= 0"),
]

# Sample points (q, R, alpha, eps, kappa) with R^2 < q < 1 for numeric checks of steps.
_SAMPLES = [
    (0.3, 0.2, 0.7, 0.0, 0.0),
    (0.55, 0.5, 1.3, 0.25, 0.4),
    (0.8, 0.45, 2.1, 0.6, 1.1),
    (0.9, 0.9, 3.0, 0.1, 0.2),
]
_QUAD_CUTS = [kappa / sp.sqrt(q), sp.S(0)]


def derive() -> Derivation:
    d = Derivation(
        model=MODEL,
        title="Rules-and-Facts Gardner volume (replica symmetric)",
        conventions=__doc__.split("Conventions (rules and facts, part 1: the Gardner volume):")[1].strip(),
        parameters=PARAMETERS,
        order_parameters=[q, R],
    )
    # Blocks: spherical prior, margin channel, rules-and-facts labels on a sign teacher.
    prior, channel, labels = Spherical(), Margin(), RulesAndFacts(SignTeacher())
    fe = volume(d, prior, channel, labels, samples=[(s[0], s[1], s[3], s[4]) for s in _SAMPLES],
                what="phi(q, R) = G_S(q, R) + alpha G_E(q, R): the log Gardner volume per "
                "dimension, extremized over (q, R).")
    eps_gen = sp.acos(R) / sp.pi
    # F, its Jacobian and the preconditioner c share one Newton kernel, so a Newton iteration,
    # its line search and the fixed-point residual cost a single pass.
    saddle_point(d, fe, args=[q, R, alpha, eps, kappa], samples=_SAMPLES[:2], cuts=_QUAD_CUTS,
                 hints=channel.hints() + labels.hints(), observables=[("eps_gen", eps_gen)],
                 kind="log Gardner volume per dimension")
    d.step("generalization error", "A typical solution and the teacher are unit vectors at "
           "overlap R; a fresh rule sample is misclassified with probability arccos(R)/pi.",
           eps_gen=eps_gen)
    phi = fe.phi

    _derive_capacity(d, prior, channel, labels, phi)
    return d


def _derive_capacity(d: Derivation, prior, channel, labels, phi):
    """The q -> 1 limit: the volume shrinks to a point at alpha_c(eps, kappa)."""
    I_R = channel.q_to_one(d, labels)
    C = prior.q_to_one() - alpha * I_R
    d.step("q -> 1 limit of the free entropy",
           "2(1-q) phi -> C(R) = (1 - R^2) - alpha I(R), I(R) = 2 int_{-oo}^{kappa} Dt P(+1|t)|_{q=1}"
           " (kappa - t)^2. Verified with mpmath: 2(1-q) phi at 1-q = 1e-6 and 1e-9 approaches "
           "C(R), the gap shrinking with 1-q.",
           [_check_q_to_one(phi, C)],
           I=I_R, C=C)

    # Algebra on an opaque I(R) keeps the integral intact; it is substituted afterwards.
    I_fun = sp.Function("I")(R)
    alpha_c_of_I = sp.solve(sp.Eq((1 - R**2) - alpha * I_fun, 0), alpha)[0]
    g_of_I = sp.fraction(sp.together(sp.diff(alpha_c_of_I, R)))[0]
    d.step("capacity condition",
           "The volume vanishes when C(R) = 0 at the R that extremizes it: alpha_c = (1-R^2)/I(R) "
           "with d alpha_c/dR = 0, i.e. g(R) = -2 R I(R) - (1-R^2) I'(R) = 0. alpha_c is the "
           "maximum over R of (1-R^2)/I(R): the largest load for which some teacher overlap "
           "keeps a non-empty volume.",
           [check_symbolic(g_of_I - (-2 * R * I_fun - (1 - R**2) * sp.diff(I_fun, R)),
                           "g is the numerator of d alpha_c/dR", sp.expand)],
           alpha_c=alpha_c_of_I, g=g_of_I)
    dg_of_I = sp.diff(g_of_I, R)
    I_derivs = {sp.diff(I_fun, R, 2): tidy(sp.diff(I_R, R, 2)), sp.diff(I_fun, R): tidy(
        sp.diff(I_R, R))}
    alpha_c, g, dg = (e.xreplace(I_derivs).xreplace({I_fun: I_R})
                      for e in (alpha_c_of_I, g_of_I, dg_of_I))

    # eps = 1: I no longer depends on R, so R = 0 and alpha_c = 1/I(0). sympy evaluates I in
    # closed form there; it must be Gardner's 1988 result.
    I_gardner = sp.integrate((kappa - t)**2 * Npdf(t).rewrite(sp.exp), (t, -sp.oo, kappa))
    gardner_closed = (1 + kappa**2) * H(-kappa).rewrite(sp.erfc) + kappa * Npdf(kappa).rewrite(
        sp.exp)
    d.step("eps = 1: Gardner 1988",
           "At eps = 1 the channel is independent of R, g(R) = -2R I vanishes at R = 0 and "
           "1/alpha_c = int_{-kappa}^oo Dt (t + kappa)^2 = (1 + kappa^2) H(-kappa) + kappa "
           "Npdf(kappa); alpha_c(0) = 2.",
           [check_symbolic(I_gardner - gardner_closed, "sympy integral equals the closed form"),
            check_symbolic(1 / gardner_closed.subs(kappa, 0) - 2, "alpha_c(kappa=0) = 2")],
           inv_alpha_c=gardner_closed)

    I_noiseless = I_R.subs({eps: 0, kappa: 0})
    d.step("eps = 0, kappa = 0: never UNSAT",
           "The teacher satisfies every rule constraint at kappa = 0, so the volume never "
           "vanishes: I(R) -> 0 as R -> 1 and alpha_c = sup_R (1-R^2)/I(R) = oo. Checked: I(R) at "
           "eps = kappa = 0 decays to zero as R -> 1.",
           [_check_noiseless_decay(I_noiseless)],
           I_noiseless=I_noiseless)

    d.kernel("capacity", [R], [("g", g), ("dg_dR", dg), ("alpha_c", alpha_c)],
             "capacity condition g(R) = 0 and alpha_c(R) = (1-R^2)/I(R)",
             [(sp.S(0), sp.sqrt(1 - R**2) / sp.Abs(R))])


def _check_q_to_one(phi, C):
    import mpmath as mp

    from ..derivation import Check
    from ..evaluate import mp_function
    args = [q, R, alpha, eps, kappa]
    samples = [(0.3, 1.2, 0.5, 0.3), (0.7, 0.6, 0.8, 1.0), (0.0, 0.4, 1.0, 0.5)]
    gaps = {}
    with mp.workdps(30):
        f_phi = mp_function(2 * (1 - q) * phi, args, _QUAD_CUTS)
        f_C = mp_function(C, [R, alpha, eps, kappa], [sp.S(0)])
        for delta in (mp.mpf("1e-6"), mp.mpf("1e-9")):
            gaps[float(delta)] = max(
                float(abs(f_phi(1 - delta, *s) - f_C(*s))) for s in samples)
    ok = gaps[1e-9] < 1e-3 and gaps[1e-9] < gaps[1e-6]
    return Check("numeric", ok, "max |2(1-q) phi - C(R)| over 3 samples: "
                 + ", ".join(f"{v:.2e} at 1-q={k:g}" for k, v in gaps.items()), gaps[1e-9])


def _check_noiseless_decay(I_noiseless):
    import mpmath as mp

    from ..derivation import Check
    from ..evaluate import mp_function
    with mp.workdps(30):
        f = mp_function(I_noiseless, [R], [sp.S(0)])
        vals = [f(1 - mp.mpf(10) ** -k) for k in (2, 4, 6)]
    ok = vals[0] > vals[1] > vals[2] and vals[2] < 1e-6
    return Check("numeric", bool(ok), "I(R) at 1-R = 1e-2, 1e-4, 1e-6: "
                 + ", ".join(f"{float(v):.2e}" for v in vals), float(vals[2]))
