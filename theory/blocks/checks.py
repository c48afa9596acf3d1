"""Generic checks: every block, and every assembled model, checked without new code.

Each check is a function of a block (or of a stored derivation) and a seeded
``numpy.random.Generator``; it returns a list of ``theory.derivation.Check`` (``passed`` with a
one-line ``detail`` and the worst error) or raises ``BlockContractError`` with a message naming
the block and what of the contract is missing. ``run(block, rng, labels)`` runs every check
that applies to a block (``checks_for`` lists them by kind; a channel's own checks,
``CHANNEL_OWN_CHECKS``, run once, the others on each label model);
``tests/theory/blocks/test_checks.py`` runs them over ``theory.blocks.BLOCKS`` and over every
registered model, so a block added to ``BLOCKS`` is checked by the next test run.

Contract for block authors (what the checks read, and what they verify)
-----------------------------------------------------------------------

Every block: ``name``; ``parameters`` (``Parameter`` with its range; points are drawn strictly
inside by ``Block.sample_parameters``).

Prior (``kind == "prior"``)
  * ``order_parameters(teacher)``, ``entropic(d, teacher)`` (G_S, steps recorded on ``d``),
    ``pairings(teacher)``, ``moments(teacher)``, ``domain(values)``, ``sample(rng, N[, values])``;
    ``sample_point(rng, teacher)`` (the base draws from a box and keeps what ``domain`` accepts).
    A teacher mode that is not derived raises ``ValueError``/``NotImplementedError`` from
    ``order_parameters`` and is skipped.
  * ``prior_moments``: every symbol of G_S is an order parameter or a declared parameter
    (``declared``); every declared moment equals sympy's dG_S/dsigma, evaluated with mpmath
    at 20 digits at 2 random domain points per teacher mode; relative tolerance 1e-15 (the
    quadrature of the two integrals, not the algebra, sets the floor).
  * ``prior_pairing``: the pairing uses every order parameter once as theta and once as sigma
    (a permutation) and every c is non-zero at the sample points. These are the two conditions
    under which the map theta <- theta + c F_sigma has exactly the stationary points as fixed
    points, whatever the channel; the identity T - theta = c F_sigma itself is verified
    symbolically by ``FreeEntropy.fixed_point_map`` when a model is derived. Also: the entropic
    part theta + c dG_S/dsigma of each row is free of theta (its sympy derivative in theta,
    evaluated with mpmath, <= 1e-10), the cancellation c is chosen for.
  * ``prior_normalization``: ``sample(rng, 20000)`` has |w|^2/N = 1 within 5 standard errors
    of the sampled w^2 (plus 1e-10: a prior normalized exactly has no spread).
  * ``prior_ensemble`` (a Legendre prior: order parameters [q, qhat] with random labels): the
    single-site measure is P(w) exp(sqrt(qhat) z w - qhat w^2/2) and dG_S/dqhat =
    (q - E_z <w>_z^2)/2. Checked by Monte Carlo from the prior's own sampler only: <w>_z is the
    tilted average over a sampled prior population (self-normalized weights), E_z over
    standard Gaussian z; 8 independent batches give the mean and its standard error; passes
    within 5 se.

Label model (``kind == "labels"``)
  * ``conditional(y, t, q, R)``, ``teacher``, ``symmetric``, ``sample(rng, nu, values)``
    (``values`` by parameter name), ``sample_point(rng)``.
  * ``labels_normalized``: P(+1|t) + P(-1|t) = 1 (to 1e-25) and 0 <= P <= 1 at 3 points x 5 t.
  * ``labels_symmetry`` (where ``symmetric``): P(-y|-t) = P(y|t) (to 1e-25).
  * ``labels_sampling``: at 4 values of t, 20000 teacher fields nu | t ~ N(R t/sqrt(q),
    1 - R^2/q) are labelled by ``sample``; the frequency of y = +1 matches P(+1|t) within 5
    binomial standard errors (the law after conditioning, i.e. the sampler and the formula
    describe the same model); and the unconditioned frequency (nu ~ N(0, 1)) against
    E_t P(+1|t), within 5 se.

Channel (``kind == "channel"``), checked on every label model of ``BLOCKS``
  * ``energetic(d, labels, samples)``; optional ``student_average(d) -> {y: A_y(t)}`` (G_E =
    sum_y E_t P(y|t) log A_y(t)), ``factor(y, h, values)`` (the per-sample factor, numpy),
    ``bayes_point(labels)`` (parameter values at which the channel is the labels' likelihood).
  * ``channel_student_average``: A_y(t) against the mean of ``factor`` over 40000 student
    fields h = sqrt(q) t + sqrt(1-q) z, at 3 values of t, within 5 se.
  * ``channel_energetic``: G_E (the channel's y-folded form) against a direct Monte Carlo over
    the sample: t ~ N(0, 1), nu | t, y from the label model's sampler, log A_y(t); 200000
    draws, within 5 se. This checks the fold over y and the label conditioning together.
  * ``channel_nishimori`` (where ``bayes_point`` is not None): at R = q and the Bayes point,
    A_y(t) = P(y|t) (to 1e-20) and the conjugates agree, mhat = dG_E/dR equals
    qhat = -2 dG_E/dq (relative 1e-12 at 25 digits): the Nishimori identity m = q, mhat = qhat
    holds on the Bayes-optimal line.
  * ``channel_bayes`` (a channel with ``partition(d, labels)``, the Bayes posterior on the
    Nishimori line, with label models that have the GLM ``partition``): sum_y Z(y) = 1 (1e-15);
    the Nishimori identity 2 dPsi_out/dq = E_xi sum_y Z(y) (d log Z(y)/d omega)^2, i.e.
    mhat = qhat (relative 1e-10, 20 digits); Psi_out against a Monte Carlo over xi,
    nu = sqrt(q) xi + sqrt(1-q) z and y from the label sampler (200000 draws, 5 se).
  * ``channel_energetic``, ``channel_bayes``, ``channel_erm_average`` also check that every
    symbol of the channel term has a value at the channel's ``sample_point`` (``declared``).

ERM channel (a channel with ``prox_pieces``: the Moreau channels), hooks ``loss_expr()`` (the
loss at label +1 in the margin glm.z), ``prox_pieces(d)`` ([(lo, hi, prox, M)] in glm's omega
and W), ``threshold(d)`` (omega* in the channel's ``time``), ``time`` (the prox time W) and
``sample_point(rng, labels)`` (q, m, V and the label parameters). Checked once per channel:
  * ``channel_envelope``: M and prox against a brute-force minimization of loss(z) + (z -
    omega)^2/(2W) (a 4001-point grid, then golden section to float resolution), at one omega
    in every piece plus 4 uniform on (-4, 4), W from the sample points; M to 1e-10 (1 + |M|),
    prox to 1e-6 (1 + |z|) (a smooth minimizer is only resolved to ~sqrt(float eps)).
  * ``channel_envelope_identity``: dM/domega = (omega - prox)/W and dM/dW = -(prox -
    omega)^2/(2W^2), with mpmath numerical derivatives of the channel's M (20 digits),
    relative 1e-12, at the same kind of points.
  * ``channel_threshold``: at 3 prox times, the brute-force prox at omega* is 0 (1e-6) and
    changes sign over omega* -+ 0.05; the channel's own prox at omega* is 0 (1e-15).
and on every label model:
  * ``channel_erm_average``: Phi_ch = ``energetic`` (the y-folded Gaussian average of -M)
    against a direct Monte Carlo: xi ~ N(0, 1), nu | xi ~ N(m xi/sqrt q, 1 - m^2/q), y from the
    label sampler, -M(y sqrt(q) xi, W) from the channel's pieces in numpy (the logistic prox by
    a vectorized bisection + Newton); 200000 draws, within 5 se.

Data model (``kind == "data"``)
  * ``sample(rng, n, N)``; optional ``activations()`` ({name: (s(x), mu0, mu1, mustar)} in
    ``data.x_act``), ``sample_features(rng, d, values)`` (F, p x d) with ``stieltjes(z)`` (the
    declared spectral law of F F^T, E[1/(s - z)], z < 0).
  * ``data_inputs``: 4000 x 12 sampled inputs have E x = 0, E x x^T = I (upper triangle) and
    E x^4 = 3 (Gaussian, not merely white), each entry within 5 se of its own spread.
  * ``data_activations``: each declared (mu0, mu1, mustar) against mpmath quadrature of E s,
    E x s, (E s^2 - mu0^2 - mu1^2)^(1/2) (20 digits, relative 1e-15) and a Monte Carlo of E s,
    E x s, E s^2 (200000 draws, 5 se).
  * ``data_spectrum``: one seeded F with min(p, d) >= 300 at a sampled psi: tr(F F^T)/p against
    the law's mean (5 of its exact se sqrt(2/(p d))), and the empirical Stieltjes transform
    at z = -0.25, -1, -4 against the law's within 4 g'(z) (1/p + 1/sqrt(p d)) (the finite-size
    scale of a linear spectral statistic; measured over psi in [0.05, 3]: one standard
    deviation is at most about half of it).

Sparse graph (``kind == "graph"``) and cavity (``kind == "cavity"``): see
``graph_checks`` (generating-function identities, a sampled graph's degrees against the pmf,
belief propagation on a sampled forest against exact linear algebra).
Predictor (``kind == "predictor"``: kernel ridge regression, theory/blocks/kernel_ridge.py)
  * ``sample(rng)``: {K, Kx, y, lam, t, U}, a random integer-feature PSD kernel (possibly
    singular), labels +-1, a ridge, a time and a rank-2 update.
  * ``predictor_solve``: the exact predictor vs numpy's solve (relative 1e-10);
    ``predictor_ridgeless``: sympy's limit lam -> 0+ of the predictor (symbolic lam) and the
    ``ridgeless`` method vs numpy's pinv min-norm interpolant (1e-8); ``predictor_flow``: the
    gradient-flow filter vs an RK4 integration of d alpha/dt = y - (K + lam) alpha (1e-7), and
    t = inf, t = 200 equal the predictor (1e-9); ``predictor_woodbury``: the exact Woodbury
    update vs the direct solve (identical rationals).

Assembled models
  * ``model_kernels(derivation, call, inside, rng)``: every kernel of a stored derivation
    (``derivation.load_json``) against the mpmath evaluation of its stored expressions, at
    random points: parameters from the derivation's declared ranges, order parameters from a box
    filtered by the model's ``inside``, other inputs from a generic draw by their sympy
    assumptions (a point is kept when the mpmath reference is finite and real, up to 25 draws;
    a kernel with no such point is reported as skipped). ``call(kernel, x, p)`` is the compiled
    kernel (numerics); this module imports nothing from numerics/. Tolerance: relative 1e-9,
    absolute 1e-11 (the compiled quadrature's accuracy contract).

A symbol that a block's expressions use but that is neither an order parameter nor one of the
block's ``parameters`` is fixed at 0.7 (0.3 if it may be negative) with a
``BlockContractWarning`` (and ``declared`` reports it as a failure, naming it): declare it to
have it drawn. Every draw comes from the caller's seeded generator.
"""
from __future__ import annotations

import inspect
import warnings

import mpmath as mp
import numpy as np
import sympy as sp

from ..derivation import Check, Derivation
from ..evaluate import mp_function
from .base import draw_in_range
from .symbols import R, q, qhat, t, z


class BlockContractError(ValueError):
    """A block lacks (or breaks the form of) what the checks read from its contract."""


class BlockContractWarning(UserWarning):
    """A block's expressions use a symbol it does not declare (checked at a fixed value)."""


def _scratch(name: str) -> Derivation:
    return Derivation(model=f"check:{name}", title="", conventions="", parameters=[],
                      order_parameters=[])


def _symbols_of(*exprs, bound=(t, z)):
    syms = set()
    for e in exprs:
        syms |= sp.sympify(e).free_symbols
    return sorted(syms - set(bound), key=str)


def _evaluator(expr, values: dict, extra=()):
    """mpmath callable of ``expr`` in the ``extra`` symbols, the others fixed from ``values``."""
    syms = _symbols_of(expr, bound=tuple(extra))
    missing = [s for s in syms if s not in values]
    if missing:
        # A symbol the block uses but does not declare (e.g. a model-level parameter such as a
        # ridge): fixed at 0.7 (or 0.3 if it may be negative), with a warning, so the rest of
        # the contract is still checked.
        warnings.warn(f"block expression uses undeclared symbols {sorted(map(str, missing))} "
                      f"(the sample point has {sorted(map(str, values))}); fixed at 0.7",
                      BlockContractWarning, stacklevel=2)
        values = {**values, **{s: 0.7 if (s.is_positive or s.is_nonnegative) else 0.3
                               for s in missing}}
    f = mp_function(expr, list(extra) + syms)
    fixed = [values[s] for s in syms]
    return lambda *x: f(*x, *fixed)


def _teacher_modes(prior):
    modes = []
    for teacher in (False, True):
        try:
            prior.order_parameters(teacher)
        except (ValueError, NotImplementedError):
            continue
        modes.append(teacher)
    if not modes:
        raise BlockContractError(f"prior {prior.name!r}: order_parameters accepts neither "
                                 "teacher=False nor teacher=True")
    return modes


def _who(block) -> str:
    """The block's name for a check's message, with its variant (``label``) where it has one."""
    return getattr(block, "label", block.name)


def _rel(a, b):
    return float(abs(a - b) / max(abs(b), 1))


# -- priors ---------------------------------------------------------------------------------------
def prior_moments(prior, rng, points=2, dps=20, tol=1e-15, modes=None) -> list[Check]:
    out = []
    for teacher in modes if modes is not None else _teacher_modes(prior):
        G_S = prior.entropic(_scratch(prior.name), teacher)
        out.append(declared(f"{prior.name} (teacher={teacher})", G_S,
                            prior.sample_point(rng, teacher), "G_S"))
        mom = prior.moments(teacher)
        theta = prior.order_parameters(teacher)
        stray = [s for s in mom if s not in theta]
        if stray:
            raise BlockContractError(f"prior {prior.name!r}: moments for {stray}, which are not "
                                     f"order parameters {theta}")
        if not mom:
            out.append(Check("symbolic", True, f"{prior.name} (teacher={teacher}): no moments "
                             "declared; the free entropy differentiates G_S itself"))
            continue
        worst = 0.0
        with mp.workdps(dps):
            for _ in range(points):
                v = prior.sample_point(rng, teacher)
                for sigma, m in mom.items():
                    a = _evaluator(sp.diff(G_S, sigma), v)()
                    b = _evaluator(m, v)()
                    worst = max(worst, _rel(a, b))
        out.append(Check("numeric", worst < tol, f"{prior.name} (teacher={teacher}): declared "
                         f"moments {sorted(map(str, mom))} equal sympy's dG_S/dsigma at {points} "
                         f"points (mpmath {dps} digits, tol {tol:g}); worst {worst:.2e}", worst))
    return out


def prior_pairing(prior, rng, points=3) -> list[Check]:
    out = []
    for teacher in _teacher_modes(prior):
        theta = prior.order_parameters(teacher)
        pairs = prior.pairings(teacher)
        th_names = sorted(str(p.theta) for p in pairs)
        sg_names = sorted(str(p.sigma) for p in pairs)
        want = sorted(map(str, theta))
        perm = th_names == want and sg_names == want
        out.append(Check("symbolic", perm, f"{prior.name} (teacher={teacher}): pairing thetas "
                         f"{th_names} and sigmas {sg_names} are each a permutation of {want}"))
        if not perm:
            continue
        # c != 0 at sample points: a zero c would make every point a fixed point of its row.
        worst = np.inf
        with mp.workdps(20):
            for _ in range(points):
                v = prior.sample_point(rng, teacher)
                for p in pairs:
                    worst = min(worst, float(abs(_evaluator(sp.sympify(p.c), v)())))
        out.append(Check("numeric", worst > 1e-12, f"{prior.name} (teacher={teacher}): every "
                         f"preconditioner c non-zero at {points} points; smallest |c| "
                         f"{worst:.3g}", worst))
        # The entropic part of each row, theta + c dG_S/dsigma, is free of theta (what c is for:
        # the map's step then does not move theta by its own entropic term). Checked by an
        # sympy derivative in theta, evaluated at the sample points.
        mom = prior.moments(teacher)
        G_S = prior.entropic(_scratch(prior.name), teacher)
        worst_dep = 0.0
        with mp.workdps(20):
            for _ in range(max(1, points - 1)):
                v = prior.sample_point(rng, teacher)
                for p in pairs:
                    dS = mom[p.sigma] if p.sigma in mom else sp.diff(G_S, p.sigma)
                    dpart = sp.diff(p.theta + p.c * dS, p.theta)
                    worst_dep = max(worst_dep, float(abs(_evaluator(dpart, v)())))
        out.append(Check("numeric", worst_dep < 1e-10, f"{prior.name} (teacher={teacher}): the "
                         f"entropic part theta + c dG_S/dsigma of every row is free of theta "
                         f"(|d/dtheta| <= 1e-10, sympy derivative evaluated with mpmath); worst {worst_dep:.2e}", worst_dep))
    return out


def _undeclared(exprs, point, bound=(t, z)) -> list[str]:
    """Names of the symbols of ``exprs`` that the sample ``point`` does not give a value."""
    return sorted(str(s) for s in _symbols_of(*exprs, bound=bound) if s not in point)


def declared(who, expr, point, what) -> Check:
    """Every symbol of ``expr`` (``what``: its name in the message) has a value at the block's
    sample ``point``: an order parameter / overlap or a declared parameter. A symbol without
    one would be fixed at 0.7 by the other checks (``BlockContractWarning``); this makes it a
    failure that names it."""
    bad = _undeclared([expr], point)
    return Check("symbolic", not bad, f"{who}: every symbol of {what} is an order parameter or "
                 "a declared parameter" + (f"; undeclared: {bad}" if bad else ""))


def _sample(prior, rng, N, values):
    params = inspect.signature(prior.sample).parameters
    return np.asarray(prior.sample(rng, N, values) if len(params) >= 3 else prior.sample(rng, N),
                      dtype=float)


def prior_normalization(prior, rng, N=20000, nse=5.0) -> list[Check]:
    v = prior.sample_parameters(rng)
    w = _sample(prior, rng, N, v)
    if w.shape != (N,):
        raise BlockContractError(f"prior {prior.name!r}: sample(rng, {N}) returned shape "
                                 f"{w.shape}, expected ({N},)")
    w2 = w * w
    m, se = float(w2.mean()), float(w2.std(ddof=1) / np.sqrt(N))
    err = abs(m - 1.0)
    return [Check("numeric", bool(err <= nse * se + 1e-10), f"{prior.name}: |w|^2/N = {m:.6f} "
                  f"at N = {N} (target 1, se {se:.2g}, tol {nse:g} se)", err)]


def is_legendre(prior) -> bool:
    try:
        theta = prior.order_parameters(False)
    except (ValueError, NotImplementedError):
        return False
    return q in theta and qhat in theta and qhat in prior.moments(False)


def prior_ensemble(prior, rng, population=4000, nz=2000, batches=8, nse=5.0) -> list[Check]:
    """Legendre priors only (``is_legendre``); others get no check."""
    if not is_legendre(prior):
        return []
    v = prior.sample_point(rng, False)
    qh = v[qhat]
    with mp.workdps(20):
        m_formula = float(v[q] - 2 * _evaluator(prior.moments(False)[qhat], v)())
    est = []
    for _ in range(batches):
        w = _sample(prior, rng, population, v)
        zz = rng.standard_normal(nz)
        logw = np.sqrt(qh) * np.outer(zz, w) - qh * w * w / 2
        logw -= logw.max(axis=1, keepdims=True)
        p = np.exp(logw)
        mean_w = (p @ w) / p.sum(axis=1)
        est.append(float(np.mean(mean_w ** 2)))
    est = np.array(est)
    m_mc, se = float(est.mean()), float(est.std(ddof=1) / np.sqrt(batches))
    err = abs(m_mc - m_formula)
    return [Check("numeric", bool(err <= nse * se), f"{prior.name}: E_z <w>_z^2 at qhat = "
                  f"{qh:.3g}: Monte Carlo {m_mc:.5f} +- {se:.1g} (population {population}, "
                  f"{nz} z x {batches} batches) vs q - 2 dG_S/dqhat = {m_formula:.5f} "
                  f"(tol {nse:g} se)", err)]


# -- label models ---------------------------------------------------------------------------------
_TS = (-2.3, -0.7, 0.0, 0.4, 1.9)


def _P(labels, y, v):
    return _evaluator(labels.conditional(y, t, q, R if labels.teacher else sp.S(0)), v, (t,))


def labels_normalized(labels, rng, points=3) -> list[Check]:
    worst_sum, lo, hi = 0.0, np.inf, -np.inf
    with mp.workdps(30):
        for _ in range(points):
            v = labels.sample_point(rng)
            Pp, Pm = _P(labels, 1, v), _P(labels, -1, v)
            for tt in _TS:
                a, b = Pp(tt), Pm(tt)
                worst_sum = max(worst_sum, float(abs(a + b - 1)))
                lo, hi = min(lo, float(a), float(b)), max(hi, float(a), float(b))
    return [Check("numeric", worst_sum < 1e-25, f"{labels.name}: P(+1|t) + P(-1|t) = 1 at "
                  f"{points} points x {len(_TS)} t; worst {worst_sum:.2e}", worst_sum),
            Check("numeric", bool(lo >= 0 and hi <= 1), f"{labels.name}: 0 <= P(y|t) <= 1 "
                  f"(range seen [{lo:.3g}, {hi:.3g}])")]


def labels_symmetry(labels, rng, points=3) -> list[Check]:
    if not labels.symmetric:
        return []
    worst = 0.0
    with mp.workdps(30):
        for _ in range(points):
            v = labels.sample_point(rng)
            for y in (1, -1):
                f, g = _P(labels, y, v), _P(labels, -y, v)
                for tt in _TS:
                    worst = max(worst, float(abs(g(-tt) - f(tt))))
    return [Check("numeric", worst < 1e-25, f"{labels.name}: declared symmetric, P(-y|-t) = "
                  f"P(y|t) at {points} points; worst {worst:.2e}", worst)]


def _by_name(values):
    return {str(k): float(val) for k, val in values.items()}


def _nu_given_t(rng, v, tt, n, teacher):
    if not teacher:
        return rng.standard_normal(n)
    qq, rr = v[q], v[R]
    return rr * tt / np.sqrt(qq) + np.sqrt(1 - rr * rr / qq) * rng.standard_normal(n)


def labels_sampling(labels, rng, n=20000, nse=5.0) -> list[Check]:
    v = labels.sample_point(rng)
    Pp = _P(labels, 1, v)
    worst, fails = 0.0, []
    for tt in (-1.5, -0.3, 0.2, 1.1):
        nu = _nu_given_t(rng, v, tt, n, labels.teacher)
        y = np.asarray(labels.sample(rng, nu, _by_name(v)))
        if not np.all(np.isin(y, (-1.0, 1.0))):
            raise BlockContractError(f"label model {labels.name!r}: sample returned values "
                                     "other than +-1")
        with mp.workdps(20):
            p = float(Pp(tt))
        freq = float(np.mean(y == 1))
        se = np.sqrt(max(p * (1 - p), 1e-12) / n)
        z_score = abs(freq - p) / se
        worst = max(worst, z_score)
        if z_score > nse:
            fails.append(f"t = {tt}: freq {freq:.4f} vs P {p:.4f}")
    # the unconditioned law: nu ~ N(0, 1), P(+1) = E_t P(+1|t)
    y = np.asarray(labels.sample(rng, rng.standard_normal(n), _by_name(v)))
    with mp.workdps(20):
        p = float(mp.quad(lambda s: mp.npdf(s) * Pp(s), [-mp.inf, 0, mp.inf]))
    freq = float(np.mean(y == 1))
    zs = abs(freq - p) / np.sqrt(max(p * (1 - p), 1e-12) / n)
    worst = max(worst, zs)
    if zs > nse:
        fails.append(f"unconditioned: freq {freq:.4f} vs E_t P {p:.4f}")
    return [Check("numeric", not fails, f"{labels.name}: sampled label frequency given t vs "
                  f"P(+1|t) at 4 t, and unconditioned vs E_t P(+1|t) ({n} samples each, tol "
                  f"{nse:g} se); worst {worst:.2f} se" + ("; " + "; ".join(fails) if fails
                                                          else ""), worst)]


# -- channels ---------------------------------------------------------------------------------------
def channel_student_average(channel, labels, rng, n=40000, nse=5.0) -> list[Check]:
    if not (hasattr(channel, "student_average") and hasattr(channel, "factor")):
        return []
    A = channel.student_average(_scratch(channel.name))
    v = channel.sample_point(rng, labels)
    worst, fails = 0.0, []
    for y in (1, -1):
        f = _evaluator(A[y], v, (t,))
        for tt in (-1.2, 0.1, 0.9):
            h = np.sqrt(v[q]) * tt + np.sqrt(1 - v[q]) * rng.standard_normal(n)
            fac = np.asarray(channel.factor(y, h, v), dtype=float)
            with mp.workdps(20):
                a = float(f(tt))
            # floor: one event in n (a factor that is 0 or 1 on every draw has no spread)
            se = np.sqrt((float(fac.var(ddof=1)) + 1.0 / n) / n)
            zs = abs(float(fac.mean()) - a) / se
            worst = max(worst, zs)
            if zs > nse:
                fails.append(f"y = {y}, t = {tt}: MC {fac.mean():.4f} vs {a:.4f}")
    return [Check("numeric", not fails, f"{channel.name} on {labels.name}: student average "
                  f"A_y(t) vs Monte Carlo of the per-sample factor ({n} z, 6 (y, t), tol {nse:g} "
                  f"se); worst {worst:.2f} se" + ("; " + "; ".join(fails) if fails else ""),
                  worst)]


def channel_energetic(channel, labels, rng, n=200000, nse=5.0) -> list[Check]:
    if not hasattr(channel, "student_average"):
        return []
    d = _scratch(channel.name)
    A = channel.student_average(d)
    v = channel.sample_point(rng, labels)
    syms = _symbols_of(*A.values(), bound=(t,))
    G_E = channel.energetic(_scratch(channel.name), labels)
    decl = declared(f"{channel.name} on {labels.name}", G_E, v, "G_E")
    if not decl.passed:
        return [decl]
    with mp.workdps(20):
        g = float(_evaluator(G_E, v)())
    tt = rng.standard_normal(n)
    nu = (v[R] * tt / np.sqrt(v[q]) + np.sqrt(1 - v[R] ** 2 / v[q]) * rng.standard_normal(n)
          if labels.teacher else rng.standard_normal(n))
    y = np.asarray(labels.sample(rng, nu, _by_name(v)))
    logA = np.empty(n)
    env = {**{s: v[s] for s in syms if s in v}}
    for yy in (1, -1):
        expr = sp.log(A[yy]).subs({s: env[s] for s in syms if s in env})
        f = sp.lambdify([t], expr, modules=[_np_specials(), "numpy"])
        sel = y == yy
        logA[sel] = f(tt[sel])
    m, se = float(logA.mean()), float(logA.std(ddof=1) / np.sqrt(n))
    err = abs(m - g)
    return [decl, Check("numeric", bool(err <= nse * se), f"{channel.name} on {labels.name}: G_E = "
                  f"{g:.5f} vs direct Monte Carlo over (t, nu, y) of log A_y(t) = {m:.5f} +- "
                  f"{se:.1g} ({n} samples, tol {nse:g} se)", err)]


def _np_specials():
    """numpy versions of the Gaussian specials (float64, via scipy): the Monte Carlo side."""
    from scipy.special import erfc, log_ndtr
    return {"H": lambda x: 0.5 * erfc(x / np.sqrt(2)), "LogH": lambda x: log_ndtr(-x),
            "Npdf": lambda x: np.exp(-x * x / 2) / np.sqrt(2 * np.pi),
            "ProxLogistic": _np_prox_logistic, "MoreauLogistic": _np_moreau_logistic}


def channel_nishimori(channel, labels, rng, points=2, dps=25) -> list[Check]:
    bp = getattr(channel, "bayes_point", None)
    point = bp(labels) if bp else None
    if point is None or not labels.teacher:
        return []
    A = channel.student_average(_scratch(channel.name)) if hasattr(
        channel, "student_average") else None
    G_E = channel.energetic(_scratch(channel.name), labels)
    worst_A, worst_hat = 0.0, 0.0
    with mp.workdps(dps):
        for _ in range(points):
            v = {**channel.sample_point(rng, labels), **point}
            v[R] = v[q]
            if A is not None:
                for y in (1, -1):
                    f = _evaluator(A[y], v, (t,))
                    P = _P(labels, y, v)
                    for tt in _TS:
                        worst_A = max(worst_A, float(abs(f(tt) - P(tt))))
            mhat = _evaluator(sp.diff(G_E, R), v)()
            qh = -2 * _evaluator(sp.diff(G_E, q), v)()
            worst_hat = max(worst_hat, _rel(mhat, qh))
    out = [Check("numeric", worst_hat < 1e-12, f"{channel.name} on {labels.name} at the Bayes "
                 f"point {_by_name(point)}, R = q: mhat = dG_E/dR equals qhat = -2 dG_E/dq "
                 f"(Nishimori) at {points} points; worst {worst_hat:.2e}", worst_hat)]
    if A is not None:
        out.append(Check("numeric", worst_A < 1e-20, f"{channel.name} on {labels.name}: at the "
                         f"Bayes point and R = q the student average is the label law, A_y(t) = "
                         f"P(y|t); worst {worst_A:.2e}", worst_A))
    return out


def _partitions(labels):
    """{y: Z(y | omega = sqrt(q) xi, V = 1 - q)} and the symbols (xi, omega, V) of the GLM
    convention, or None when the label model has no GLM partition."""
    from .glm import V as V_, omega, xi
    try:
        Zsym = {y: labels.partition(y, omega, V_) for y in (1, -1)}
    except NotImplementedError:
        return None
    on_line = {omega: sp.sqrt(q) * xi, V_: 1 - q}
    return Zsym, on_line, xi, omega


def channel_bayes(channel, labels, rng, points=2, n=200000, nse=5.0, dps=20) -> list[Check]:
    """A channel with a ``partition(d, labels)`` (the Bayes posterior on the Nishimori line):
    sum_y Z(y) = 1; Psi_out = channel.energetic against a Monte Carlo over (xi, nu | xi, y from
    the label sampler) of log Z(y); and the Nishimori identity 2 dPsi_out/dq = E_xi sum_y Z(y)
    (d log Z(y)/d omega)^2 (mhat = qhat in the conjugate form), mpmath at ``dps`` digits."""
    if not hasattr(channel, "partition"):
        return []
    parts = _partitions(labels)
    if parts is None or not labels.teacher:
        return []
    Zsym, on_line, xi, omega = parts
    Z = {y: Zsym[y].subs(on_line) for y in (1, -1)}
    G_E = channel.energetic(_scratch(channel.name), labels)
    out, worst_sum, worst_nish = [], 0.0, 0.0
    score2 = sum((Zsym[y] * sp.diff(sp.log(Zsym[y]), omega) ** 2).subs(on_line) for y in (1, -1))
    with mp.workdps(dps):
        for _ in range(points):
            v = labels.sample_point(rng)
            fz = [_evaluator(Z[y], v, (xi,)) for y in (1, -1)]
            for x in _TS:
                worst_sum = max(worst_sum, float(abs(fz[0](x) + fz[1](x) - 1)))
            lhs = 2 * _evaluator(sp.diff(G_E, q), v)()
            f2 = _evaluator(score2, v, (xi,))
            rhs = mp.quad(lambda x: mp.npdf(x) * f2(x), [-mp.inf, 0, mp.inf])
            worst_nish = max(worst_nish, _rel(lhs, rhs))
    out.append(Check("numeric", worst_sum < 1e-15, f"{channel.name} on {labels.name}: "
                     f"Z(+1) + Z(-1) = 1 at {points} points; worst {worst_sum:.2e}", worst_sum))
    out.append(Check("numeric", worst_nish < 1e-10, f"{channel.name} on {labels.name}: "
                     f"Nishimori 2 dPsi_out/dq = E_xi sum_y Z (d_omega log Z)^2 at {points} "
                     f"points (relative 1e-10); worst {worst_nish:.2e}", worst_nish))
    # Monte Carlo of Psi_out from the label sampler, on the Nishimori line R = q.
    v = labels.sample_point(rng)
    out.append(declared(f"{channel.name} on {labels.name}", G_E, v, "Psi_out"))
    with mp.workdps(dps):
        g = float(_evaluator(G_E, v)())
    x = rng.standard_normal(n)
    nu = np.sqrt(v[q]) * x + np.sqrt(1 - v[q]) * rng.standard_normal(n)
    y = np.asarray(labels.sample(rng, nu, _by_name(v)))
    logZ = np.empty(n)
    for yy in (1, -1):
        expr = sp.log(Z[yy]).subs({s: val for s, val in v.items()})
        f = sp.lambdify([xi], expr, modules=[_np_specials(), "numpy"])
        sel = y == yy
        logZ[sel] = f(x[sel])
    m_, se = float(logZ.mean()), float(logZ.std(ddof=1) / np.sqrt(n))
    out.append(Check("numeric", bool(abs(m_ - g) <= nse * se), f"{channel.name} on "
                     f"{labels.name}: Psi_out = {g:.5f} vs Monte Carlo over (xi, nu, y) of "
                     f"log Z(y) = {m_:.5f} +- {se:.1g} ({n} samples, tol {nse:g} se)",
                     abs(m_ - g)))
    return out


# -- ERM (Moreau) channels: hooks ``loss_expr()``, ``prox_pieces(d)``, ``threshold(d)``, ``time`` --
def _erm_pieces(channel):
    """[(lo, hi, prox, M)] of an ERM channel as mpmath callables of (omega, W) (the piece ends
    lo, hi depend on W only); None for a channel without ``prox_pieces``."""
    if not hasattr(channel, "prox_pieces"):
        return None
    from .glm import W, omega

    def f(e):
        e = sp.sympify(e)
        if e in (sp.oo, -sp.oo):
            val = mp.inf if e == sp.oo else -mp.inf
            return lambda *_: val
        return mp_function(e, [omega, W])
    return [tuple(f(e) for e in piece) for piece in channel.prox_pieces(_scratch(channel.name))]


def _erm_at(pieces, om, W):
    """(prox, M) at (omega, W) from the piece that holds omega (lo <= omega < hi)."""
    for lo, hi, zp, M in pieces:
        if lo(om, W) <= om < hi(om, W):
            return zp(om, W), M(om, W)
    raise BlockContractError(f"prox_pieces cover no piece at omega = {om}, W = {W}")


def _erm_time(channel, v):
    """The prox time W (the channel's ``time``) at the sample point ``v``."""
    with mp.workdps(20):
        return float(_evaluator(sp.sympify(channel.time), v)())


def _brute_prox(loss, om, W, grid=4001, iters=160):
    """argmin_z loss(z) + (z - omega)^2/(2 W) and the minimum, by brute force: a grid over
    omega +- (8 (1 + W) + |omega|) picks the cell, a golden-section search (derivative-free,
    exact on a kink) shrinks it to float resolution. Needs only convexity of the objective:
    independent of the channel's closed forms and of its prox solver."""
    def f(zz):
        return loss(zz) + (zz - om) ** 2 / (2 * W)
    half = 8 * (1 + W) + abs(om)
    zs = np.linspace(om - half, om + half, grid)
    k = int(np.argmin(np.asarray(f(zs), dtype=float)))
    a, b = zs[max(k - 1, 0)], zs[min(k + 1, grid - 1)]
    r = (np.sqrt(5.0) - 1) / 2
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = float(f(c)), float(f(d))
    for _ in range(iters):
        if b - a <= 1e-16 * (1 + abs(a)):
            break
        if fc <= fd:
            b, d, fd = d, c, fc
            c = b - r * (b - a)
            fc = float(f(c))
        else:
            a, c, fc = c, d, fd
            d = a + r * (b - a)
            fd = float(f(d))
    x = (a + b) / 2
    return float(x), float(f(x))


def _loss_function(channel):
    """The channel's ``loss_expr`` as a numpy function of the margin."""
    from .glm import z as zsym
    # numpy, vectorized (the grid of ``_brute_prox``); Max as numpy.maximum
    return sp.lambdify([zsym], channel.loss_expr(), modules=[{"Max": np.maximum}, "numpy"])


def _erm_points(channel, pieces, rng, extra=4):
    """(omega, W) points: W from the channel's sample points, one omega inside every piece
    (a random offset from its finite end, or uniform between its ends) and ``extra`` omega
    uniform on (-4, 4)."""
    pts = []
    with mp.workdps(20):
        for lo, hi, _, _ in pieces:
            W = _erm_time(channel, channel.sample_point(rng, _any_labels()))
            a, b = float(lo(0, W)), float(hi(0, W))
            if np.isfinite(a) and np.isfinite(b):
                om = float(rng.uniform(a, b))
            elif np.isfinite(a):
                om = a + float(rng.uniform(0.05, 3))
            elif np.isfinite(b):
                om = b - float(rng.uniform(0.05, 3))
            else:
                om = float(rng.uniform(-4, 4))
            pts.append((om, W))
        for _ in range(extra):
            pts.append((float(rng.uniform(-4, 4)),
                        _erm_time(channel, channel.sample_point(rng, _any_labels()))))
    return pts


def _any_labels():
    """A label model for ``sample_point`` where only the prox time of the point is used."""
    from .labels import SignTeacher
    return SignTeacher()


def channel_envelope(channel, rng, prox_tol=1e-6, env_tol=1e-10) -> list[Check]:
    """ERM channels: the envelope M(omega, W) and the prox against a brute-force minimization of
    the declared loss (``_brute_prox``) at one point in every piece plus 4 random ones; M to
    ``env_tol`` (1 + |M|), the prox to ``prox_tol`` (1 + |z|) (the minimizer of a smooth
    objective is only as sharp as sqrt(float eps))."""
    pieces = _erm_pieces(channel)
    if pieces is None:
        return []
    loss = _loss_function(channel)
    worst_M, worst_z, fails = 0.0, 0.0, []
    for om, W in _erm_points(channel, pieces, rng):
        with mp.workdps(20):
            zp, M = (float(x) for x in _erm_at(pieces, om, W))
        zb, Mb = _brute_prox(loss, om, W)
        eM, ez = abs(M - Mb) / (1 + abs(Mb)), abs(zp - zb) / (1 + abs(zb))
        worst_M, worst_z = max(worst_M, eM / env_tol), max(worst_z, ez / prox_tol)
        if eM > env_tol or ez > prox_tol:
            fails.append(f"omega = {om:.3g}, W = {W:.3g}: M {M:.10g} vs {Mb:.10g}, prox {zp:.8g} "
                         f"vs {zb:.8g}")
    return [Check("numeric", not fails, f"{_who(channel)}: envelope M and prox against brute-force "
                  f"minimization of the loss at {len(pieces) + 4} (omega, W) (tol {env_tol:g} "
                  f"and {prox_tol:g} relative); worst {max(worst_M, worst_z):.2g} of tolerance"
                  + ("; " + "; ".join(fails) if fails else ""), max(worst_M, worst_z))]


def channel_envelope_identity(channel, rng, dps=20, tol=1e-12) -> list[Check]:
    """ERM channels: the envelope theorem on the channel's own pieces, dM/domega = (omega -
    prox)/W and dM/dW = -(prox - omega)^2/(2 W^2), with numerical derivatives (mpmath ``diff``
    of M, at ``dps`` digits), at one point in every piece plus 4 random ones; relative ``tol``."""
    pieces = _erm_pieces(channel)
    if pieces is None:
        return []
    worst, fails = 0.0, []
    with mp.workdps(dps):
        for om, W in _erm_points(channel, pieces, rng):
            om_, W_ = mp.mpf(om), mp.mpf(W)
            zp, _ = _erm_at(pieces, om_, W_)
            d_om = mp.diff(lambda o: _erm_at(pieces, o, W_)[1], om_)
            d_W = mp.diff(lambda w: _erm_at(pieces, om_, w)[1], W_)
            e = max(_rel(d_om, (om_ - zp) / W_), _rel(d_W, -(zp - om_) ** 2 / (2 * W_ ** 2)))
            worst = max(worst, float(e))
            if e > tol:
                fails.append(f"omega = {om:.3g}, W = {W:.3g}: dM/domega {float(d_om):.10g} vs "
                             f"{float((om_ - zp) / W_):.10g}")
    return [Check("numeric", not fails, f"{_who(channel)}: envelope identity dM/domega = (omega - "
                  f"prox)/W and dM/dW = -(prox - omega)^2/(2 W^2) (mpmath derivatives of M, "
                  f"{dps} digits, tol {tol:g}); worst {worst:.2e}"
                  + ("; " + "; ".join(fails) if fails else ""), worst)]


def channel_threshold(channel, rng, points=3, tol=1e-6, step=0.05) -> list[Check]:
    """ERM channels: the sign threshold omega* (``threshold``, prox(omega*) = 0) at ``points``
    prox times: the brute-force prox vanishes there (|z| <= ``tol``) and changes sign, negative
    at omega* - ``step`` and positive at omega* + ``step``; the channel's own prox at omega* is 0
    (1e-15)."""
    if not hasattr(channel, "threshold") or _erm_pieces(channel) is None:
        return []
    pieces = _erm_pieces(channel)
    loss = _loss_function(channel)
    om_star = channel.threshold(_scratch(channel.name))
    worst, fails = 0.0, []
    for _ in range(points):
        v = channel.sample_point(rng, _any_labels())
        W = _erm_time(channel, v)
        with mp.workdps(20):
            os_ = float(_evaluator(om_star, v)())
            own = float(abs(_erm_at(pieces, mp.mpf(os_), mp.mpf(W))[0]))
        z0 = abs(_brute_prox(loss, os_, W)[0])
        zl, zr = _brute_prox(loss, os_ - step, W)[0], _brute_prox(loss, os_ + step, W)[0]
        worst = max(worst, z0 / tol, own / 1e-15)
        if z0 > tol or own > 1e-15 or not zl < 0 < zr:
            fails.append(f"W = {W:.3g}: omega* = {os_:.6g}, brute-force prox {z0:.2g} there, "
                         f"{zl:.3g} / {zr:.3g} at -+{step}, own prox {own:.2g}")
    return [Check("numeric", not fails, f"{_who(channel)}: sign threshold omega* (prox(omega*) = "
                  f"0) against the brute-force prox at {points} W (|z| <= {tol:g}, sign change "
                  f"over +-{step}); worst {worst:.2g} of tolerance"
                  + ("; " + "; ".join(fails) if fails else ""), worst)]


def channel_erm_average(channel, labels, rng, n=200000, nse=5.0) -> list[Check]:
    """ERM channels: Phi_ch = ``energetic`` (the y-folded Gaussian average of -M) against a
    direct Monte Carlo over the sample: xi ~ N(0, 1), nu | xi ~ N(m xi/sqrt q, 1 - m^2/q), y
    from the label model's sampler, -M(y sqrt(q) xi, W) with the channel's pieces in numpy
    (bisection + Newton for an implicit prox); ``n`` draws, within ``nse`` se. Checks the fold
    over y, the label conditioning and the quadrature together."""
    if not hasattr(channel, "prox_pieces"):
        return []
    from .glm import W as Wsym, m, omega
    v = channel.sample_point(rng, labels)
    G_E = channel.energetic(_scratch(channel.name), labels)
    decl = declared(f"{_who(channel)} on {labels.name}", G_E, v, "Phi_ch")
    if not decl.passed:
        return [decl]
    W = _erm_time(channel, v)
    with mp.workdps(15):  # the Monte Carlo resolves 1e-3
        g = float(_evaluator(G_E, v)())
    xi = rng.standard_normal(n)
    qq = v[q]
    nu = (v[m] * xi / np.sqrt(qq) + np.sqrt(1 - v[m] ** 2 / qq) * rng.standard_normal(n)
          if labels.teacher else rng.standard_normal(n))
    y = np.asarray(labels.sample(rng, nu, _by_name(v)))
    om = y * np.sqrt(qq) * xi
    vals = np.full(n, np.nan)
    mods = [_np_specials(), "numpy"]
    for lo, hi, _, M in channel.prox_pieces(_scratch(channel.name)):
        a, b, fM = (sp.lambdify([omega, Wsym], sp.sympify(e), modules=mods, use_imps=False)
                    for e in (lo, hi, M))
        sel = (om >= a(om, W)) & (om < b(om, W))
        vals[sel] = np.broadcast_to(np.asarray(fM(om[sel], W), dtype=float), (int(sel.sum()),))
    if np.isnan(vals).any():
        raise BlockContractError(f"channel {channel.name!r}: prox_pieces leave omega values "
                                 "uncovered")
    est = -vals
    mc, se = float(est.mean()), float(est.std(ddof=1) / np.sqrt(n))
    err = abs(mc - g)
    return [decl, Check("numeric", bool(err <= nse * se), f"{_who(channel)} on {labels.name}: "
                        f"Phi_ch = {g:.5f} vs Monte Carlo over (xi, nu, y) of -M(y omega, W) = "
                        f"{mc:.5f} +- {se:.1g} ({n} samples, tol {nse:g} se)", err)]


def _np_prox_logistic(om, W, halvings=24, newton=3):
    """numpy prox of the logistic loss, vectorized: the root of g(z) = z - omega - W/(1 + e^z)
    (increasing, g' in [1, 1 + W/4]) by bisection on [omega, omega + W] to a bracket of W 2^-24,
    then Newton steps kept inside it (quadratic from there: float precision in 3)."""
    om = np.asarray(om, dtype=float)
    lo, hi = om.copy(), om + W
    for _ in range(halvings):
        mid = 0.5 * (lo + hi)
        pos = mid - om - W / (1 + np.exp(mid)) > 0
        hi = np.where(pos, mid, hi)
        lo = np.where(pos, lo, mid)
    zz = 0.5 * (lo + hi)
    for _ in range(newton):
        s_ = 1 / (1 + np.exp(zz))
        zz = np.clip(zz - (zz - om - W * s_) / (1 + W * s_ * (1 - s_)), lo, hi)
    return zz


def _np_moreau_logistic(om, W):
    zz = _np_prox_logistic(om, W)
    return np.logaddexp(0.0, -zz) + (zz - om) ** 2 / (2 * W)


# -- data models ----------------------------------------------------------------------------------
def data_inputs(data, rng, n=4000, N=12, nse=5.0) -> list[Check]:
    """Isotropic Gaussian inputs (the convention x ~ N(0, I_N) of every data model): ``sample(rng,
    n, N)`` has, per coordinate, E x = 0, E x x^T = I (each entry of the upper triangle) and
    E x^4 = 3 (Gaussian, not merely white), each within ``nse`` standard errors of its own
    sampled spread (plus 1e-12: a constant has none)."""
    X = np.asarray(data.sample(rng, n, N), dtype=float)
    if X.shape != (n, N):
        raise BlockContractError(f"data model {data.name!r}: sample(rng, {n}, {N}) returned shape "
                                 f"{X.shape}, expected ({n}, {N})")
    fails, worst = [], 0.0

    def test(what, samples, target):
        nonlocal worst
        m_ = samples.mean(axis=0)
        target = np.broadcast_to(target, m_.shape)
        se = samples.std(axis=0, ddof=1) / np.sqrt(n) + 1e-12
        zs = np.abs(m_ - target) / se
        k = int(np.argmax(zs))
        worst = max(worst, float(zs[k]))
        if zs[k] > nse:
            fails.append(f"{what} [{k}] = {m_[k]:.4f} vs {target[k]:g} ({zs[k]:.1f} se)")
    test("E x", X, 0.0)
    iu = np.triu_indices(N)
    P = (X[:, :, None] * X[:, None, :])[:, iu[0], iu[1]]
    test("E x x^T (upper triangle)", P, np.eye(N)[iu])
    test("E x^4", X ** 4, 3.0)
    return [Check("numeric", not fails, f"{_who(data)}: inputs E x = 0, E x x^T = I, E x^4 = 3 at "
                  f"n = {n}, N = {N} (tol {nse:g} se); worst {worst:.2f} se"
                  + ("; " + "; ".join(fails) if fails else ""), worst)]


def data_activations(data, rng, n=200000, nse=5.0, dps=20, tol=1e-15) -> list[Check]:
    """A data model with ``activations()`` ({name: (s(x), mu0, mu1, mustar)} in
    ``theory.blocks.data.x_act``): the declared Gaussian-equivalence coefficients against (i)
    mpmath quadrature of E s, E x s and (E s^2 - mu0^2 - mu1^2)^(1/2) over x ~ N(0, 1) (split at
    0; relative ``tol`` at ``dps`` digits) and (ii) a Monte Carlo of E s, E x s, E s^2 over ``n``
    draws (within ``nse`` se)."""
    if not hasattr(data, "activations"):
        return []
    acts = data.activations()
    if not acts:
        return []
    from .data import x_act
    worst_q, worst_mc, fails = 0.0, 0.0, []
    xs = rng.standard_normal(n)
    for name, (s_, *coeffs) in acts.items():
        with mp.workdps(dps):
            f = mp_function(s_, [x_act])
            moments = [mp.quad(lambda x: mp.npdf(x) * x ** k * f(x) ** e, [-mp.inf, 0, mp.inf])
                       for k, e in ((0, 1), (1, 1), (0, 2))]
            direct = [moments[0], moments[1],
                      mp.sqrt(moments[2] - moments[0] ** 2 - moments[1] ** 2)]
            declared = [mp_function(c, [])() for c in coeffs]
            e = max(_rel(a, b) for a, b in zip(declared, direct))
        worst_q = max(worst_q, float(e))
        if e > tol:
            fails.append(f"{name}: declared (mu0, mu1, mustar) = "
                         f"{tuple(round(float(c), 8) for c in declared)} vs quadrature "
                         f"{tuple(round(float(c), 8) for c in direct)}")
        sv = np.broadcast_to(np.asarray(sp.lambdify([x_act], s_, modules=["scipy", "numpy"])(xs),
                                        dtype=float), xs.shape)
        d0, d1, ds = (float(c) for c in declared)
        for what, smp, target in (("E s", sv, d0), ("E x s", xs * sv, d1),
                                  ("E s^2", sv * sv, d0 ** 2 + d1 ** 2 + ds ** 2)):
            se = np.sqrt((float(smp.var(ddof=1)) + 1.0 / n) / n)
            zs = abs(float(smp.mean()) - target) / se
            worst_mc = max(worst_mc, zs)
            if zs > nse:
                fails.append(f"{name}: Monte Carlo {what} = {smp.mean():.5f} vs declared "
                             f"{target:.5f} ({zs:.1f} se)")
    return [Check("numeric", not fails, f"{_who(data)}: activation coefficients (mu0, mu1, mustar) "
                  f"of {sorted(acts)} against quadrature ({dps} digits, tol {tol:g}) and Monte "
                  f"Carlo ({n} draws, tol {nse:g} se); worst {worst_q:.1e} and {worst_mc:.2f} se"
                  + ("; " + "; ".join(fails) if fails else ""), max(worst_q, worst_mc))]


_SPECTRUM_ZS = (-0.25, -1.0, -4.0)


def data_spectrum(data, rng, size=300, ctol=4.0, nse=5.0) -> list[Check]:
    """A data model with ``sample_features(rng, d, values)`` (F, p x d) and ``stieltjes(z)`` (the
    declared spectral law of F F^T): one seeded F at its parameters, d chosen so that min(p, d)
    >= ``size``. (i) The mean eigenvalue tr(F F^T)/p against the law's mean E s = -z (1 + z g(z))
    at z = -1e6 (error 1e-6 E s^2; 1 under the N(0, 1/d) convention) within ``nse`` of its exact
    spread sqrt(2/(p d)) (Gaussian entries: tr F F^T is d^-1 chi^2 with p d degrees); (ii) the
    empirical Stieltjes transform mean 1/(s_i - z) against g(z) at z = -0.25, -1, -4 within
    ``ctol`` g'(z) (1/p + 1/sqrt(p d)), the finite-size scale of a linear spectral statistic
    (measured: 0.5 of it is one standard deviation for psi in [0.05, 3])."""
    if not (hasattr(data, "sample_features") and hasattr(data, "stieltjes")):
        return []
    from .data import psi
    v = data.sample_parameters(rng)
    ps = float(v[psi])
    d = max(size, int(np.ceil(size / ps)))
    F = np.asarray(data.sample_features(rng, d, v), dtype=float)
    p = F.shape[0]
    if F.ndim != 2 or F.shape[1] != d:
        raise BlockContractError(f"data model {data.name!r}: sample_features(rng, {d}, ...) "
                                 f"returned shape {F.shape}, expected (p, {d})")
    G = F @ F.T if p <= d else F.T @ F
    ev = np.clip(np.linalg.eigvalsh(G), 0, None)
    ev = np.concatenate([ev, np.zeros(p - len(ev))])
    zsym = sp.Symbol("zeta_", negative=True)
    fails, worst = [], 0.0
    with mp.workdps(30):
        gf = _evaluator(data.stieltjes(zsym), v, (zsym,))
        far = -mp.mpf(10) ** 6
        mean_law = float(-far * (1 + far * gf(far)))
    mean_se = np.sqrt(2.0 / (p * d))
    zs = abs(float(ev.mean()) - mean_law) / mean_se
    worst = max(worst, zs / nse)
    if zs > nse:
        fails.append(f"tr(F F^T)/p = {ev.mean():.5f} vs E s = {mean_law:.5f} ({zs:.1f} se)")
    scale = 1.0 / p + 1.0 / np.sqrt(p * d)
    with mp.workdps(20):
        for zz in _SPECTRUM_ZS:
            g = float(gf(zz))
            g1 = float(mp.diff(gf, zz))
            emp = float(np.mean(1.0 / (ev - zz)))
            r = abs(emp - g) / (ctol * g1 * scale)
            worst = max(worst, r)
            if r > 1:
                fails.append(f"g({zz}) = {emp:.5f} empirical vs {g:.5f} (tol "
                             f"{ctol * g1 * scale:.2g})")
    return [Check("numeric", not fails, f"{_who(data)}: spectrum of one sampled F F^T (p = {p}, "
                  f"d = {d}, psi = {ps:.3g}) against the declared law: trace (tol {nse:g} se) and "
                  f"Stieltjes transform at z = {list(_SPECTRUM_ZS)} (tol {ctol:g} g'(z) (1/p + "
                  f"1/sqrt(p d))); worst {worst:.2f} of tolerance"
                  + ("; " + "; ".join(fails) if fails else ""), worst)]


# -- readouts -----------------------------------------------------------------------------------
def _readout_value(expr, **vals):
    """A readout expression (sympy or number) at numeric symbol values, as an mpmath number."""
    e = sp.sympify(expr)
    syms = sorted(e.free_symbols, key=lambda x: x.name)
    return mp_function(e, syms)(*[vals[x.name] for x in syms])


def readout_moments(readout, rng, sizes=((3, 2), (4, 3)), tol=1e-12) -> list[Check]:
    """The declared signal E[s_i h_i] and noise Var[s_i h_i] against the exact average over all
    2^(N P) pattern sets at small (N, P) (brute-force numpy: J = X^T X/N, zero diagonal, state
    s = xi^1, every site), N and P given to ``moments`` as sympy symbols then substituted."""
    import itertools
    Ns, Ps = sp.Symbol("N", positive=True), sp.Symbol("P", positive=True)
    mom = readout.moments(Ns, Ps)
    fails, worst = [], 0.0
    for NN, PP in sizes:
        if not readout.domain({"N": NN, "P": PP}):
            raise BlockContractError(f"readout {readout.name!r}: domain rejects N = {NN}, "
                                     f"P = {PP}")
        cfg = np.array(list(itertools.product((1.0, -1.0), repeat=NN * PP))).reshape(-1, PP, NN)
        J = np.einsum("cmi,cmj->cij", cfg, cfg) / NN
        J[:, np.arange(NN), np.arange(NN)] = 0.0
        s = cfg[:, 0, :]
        sh = s * np.einsum("cij,cj->ci", J, s)
        exact = {"signal": float(sh.mean()), "noise": float(sh.var())}
        for key, val in exact.items():
            decl = float(sp.sympify(mom[key]).subs({Ns: NN, Ps: PP}))
            e = abs(decl - val)
            worst = max(worst, e)
            if e > tol:
                fails.append(f"{key} at N = {NN}, P = {PP}: declared {decl:.6g} vs enumeration "
                             f"{val:.6g}")
    return [Check("numeric", not fails, f"{_who(readout)}: signal and noise of s_i h_i against "
                  f"the enumeration of every pattern set at (N, P) = {list(sizes)} (tol {tol:g}); "
                  f"worst {worst:.1e}" + ("; " + "; ".join(fails) if fails else ""), worst)]


def readout_gaussian(readout, rng, N=4000, P=2000, nse=5.0) -> list[Check]:
    """The Gaussian crosstalk limit on one large sampled instance: the fraction of sites with
    s_i h_i < 0 (a zero field keeps the spin) against ``error(S/sigma)``. Error bar: the
    binomial sqrt(e (1 - e)/N) and, in quadrature, the instance's frozen overlaps (the noise
    variance over sites is sum_mu o_mu^2, relative spread sqrt(2/(P-1)), which moves the error by
    phi(u) u sqrt(2/(P-1))/2); tolerance ``nse`` of it. The sampled variance of s_i h_i over
    sites is compared with the declared noise the same way (spread sqrt(2/(P-1)) + sqrt(2/N))."""
    X, h = readout.sample(rng, N, P)
    X, h = np.asarray(X, dtype=float), np.asarray(h, dtype=float)
    if X.shape != (P, N) or h.shape != (N,):
        raise BlockContractError(f"readout {readout.name!r}: sample(rng, {N}, {P}) returned "
                                 f"shapes {X.shape}, {h.shape}, expected ({P}, {N}), ({N},)")
    sh = X[0] * h
    mom = readout.moments(N, P)
    S, V = float(mom["signal"]), float(mom["noise"])
    u = S / np.sqrt(V)
    with mp.workdps(20):
        e = float(_readout_value(readout.error(sp.Float(u, 20))))
    spread = np.sqrt(2.0 / (P - 1))
    se = np.sqrt(e * (1 - e) / N + (float(mp.npdf(u)) * u * spread / 2) ** 2)
    err = float(np.mean(sh < 0))
    ze = abs(err - e) / se
    sv = float(sh.var())
    zv = abs(sv - V) / (V * (spread + np.sqrt(2.0 / N)))
    worst = max(ze, zv)
    ok = worst <= nse
    return [Check("numeric", ok, f"{_who(readout)}: one instance N = {N}, P = {P}: error rate "
                  f"{err:.5f} vs H(S/sigma) = {e:.5f} ({ze:.2f} se), Var s h = {sv:.4f} vs "
                  f"{V:.4f} ({zv:.2f} se); tol {nse:g} se", worst)]


def readout_limits(readout, rng, points=3, dps=25, tol=1e-15) -> list[Check]:
    """``error(u)`` against mpmath's erfc(u/sqrt(2))/2, ``overlap(u)`` = 1 - 2 error(u), and
    ``smoothed(mu, s, sigma)`` against the mpmath quadrature of E_Z[overlap((mu + s Z)/sigma)],
    at ``points`` random (u, mu, s, sigma) (absolute ``tol`` at ``dps`` digits)."""
    worst = 0.0
    u_, mu_, s_, sg_, zz = sp.symbols("u_ mu_ s_ sigma_ z_", real=True)
    err_f = mp_function(readout.error(u_), [u_])
    ov_f = mp_function(readout.overlap(u_), [u_])
    sm_f = mp_function(readout.smoothed(mu_, s_, sg_), [mu_, s_, sg_])
    with mp.workdps(dps):
        for _ in range(points):
            u, mu = mp.mpf(rng.uniform(-3, 3)), mp.mpf(rng.uniform(0.1, 2.5))
            s, sg = mp.mpf(rng.uniform(0.1, 1.5)), mp.mpf(rng.uniform(0.3, 2.0))
            worst = max(worst, float(abs(err_f(u) - mp.erfc(u / mp.sqrt(2)) / 2)),
                        float(abs(ov_f(u) - (1 - 2 * err_f(u)))))
            quad = mp.quad(lambda x: mp.npdf(x) * ov_f((mu + s * x) / sg),
                           [-mp.inf, -mu / s, mp.inf])
            worst = max(worst, float(abs(sm_f(mu, s, sg) - quad)))
    return [Check("numeric", worst <= tol, f"{_who(readout)}: error(u) = erfc(u/sqrt 2)/2, "
                  f"overlap = 1 - 2 error, smoothed = E_Z overlap((mu + s Z)/sigma) (mpmath "
                  f"quadrature, {dps} digits) at {points} points; worst {worst:.1e} (tol "
                  f"{tol:g})", worst)]


# -- assembled models -----------------------------------------------------------------------------
def _generic_input(rng, sym):
    if sym.is_integer:
        return float(rng.integers(1, 6))
    if sym.is_positive or sym.is_nonnegative:
        return float(np.exp(rng.uniform(np.log(0.1), np.log(3.0))))
    return float(rng.uniform(-1.0, 1.0))


def _draw_params(rng, derivation):
    out = []
    for p in derivation["parameters"]:
        val = draw_in_range(rng, p["lower"], p["upper"])
        out.append(val)
    return out


def _order_point(rng, derivation, inside, tries=500):
    theta = derivation["order_parameters"]
    for _ in range(tries):
        x = [float(np.exp(rng.uniform(-2.5, 1.5))) if s.is_positive else
             float(rng.uniform(-1.5, 1.5)) for s in theta]
        if inside(np.array(x)):
            return x
    return None


def _finite_real(vals):
    try:
        return all(mp.isfinite(v) and mp.im(v) == 0 for v in vals)
    except TypeError:
        return False


def kernel_cost(kernel) -> int:
    """A rough cost of a kernel's mpmath reference: its quadratures, an integral over an
    implicit operator (a special that is not one of the always-imported Gaussian functions,
    e.g. a proximal map solved by bisection at every node) counting 6. Tests use it to keep the
    default run short and leave the costly kernels to ``-m slow``."""
    from .. import special_registry
    cheap = {r.cls for r in special_registry.records() if r.always_import}
    cost = 0
    for _, e in kernel["outputs"]:
        for integral in sp.sympify(e).atoms(sp.Integral):
            implicit = any(special_registry.record_of(f) is not None and type(f) not in cheap
                           for f in integral.atoms(sp.Function))
            cost += 6 if implicit else 1
    return cost


def model_kernels(derivation, call, inside, rng, points=1, dps=20, rtol=1e-9, atol=1e-11,
                  kernels=None, tries=25) -> list[Check]:
    """One Check per kernel of ``derivation`` (a ``load_json`` dict); ``call(name, x, p)`` is the
    compiled kernel, ``inside(x)`` the model's open domain of its order parameters."""
    params = [p["symbol"] for p in derivation["parameters"]]
    theta = list(derivation["order_parameters"])
    out = []
    for k in derivation["kernels"]:
        if kernels is not None and k["name"] not in kernels:
            continue
        inputs = list(k["inputs"])
        exprs = [e for _, e in k["outputs"]]
        refs = [mp_function(e, inputs + params, [c for c, _ in k["hints"]]) for e in exprs]
        worst, done, tried = 0.0, 0, 0
        bad = None
        while done < points and tried < tries:
            tried += 1
            p = _draw_params(rng, derivation)
            if inputs and inputs == theta:
                x = _order_point(rng, derivation, inside)
                if x is None:
                    break
            else:
                x = [_generic_input(rng, s) for s in inputs]
            try:
                with mp.workdps(dps):
                    ref = [f(*x, *p) for f in refs]
            except (ZeroDivisionError, ValueError, TypeError, OverflowError):
                continue
            if not _finite_real(ref):
                continue
            ref = np.array([float(mp.re(r)) for r in ref])
            ours = np.asarray(call(k["name"], np.array(x, dtype=float), np.array(p, dtype=float)))
            done += 1
            err = np.abs(ours - ref) / (atol + rtol * np.abs(ref))
            e = float(np.max(err)) if len(err) else 0.0
            if not np.isfinite(e):
                e = np.inf
            if e > worst:
                worst, bad = e, (x, p)
        model = derivation.get("model", "?")
        if done == 0:
            out.append(Check("numeric", True, f"{model}.{k['name']}: skipped, no point with a "
                             f"finite real mpmath reference in {tried} draws"))
            continue
        out.append(Check("numeric", worst <= 1.0, f"{model}.{k['name']}: compiled kernel vs mpmath "
                         f"({dps} digits) at {done} random points, |diff| <= {atol:g} + {rtol:g} "
                         f"|ref|; worst {worst:.2g} of tolerance"
                         + ("" if worst <= 1.0 else f" at x = {bad[0]}, p = {bad[1]}"), worst))
    return out


# -- predictor (``kind == "predictor"``): kernel ridge regression -----------------------------------
def _relv(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1))


def _krr_instances(block, rng, count):
    return [block.sample(rng) for _ in range(count)]


def predictor_solve(block, rng, points=4, tol=1e-10) -> list[Check]:
    """The exact predictor k(x,X)(K + lam I)^{-1} y vs numpy's brute-force solve."""
    worst = 0.0
    for v in _krr_instances(block, rng, points):
        f = np.array(block.predict(v["Kx"], v["K"], v["y"], v["lam"]), dtype=float).ravel()
        K, Kx, y = (block.to_numpy(v[k]) for k in ("K", "Kx", "y"))
        ref = Kx @ np.linalg.solve(K + float(v["lam"]) * np.eye(len(K)), y).ravel()
        worst = max(worst, _relv(f, ref))
    return [Check("numeric", worst < tol, f"{_who(block)}: exact predictor vs numpy solve at "
                  f"{points} random PSD instances", worst)]


def predictor_ridgeless(block, rng, points=4, tol=1e-8) -> list[Check]:
    """lam -> 0+ of the exact predictor (symbolic lam, sympy limit) equals numpy's pinv min-norm
    interpolant, also on singular kernels."""
    lam_ = sp.Symbol("lam_", positive=True)
    worst = 0.0
    for v in _krr_instances(block, rng, points):
        f = block.predict(v["Kx"], v["K"], v["y"], lam_)
        lim = np.array([float(sp.limit(sp.cancel(e), lam_, 0, "+")) for e in f])
        mn = np.array(block.ridgeless(v["Kx"], v["K"], v["y"]), dtype=float).ravel()
        K, Kx, y = (block.to_numpy(v[k]) for k in ("K", "Kx", "y"))
        ref = (Kx @ np.linalg.pinv(K) @ y).ravel()
        worst = max(worst, _relv(lim, ref), _relv(mn, ref))
    return [Check("numeric", worst < tol, f"{_who(block)}: lam -> 0+ of the predictor and the "
                  f"ridgeless method vs numpy pinv, {points} instances", worst)]


def predictor_flow(block, rng, points=3, tol=1e-9) -> list[Check]:
    """Gradient flow: the spectral filter at finite t vs an independent RK4 integration of the
    flow of the dual coefficients, and t -> oo (t = inf and t = 200) equals the predictor."""
    worst_t = worst_inf = 0.0
    for v in _krr_instances(block, rng, points):
        K, Kx, y = (block.to_numpy(v[k]) for k in ("K", "Kx", "y"))
        lam_, t_ = float(v["lam"]), float(v["t"])
        # reference: integrate d alpha/dt = y - (K + lam) alpha with RK4, alpha(0) = 0
        A = K + lam_ * np.eye(len(K))
        alpha, steps = np.zeros(len(K)), 4000
        dt = t_ / steps
        for _ in range(steps):
            k1 = y.ravel() - A @ alpha
            k2 = y.ravel() - A @ (alpha + dt / 2 * k1)
            k3 = y.ravel() - A @ (alpha + dt / 2 * k2)
            k4 = y.ravel() - A @ (alpha + dt * k3)
            alpha = alpha + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        f_t = np.array(block.flow(v["Kx"], v["K"], v["y"], v["lam"], v["t"]), dtype=float)
        worst_t = max(worst_t, _relv(f_t, Kx @ alpha))
        exact = np.array(block.predict(v["Kx"], v["K"], v["y"], v["lam"]), dtype=float).ravel()
        for tt in (mp.inf, 200):
            f_inf = np.array(block.flow(v["Kx"], v["K"], v["y"], v["lam"], tt), dtype=float)
            worst_inf = max(worst_inf, _relv(f_inf, exact))
    return [Check("numeric", worst_t < 1e-7, f"{_who(block)}: gradient flow vs RK4 integration "
                  f"of d alpha/dt = y - (K + lam) alpha, {points} instances", worst_t),
            Check("numeric", worst_inf < tol, f"{_who(block)}: gradient flow at t = inf and "
                  "t = 200 equals the exact predictor", worst_inf)]


def predictor_woodbury(block, rng, points=4) -> list[Check]:
    """Woodbury (A + U U^T)^{-1} b vs the exact direct solve (rationals: must be identical)."""
    bad = 0
    for v in _krr_instances(block, rng, points):
        A = v["K"] + v["lam"] * sp.eye(v["K"].rows)
        direct = (A + v["U"] * v["U"].T).LUsolve(v["y"])
        bad += sum(1 for e in block.woodbury(A, v["U"], v["y"]) - direct if sp.simplify(e) != 0)
    return [Check("symbolic", bad == 0, f"{_who(block)}: exact Woodbury update vs direct solve, "
                  f"{points} instances ({bad} entries differ)")]


PREDICTOR_CHECKS = (predictor_solve, predictor_ridgeless, predictor_flow, predictor_woodbury)


# -- runner ---------------------------------------------------------------------------------------
PRIOR_CHECKS = (prior_moments, prior_pairing, prior_normalization, prior_ensemble)
LABEL_CHECKS = (labels_normalized, labels_symmetry, labels_sampling)
# checks of a channel on a label model (each label model of BLOCKS) ...
CHANNEL_CHECKS = (channel_student_average, channel_energetic, channel_nishimori,
                  channel_bayes, channel_erm_average)
# ... and of a channel alone (its loss, envelope and prox: no label model enters)
CHANNEL_OWN_CHECKS = (channel_envelope, channel_envelope_identity, channel_threshold)
DATA_CHECKS = (data_inputs, data_activations, data_spectrum)
# the sparse-graph blocks' checks live in their own module (graph, cavity)
from .graph_checks import (CAVITY_CHECKS, GRAPH_CHECKS, cavity_tree,  # noqa: E402,F401
                           graph_generating, graph_sampling)
READOUT_CHECKS = (readout_moments, readout_gaussian, readout_limits)


def checks_for(block):
    """The generic checks that apply to ``block``, by its kind."""
    kind = getattr(block, "kind", None)
    if kind == "prior":
        return PRIOR_CHECKS
    if kind == "labels":
        return LABEL_CHECKS
    if kind == "channel":
        return CHANNEL_OWN_CHECKS + CHANNEL_CHECKS
    if kind == "data":
        return DATA_CHECKS
    if kind == "graph":
        return GRAPH_CHECKS
    if kind == "cavity":
        return CAVITY_CHECKS
    if kind == "readout":
        return READOUT_CHECKS
    if kind == "predictor":
        return PREDICTOR_CHECKS
    raise BlockContractError(f"block {getattr(block, 'name', block)!r}: unknown kind {kind!r}")


def run(block, rng, labels=()) -> list[Check]:
    """Every generic check of ``block``; a channel is checked on each of ``labels`` (label-model
    instances)."""
    out = []
    for check in checks_for(block):
        if block.kind == "channel" and check not in CHANNEL_OWN_CHECKS:
            for lab in labels:
                out += check(block, lab, rng)
        else:
            out += check(block, rng)
    return out


def failures(checks) -> list[str]:
    return [c.detail for c in checks if not c.passed]
