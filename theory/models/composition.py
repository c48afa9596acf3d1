"""Long-tail memorization helps generalization through composition: the sparse linear theory.

Conventions (shared/models/composition.md, the linear setting of Zhou, Ma, Ge, arXiv:2510.16322):

* inputs x in {0, +1, -1}^d: coordinate i = 1..d is non-zero independently with probability
  p_i = min(1, s i^(-a) / Z_a), Z_a = sum_{i=1}^d i^(-a), with a uniform random sign;
* teacher beta*_i = i^(-1/10) (the paper's linear experiment); labels y = <beta*, x> + sigma xi,
  xi ~ N(0, 1); n training samples;
* learner: lam = 0 the minimum-norm least-squares solution w = X^+ y (gradient descent from zero),
  lam > 0 ridge, argmin |y - X w|^2 + lam |w|^2;
* feature classes by the training count k_i: unseen (k = 0), seen once (k = 1, the long tail),
  common (k >= 2); a feature is recovered when e_i lies in the row space of X (then the noiseless
  minimum-norm solution gets w_i = beta*_i exactly);
* observables: recovered_fraction = E[# recovered seen-once] / E[# seen-once]; err_common,
  err_tail_once, err_unseen = E[sum over the class of (w_i - beta*_i)^2] / E[size of the class];
  loss_in = E_x <w - beta*, x>^2 = sum_i p_i E (w_i - beta*_i)^2 (excess test loss);
  loss_ood = mean over pairs of recovered seen-once features that never co-occurred of the loss on
  x = +-e_i +- e_j, i.e. twice the mean error of a recovered seen-once feature.

Exact vs approximate: the count statistics (P0, P1, err_unseen, the isolation probability among
features seen elsewhere) are exact. Recovery is computed on the tree (cavity) approximation of the
sample-feature graph (the largest fixed point of the warning-propagation equation for Q, the
probability that all other features of a sample are pinned without it); errors of unpinned features
use a star approximation in which the other unpinned features of a sample are private to it.
"""
from __future__ import annotations

import mpmath as mp
import sympy as sp

from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_symbolic

MODEL = "composition"

n = sp.Symbol("n", positive=True)
d = sp.Symbol("d", positive=True)
s = sp.Symbol("s", positive=True)
a = sp.Symbol("a", nonnegative=True)
sigma = sp.Symbol("sigma", nonnegative=True)
lam = sp.Symbol("lam", nonnegative=True)

i = sp.Symbol("i", positive=True)  # feature index 1..d
Z = sp.Symbol("Z", positive=True)  # Z_a = sum_i i^(-a)
Q = sp.Symbol("Q", nonnegative=True)  # cavity probability that a sample's other features are pinned
k, J, m = sp.symbols("k J m", nonnegative=True)  # count, clean samples, other free features
N_, prob, mu = sp.symbols("N_ prob mu", nonnegative=True)
beta2, B = sp.symbols("beta2 B", nonnegative=True)
eps_c = sp.Symbol("eps_c", nonnegative=True)  # error the pinned features leave in a sample
BETA_EXPONENT = sp.Rational(1, 10)

PARAMETERS = [
    Parameter(n, 1.0, None, default=1000.0, description="number of training samples"),
    Parameter(d, 1.0, None, default=10000.0, description="number of features (dimension)"),
    Parameter(s, 0.0, None, lower_open=True, default=5.0,
              description="expected number of non-zero features per sample (before clamping)"),
    Parameter(a, 0.0, None, default=1.0, description="power-law exponent of the frequencies"),
    Parameter(sigma, 0.0, None, default=0.0, description="label noise standard deviation"),
    Parameter(lam, 0.0, None, default=0.0, description="ridge penalty; 0 = minimum norm"),
]


def _num_check(fn, detail, tol):
    """Run a numeric check ``fn() -> worst error`` at 30 digits."""
    with mp.workdps(30):
        worst = float(fn())
    return Check("numeric", worst <= tol, detail, worst)


def derive() -> Derivation:
    D = Derivation(
        model=MODEL,
        title="Long-tail memorization and composition in sparse linear regression",
        conventions=__doc__.split("Conventions (shared/models/composition.md, the linear setting "
                                  "of Zhou, Ma, Ge, arXiv:2510.16322):")[1].strip(),
        parameters=PARAMETERS,
        order_parameters=[Q],
    )

    # --- 1. frequencies -----------------------------------------------------------------------
    weight = i ** (-a)
    p = sp.Min(1, s * weight / Z)
    beta_sq = i ** (-2 * BETA_EXPONENT)

    def chk_norm():
        worst = 0
        for dd, ss, aa in ((50, 5, 0.5), (200, 3, 1.3), (1000, 5, 0.0)):
            Zv = mp.fsum(mp.mpf(j) ** -aa for j in range(1, dd + 1))
            tot = mp.fsum(ss * mp.mpf(j) ** -aa / Zv for j in range(1, dd + 1))
            worst = max(worst, abs(tot - ss))
        return worst
    D.step("power-law frequencies",
           "p_i = min(1, s i^(-a)/Z_a) with Z_a = sum_{i=1}^d i^(-a): without the clamp the "
           "expected number of non-zero features is exactly s; the clamp (active when "
           "s > Z_a, i.e. large a) caps it below s. Z_a is a sum over features, evaluated in "
           "numerics by looping the generated `feature` kernel (output `weight`).",
           [_num_check(chk_norm, "sum_i s i^(-a)/Z_a = s at (d, s, a) = (50, 5, .5), "
                       "(200, 3, 1.3), (1000, 5, 0)", 1e-25)],
           p=p, weight=weight, beta_sq=beta_sq)

    # --- 2. counts ----------------------------------------------------------------------------
    pmf = sp.binomial(N_, m) * prob ** m * (1 - prob) ** (N_ - m)
    # all in logs (a product of separately under- and overflowing factors is 0 * inf at
    # n ~ 1e3); valid for 0 < prob < 1, numerics handles the degenerate ends prob in {0, 1}
    pmf_code = sp.exp(sp.loggamma(N_ + 1) - sp.loggamma(m + 1) - sp.loggamma(N_ - m + 1)
                      + m * sp.log(prob) + (N_ - m) * sp.log(1 - prob))
    P0 = (1 - p) ** n
    P1 = n * p * (1 - p) ** (n - 1)
    P2plus = 1 - P0 - P1
    q_once = p * (1 - p) ** (n - 1)

    def chk_pmf():
        f = sp.lambdify([m, N_, prob], pmf_code, "mpmath")
        g = sp.lambdify([m, N_, prob], pmf, "mpmath")
        pts = [(mp.mpf(mm), mp.mpf(NN), mp.mpf(pp)) for mm, NN, pp in
               ((0, 10, "0.3"), (3, 1000, "0.004"), (500, 1000, "0.5"))]
        return max(abs(f(*x) - g(*x)) / g(*x) for x in pts)
    D.step("training counts",
           "k_i ~ Binomial(n, p_i) exactly (samples are independent). P0 = (1-p)^n (unseen), "
           "P1 = n p (1-p)^(n-1) (seen exactly once), P(k >= 2) = 1 - P0 - P1 (summed over k "
           "in numerics, no cancellation). The pmf is coded in logs with log-gamma (stable at "
           "n = 1e3..1e5) for 0 < prob < 1.",
           [check_symbolic(pmf.subs({N_: n, prob: p, m: 1}) - P1, "pmf(1) = P1",
                           lambda e: sp.simplify(sp.expand_func(e))),
            check_symbolic(pmf.subs({N_: n, prob: p, m: 0}) - P0, "pmf(0) = P0",
                           lambda e: sp.simplify(sp.expand_func(e))),
            _num_check(chk_pmf, "log-gamma pmf = binomial pmf (relative, 3 points)", 1e-25)],
           P0=P0, P1=P1, P2plus=P2plus, pmf=pmf_code)

    # --- 3. isolation among features seen elsewhere (exact) -------------------------------------
    def chk_isolation():
        # exact enumeration on a tiny instance: d = 3 features, n = 3 samples, feature 1 seen
        # once in sample 1; P(all other features of sample 1 appear in another sample)
        import itertools
        ps = [mp.mpf("0.3"), mp.mpf("0.5"), mp.mpf("0.2")]
        nn = 3
        num = den = mp.mpf(0)
        cells = [(j, r) for j in range(3) for r in range(nn)]
        for bits in itertools.product((0, 1), repeat=len(cells)):
            occ = dict(zip(cells, bits))
            w = mp.mpf(1)
            for (j, r), b in occ.items():
                w *= ps[j] if b else 1 - ps[j]
            if not (occ[(0, 0)] and not occ[(0, 1)] and not occ[(0, 2)]):
                continue
            den += w
            if all(not occ[(j, 0)] or occ[(j, 1)] or occ[(j, 2)] for j in (1, 2)):
                num += w
        formula = mp.fprod(1 - pj * (1 - pj) ** (nn - 1) for pj in ps[1:])
        return abs(num / den - formula)
    D.step("isolation among features seen elsewhere",
           "Given that i is seen once (in sample mu), the other features j of mu are present "
           "independently with p_j and absent from the other n-1 samples with (1-p_j)^(n-1): "
           "P(no other feature of mu is seen only there) = prod_{j != i} (1 - q_j), "
           "q_j = p_j (1-p_j)^(n-1), exactly. This is NECESSARY for recovery (two features seen "
           "only in mu can trade their values), so prod_j (1-q_j) is an exact upper bound on the "
           "recovered fraction; it is the Q = 1 value of the fixed-point map below.",
           [_num_check(chk_isolation, "exact enumeration (n = 3, d = 3, 2^9 occupancy patterns) "
                       "equals the product formula", 1e-25)],
           q_once=q_once, isolation_A_factor=1 - q_once)

    # --- 4. cavity fixed point for recovery -----------------------------------------------------
    u = p * (1 - p * Q) ** (n - 1)
    F_factor = 1 - u
    D.step("pinned features: tree (cavity) fixed point",
           "A feature is pinned (e_j in the row space) without a given sample if one of its "
           "other n-1 samples has all its other features pinned; on the locally tree-like "
           "sample-feature graph this happens with pi_j = 1 - (1 - p_j Q)^(n-1), where Q is the "
           "probability that all other features of a sample are pinned without it: "
           "Q = prod_j (1 - u_j), u_j = p_j (1 - p_j Q)^(n-1) (u_j: j is in the sample and not "
           "pinned elsewhere). The map is increasing in Q; we take the LARGEST fixed point, the "
           "limit of iterating from Q = 1 (where u_j = q_j: the exact isolation bound above), "
           "i.e. everything is pinned unless a local structure frees it. (Peeling from Q = 0 "
           "is the smallest fixed point; it is stuck at 0 once some p_j = 1, where the common "
           "features are pinned by the over-determined common block, not by peeling.) A "
           "seen-once feature is recovered iff its sample is clean: Q_i = Q/(1 - u_i).",
           [check_symbolic(u.subs(Q, 1) - q_once, "u_j at Q = 1 is q_j (exact isolation bound)"),
            check_symbolic(sp.diff(F_factor, Q) - n_minus_1_term(p), "dF_j/dQ = (n-1) p_j^2 "
                           "(1 - p_j Q)^(n-2) >= 0: the map is monotone")],
           u=u, pi=1 - (1 - p * Q) ** (n - 1), log_factor=sp.log(F_factor))

    mbar = mu / (1 - sp.exp(-mu))
    D.step("other unpinned features in a sample",
           "Given feature i in a sample, the number M of its other features that are unpinned "
           "without that sample is a sum of independent Bernoulli(u_j), j != i: P(M = 0) = "
           "Q_i = Q/(1 - u_i) exactly on the tree, and M is Poisson(mu_i), mu_i = sum_{j != i} "
           "u_j, up to O(sum u_j^2) (u_j <= max_p p (1-p)^(n-1) ~ 1/(e n) unless p_j ~ 1, then "
           "u_j ~ 0 at the fixed point). For M >= 1 we use the Poisson shape renormalized to "
           "1 - Q_i; for features seen k >= 2 times, mean-field: every unclean sample carries "
           "mbar = E[M | M >= 1] = mu/(1 - e^(-mu)) other unpinned features.",
           [_num_check(_poisson_gap, "prod_j (1 - u_j) vs exp(-sum_j u_j): relative gap "
                       "<= sum_j u_j^2 at (n, d, a, Q) = (500, 2000, 1, .5), (1000, 10000, 0, "
                       ".0068), (1000, 10000, 1.5, .77); value = worst gap / bound", 1.0),
            check_symbolic(sp.summation(m * mu ** m / sp.factorial(m), (m, 1, sp.oo))
                           * sp.exp(-mu) / (1 - sp.exp(-mu)) - mbar, "E[M | M >= 1] for Poisson",
                           lambda e: sp.simplify(e.rewrite(sp.exp)))],
           mbar=mbar)

    # --- 5. star approximation for errors -------------------------------------------------------
    _star_steps(D)

    # --- 6. kernels ---------------------------------------------------------------------------
    D.kernel("feature", [i, Z, Q],
             [("weight", weight), ("p", p), ("beta2", beta_sq), ("P0", P0), ("P1", P1),
              ("q", q_once), ("u", u), ("log_factor", sp.log(F_factor)),
              ("Q_i", Q / F_factor)],
             "per-feature quantities; sums over i = 1..d are taken in numerics")
    D.kernel("binom_pmf", [m, N_, prob], [("pmf", pmf_code)], "Binomial(N, prob) pmf at m")
    pois = sp.exp(-mu - sp.loggamma(m + 1) + m * sp.log(mu))
    D.kernel("poisson_pmf", [m, mu], [("pmf", pois)],
             "Poisson(mu) pmf at m (mu > 0)")
    D.kernel("mean_free", [mu], [("mbar", mbar)], "mean number of other unpinned features "
             "in an unclean sample")
    err_clean, err_free = _ERR
    D.kernel("err_star", [k, J, m, beta2, B, eps_c], [("err_clean", err_clean), ("err_free", err_free)],
             "E (w_i - beta*_i)^2 of a feature seen k times, J of its samples clean (err_clean, "
             "J >= 1) or none (err_free: each sample has m other unpinned features)")
    return D


def _poisson_gap():
    """Worst ratio of |prod(1 - u) - exp(-sum u)| / prod(1 - u) to the bound sum u^2."""
    worst = mp.mpf(0)
    for nn, dd, aa, QQ in ((500, 2000, 1, "0.5"), (1000, 10000, 0, "0.0068"),
                           (1000, 10000, "1.5", "0.77")):
        aa, QQ = mp.mpf(aa), mp.mpf(QQ)
        w = [mp.mpf(j) ** -aa for j in range(1, dd + 1)]
        Zv = mp.fsum(w)
        u = [min(mp.mpf(1), 5 * wj / Zv) for wj in w]
        u = [pj * (1 - pj * QQ) ** (nn - 1) for pj in u]
        prod = mp.fprod(1 - uj for uj in u)
        gap = abs(prod - mp.exp(-mp.fsum(u))) / prod
        worst = max(worst, gap / mp.fsum(uj ** 2 for uj in u))
    return worst


def n_minus_1_term(p):
    return (n - 1) * p ** 2 * (1 - p * Q) ** (n - 2)


_ERR = None


def _star_steps(D):
    """Errors: eliminate the free features of each sample, then optimize w_i."""
    global _ERR
    x1, x2, r, w, rho1, rho2, v1, v2, c1, c2, bt = sp.symbols(
        "x1 x2 r w rho1 rho2 v1 v2 c1 c2 beta_i", real=True)
    # (a) a sample with M private free features l and residual r left for them:
    # min_w_l (r - sum x_l w_l)^2 + lam sum w_l^2 = lam/(M + lam) r^2. Check for M = 2.
    wl1, wl2, xl1, xl2 = sp.symbols("wl1 wl2 xl1 xl2", real=True)
    obj = (r - xl1 * wl1 - xl2 * wl2) ** 2 + lam * (wl1 ** 2 + wl2 ** 2)
    sol = sp.solve([sp.diff(obj, wl1), sp.diff(obj, wl2)], [wl1, wl2], dict=True)[0]
    reduced = sp.simplify(obj.subs(sol).subs({xl1 ** 2: 1, xl2 ** 2: 1}))
    reduced = sp.simplify(reduced.subs({xl1: 1, xl2: -1}))
    D.step("eliminating a sample's free features",
           "Ridge (lam > 0; min-norm is lam -> 0 after dividing the objective by lam): with the "
           "pinned features exact, a sample whose M other unpinned features occur nowhere else "
           "(star approximation) lets them absorb its residual r at cost lam/(M + lam) r^2 "
           "(M = 2 solved by sympy; signs x_l = +-1).",
           [check_symbolic(reduced - lam / (2 + lam) * r ** 2, "min over 2 free features "
                           "= lam r^2/(2 + lam)")],
           reduced_cost=lam * r ** 2 / (m + lam))
    # (b) feature i in samples nu with weights c_nu = 1/(M_nu + lam): minimize
    # w^2 + sum_nu c_nu (r_nu - x_nu w)^2, r_nu = x_nu beta_i + rho_nu. Check the error law for
    # two samples symbolically (x_nu^2 = 1, E rho_nu = 0, E rho_nu^2 = v_nu, independent).
    f = w ** 2 + c1 * (x1 * bt + rho1 - x1 * w) ** 2 + c2 * (x2 * bt + rho2 - x2 * w) ** 2
    wstar = sp.solve(sp.diff(f, w), w)[0]
    err = sp.expand(sp.cancel((wstar - bt) ** 2 * (1 + c1 * x1 ** 2 + c2 * x2 ** 2) ** 2))
    err = sp.expand(err.subs({x1 ** 2: 1, x2 ** 2: 1}))
    err = err.subs({x1 ** 4: 1, x2 ** 4: 1, x1 ** 3: x1, x2 ** 3: x2})
    poly = sp.Poly(err, rho1, rho2)
    avg = sum(coef * (v1 if mon == (2, 0) else v2 if mon == (0, 2) else 1 if mon == (0, 0)
                      else 0) for mon, coef in poly.terms())
    law = (bt ** 2 + c1 ** 2 * v1 + c2 ** 2 * v2)
    D.step("error of a feature in the star approximation",
           "With the free features eliminated, w_i minimizes lam w_i^2 + sum_nu lam c_nu (r_nu - "
           "x_nu w_i)^2, c_nu = 1/(M_nu + lam), r_nu = x_nu beta_i + rho_nu with rho_nu the "
           "free features' part plus noise, E rho_nu^2 = M_nu B + sigma^2 (B: mean beta^2 of an "
           "unpinned feature). Then E (w_i - beta_i)^2 = (beta_i^2 + sum_nu c_nu^2 E rho_nu^2)/"
           "(1 + sum_nu c_nu)^2 (checked for two samples with sympy: solve, expand, average).",
           [check_symbolic(sp.expand(avg - law.subs({x1: 1}) * 1), "two-sample error law",
                           sp.expand)],
           err_law=law / (1 + c1 + c2) ** 2)
    # (c) J clean samples (M = 0, c = 1/lam) and k - J with m free features each.
    cc = 1 / (m + lam)
    V = sigma ** 2 + eps_c  # residual variance a sample leaves beyond its unpinned features
    num_clean = lam ** 2 * beta2 + J * V + lam ** 2 * (k - J) * cc ** 2 * (m * B + V)
    den_clean = (lam + J + lam * (k - J) * cc) ** 2
    err_clean = num_clean / den_clean
    err_free = (beta2 + k * cc ** 2 * (m * B + V)) / (1 + k * cc) ** 2
    general = (beta2 + J * V / lam ** 2 + (k - J) * cc ** 2 * (m * B + V)) / (
        1 + J / lam + (k - J) * cc) ** 2
    D.step("clean and free configurations",
           "A sample is clean when its other features are pinned (M = 0, c = 1/lam). J >= 1 "
           "clean samples: err_clean (multiplied through by lam^2 so that lam -> 0 is regular: "
           "min-norm gives sigma^2/J, least squares on the clean samples, 0 when noiseless; ridge "
           "shrinks a once-seen recovered feature by 1/(1+lam): error (lam^2 beta^2 + sigma^2)/"
           "(1+lam)^2, the tail is forgotten). J = 0: err_free with m other unpinned features "
           "per sample (mean-field for k >= 2, exact Poisson mixture over m for k = 1). "
           "Residual variance of a sample: sigma^2 + eps_c, where eps_c = sum_j p_j E[(w_j - "
           "beta_j)^2; j pinned] is the error the PINNED features of a sample leave in it (they "
           "are estimated from noisy or ridge-shrunk data; 0 for sigma = lam = 0). eps_c is "
           "fixed self-consistently in numerics (a scalar contraction, factor ~ s/k): without it "
           "loss_ood at sigma = 0.05 is 2 sigma^2 = 0.005 against 0.0071 +- 0.0004 measured "
           "(n = 1000, a = 1.5).",
           [check_symbolic(err_clean - general, "err_clean = general law with J clean samples"),
            check_symbolic(err_clean.subs({lam: 0}) - V / J, "min-norm: (sigma^2 + eps_c)/J"),
            check_symbolic(err_clean.subs({k: 1, J: 1}) - (lam ** 2 * beta2 + V)
                           / (1 + lam) ** 2, "once-seen recovered feature under ridge: "
                           "(lam^2 beta^2 + sigma^2 + eps_c)/(1+lam)^2"),
            check_symbolic(err_free.subs({k: 1, lam: 0, sigma: 0, eps_c: 0})
                           - (beta2 * m ** 2 + m * B) / (m + 1) ** 2, "min-norm, seen once with m co-free features: "
                           "(m^2 beta^2 + m B)/(m+1)^2 (residual split m+1 ways)")],
           err_clean=err_clean, err_free=err_free)
    _ERR = (err_clean, err_free)
