"""The random-features data block (theory/blocks/data.py, ``random-features``) against ACTUAL
non-linear random features s(F x), F from the block's own ``sample_features`` (p = psi d rows,
i.i.d. N(0, 1/d) entries, so the pre-activations f_i.x have variance |f_i|^2 ~ 1).

The block rests on Gaussian equivalence: the centred features v = s(F x) - mu0 have the first
two moments of mu1 F x + mustar z, i.e. E v = 0 (mean mu0 of s), E v x^T = mu1 F, and covariance
Omega = mu1^2 F F^T + mustar^2 I whose spectral law is mu1^2 s + mustar^2 (the block's ``T_S``)
with s ~ Marchenko-Pastur(psi) (theory/spectra.py ``mp_average``, an mpmath quadrature). Measured
per draw of F, from x ~ N(0, I_d) samples:

* mu0 = mean of s(F x) over features and samples; mu1 = <E v x^T, F>/|F|^2 (Stein's lemma);
  mustar^2 = tr(Omega)/p - mu1^2;
* the spectral moments tr(Omega^k)/p, k = 1, 2, 3, as tr(Om_1 ... Om_k)/p over k INDEPENDENT
  sample covariances (each unbiased, so the product's mean is tr(Omega^k) exactly: no sampling
  bias).

Gaussian equivalence is exact only as d -> oo: at finite d the row norms |f_i| and the
non-linear part of the kernel (arcsin of the cosine for sign, ...) shift these by O(1/d). So,
as every verify does, the per-d means over independent draws of F (the se includes both the F and
the x randomness) are extrapolated linearly in 1/d by the shared ladder fit
(numerics/ladder.py ``extrapolate``: WLS, PASS within 3 se) and the intercept is compared with
the block's prediction. The slow test adds all four non-linear activations at larger d and one
ridge instance family: train loss and test error of the ridge readout on these features against
the raf-rf theory (numerics/models/raf_rf.py), extrapolated the same way."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import sympy as sp

from memgenkit.numerics.ladder import extrapolate
from memgenkit.theory.blocks.data import RandomFeatures, mu1, mustar, psi, s, x_act
from memgenkit.theory.evaluate import mp_function
from memgenkit.theory.spectra import mp_average

RF = RandomFeatures()
PSI = 2.0


def _coefficients(act):
    """(s as a numpy function, mu0, mu1, mustar) from the block (mpmath for tanh's integrals)."""
    s_, *coeffs = RF.activations()[act]
    f = sp.lambdify([x_act], s_, modules=["scipy", "numpy"])
    return (f, *(float(mp_function(c, [])()) for c in coeffs))


def _predictions(act):
    _, mu0_, mu1_, mus_ = _coefficients(act)
    law = sp.lambdify([s], RF.T_S.subs({mu1: mu1_, mustar: mus_}), "mpmath")
    out = {"mu0": mu0_, "mu1": mu1_, "mustar2": mus_**2}
    for k in (1, 2, 3):
        out[f"m{k}"] = float(mp_average(lambda x: law(x) ** k, PSI))
    return out


def _measure_one(act, d, nb, rng):
    """One draw of F and 3 independent batches of nb inputs: the estimates of the module docstring."""
    f = _coefficients(act)[0]
    F = RF.sample_features(rng, d, {psi: PSI})
    p = F.shape[0]
    om, out = [], {}
    for b in range(3):
        X = rng.standard_normal((nb, d))
        V = np.broadcast_to(np.asarray(f(X @ F.T), dtype=float), (nb, p))
        Vc = V - V.mean(axis=0)
        if b == 0:
            out["mu0"] = float(V.mean())
            out["mu1"] = float(np.sum((Vc.T @ X / nb) * F) / np.sum(F * F))
        om.append(Vc.T @ Vc / (nb - 1))  # unbiased sample covariance
    out["m1"] = float(np.trace(om[0]) / p)
    out["m2"] = float(np.sum(om[0] * om[1]) / p)  # tr(Om_0 Om_1), both symmetric
    out["m3"] = float(np.trace(om[0] @ om[1] @ om[2]) / p)
    out["mustar2"] = out["m1"] - out["mu1"] ** 2
    return out


@functools.lru_cache(maxsize=None)  # the fast pass and fail tests share one ladder
def _ladder(act, ds, draws, nb, seed):
    """{quantity: extrapolate row}: per d the mean and se over ``draws`` independent F."""
    rng = np.random.default_rng(seed)
    per_d = [[_measure_one(act, d, nb, rng) for _ in range(draws)] for d in ds]
    pred = _predictions(act)
    rows = {}
    for k, th in pred.items():
        means = [float(np.mean([r[k] for r in rows_d])) for rows_d in per_d]
        ses = [float(np.std([r[k] for r in rows_d], ddof=1) / math.sqrt(draws))
               for rows_d in per_d]
        rows[k] = extrapolate(ds, means, ses, th)
    return rows


def _assert_pass(act, rows):
    bad = {k: (r["extrapolated"], r["se"], r["theory"], round(r["z"], 2))
           for k, r in rows.items() if not r["pass"]}
    assert not bad, f"{act}: Gaussian equivalence of the random-features block fails: {bad}"


def test_mp_moments_of_the_block_law():
    """The reference the checks use: MP(psi) moments 1, 1 + psi, 1 + 3 psi + psi^2 (classic),
    and E (mu1^2 s + mustar^2)^2 from them."""
    law = [float(mp_average(lambda x, k=k: x**k, PSI)) for k in (1, 2, 3)]
    assert law == pytest.approx([1.0, 1 + PSI, 1 + 3 * PSI + PSI**2], rel=1e-12)
    p = _predictions("relu")
    _, _, a, b = _coefficients("relu")
    assert p["m2"] == pytest.approx(a**4 * (1 + PSI) + 2 * a**2 * b**2 + b**4, rel=1e-12)


def test_relu_features_match_gaussian_equivalence_fast():
    """relu (mu0 != 0, so the centring matters), d = 40, 80, 160, 12 draws of F each."""
    _assert_pass("relu", _ladder("relu", (40, 80, 160), draws=12, nb=1500, seed=1))


def test_ladder_detects_a_wrong_coefficient():
    """The same ladder with mustar off by 5%: the covariance moments must FAIL (the check can
    fail)."""
    rows = _ladder("relu", (40, 80, 160), draws=12, nb=1500, seed=1)
    _, _, mu1_, mus_ = _coefficients("relu")
    wrong = float(mp_average(lambda x: (mu1_**2 * x + (1.05 * mus_) ** 2) ** 2, PSI))
    r = rows["m2"]
    assert abs(r["extrapolated"] - wrong) > 3 * r["se"]


@pytest.mark.slow
@pytest.mark.parametrize("act", ["sign", "relu", "erf", "tanh"])
def test_features_match_gaussian_equivalence(act):
    """All non-linear activations, d = 100, 200, 400 (p = 2 d), 10 draws of F each."""
    _assert_pass(act, _ladder(act, (100, 200, 400), draws=10, nb=2000, seed=7))


@pytest.mark.slow
@pytest.mark.parametrize("act", ["relu", "sign"])
def test_ridge_on_actual_features_matches_raf_rf_theory(act):
    """Ridge readout (numerics/simulation/raf_rf.py ``fit``, closed form) on s(F x) - mu0 with F
    from the block, RAF data (numerics/simulation/raf_erm.py ``sample``); train loss and the
    error on 4 d fresh rule samples, per d the mean over 30 instances, 1/d-extrapolated against
    the raf-rf theory's train_loss and eps_gen."""
    from memgenkit.numerics.models import get
    from memgenkit.numerics.simulation import raf_erm as erm
    from memgenkit.numerics.simulation import raf_rf as rfs
    params = {"activation": act, "alpha": 1.5, "psi": PSI, "eps": 0.2, "lam": 0.1}
    model = get("raf-rf")
    v = model.validate(params)
    th = model.solve(v).observables
    f, mu0_, _, _ = _coefficients(act)
    ds, inst = (100, 200, 400), 30
    means, ses = {"train_loss": [], "eps_gen": []}, {"train_loss": [], "eps_gen": []}
    for d in ds:
        vals = {"train_loss": [], "eps_gen": []}
        for ss in np.random.SeedSequence([3, d]).spawn(inst):
            s_data, s_f, s_test = ss.spawn(3)
            X, y, _, w_star = erm.sample(d, v["alpha"], v["eps"], s_data)
            F = RF.sample_features(np.random.default_rng(s_f), d, {psi: PSI})
            p = F.shape[0]
            a, _, obj = rfs.fit(v, f(X @ F.T) - mu0_, y)
            Xt = np.random.default_rng(s_test).standard_normal((4 * d, d))
            ft = (f(Xt @ F.T) - mu0_) @ a / math.sqrt(p)
            vals["train_loss"].append(obj / len(y))
            vals["eps_gen"].append(float(np.mean(np.where(Xt @ w_star >= 0, 1.0, -1.0) * ft < 0)))
        for k in vals:
            means[k].append(float(np.mean(vals[k])))
            ses[k].append(float(np.std(vals[k], ddof=1) / math.sqrt(inst)))
    for k in means:
        r = extrapolate(ds, means[k], ses[k], float(th[k]))
        assert r["pass"], (act, k, r["extrapolated"], r["se"], r["theory"], r["z"])
