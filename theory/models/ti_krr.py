"""Transitive inference (TI) with exceptions, learned by kernel ridge regression on item pairs.

Conventions (transitive inference with exceptions):

* n items with hidden order 1 > 2 > ... > n (item 1 is best); a pair (i, j) is "i against j".
* Training set: every adjacent pair in both orders, (k, k+1) -> +1 and (k+1, k) -> -1; an exception
  "a>b" (a > b + 1: the lower item a beats the higher item b) adds (a, b) -> +1 and (b, a) -> -1.
  The comparison graph is the path 1 - 2 - ... - n plus one chord b - a per exception.
* Pair kernel, c the conjunctivity in [0, 1), kd the constant part:
  K((i,j),(k,l)) = kd + (1-kd) [ (1-c) (d_ik + d_jl)/2 + c d_ik d_jl ].
* KRR with ridge lam: f(x) = k(x, X) (K + lam I)^{-1} y. Gradient flow from zero on
  (1/2) sum_mu (f(x_mu) - y_mu)^2 + (lam/2) |w|^2: f(x, t) = k(x,X) (K + lam)^{-1}(1 - e^{-(K+lam)t}) y.
* Margin f(i, j) for i < j: positive means the rule (the higher item wins) is applied.
* Reduction (derived and checked below): on every untrained pair f(i, j) = r_i - r_j with
  (L + mu I) r = s, L the Laplacian of the comparison graph, s_i = wins - losses of item i in the
  training set, mu = 2 (c + lam') / (1 - c), lam' = lam / (1 - kd). On a training pair with label
  y: f = (lam' (r_i - r_j) + c y) / (c + lam').
* Green's function of the free path (L_0 + mu)^{-1}, with mu = 4 sinh^2(theta/2):
  G(i, j) = cosh((i_< - 1/2) theta) cosh((n - i_> + 1/2) theta) / (sinh theta sinh n theta).
"""
from __future__ import annotations

import random

import mpmath as mp
import sympy as sp

from ..blocks.kernel_ridge import KernelRidge
from ..derivation import Check, Derivation, Parameter
from ..evaluate import check_symbolic

MODEL = "ti-krr"
KRR = KernelRidge()  # the predictor, its ridgeless limit and gradient flow (theory/blocks)

n = sp.Symbol("n", positive=True, integer=True)
c = sp.Symbol("c", nonnegative=True)
lam = sp.Symbol("lam", nonnegative=True)
mu = sp.Symbol("mu", nonnegative=True)
theta = sp.Symbol("theta", positive=True)
kd = sp.Symbol("kd", nonnegative=True)
t = sp.Symbol("t", nonnegative=True)
i, j, lo, hi = sp.symbols("i j lo hi", positive=True, integer=True)
rho = sp.Symbol("rho", real=True)
mu_star = sp.Symbol("mu_star", nonnegative=True)
d_r, y_lab = sp.symbols("dr y", real=True)
d1, d2 = sp.symbols("delta_1 delta_2", nonnegative=True)

PARAMETERS = [
    Parameter(n, 3.0, None, default=None, description="number of items (integer >= 3)"),
    Parameter(c, 0.0, 1.0, upper_open=True, default=0.0,
              description="conjunctivity of the pair kernel: 0 additive, 1 lookup table"),
    Parameter(lam, 0.0, None, default=0.0, description="ridge (0: ridgeless, min-norm limit)"),
]


# -- exact (rational) linear algebra helpers used by the checks ---------------------------------
def training_set(nn, exceptions):
    """[(pair, label)] of the explicit training set: adjacent pairs and exceptions, both orders."""
    out = []
    for k in range(1, nn):
        out += [((k, k + 1), 1), ((k + 1, k), -1)]
    for a, b in exceptions:
        out += [((a, b), 1), ((b, a), -1)]
    return out


def pair_kernel(p, q, cc, kdd=0):
    e1 = 1 if p[0] == q[0] else 0
    e2 = 1 if p[1] == q[1] else 0
    return kdd + (1 - kdd) * ((1 - cc) * sp.Rational(e1 + e2, 2) + cc * e1 * e2)


def _dm_solve(M, b):
    from sympy.polys.matrices import DomainMatrix
    dM = DomainMatrix.from_Matrix(M).to_field()
    db = DomainMatrix.from_Matrix(b).convert_to(dM.domain)
    return dM.lu_solve(db).to_Matrix()


def _gram(nn, exceptions, kernel):
    """(K, Kx, y): training Gram matrix, rows k(x, X) of every ordered pair, labels."""
    tr = training_set(nn, exceptions)
    X = [p for p, _ in tr]
    P = ordered_pairs(nn)
    return (sp.Matrix(len(X), len(X), lambda a, b: kernel(X[a], X[b])),
            sp.Matrix(len(P), len(X), lambda a, b: kernel(P[a], X[b])),
            sp.Matrix([v for _, v in tr]))


def explicit_krr(nn, exceptions, cc, ll, kdd=0, kernel=None, domain=False):
    """Margins of every ordered pair from the explicit (K + lam I)^{-1} (exact sympy, the
    kernel-ridge block).

    ``domain=True``: a DomainMatrix column over QQ(symbols) in the order of ``ordered_pairs``
    (fast exact comparison of rational functions)."""
    kernel = kernel or (lambda p, q: pair_kernel(p, q, cc, kdd))
    K, Kx, y = _gram(nn, exceptions, kernel)
    f = KRR.predict(Kx, K, y, ll, domain=True)
    if domain:
        return f
    fm = f.to_Matrix()
    return {p: fm[k] for k, p in enumerate(ordered_pairs(nn))}


def ordered_pairs(nn):
    return [(a, b) for a in range(1, nn + 1) for b in range(1, nn + 1) if a != b]


def laplacian(nn, exceptions):
    L = sp.zeros(nn, nn)
    for a, b in [(k, k + 1) for k in range(1, nn)] + list(exceptions):
        L[a - 1, a - 1] += 1
        L[b - 1, b - 1] += 1
        L[a - 1, b - 1] -= 1
        L[b - 1, a - 1] -= 1
    return L


def net_wins(nn, exceptions):
    s = sp.zeros(nn, 1)
    s[0] += 1
    s[nn - 1] -= 1
    for a, b in exceptions:
        s[a - 1] += 1
        s[b - 1] -= 1
    return s


def reduced_margins(nn, exceptions, cc, ll, domain=False):
    """Margins from (L + mu) r = s and the training-pair formula."""
    from sympy.polys.matrices import DomainMatrix
    m = 2 * (cc + ll) / (1 - cc)
    r = _dm_solve(laplacian(nn, exceptions) + m * sp.eye(nn), net_wins(nn, exceptions))
    trained = {p: v for p, v in training_set(nn, exceptions)}
    out = {}
    for a, b in ordered_pairs(nn):
        dr = r[a - 1] - r[b - 1]
        out[(a, b)] = (ll * dr + cc * trained[(a, b)]) / (cc + ll) if (a, b) in trained else dr
    if domain:
        col = sp.Matrix([out[p] for p in ordered_pairs(nn)])
        return DomainMatrix.from_Matrix(col)
    return out


def _dm_inverse(M):
    from sympy.polys.matrices import DomainMatrix
    return DomainMatrix.from_Matrix(M).to_field().inv().to_Matrix()


def exp_zero(e):
    """Canonical form of a combination of hyperbolic functions: the numerator over a common
    denominator, written in exponentials, expanded with like exponentials merged (0 iff the
    expression vanishes identically)."""
    num = sp.numer(sp.together(sp.sympify(e).rewrite(sp.exp)))
    v = sp.expand(sp.powsimp(sp.expand(num), combine="exp"))
    return sp.expand(sp.powsimp(v, combine="exp"))


def _all_zero(diffs):
    return all(sp.cancel(sp.together(v)) == 0 for v in diffs)


# -- the Green's function of the free path --------------------------------------------------------
def green_cosh(a, b):
    """G(a, b) for a <= b (cosh form)."""
    return (sp.cosh((a - sp.Rational(1, 2)) * theta) * sp.cosh((n - b + sp.Rational(1, 2)) * theta)
            / (sp.sinh(theta) * sp.sinh(n * theta)))


def derive() -> Derivation:
    d = Derivation(
        model=MODEL,
        title="Transitive inference with exceptions: kernel ridge regression on item pairs",
        conventions=__doc__.split("Conventions (transitive inference with exceptions):")[1].strip(),
        parameters=PARAMETERS,
        order_parameters=[],
    )
    rng = random.Random(20260522)

    # 1. The kernel family and its feature map.
    K = kd + (1 - kd) * ((1 - c) * (d1 + d2) / 2 + c * d1 * d2)
    checks = []
    for e1 in (0, 1):
        for e2 in (0, 1):
            # features: sqrt(kd); sqrt((1-kd)(1-c)/2) e_i (+) e_j; sqrt((1-kd) c) e_i (x) e_j
            feat = kd + (1 - kd) * (1 - c) / 2 * (e1 + e2) + (1 - kd) * c * e1 * e2
            checks.append(check_symbolic(K.subs({d1: e1, d2: e2}) - feat,
                                         f"feature inner product, d_ik={e1}, d_jl={e2}"))
    d.step("pair kernel family",
           "Items one-hot; the pair (i, j) has features sqrt(kd), sqrt((1-kd)(1-c)/2) (e_i, e_j) "
           "(concatenated slots) and sqrt((1-kd) c) e_i (x) e_j (conjunctive). Their inner product "
           "is the family K with delta_1 = d_ik, delta_2 = d_jl.", checks, K=K)

    # 2. Reduction to the graph-Laplacian problem, symbolic in c and lam (explicit KRR inverse).
    checks = []
    for nn, exc in [(4, []), (5, []), (4, [(4, 2)]), (5, [(4, 2)]), (5, [(5, 3)])]:
        ex = explicit_krr(nn, exc, c, lam, domain=True)
        red = reduced_margins(nn, exc, c, lam, domain=True).convert_to(ex.domain)
        ok = (ex - red).is_zero_matrix
        checks.append(Check("symbolic", ok, f"n={nn}, exceptions={exc}: all {nn * (nn - 1)} ordered "
                            "pair margins of the explicit (K + lam I)^-1 (symbolic c, lam) equal "
                            "the reduced formulas"))
    mu_expr = 2 * (c + lam) / (1 - c)
    d.step("reduction to a regularized graph-Laplacian problem",
           "With f(i,j) = a_i + b_j + g_ij, the ridge penalty is lam [2/(1-c) (|a|^2 + |b|^2) + "
           "|g|^2/c]. g is nonzero only on training pairs, where minimizing over it gives "
           "g = c/(c+lam) (y - a_i - b_j) and leaves the loss lam/(c+lam) (y - a_i - b_j)^2. The "
           "training set is invariant under swapping the slots with the label flipped, so b = -a "
           "=: -r, and the remaining problem min sum_edges (r_i - r_j - y_e)^2 + mu |r|^2 has the "
           "normal equations (L + mu I) r = s. Untrained pairs: f = r_i - r_j; trained pairs: "
           "f = (lam (r_i - r_j) + c y)/(c + lam). Checked against the explicit matrix inverse.",
           checks, mu=mu_expr, f_test=sp.Symbol("r_i") - sp.Symbol("r_j"),
           f_train=(lam * d_r + c * y_lab) / (c + lam))

    # 3. The constant part kd only rescales the ridge (exact rational arithmetic).
    checks, worst = [], 0
    for _ in range(6):
        nn = rng.randint(4, 6)
        b = rng.randint(1, nn - 2)
        a = rng.randint(b + 2, nn)
        cc, ll, kk = (sp.Rational(rng.randint(0, 9), 10), sp.Rational(rng.randint(1, 20), 10),
                      sp.Rational(rng.randint(1, 9), 10))
        ex = explicit_krr(nn, [(a, b)], cc, ll, kk)
        red = explicit_krr(nn, [(a, b)], cc, ll / (1 - kk), 0)
        worst = max(worst, max(abs(ex[p] - red[p]) for p in ex))
    checks.append(Check("numeric", worst == 0, "exact rational KRR with kd equals KRR without it "
                        "at lam/(1-kd), 6 random (n, exception, c, lam, kd)", float(worst)))
    d.step("constant kernel part rescales the ridge",
           "The labels are antisymmetric under the slot swap and the kernel is swap invariant, so "
           "the dual weights are antisymmetric: the constant feature gets weight zero and "
           "K alpha = (1-kd) K_0 alpha. Hence KRR(kd, lam) = KRR(0, lam/(1-kd)).", checks,
           lam_eff=lam / (1 - kd))

    # 4. Kernels with cross-slot terms reduce to the family through their antisymmetric part.
    a0, a1, b0, b1 = sp.symbols("a_0 a_1 b_0 b_1", real=True)
    worst = 0
    for _ in range(4):
        nn = rng.randint(4, 6)
        bb = rng.randint(1, nn - 2)
        aa = rng.randint(bb + 2, nn)
        vals = {a0: sp.Rational(rng.randint(6, 10), 10), a1: sp.Rational(rng.randint(3, 9), 10),
                b0: sp.Rational(rng.randint(0, 5), 10), b1: sp.Rational(rng.randint(0, 2), 10)}
        ll = sp.Rational(rng.randint(1, 10), 10)
        kc = sp.Rational(rng.randint(0, 5), 10)

        def kgen(p, q, v=vals, k0=kc):
            e = [int(p[0] == q[0]), int(p[1] == q[1]), int(p[0] == q[1]), int(p[1] == q[0])]
            same = v[a0] * sp.Rational(e[0] + e[1], 2) + v[a1] * e[0] * e[1]
            cross = v[b0] * sp.Rational(e[2] + e[3], 2) + v[b1] * e[2] * e[3]
            return k0 + same + cross

        wa, wc = vals[a0] - vals[b0], vals[a1] - vals[b1]
        ex = explicit_krr(nn, [(aa, bb)], None, ll, kernel=kgen)
        red = explicit_krr(nn, [(aa, bb)], wc / (wa + wc), ll / (wa + wc))
        worst = max(worst, max(abs(ex[p] - red[p]) for p in ex))
    w_add, w_conj = a0 - b0, a1 - b1
    d.step("kernels with cross-slot terms",
           "K = k0 + a0 (d_ik + d_jl)/2 + a1 d_ik d_jl + b0 (d_il + d_jk)/2 + b1 d_il d_jk. On "
           "antisymmetric dual weights the cross-slot part acts as minus the same-slot family, so "
           "K is equivalent to the family with c = (a1 - b1)/(a0 - b0 + a1 - b1) and ridge "
           "lam/(a0 - b0 + a1 - b1) (k0 drops out).",
           [Check("numeric", worst == 0, "exact rational KRR with cross-slot kernels equals the "
                  "reduced family at 4 random instances", float(worst))],
           c_eff=w_conj / (w_add + w_conj), lam_scale=1 / (w_add + w_conj))

    _derive_green(d, rng)
    _derive_exceptions(d, rng)
    _derive_limits(d)
    _derive_gradient_flow(d, rng)
    _derive_networks(d)

    # Critical conjunctivity: margins depend on (c, lam) only through mu, so the sign change of
    # a pair at mu* is the straight line c + lam = mu* (1 - c)/2 in the (c, lam) plane.
    c_star = (mu_star - 2 * lam) / (mu_star + 2)
    d.step("thresholds in the (c, lam) plane",
           "A test pair's margin depends on (c, lam) only through mu; if it changes sign at mu*, "
           "the phase boundary is the line 2 (c + lam) = mu* (1 - c), i.e. c* = (mu* - 2 lam)/"
           "(mu* + 2) at fixed lam (valid when 0 <= c* < 1).",
           [check_symbolic(mu_expr.subs(c, c_star) - mu_star, "mu(c*, lam) = mu*")],
           c_star=c_star)
    d.kernel("combined", [], [("mu", mu_expr)], "the combined parameter mu(c, lam)")
    d.kernel("critical_c", [mu_star], [("c_star", c_star)],
             "critical conjunctivity at the model's lam for a sign change at mu*")
    d.kernel("train_margin", [d_r, y_lab], [("f", (lam * d_r + c * y_lab) / (c + lam))],
             "margin of a training pair with label y from r_i - r_j (c + lam > 0)")
    return d


def _derive_green(d, rng):
    """Closed form of (L_0 + mu)^{-1} on the free path, and its mu -> 0 limit."""
    half = sp.Rational(1, 2)
    Gc = green_cosh
    # Row equations of (L_0 + mu) G = I, symbolic in i, j, n and theta (general n).
    m_theta = 2 * (sp.cosh(theta) - 1)

    simp = exp_zero

    rows = {
        "interior row, i < j": (2 + m_theta) * Gc(i, j) - Gc(i - 1, j) - Gc(i + 1, j),
        "interior row, i > j": (2 + m_theta) * Gc(j, i) - Gc(j, i - 1) - Gc(j, i + 1),
        "diagonal row, 1 < i < n": (2 + m_theta) * Gc(i, i) - Gc(i - 1, i) - Gc(i, i + 1) - 1,
        "first row, j > 1": (1 + m_theta) * Gc(1, j) - Gc(2, j),
        "first row, j = 1": (1 + m_theta) * Gc(1, 1) - Gc(1, 2) - 1,
        "last row, j < n": (1 + m_theta) * Gc(j, n) - Gc(j, n - 1),
        "last row, j = n": (1 + m_theta) * Gc(n, n) - Gc(n - 1, n) - 1,
    }
    checks = [check_symbolic(e, f"(L_0 + mu) G = I, {name} (symbolic i, j, n, theta)", simp)
              for name, e in rows.items()]
    # Small n: the explicit inverse.
    for nn in (2, 3, 4):
        Lm = laplacian(nn, []) + m_theta * sp.eye(nn)
        Gm = sp.Matrix(nn, nn, lambda a, b: Gc(min(a, b) + 1, max(a, b) + 1).subs(n, nn))
        resid = [simp(v) for v in (Lm * Gm - sp.eye(nn))]
        checks.append(Check("symbolic", all(v == 0 for v in resid),
                            f"(L_0 + mu) G = I as explicit {nn}x{nn} matrices"))
    # Many sample points, large n: mpmath against a direct solve.
    worst = 0
    with mp.workdps(30):
        for _ in range(12):
            nn = rng.randint(3, 40)
            mm = mp.mpf(10) ** rng.uniform(-3, 1.5)
            Lm = mp.matrix(nn, nn)
            for k in range(nn - 1):
                Lm[k, k] += 1
                Lm[k + 1, k + 1] += 1
                Lm[k, k + 1] -= 1
                Lm[k + 1, k] -= 1
            for k in range(nn):
                Lm[k, k] += mm
            inv = Lm ** -1
            th = 2 * mp.asinh(mp.sqrt(mm) / 2)
            for _ in range(10):
                a, b = sorted((rng.randint(1, nn), rng.randint(1, nn)))
                g = (mp.cosh((a - 0.5) * th) * mp.cosh((nn - b + 0.5) * th)
                     / (mp.sinh(th) * mp.sinh(nn * th)))
                worst = max(worst, abs(g - inv[a - 1, b - 1]) / abs(inv[a - 1, b - 1]))
    checks.append(Check("numeric", worst < 1e-25, "closed form vs mpmath inverse of L_0 + mu at "
                        "120 entries, n in [3, 40], mu in [1e-3, 30] (30 digits)", float(worst)))
    # Stable form for codegen: no overflow at large n theta, no cancellation at small theta.
    T = sp.tanh(n * theta)
    G_stable = (sp.exp(-(hi - lo) * theta) * (1 + sp.exp(-(2 * lo - 1) * theta))
                * (1 + sp.exp(-(2 * n - 2 * hi + 1) * theta)) * (1 + T)
                / (2 * sp.sqrt(mu * (4 + mu)) * T))
    theta_of_mu = 2 * sp.asinh(sp.sqrt(mu) / 2)
    f_cosh = sp.lambdify([lo, hi, n, theta], green_cosh(lo, hi), "mpmath")
    f_stab = sp.lambdify([lo, hi, n, mu], G_stable.subs(theta, theta_of_mu), "mpmath")
    worst = 0
    with mp.workdps(30):
        for _ in range(60):
            nn = rng.randint(2, 60)
            a, b = sorted((rng.randint(1, nn), rng.randint(1, nn)))
            mm = mp.mpf(10) ** rng.uniform(-4, 2)
            th = 2 * mp.asinh(mp.sqrt(mm) / 2)
            worst = max(worst, abs(f_stab(a, b, nn, mm) / f_cosh(a, b, nn, th) - 1))
    checks.append(Check("numeric", worst < 1e-25, "overflow-free form equals the cosh form at 60 "
                        "random (lo <= hi, n, mu)", float(worst)))
    checks.append(check_symbolic(4 * sp.sinh(theta_of_mu / 2) ** 2 - mu,
                                 "theta = 2 asinh(sqrt(mu)/2) solves mu = 2 (cosh theta - 1)"))
    d.step("Green's function of the free path",
           "(L_0 + mu)^{-1}_{ij} = cosh((i_< - 1/2) theta) cosh((n - i_> + 1/2) theta) / (sinh "
           "theta sinh n theta) with 2 (cosh theta - 1) = mu (Neumann ends). Written without "
           "overflow: e^{-|i-j| theta} (1 + e^{-(2 i_< - 1) theta}) (1 + e^{-(2n - 2 i_> + 1) "
           "theta}) (1 + tanh n theta) / (2 sinh theta tanh n theta), 2 sinh theta = sqrt(mu "
           "(4 + mu)), theta = 2 asinh(sqrt(mu)/2).", checks,
           G=green_cosh(lo, hi), G_stable=G_stable, theta=theta_of_mu)

    # mu -> 0: s and every exception vector are orthogonal to the constant vector, so any X with
    # L_0 X = I - J/n (a generalized inverse on the zero-sum subspace) gives the ridgeless r.
    X0 = -(hi - lo) / 2 + ((lo - half) ** 2 + (hi - half) ** 2) / (2 * n) - (lo + hi) / 2

    def X(a, b):
        return X0.subs({lo: a, hi: b}, simultaneous=True)

    rows0 = {
        "interior, i < j": 2 * X(i, j) - X(i - 1, j) - X(i + 1, j) + 1 / n,
        "interior, i > j": 2 * X(j, i) - X(j, i - 1) - X(j, i + 1) + 1 / n,
        "diagonal": 2 * X(i, i) - X(i - 1, i) - X(i, i + 1) - 1 + 1 / n,
        "first row, j > 1": X(1, j) - X(2, j) + 1 / n,
        "first row, j = 1": X(1, 1) - X(1, 2) - 1 + 1 / n,
        "last row, j < n": X(j, n) - X(j, n - 1) + 1 / n,
        "last row, j = n": X(n, n) - X(n - 1, n) - 1 + 1 / n,
    }
    checks = [check_symbolic(e, f"L_0 X = I - J/n, {k} (symbolic)", sp.expand)
              for k, e in rows0.items()]
    # And X is the mu -> 0 limit of G - 1/(n mu) up to a constant (which s annihilates).
    nn = 6
    Ginv = _dm_inverse(laplacian(nn, []) + mu * sp.eye(nn))
    lim_checks = []
    for a, b in [(1, 1), (2, 5), (3, 3), (1, 6)]:
        e = sp.cancel(Ginv[a - 1, b - 1] - 1 / (nn * mu))
        lim_checks.append(sp.nsimplify(e.subs(mu, 0) - X(a, b).subs(n, nn)))
    const = set(lim_checks)
    checks.append(Check("symbolic", len(const) == 1, "lim_{mu->0} (G - 1/(n mu)) - X is the same "
                        f"constant for 4 entries at n = 6 ({const})"))
    d.step("ridgeless limit of the Green's function",
           "At mu = 0 (c = lam = 0) use X_ij = -|i-j|/2 + ((i-1/2)^2 + (j-1/2)^2)/(2n) - (i+j)/2, "
           "which solves L_0 X = I - J/n; since s and the exception vectors sum to zero, X "
           "replaces G in every formula (the min-norm interpolant).", checks, X=X0)
    d.kernel("green", [lo, hi, mu], [("G", G_stable.subs(theta, theta_of_mu))],
             "G(lo, hi; n, mu) of the free path, lo <= hi, mu > 0")
    d.kernel("green0", [lo, hi], [("X", X0)], "mu = 0 generalized inverse X(lo, hi; n), lo <= hi")

    # Plain TI: r = G (e_1 - e_n).
    r_i = sp.sinh((n + 1 - 2 * i) * theta / 2) / (2 * sp.sinh(theta / 2) * sp.cosh(n * theta / 2))
    f_ti = (sp.cosh((n + 1 - i - j) * theta / 2) * sp.sinh((j - i) * theta / 2)
            / (sp.sinh(theta / 2) * sp.cosh(n * theta / 2)))
    checks = [check_symbolic(green_cosh(1, i) - green_cosh(i, n) - r_i,
                             "r_i = G(i,1) - G(i,n)", simp),
              check_symbolic(r_i - r_i.subs(i, j) - f_ti, "f(i,j) = r_i - r_j", simp),
              check_symbolic(sp.limit(f_ti, theta, 0) - (j - i), "mu -> 0: f = j - i",
                             sp.simplify)]
    A = n + 1 - i - j
    f_ti_stable = ((1 + sp.exp(-sp.Abs(A) * theta)) / (1 + sp.exp(-n * theta))
                   * sp.exp(-(n - sp.Abs(A) - (j - i) + 1) * theta / 2)
                   * sp.tanh((j - i) * theta / 2) * (1 + sp.tanh(theta / 2))
                   / (sp.tanh(theta / 2) * (1 + sp.tanh((j - i) * theta / 2))))
    fs = sp.lambdify([i, j, n, theta], f_ti_stable, "mpmath")
    fc = sp.lambdify([i, j, n, theta], f_ti, "mpmath")
    worst = 0
    with mp.workdps(30):
        for _ in range(60):
            nn = rng.randint(3, 80)
            a, b = sorted(rng.sample(range(1, nn + 1), 2))
            th = mp.mpf(10) ** rng.uniform(-3, 0.5)
            worst = max(worst, abs(fs(a, b, nn, th) / fc(a, b, nn, th) - 1))
    checks.append(Check("numeric", worst < 1e-25, "overflow-free margin equals the closed form at "
                        "60 random points", float(worst)))
    d.step("transitive inference without exceptions",
           "s = e_1 - e_n gives r_i = sinh((n+1-2i) theta/2) / (2 sinh(theta/2) cosh(n theta/2)) "
           "and f(i,j) = cosh((n+1-i-j) theta/2) sinh((j-i) theta/2) / (sinh(theta/2) cosh(n "
           "theta/2)) > 0 for i < j: every test pair is correct for all mu >= 0, i.e. all c < 1 "
           "and lam >= 0. Symbolic distance effect: at fixed i + j, f grows with j - i "
           "(sinh increasing). Terminal-item effect: at fixed distance j - i, f is largest where "
           "|n+1-i-j| is largest, i.e. for pairs containing item 1 or item n (strictly so for "
           "mu > 0; at mu = 0, f = j - i).", checks, r=r_i, f=f_ti, f_stable=f_ti_stable)
    theta_sub = {theta: theta_of_mu}
    d.kernel("ti_margin", [i, j, mu], [("f", f_ti_stable.subs(theta_sub))],
             "margin f(i, j), i < j, of plain TI (no exception), mu > 0")


def U_of(nn, exc):
    """U = [e_a - e_b per exception] (n x E): L = L_0 + U U^T, s = s0 + U 1."""
    U = sp.zeros(nn, len(exc))
    for e, (a, b) in enumerate(exc):
        U[a - 1, e] = 1
        U[b - 1, e] = -1
    return U


def _derive_exceptions(d, rng):
    """Sherman-Morrison for one exception, Woodbury for several (exact checks)."""
    def woodbury(nn, exc, mm):
        Lm = laplacian(nn, []) + mm * sp.eye(nn)
        G = Lm.inv()
        s0 = net_wins(nn, [])
        r0 = G * s0
        U = U_of(nn, exc)
        M = sp.eye(len(exc)) + U.T * G * U
        return r0 + G * U * M.inv() * (sp.ones(len(exc), 1) - U.T * r0)

    # One exception, symbolic mu, n = 5 and 6.
    checks = []
    for nn, (a, b) in [(5, (4, 2)), (6, (5, 2)), (6, (6, 1))]:
        G = _dm_inverse(laplacian(nn, []) + mu * sp.eye(nn))
        r0 = G * net_wins(nn, [])
        u = sp.zeros(nn, 1)
        u[a - 1], u[b - 1] = 1, -1
        R = sp.cancel((u.T * G * u)[0])
        f0 = sp.cancel(r0[b - 1] - r0[a - 1])
        r_sm = r0 + G * u * sp.cancel((1 + f0) / (1 + R))
        direct = _dm_solve(laplacian(nn, [(a, b)]) + mu * sp.eye(nn), net_wins(nn, [(a, b)]))
        checks.append(Check("symbolic", _all_zero(list(r_sm - direct)),
                            f"Sherman-Morrison equals the direct solve, n={nn}, {a}>{b}, "
                            "symbolic mu"))
    G_ab = sp.Symbol("R_ab")
    f0s = sp.Symbol("f0_ba")
    Gu_i = sp.Symbol("Gu_i")
    d.step("one exception: Sherman-Morrison",
           "The exception a>b adds u u^T to L (u = e_a - e_b) and u to s. Then r = r0 + G u (1 + "
           "f0(b,a)) / (1 + R_ab), r0 = G (e_1 - e_n) the plain-TI scores, f0(b,a) = r0_b - r0_a "
           "> 0 the plain-TI margin of the exception pair and R_ab = G_aa + G_bb - 2 G_ab the "
           "regularized resistance between a and b. Every item is pulled along G u = G e_a - "
           "G e_b: towards a win near a and towards a loss near b.", checks,
           r=sp.Symbol("r0_i") + Gu_i * (1 + f0s) / (1 + G_ab))

    # Several exceptions: exact rationals at random instances.
    worst, count = 0, 0
    for _ in range(8):
        nn = rng.randint(5, 9)
        exc = set()
        for _ in range(rng.randint(1, 3)):
            b = rng.randint(1, nn - 2)
            exc.add((rng.randint(b + 2, nn), b))
        exc = sorted(exc)
        mm = sp.Rational(rng.randint(1, 40), 10)
        r = woodbury(nn, exc, mm)
        direct = _dm_solve(laplacian(nn, exc) + mm * sp.eye(nn), net_wins(nn, exc))
        worst = max(worst, max(abs(v) for v in (r - direct)))
        # the block's general Woodbury update, (L0 + mu + U U^T)^{-1} (s0 + U 1), agrees too
        gen = KRR.woodbury(laplacian(nn, []) + mm * sp.eye(nn), U_of(nn, exc),
                           net_wins(nn, []) + U_of(nn, exc) * sp.ones(len(exc), 1))
        worst = max(worst, max(abs(v) for v in (gen - direct)))
        count += 1
    d.step("several exceptions: Woodbury",
           "With U = [e_a - e_b per exception], s = s0 + U 1 and L = L_0 + U U^T: r = r0 + G U "
           "(I + U^T G U)^{-1} (1 - U^T r0). Only the columns of G at 1, n and the exception "
           "endpoints are needed: O(n E + E^3) for all items.",
           [Check("numeric", worst == 0, f"exact rational Woodbury (this form and the kernel-ridge "
                  f"block's general one) vs direct solve at {count} random (n, exceptions, mu)",
                  float(worst))],
           r=_woodbury_expression())


def _woodbury_expression():
    """r = r0 + G U (I + U^T G U)^{-1} (1 - U^T r0) in noncommutative symbols (matrices)."""
    G, U, Ut, r0, I, one = sp.symbols("G U U^T r_0 I_E 1_E", commutative=False)
    return r0 + G * U * (I + Ut * G * U) ** -1 * (one - Ut * r0)


def _derive_limits(d):
    mu_expr = 2 * (c + lam) / (1 - c)
    f_train = (lam * d_r + c * y_lab) / (c + lam)
    ridgeless = sp.limit(mu_expr, lam, 0)
    strong = sp.limit(mu_expr / lam, lam, sp.oo)
    a_then_b = sp.limit(sp.limit(f_train, lam, 0), c, 0)
    b_then_a = sp.limit(sp.limit(f_train, c, 0), lam, 0)
    checks = [check_symbolic(ridgeless - 2 * c / (1 - c), "lam -> 0: mu -> 2c/(1-c)"),
              check_symbolic(strong - 2 / (1 - c), "lam -> oo: mu ~ 2 lam/(1-c)"),
              check_symbolic(a_then_b - y_lab, "lam -> 0 then c -> 0: training margin = y"),
              check_symbolic(b_then_a - d_r, "c -> 0 then lam -> 0: training margin = r_i - r_j"),
              Check("symbolic", sp.simplify(a_then_b - b_then_a) != 0,
                    "the two orders differ (they agree only if the pair is fitted, y = r_i - r_j)")]
    # c = 0, lam -> 0: the explicit min-norm interpolant k(x,X) K^+ y is r_i - r_j, r = L^+ s
    for nn, exc in [(4, []), (5, [(4, 2)]), (6, [(5, 2), (6, 3)])]:
        K, Kx, y = _gram(nn, exc, lambda p, q: pair_kernel(p, q, 0))
        f = KRR.ridgeless(Kx, K, y)
        r = laplacian(nn, exc).pinv() * net_wins(nn, exc)
        ok = all(sp.simplify(f[k] - (r[a - 1] - r[b - 1])) == 0
                 for k, (a, b) in enumerate(ordered_pairs(nn)))
        checks.append(Check("symbolic", ok, f"c = 0, n={nn}, exceptions={exc}: the explicit "
                            "min-norm interpolant k(x,X) K^+ y equals r_i - r_j, r = L^+ s, on "
                            "every ordered pair"))
    # Strong ridge: r = s/mu - L s/mu^2 + O(mu^-3).
    L_, s_ = sp.symbols("L s", commutative=False)
    d.step("ridgeless and strong-ridge limits",
           "Ridgeless (lam -> 0+): mu -> 2c/(1-c); for c > 0 the training pairs are interpolated "
           "(f = y) and test pairs follow (L + 2c/(1-c)) r = s; at c = 0 it is the min-norm "
           "additive interpolant r = L^+ s (kernel green0), which fits the training pairs only "
           "on a tree: with an exception (a cycle) the training margins are r_i - r_j != y. The "
           "limits lam -> 0 and c -> 0 do not commute at c = 0: the conjunctive share "
           "c/(c+lam) of a training margin is 1 or 0 depending on the order. Strong ridge "
           "(lam -> oo): mu ~ 2 lam/(1-c) and r = s/mu - L s/mu^2 + O(mu^-3): margins shrink as "
           "(s_i - s_j)/mu, so only items with nonzero net wins (the end items and exception "
           "endpoints) separate at leading order; the next order decides the others.", checks,
           mu_ridgeless=ridgeless, mu_over_lam_strong=strong,
           r_strong=s_ / mu - L_ * s_ / mu**2)


lam_L = sp.Symbol("lambda_L", nonnegative=True)  # an eigenvalue of L
kap = sp.Symbol("kappa", positive=True)
mu_expr_g = 2 * (c + lam) / (1 - c)


def _filter_check(tau):
    """(1-c)/2 h_K(kappa(lambda)) = h(lambda): the filter of K on the L sector, in reduced form."""
    kappa_l = c + (1 - c) * lam_L / 2
    A = kappa_l + lam  # hK = (1 - e^{-A t})/A
    B = lam_L + mu_expr_g  # h = (1 - e^{-tau B})/B
    rates = sp.cancel(A * t - tau * B)
    scales = sp.cancel(B - 2 * A / (1 - c))
    ok = rates == 0 and scales == 0
    return Check("symbolic", bool(ok), "(1-c)/2 (1 - e^{-(kappa + lam) t})/(kappa + lam) = "
                 "(1 - e^{-tau (lambda + mu)})/(lambda + mu) with kappa = c + (1-c) lambda/2: "
                 "equal rates (kappa + lam) t = tau (lambda + mu) and lambda + mu = 2 (kappa + "
                 f"lam)/(1-c) (residuals {rates}, {scales})")


def _derive_gradient_flow(d, rng):
    """Gradient flow from zero: spectral filter of K, reduced to a matrix function of L."""
    tau = (1 - c) * t / 2
    checks = []
    worst = worst_tr = 0
    with mp.workdps(30):
        for _ in range(4):
            nn = rng.randint(4, 6)
            b = rng.randint(1, nn - 2)
            exc = [(rng.randint(b + 2, nn), b)]
            ck = rng.randint(0, 8)
            cc = mp.mpf(ck) / 10
            ll = mp.mpf(rng.randint(0, 10)) / 10
            tt = mp.mpf(rng.randint(1, 40)) / 10
            tr = training_set(nn, exc)
            K, Kx, y = _gram(nn, exc, lambda p, q, k=sp.Rational(ck, 10): pair_kernel(p, q, k))
            f_flow = KRR.flow(Kx, K, y, ll, tt)
            mmu = 2 * (cc + ll) / (1 - cc)
            Lm = mp.matrix(laplacian(nn, exc).tolist()) + mmu * mp.eye(nn)
            El, Ql = mp.eighe(Lm)
            ttau = (1 - cc) * tt / 2
            hfilt = mp.diag([(1 - mp.exp(-e * ttau)) / e for e in El])
            s = mp.matrix(net_wins(nn, exc).tolist())
            r = Ql * hfilt * Ql.T * s
            # training pairs: p = L^+ s, q = F(kappa(L)) p, F(k) = k/(k+lam) (1 - e^{-(k+lam) t})
            E0, Q0 = mp.eighe(mp.matrix(laplacian(nn, exc).tolist()))
            coef = Q0.T * s
            p_vec = Q0 * mp.matrix([coef[k] / E0[k] if E0[k] > mp.mpf(10) ** -20 else 0
                                    for k in range(nn)])

            def Ffilt(k):
                return k / (k + ll) * (1 - mp.exp(-(k + ll) * tt)) if k + ll > 0 else 0

            cp = Q0.T * p_vec
            q_vec = Q0 * mp.matrix([Ffilt(cc + (1 - cc) * E0[k] / 2) * cp[k] for k in range(nn)])
            fcyc = Ffilt(cc)
            trained = dict(tr)
            for (a_, b_), f_ex in zip(ordered_pairs(nn), f_flow):
                if (a_, b_) in trained:
                    dp = p_vec[a_ - 1] - p_vec[b_ - 1]
                    f_red = q_vec[a_ - 1] - q_vec[b_ - 1] + fcyc * (trained[(a_, b_)] - dp)
                    worst_tr = max(worst_tr, abs(f_ex - f_red))
                else:
                    worst = max(worst, abs(f_ex - (r[a_ - 1] - r[b_ - 1])))
    checks.append(Check("numeric", worst < 1e-25, "explicit-kernel gradient flow vs the reduced "
                        "formula on every untrained pair, 4 random (n, exception, c, lam, t) "
                        "(30 digits)", float(worst)))
    checks.append(Check("numeric", worst_tr < 1e-25, "explicit-kernel gradient flow vs the "
                        "training-pair formula on every training pair, same instances",
                        float(worst_tr)))
    checks.append(_filter_check(tau))
    d.step("gradient flow in time",
           "The training Gram matrix is K = c I + (1-c)/2 B B^T (B: one-hot of both slots); "
           "push-through B^T h(K) = h(c + (1-c)/2 B^T B) B^T, and B^T y = (s, -s) lies in the "
           "sector where B^T B acts as L. Hence on test pairs f(i,j,t) = r_i(t) - r_j(t) with "
           "r(t) = (L + mu)^{-1} (1 - exp(-tau (L + mu))) s, tau = (1-c) t/2, mu = 2(c+lam)/(1-c); "
           "t -> oo recovers ridge regression. Training pairs: y splits into a gradient part "
           "p_i - p_j (p = L^+ s, in the range of B) and a cycle part (eigenvalue c of K); with "
           "F(k) = k/(k+lam) (1 - e^{-(k+lam) t}) and kappa(L) = c + (1-c) L/2, f(i,j,t) = "
           "[F(kappa(L)) p]_i - [F(kappa(L)) p]_j + F(c) (y - p_i + p_j).", checks,
           tau=tau,
           h_test=(1 - sp.exp(-tau * (lam_L + mu_expr_g))) / (lam_L + mu_expr_g),
           F_train=kap / (kap + lam) * (1 - sp.exp(-(kap + lam) * t)),
           kappa=c + (1 - c) * lam_L / 2)
    d.kernel("flow_time", [t], [("tau", tau)], "reduced time tau = (1-c) t/2 of gradient flow")


def _derive_networks(d):
    """Arc-cosine recursion: conjunctivity of ReLU NNGP and NTK against depth."""
    k_rho = rho + (sp.sqrt(1 - rho**2) - rho * sp.acos(rho)) / sp.pi
    kdot = (sp.pi - sp.acos(rho)) / sp.pi
    # Check against Gaussian expectations with mpmath: E[2 relu(u) relu(v)] and E[2 H(u) H(v)].
    # Conditional on u, v = rho u + sqrt(1-rho^2) z: E[relu(v)|u] = m Phi(m/s) + s phi(m/s) and
    # P(v > 0|u) = Phi(m/s) with m = rho u (elementary Gaussian facts); the u-integral by mpmath.
    worst = 0
    with mp.workdps(20):
        for rr in (mp.mpf("-0.3"), mp.mpf("0.5"), mp.mpf("0.8")):
            s = mp.sqrt(1 - rr**2)
            ek = mp.quad(lambda u: 2 * u * mp.npdf(u) * (rr * u * mp.ncdf(rr * u / s)
                                                         + s * mp.npdf(rr * u / s)), [0, mp.inf])
            ekd = mp.quad(lambda u: 2 * mp.npdf(u) * mp.ncdf(rr * u / s), [0, mp.inf])
            worst = max(worst, abs(ek - k_rho.subs(rho, float(rr)).evalf(20)),
                        abs(ekd - kdot.subs(rho, float(rr)).evalf(20)))
    checks = [Check("numeric", worst < 1e-12, "k(rho) = E[2 relu(u) relu(v)] and k'(rho) = "
                    "E[2 1(u>0) 1(v>0)] for unit Gaussians at correlation rho = -0.3, 0.5, 0.8",
                    float(worst)),
              check_symbolic(sp.diff(k_rho, rho) - kdot, "k'(rho) is the derivative of k",
                             sp.simplify),
              check_symbolic(k_rho.subs(rho, 1) - 1, "k(1) = 1 (He normalization)")]
    K0, Kh, K1 = sp.symbols("K_0 K_h K_1", real=True)
    c_net = (K1 - 2 * Kh + K0) / (K1 - K0)
    c1 = sp.nsimplify(c_net.subs({K0: k_rho.subs(rho, 0), Kh: k_rho.subs(rho, sp.Rational(1, 2)),
                                  K1: 1}))
    checks.append(check_symbolic(c1 - (sp.Rational(1, 3) + (1 - sp.sqrt(3)) / sp.pi)
                                 / (1 - 1 / sp.pi), "depth-1 NNGP conjunctivity", sp.simplify))
    d.step("ReLU network kernels",
           "Input x = (e_i, e_j)/sqrt(2): within-pair similarity rho0 = (d_ik + d_jl)/2 in "
           "{0, 1/2, 1}. One ReLU layer (He scaling) maps rho to k(rho) = rho + (sqrt(1-rho^2) - "
           "rho arccos rho)/pi; NNGP after L layers: K_L = k^L(rho0); NTK: Theta_0 = rho0, "
           "Theta_{L} = K_L + Theta_{L-1} k'(K_{L-1}), k'(rho) = (pi - arccos rho)/pi. A kernel "
           "with values K_0, K_h, K_1 at rho0 = 0, 1/2, 1 is the family with kd = K_0/K_1, "
           "c = (K_1 - 2 K_h + K_0)/(K_1 - K_0), and the ridge divided by K_1 - K_0. Depth 1 "
           "NNGP: c = (1/3 + (1 - sqrt 3)/pi)/(1 - 1/pi) ~ 0.147; c -> 1 as depth grows.",
           checks, k=k_rho, kdot=kdot, c_net=c_net, c_nngp_1=c1)
    d.kernel("arccos", [rho], [("k", k_rho), ("kdot", kdot)],
             "one ReLU layer of the arc-cosine recursion and its derivative")
