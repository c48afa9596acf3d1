"""composition: generated kernels against sympy/mpmath, the theory against independent numpy
re-implementations (exact parts, fixed point, the cavity recursion on sampled graphs), the
large-n laws, and the fixed point's defining properties."""
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from scipy import sparse

from memgenkit.derivations import __file__ as _der_init
from memgenkit.numerics import api
from memgenkit.theory.derivation import load_json

DER = load_json((Path(_der_init).parent / "composition.json").read_text())
PARAMS = [p["symbol"] for p in DER["parameters"]]


def model():
    return api.model("composition")


def _kernel(name):
    return next(k for k in DER["kernels"] if k["name"] == name)


@pytest.mark.parametrize("name,points", [
    ("feature", [(1, 9.78, 1.0), (7, 198.5, 0.3), (5000, 10000.0, 0.0067), (2, 1.2, 0.99)]),
    ("binom_pmf", [(0, 1000, 0.004), (3, 1000, 0.004), (500, 1000, 0.5), (2, 7, 1.0)]),
    ("poisson_pmf", [(0, 4.98), (7, 4.98), (1, 0.007)]),
    ("soft_factor", [(0.7, 0.3, 0.1), (2.4, 1.1, 0.0), (0.05, 0.01, 2.0)]),
    ("cavity", [(0.0, 0.0, 0.0, 0.4), (1.3, 0.2, 0.7, 0.9), (40.0, 3.0, 11.0, 0.5)]),
    ("hard_factor", [(0.0, 0.0, 0.0), (0.3, 0.02, 1.5), (4.0, 0.7, 0.2)]),
    ("pinned", [(1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.6), (2.5, 0.3, 3.1, 1.2, 0.3, 0.8, 0.5),
                (40.0, 1.0, 44.0, 7.0, 1.0, 2.0, 1.0)]),
    ("large_n", [(1000, 3.04, 1.0), (1e5, 1.91, 0.97)]),
])
@pytest.mark.parametrize("pv", [(1000, 10000, 5, 1.5, 0.0, 0.0, 0.1),
                                (300, 3000, 3, 2.0, 0.05, 0.5, 0.3)])
def test_kernels_match_sympy_evalf(name, points, pv):
    """Every generated kernel output against a 30-digit sympy evaluation of the stored
    expression (the derivation, not our numerics, is the reference)."""
    m = model()
    k = _kernel(name)
    p = np.array(pv, float)
    for x in points:
        got = m.call(name, np.array(x, float), p)
        assert len(x) == len(k["inputs"])
        subs = dict(zip(k["inputs"], x)) | dict(zip(PARAMS, pv))
        for g, (oname, e) in zip(got, k["outputs"]):
            ref = complex(sp.N(e.subs(subs), 30))
            if ref.imag != 0 or not math.isfinite(abs(ref)):
                continue
            assert g == pytest.approx(ref.real, rel=1e-11, abs=1e-300), (name, oname, x, pv)


def _numpy_theory(n, d, s, a, beta_exp=0.1):
    """Independent numpy implementation of the exact parts and of the fixed point."""
    i = np.arange(1, d + 1, dtype=float)
    p = np.minimum(1.0, s * i ** -a / np.sum(i ** -a))
    b2 = i ** (-2 * beta_exp)
    Q = 1.0
    for _ in range(100000):
        Qn = np.exp(np.sum(np.log1p(-p * (1 - p * Q) ** (n - 1))))
        if abs(Qn - Q) < 1e-15:
            break
        Q = Qn
    u = p * (1 - p * Q) ** (n - 1)
    P0, P1 = (1 - p) ** n, n * p * (1 - p) ** (n - 1)
    q = p * (1 - p) ** (n - 1)
    iso = np.exp(np.sum(np.log1p(-q)) - np.log1p(-q))
    return {"Q": Q, "rf": np.sum(P1 * Q / (1 - u)) / np.sum(P1),
            "err_unseen": np.sum(P0 * b2) / np.sum(P0), "iso": np.sum(P1 * iso) / np.sum(P1),
            "mu": np.sum(u)}


@pytest.mark.parametrize("a,beta_exp", [(0.0, 0.1), (0.7, 0.1), (1.2, 0.3), (1.6, 0.0),
                                        (2.5, 0.1)])
def test_theory_against_numpy(a, beta_exp):
    n, d, s = 1000, 4000, 5.0
    r = api.solve("composition", n=n, d=d, s=s, a=a, beta_exp=beta_exp)
    ref = _numpy_theory(n, d, s, a, beta_exp)
    assert r.converged
    assert r["Q"] == pytest.approx(ref["Q"], rel=1e-9, abs=1e-13)
    assert r["recovered_fraction"] == pytest.approx(ref["rf"], rel=1e-9)
    assert r["err_unseen"] == pytest.approx(ref["err_unseen"], rel=1e-12)
    assert r["mu"] == pytest.approx(ref["mu"], rel=1e-9)
    # the isolation among features seen elsewhere is an exact upper bound
    assert r["recovered_fraction"] <= ref["iso"] + 1e-12


def test_fixed_point_is_the_largest():
    """g(Q) - Q < 0 on (Q*, 1]: no larger fixed point (a = 1.2 has two)."""
    m = model()
    v = m.validate({"a": 1.2, "d": 4000})
    Q, Z, *_ = m.fixed_point(v)
    lp = m.evaluator["log_product"]
    p = m.pvec(v)
    xs = np.linspace(Q + 1e-6, 1.0, 300)
    assert all(math.exp(lp(p, Z, x)[0]) < x for x in xs)
    assert abs(math.exp(lp(p, Z, Q)[0]) - Q) < 1e-13


# --- the cavity recursion on sampled graphs ---------------------------------------------------
def _bp_instance(X, beta, sigma=0.0, iters=300):
    """Independent numpy Gaussian belief propagation for min-norm on the graph of X (hard
    messages at V = 0): per-feature (posterior variance, sign-averaged squared error)."""
    X = sparse.coo_matrix(X)
    r, c = X.row.astype(np.int64), X.col.astype(np.int64)
    n, d = X.shape
    b2 = beta[c] ** 2
    v, eps = np.ones(r.size), b2.copy()
    for _ in range(iters):
        V = np.bincount(r, weights=v, minlength=n)[r] - v
        E = np.bincount(r, weights=eps, minlength=n)[r] - eps + sigma ** 2
        hard = V <= 1e-14
        A = np.where(hard, 0.0, 1.0 / np.where(hard, 1.0, V))
        tot = [np.bincount(c, weights=w, minlength=d) for w in
               (A, A * A * E, hard.astype(float), np.where(hard, E, 0.0))]
        S, SE, Hc, HE = (t_[c] - w for t_, w in zip(tot, (A, A * A * E, hard,
                                                         np.where(hard, E, 0.0))))
        vn = np.where(Hc > 0.5, 0.0, 1.0 / (1 + S))
        en = np.where(Hc > 0.5, HE / np.maximum(Hc, 1) ** 2, (b2 + SE) / (1 + S) ** 2)
        done = max(np.max(np.abs(vn - v)), np.max(np.abs(en - eps))) < 1e-13
        v, eps = vn, en
        if done:
            break
    S, SE, Hc, HE = tot
    vi = np.where(Hc > 0.5, 0.0, 1.0 / (1 + S))
    ei = np.where(Hc > 0.5, HE / np.maximum(Hc, 1) ** 2, (beta ** 2 + SE) / (1 + S) ** 2)
    return vi, ei


def _tree_components(X, unpinned):
    """Per feature: does its component of the unpinned subgraph (unpinned features and the
    samples holding them) contain no cycle?"""
    from scipy.sparse.csgraph import connected_components
    n = X.shape[0]
    Xu = abs(sparse.csc_matrix(X)[:, unpinned]).tocsr()
    B = sparse.bmat([[None, Xu], [Xu.T, None]]).tocsr()
    nc, lab = connected_components(B, directed=False)
    touched = np.asarray(Xu.sum(axis=1)).ravel() > 0
    nodes = np.bincount(lab[:n][touched], minlength=nc) + np.bincount(lab[n:], minlength=nc)
    edges = np.bincount(lab[n:][Xu.tocoo().col], minlength=nc)
    tree = np.zeros(X.shape[1], bool)
    tree[np.flatnonzero(unpinned)] = (edges < nodes)[lab[n:]]
    return tree


def test_cavity_recursion_on_a_sampled_instance():
    """On a sampled graph (n = 300, d = 3000, a = 1.2), belief propagation gives the exact
    posterior variances 1 - P_ii (dense pseudo-inverse) and the exact sign-averaged errors
    sum_j (I - P)_ij^2 beta_j^2 of every seen feature whose component of the unpinned subgraph
    is a tree (loops through pinned features are harmless), and only approximately on the
    rest (which the ensemble theory treats as trees too)."""
    from memgenkit.numerics.simulation import composition as sim
    inst = sim.sample_instance(300, 3000, 5.0, 1.2, 0.0, 4)
    vi, ei = _bp_instance(inst.X, inst.beta)
    X = inst.X.toarray()
    P = np.linalg.pinv(X) @ X
    IP = np.eye(X.shape[1]) - P
    seen = inst.counts >= 1
    pinned = np.abs(np.diag(IP)) < 1e-9
    assert np.array_equal(vi[seen] == 0, pinned[seen])  # the lam = 0 pinning is exact too
    tree = _tree_components(inst.X, ~pinned) | pinned
    idx = np.flatnonzero(seen & tree)
    assert idx.size > 0.8 * seen.sum()
    assert np.max(np.abs(vi[idx] - np.diag(IP)[idx])) < 1e-9
    exact = (IP[idx] ** 2) @ inst.beta ** 2
    assert np.max(np.abs(ei[idx] - exact)) < 1e-9


@pytest.mark.parametrize("a", [0.5, 1.0])
def test_ensemble_theory_against_instance_bp(a):
    """The population-dynamics (ensemble) theory against the instance-level recursion averaged
    over sampled graphs (no sign noise: this isolates the ensemble steps, Poisson co-unpinned
    counts and population dynamics, from the tree assumption checked above); 3 standard errors
    over instances combined with the theory's Monte Carlo SE."""
    from memgenkit.numerics.simulation import composition as sim
    n, d, s, R = 1000, 10000, 5.0, 5
    once, common, loss = [], [], []
    for r in range(R):
        inst = sim.sample_instance(n, d, s, a, 0.0, sim.instance_seed(21, r))
        _, ei = _bp_instance(inst.X, inst.beta)
        k = inst.counts
        once.append((ei[k == 1].sum(), (k == 1).sum()))
        common.append((ei[k >= 2].sum(), (k >= 2).sum()))
        loss.append(np.dot(inst.p, ei))
    m = model()
    th = m.theory(m.validate(dict(n=n, d=d, s=s, a=a)))
    for name, data in (("err_tail_once", once), ("err_common", common)):
        R_, se = sim.ratio_estimate([x for x, _ in data], [c for _, c in data])
        t, ts = th["observables"][name], th["mc_se"][name]
        assert abs(R_ - t) <= 3 * math.hypot(se, ts), (name, R_, se, t, ts)
    lm, ls = np.mean(loss), np.std(loss, ddof=1) / math.sqrt(R)
    t, ts = th["observables"]["loss_in"], th["mc_se"]["loss_in"]
    assert abs(lm - t) <= 3 * math.hypot(ls, ts), (lm, ls, t, ts)


def test_population_starts_at_the_star_and_improves_on_it():
    """The population is started from the star approximation (co-unpinned features private:
    v = 1); at a = 1 the converged cavity variance of an unpinned feature is well below 1
    (co-unpinned features are seen in other samples), which is why the star overestimates
    the errors."""
    m = model()
    th = m.theory(m.validate(dict(a=1.0, d=4000)), mc=dict(batches=1, pop=5000, reps=500))
    trace = np.array(th["extra"]["population_trace"])
    assert trace[0, 0] < 1 and trace[-1, 0] < 0.8
    assert abs(trace[-1, 0] - trace[-3, 0]) < 0.02  # converged within the sweeps


def test_monte_carlo_se_is_honest():
    """Two theory evaluations with different seeds differ by at most ~4 combined MC SE."""
    m = model()
    v = m.validate(dict(a=1.0, d=4000))
    t1, t2 = m.theory(v, seed=1), m.theory(v, seed=2)
    for k in ("err_tail_once", "err_common", "loss_in"):
        d_ = t1["observables"][k] - t2["observables"][k]
        assert abs(d_) <= 4 * math.hypot(t1["mc_se"][k], t2["mc_se"][k]), k


def test_noise_and_ridge_limits():
    """Large a (tail features isolated): the error of a seen-once feature is ~ sigma^2 for
    min-norm, and ridge forgets the tail: error -> beta^2 lam^2/(1+lam)^2 + ..."""
    m = model()
    light = dict(batches=2, pop=6000, reps=1000, reps_ridge=150)

    def th(**kw):
        t = m.theory(m.validate(dict(n=1000, d=10000, s=5, a=3.0, **kw)), mc=light)
        return dict(t["observables"], eps_c=t["extra"]["eps_c"],
                    **{k + "_mc_se": x for k, x in t["mc_se"].items()})
    r0, r1 = th(), th(sigma=0.05)
    # a recovered seen-once feature carries sigma^2 + eps_c (noise plus what the pinned
    # features of its sample leave), eps_c >= 0 and small against sigma^2 at large a
    assert 0 < r1["eps_c"] < 0.5 * 0.05 ** 2
    # two Monte Carlo estimates of the same expectation (tables vs population means)
    assert abs(r1["loss_ood"] / 2 - (0.05 ** 2 + r1["eps_c"])) <= 4 * r1["loss_ood_mc_se"] + 1e-7
    assert r1["err_tail_once"] - r0["err_tail_once"] >= 0.05 ** 2 * r0["recovered_fraction"]
    assert r0["eps_c"] == 0.0
    ridge = [r0["err_tail_once"]] + [th(lam=lam)["err_tail_once"] for lam in (0.1, 1, 10)]
    assert all(x < y for x, y in zip(ridge, ridge[1:]))
    # lam -> oo: every coefficient forgotten, tail error -> mean beta^2 of seen-once features
    big = th(lam=1e6)
    assert big["err_tail_once"] > 0.9 * big["err_unseen"] * 0.5


def test_rate_in_n():
    """Recovered fraction rises with n at fixed a (more samples pin more features)."""
    rf = [api.solve("composition", n=n, d=10000, a=1.5)["recovered_fraction"]
          for n in (250, 500, 1000, 2000)]
    assert all(x < y for x, y in zip(rf, rf[1:]))


def test_large_n_laws_against_the_theory():
    """The derived large-n laws (a > 1, d -> oo) against the full theory at n = 1000, 4000
    (d = 1e5 >> (n c)^(1/a) ~ 110): the exponents are the derived ones (-(1 - 1/a) = -0.5 for
    1 - recovered_fraction, -(a - 1 + 2 beta_exp)/a = -0.6 for loss_in at a = 2); 1 - recovered
    fraction follows K n^(-1/2) (to second order in the Q series) within 1% (the rest: finite d,
    O(1/n)); loss_in / L(n) - 1 is the O(n^(-(1 - 1/a))) correction of the derivation: it
    halves (factor 4 in n), measured 1.3% -> 0.63%."""
    m = model()
    a, d = 2.0, 100000
    dev = []
    for nn in (1000, 4000):
        v = m.validate(dict(n=nn, d=d, a=a))
        th = m.theory(v, mc=dict(batches=2, pop=4000, reps=500))
        law = m.large_n(v, [nn], c=v["s"] / th["extra"]["Z_a"])[0]
        assert law["rate_unrecovered"] == pytest.approx(-0.5)
        assert law["rate_loss"] == pytest.approx(-0.6)
        dev.append(((1 - th["observables"]["recovered_fraction"]) / law["unrecovered"] - 1,
                    th["observables"]["loss_in"] / law["loss_in"] - 1))
    assert all(abs(x) < 0.01 for x, _ in dev)
    assert 0 < dev[1][1] < dev[0][1] < 0.05
    assert dev[1][1] / dev[0][1] == pytest.approx(0.5, abs=0.15)


def test_large_n_rejects_a_below_one():
    from memgenkit.numerics.errors import InputError
    m = model()
    with pytest.raises(InputError):
        m.large_n(m.validate(dict(a=1.0)), [1000])


def test_bad_input():
    from memgenkit.numerics.errors import InputError
    with pytest.raises(InputError):
        api.solve("composition", a=-1)
    with pytest.raises(InputError):
        api.solve("composition", n=10.5)
    with pytest.raises(InputError):
        api.solve("composition", beta_exp=-0.1)


def test_cavity_helpers_against_scipy():
    """Helpers of the compiled loops (the kernel-cache companion composition_cavity_loops.py):
    the Binomial pmf wrapper, degenerate ends q = 0, 1 included, against scipy, and the
    inverse-CDF draw against numpy's searchsorted."""
    from scipy.stats import binom
    m = model()
    loops = m.evaluator["slots"]
    p = m.pvec(m.validate({}))
    bx, bo = np.empty(3), np.empty(1)
    for k, N, q in [(0, 1000.0, 0.004), (3, 1000.0, 0.004), (500, 1000.0, 0.5), (7, 7.0, 1.0),
                    (6, 7.0, 1.0), (0, 5.0, 0.0), (2, 5.0, 0.0)]:
        assert loops.binom(k, N, q, bx, bo, p) == pytest.approx(binom.pmf(k, N, q), rel=1e-11,
                                                                abs=1e-300), (k, N, q)
    cum = np.cumsum(np.random.default_rng(3).random(50))
    for x in np.random.default_rng(4).random(200) * cum[-1]:
        assert loops.draw(cum, x) == np.searchsorted(cum, x, side="right")
