"""Generic checks of the sparse-graph blocks (``kind`` "graph" and "cavity"), run by
``checks.checks_for`` like the others (same calling convention: block, seeded generator ->
list of ``Check``).

Graph (``kind == "graph"``): ``pmf()``, ``pmf_code()``, ``generating(x)``,
``excess_generating(x)`` in ``graph.N_, prob, m, x_gf``; ``sample(rng, n, p)`` -> (X, k);
``sample_point(rng)`` -> {"n", "p"}.
  * ``graph_generating``: at a sampled integer N and rational prob, sum_m pmf x^m = G(x) and
    sum_m pmf = 1 (exact, x symbolic), G'(x)/G'(1) = the excess generating function, and the
    log-gamma pmf equals the pmf (25 digits, relative, 4 points).
  * ``graph_sampling``: one sampled graph (n ~ 200-600 samples, ~15200 features): per degree k,
    the number of features of degree k against sum_i pmf(k; n, p_i) (5 se, se from the
    Bernoulli variances), the mean row degree against sum_i p_i (5 se), the signs' mean
    against 0 (5 se), no repeated edge and entries in {0, +-1}.

Cavity (``kind == "cavity"``): ``compare(forest, nf)`` -> (bad_v, bad_e, pinned,
exact_pinned); ``sample(rng)`` -> (forest, nf).
  * ``cavity_tree``: on a seeded random forest (redrawn until it has pinned and unpinned
    features, so the check cannot pass on an all-soft graph), the recursion's variances and
    errors equal the exact ones at lam in {0, 3/7, 2}, and the recursion's pinned set equals
    the exact one (zero posterior variance at lam = 0).
"""
from __future__ import annotations

import mpmath as mp
import numpy as np
import sympy as sp

from ..derivation import Check
from .graph import N_, m, prob, x_gf


def _who(block):
    return getattr(block, "name", type(block).__name__)


def graph_generating(block, rng) -> list[Check]:
    NN = int(rng.integers(3, 12))
    pp = sp.Rational(int(rng.integers(1, 99)), 100)
    pmf = block.pmf().subs({N_: NN, prob: pp})
    series = sp.expand(sum(pmf.subs(m, k) * x_gf ** k for k in range(NN + 1)))
    G = block.generating().subs({N_: NN, prob: pp})
    ex = block.excess_generating().subs({N_: NN, prob: pp})
    size_biased = sp.diff(G, x_gf) / sp.diff(G, x_gf).subs(x_gf, 1)
    ok_g = sp.expand(series - G) == 0 and series.subs(x_gf, 1) == 1
    ok_e = sp.simplify(size_biased - ex) == 0
    f = sp.lambdify([m, N_, prob], block.pmf_code(), "mpmath")
    g = sp.lambdify([m, N_, prob], block.pmf(), "mpmath")
    worst = mp.mpf(0)
    with mp.workdps(30):
        for _ in range(4):
            Nv = int(rng.integers(5, 3000))
            mv = int(rng.integers(0, Nv + 1))
            pv = mp.mpf(float(rng.uniform(0.001, 0.999)))
            worst = max(worst, abs(f(mv, Nv, pv) / g(mv, Nv, pv) - 1))
    who = _who(block)
    return [Check("symbolic", ok_g, f"{who}: sum_m pmf x^m = G(x), G(1) = 1 (N = {NN}, "
                                    f"prob = {pp})"),
            Check("symbolic", ok_e, f"{who}: G'(x)/G'(1) = excess generating function "
                                    f"(N = {NN}, prob = {pp})"),
            Check("numeric", worst <= 1e-25, f"{who}: log-gamma pmf = pmf (relative, 4 points)",
                  float(worst))]


def graph_sampling(block, rng, nse=5.0) -> list[Check]:
    pt = block.sample_point(rng)
    n, p = pt["n"], pt["p"]
    X, k = block.sample(rng, n, p)
    X = X.tocsc()
    who = _who(block)
    vals = X.data
    well_formed = (np.all(np.isin(vals, (-1.0, 1.0))) and X.nnz == int(k.sum())
                   and np.array_equal(np.diff(X.indptr), k))
    # per-degree counts: E = sum_i P(k_i = c), Var = sum_i P (1 - P) (independent features)
    worst = 0.0
    # the log-gamma form (the plain binomial coefficient overflows at n ~ 400); p = 1 gives
    # exp(-inf) = 0, the right value at c < n
    f = sp.lambdify([m, N_, prob], block.pmf_code(), "scipy")
    for c in range(0, 8):
        with np.errstate(divide="ignore", invalid="ignore"):
            P = np.nan_to_num(np.asarray(f(c, n, p), float), nan=np.nan, neginf=0.0)
        if not np.all(np.isfinite(P)):
            worst = np.inf
            break
        se = np.sqrt(np.sum(P * (1 - P))) or 1.0
        worst = max(worst, abs(np.sum(k == c) - P.sum()) / se)
    row_deg = np.diff(X.tocsr().indptr)
    se_row = np.sqrt(np.sum(p * (1 - p)) / n)
    row_pull = abs(row_deg.mean() - p.sum()) / se_row
    sign_pull = abs(vals.mean()) * np.sqrt(vals.size)
    worst, row_pull, sign_pull = (float(x) for x in (worst, row_pull, sign_pull))
    return [Check("numeric", bool(well_formed), f"{who}: sampled X has entries +-1, one per "
                                               "edge, column sizes = degrees (no repeat)"),
            Check("numeric", worst <= nse, f"{who}: sampled degree counts k = 0..7 vs "
                  f"sum_i pmf(k; n={n}, p_i), worst pull {worst:.2f} (<= {nse})", worst),
            Check("numeric", row_pull <= nse and sign_pull <= nse,
                  f"{who}: mean row degree vs sum p (pull {row_pull:.2f}), mean sign vs 0 "
                  f"(pull {sign_pull:.2f})", max(row_pull, sign_pull))]


def cavity_tree(block, rng, tries=50) -> list[Check]:
    who = _who(block)
    for _ in range(tries):
        forest, nf = block.sample(rng)
        bad_v, bad_e, pinned, pinned_exact = block.compare(forest, nf)
        if 0 < len(pinned_exact) < nf:
            break
    else:
        return [Check("symbolic", False, f"{who}: no forest with pinned and unpinned features "
                                         f"in {tries} draws")]
    return [Check("symbolic", bad_v == 0 and bad_e == 0,
                  f"{who}: recursion variances and errors = exact on a sampled forest "
                  f"({len(forest)} rows, {nf} features, lam in {{0, 3/7, 2}}; {bad_v} + {bad_e} "
                  "mismatches)"),
            Check("symbolic", pinned == pinned_exact,
                  f"{who}: recursion pinned set {pinned} = exact (zero variance) {pinned_exact}")]


GRAPH_CHECKS = (graph_generating, graph_sampling)
CAVITY_CHECKS = (cavity_tree,)
