"""raf-rf: random features of finite width. Kernels against mpmath quadrature of the Marchenko-Pastur
average, the solution against a 30-digit solve of the same equations, the two limits the issue names
(psi -> oo: raf-erm; linear activation: the linear learner), and the theory against explicit random
features (true activations) at 3 standard errors."""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.numerics.cli import main
from memgenkit.numerics.errors import InputError, ParameterError
from memgenkit.numerics.models import get
from memgenkit.numerics.models.raf_erm import activation_coefficients
from memgenkit.numerics.simulation import raf_rf as sim
from memgenkit.theory.spectra import mp_average

RF = get("raf-rf")
ERM = get("raf-erm")
NAMES = RF.param_names()  # alpha, psi, eps, lam, mu1, mustar


def _mp_prior(mh, qh, Vh, psi, lam, mu1, mus):
    """The readout-ridge prior map by direct quadrature over the MP law (hand-differentiated
    per-direction value (mh^2 mu1^2 s + qh T)/(2 (lam + Vh T/psi)), T = mu1^2 s + mus^2)."""
    def T(s):
        return mu1**2 * s + mus**2

    def den(s):
        return lam + Vh * T(s) / psi
    m = mp_average(lambda s: mh * mu1**2 * s / den(s), psi)
    V = mp_average(lambda s: T(s) / den(s), psi)
    q = mp_average(lambda s: (mh**2 * mu1**2 * s + qh * T(s)) * T(s) / psi / den(s)**2, psi)
    return m, q, V


def test_prior_kernel_against_mp_quadrature():
    rng = np.random.default_rng(3)
    worst = 0.0
    with mp.workdps(25):
        for _ in range(25):
            mh, qh, Vh = rng.uniform(0.01, 3), rng.uniform(0.01, 3), 10 ** rng.uniform(-3, 2)
            psi = float(10 ** rng.uniform(-2, 3))
            lam = float(10 ** rng.uniform(-4, 2))
            mu1, mus = rng.uniform(0.2, 1.5), rng.choice([0.0, rng.uniform(0.05, 1.0)])
            p = np.array([1.0, psi, 0.1, lam, mu1, mus])
            got = RF.call("prior", [mh, qh, Vh], p)
            ref = _mp_prior(*map(mp.mpf, (mh, qh, Vh, psi, lam, mu1, mus)))
            for g, r in zip(got, ref):
                worst = max(worst, abs(g - float(r)) / abs(float(r)))
    assert worst < 1e-11, worst


def test_channel_and_observables_against_mpmath():
    """Channel map: derivatives of -2 int Dxi P(+1|xi)(1 - sqrt(q) xi)^2/(2(1+V)), by mpmath."""
    with mp.workdps(25):
        for (m_, q_, V_, alpha, eps) in ((0.3, 0.5, 0.8, 1.3, 0.2), (-0.4, 1.7, 2.3, 0.7, 0.6)):
            def phi_ch(m, q, V):
                P = lambda x: (1 - eps) * mp.ncdf(m * x / mp.sqrt(q - m**2)) + eps / 2  # noqa
                f = lambda x: P(x) * (1 - mp.sqrt(q) * x)**2 / (2 * (1 + V)) * mp.npdf(x)  # noqa
                return -2 * mp.quad(f, [-mp.inf, 0, mp.inf])
            args = (m_, q_, V_)
            ref = [alpha * mp.diff(lambda x: phi_ch(x, q_, V_), m_),
                   2 * alpha * mp.diff(lambda x: phi_ch(m_, q_, x), V_),
                   -2 * alpha * mp.diff(lambda x: phi_ch(m_, x, V_), q_)]
            got = RF.call("channel_square", args, np.array([alpha, 1.0, eps, 0.1, 1.0, 0.0]))
            assert np.allclose(got, [float(r) for r in ref], rtol=1e-12, atol=0)


def test_observables_kernel_against_mpmath():
    """eps_gen, eps_mem, eps_train_rule and train_loss = -Phi/alpha at a solution, from mpmath
    quadrature (the prior term over the MP density) rather than the generated kernel."""
    r = RF.solve(alpha=1.5, psi=2.5, eps=0.3, lam=0.2, activation="erf")
    o = r.order_params
    a, psi, eps, lam, mu1, mus = (r.params[k] for k in NAMES)
    with mp.workdps(25):
        m_, q_, V_ = (mp.mpf(o[k]) for k in "mqV")
        mh, qh, Vh = (mp.mpf(o[k]) for k in ("mhat", "qhat", "Vhat"))

        def per_dir(s):
            T = mu1**2 * s + mus**2
            return (mh**2 * mu1**2 * s + qh * T) / (2 * (lam + Vh * T / psi))
        prior = mp_average(per_dir, psi)
        rule = lambda x: (1 - eps) * mp.ncdf(m_ * x / mp.sqrt(q_ - m_**2))  # noqa: E731
        ch = -2 * mp.quad(lambda x: (rule(x) + eps / 2) * (1 - mp.sqrt(q_) * x)**2
                          / (2 * (1 + V_)) * mp.npdf(x), [-mp.inf, 0, mp.inf])
        phi = -m_ * mh + (q_ * Vh - V_ * qh) / 2 + prior + a * ch
        # wrong sign of the prox (omega + V y)/(1 + V): y omega < -V
        eps_mem = mp.ncdf(-V_ / mp.sqrt(q_))
        x0 = -V_ / mp.sqrt(q_)
        rule_wrong = 2 * mp.quad(lambda x: mp.ncdf(m_ * x / mp.sqrt(q_ - m_**2)) * mp.npdf(x),
                                 [-mp.inf, x0])
        ref = {"eps_gen": mp.acos(m_ / mp.sqrt(q_)) / mp.pi, "eps_mem": eps_mem,
               "eps_train_rule": rule_wrong, "train_loss": -phi / a}
    for k, v in ref.items():
        assert abs(r[k] - float(v)) < 1e-12 * max(1.0, abs(float(v))), (k, r[k], float(v))


def _mp_solution(alpha, psi, eps, lam, mu1, mus):
    """30 digits: the scalar V equation with quadrature over MP, then m and q (independent of the
    generated code)."""
    kappa = (1 - eps) * mp.sqrt(2 / mp.pi)
    with mp.workdps(30):
        def hats(m, q, V):
            return alpha * kappa / (1 + V), alpha * (1 + q - 2 * kappa * m) / (1 + V)**2, \
                alpha / (1 + V)
        # the residual is decreasing and changes sign on (0, (mu1^2 + mus^2)/lam]: bracketed
        V = mp.findroot(lambda v: _mp_prior(0, 0, alpha / (1 + v), psi, lam, mu1, mus)[2] - v,
                        (mp.mpf(0), (mu1**2 + mus**2) / lam), solver="illinois")
        mh, _, Vh = hats(0, 0, V)
        m = _mp_prior(mh, 0, Vh, psi, lam, mu1, mus)[0]
        # q = q_prior(mh, qhat(q)) is affine in q: two evaluations fix it
        q0 = _mp_prior(mh, hats(m, 0, V)[1], Vh, psi, lam, mu1, mus)[1]
        q1 = _mp_prior(mh, hats(m, 1, V)[1], Vh, psi, lam, mu1, mus)[1]
        q = q0 / (1 - (q1 - q0))
        return m, q, V


@pytest.mark.parametrize("kw", [
    dict(alpha=2.0, psi=3.0, eps=0.2, lam=0.1, activation="relu"),
    dict(alpha=1.5, psi=0.5, eps=0.3, lam=0.05, activation="sign"),
    dict(alpha=0.7, psi=1.0, eps=0.0, lam=1e-3, activation="linear"),
])
def test_solution_against_30_digit_solve(kw):
    r = RF.solve(kw)
    assert r.converged
    ref = _mp_solution(*(mp.mpf(r.params[k]) for k in NAMES))
    for k, v in zip("mqV", ref):
        assert abs(r.order_params[k] - float(v)) <= 1e-11 * abs(float(v)), (k, r.order_params[k])
    it = RF.solve(kw, iterate=True)  # Anderson on the full map: the same fixed point
    assert it.converged
    for k in "mqV":
        assert abs(it.order_params[k] - r.order_params[k]) < 1e-10


@pytest.mark.parametrize("act", ["relu", "sign", "erf", "linear"])
def test_kernel_limit_psi_to_infinity(act):
    """psi -> oo is raf-erm with the activation's (mu1, mustar), V_rf = V_erm + mustar^2/lam; the
    distance falls like 1/psi."""
    kw = dict(alpha=1.5, eps=0.2, lam=0.3, activation=act)
    e = ERM.solve(kw)
    tau = e.params["mustar"] ** 2 / 0.3
    gaps = []
    for psi in (1e3, 1e5):
        r = RF.solve(kw, psi=psi)
        gap = max(abs(r[k] - e[k]) for k in ("eps_gen", "eps_mem", "eps_train_rule",
                                             "train_loss"))
        gap = max(gap, abs(r.order_params["V"] - tau - e.order_params["V"]),
                  abs(r.order_params["m"] - e.order_params["m"]),
                  abs(r.order_params["q"] - e.order_params["q"]))
        gaps.append(gap)
    assert gaps[1] < 1e-4 and gaps[0] / gaps[1] > 50, gaps


def test_linear_activation_ridgeless_is_least_squares():
    """Linear features F x with psi > 1 span all linear functions: as lam -> 0 with alpha > 1 the
    readout ridge and the linear learner both tend to least squares."""
    for alpha, psi, eps in ((2.0, 1.5, 0.2), (3.0, 4.0, 0.0)):
        r = RF.solve(alpha=alpha, psi=psi, eps=eps, lam=1e-9, activation="linear")
        e = ERM.solve(alpha=alpha, eps=eps, lam=1e-9)
        for k in ("eps_gen", "eps_mem", "eps_train_rule", "train_loss"):
            assert abs(r[k] - e[k]) < 1e-6, (k, r[k], e[k])
        for k in "mqV":
            assert abs(r.order_params[k] - e.order_params[k]) < 1e-6 * (1 + e.order_params[k])


def test_linear_activation_ridgeless_simulation_is_least_squares():
    """Brute force: with a linear activation, psi > 1 and alpha > 1, the near-ridgeless readout
    predicts exactly what ordinary least squares on x does."""
    X, y, _, _ = sim.erm.sample(60, 2.0, 0.3, 5)
    F = np.random.default_rng(1).standard_normal((120, 60))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    # lam = 1e-7: the ridge bias is O(lam) (the nonzero Gram eigenvalues are O(1)) and the
    # rank-deficient dual solve loses about eps/lam
    _, f, _ = sim.fit({"lam": 1e-7}, sim.features("linear", X, F, 0.0), y)
    w = np.linalg.lstsq(X, y, rcond=None)[0]
    assert np.max(np.abs(f - X @ w)) < 1e-5


def test_interpolation_peak_at_psi_equal_alpha():
    """Ridgeless random features: the test error peaks where p = n (psi = alpha), the known
    double-descent location (Mei-Montanari); it is finite on both sides."""
    psis = np.linspace(0.5, 4.0, 36)
    errs = [RF.solve(alpha=2.0, psi=float(s), eps=0.1, lam=1e-6, activation="relu")["eps_gen"]
            for s in psis]
    assert abs(psis[int(np.argmax(errs))] - 2.0) <= 0.1


def test_verify_quick_relu_and_sign(tmp_path):
    for kw in (dict(alpha=2.0, psi=3.0, eps=0.2, lam=0.1, activation="relu"),
               dict(alpha=1.5, psi=0.5, eps=0.3, lam=0.05, activation="sign")):
        r = api.verify("raf-rf", kw, quick=True, out_dir=tmp_path, seed=0)
        assert r["passed"], r["table"]
        assert {row["observable"] for row in r["record"]["rows"]} == set(sim.erm.OBSERVABLES)


def test_m_and_q_measurements_are_exact_moments():
    """The per-instance m (Stein) and q (exact feature covariance) equal Monte Carlo moments of the
    trained predictor on many fresh inputs."""
    params = RF.validate(dict(alpha=1.0, psi=2.0, eps=0.2, lam=0.2, activation="relu"))
    N = 40
    X, y, _, w_star = sim.erm.sample(N, 1.0, 0.2, 9)
    rng = np.random.default_rng(2)
    F = rng.standard_normal((80, N))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    mu0, mu1, _ = activation_coefficients("relu", "raf_rf")
    a, _, _ = sim.fit(params, sim.features("relu", X, F, mu0), y)
    m = mu1 * a @ (F @ w_star) / math.sqrt(80 * N)
    C = sim.erm.exact_kernel("relu", F * math.sqrt(N), F * math.sqrt(N), N) - mu0**2
    q = a @ C @ a / 80
    Xt = rng.standard_normal((400000, N))
    ft = sim.features("relu", Xt, F, mu0) @ a / math.sqrt(80)
    nu = Xt @ w_star / math.sqrt(N)
    for exact, samples in ((m, ft * nu), (q, ft**2)):
        assert abs(samples.mean() - exact) < 4 * samples.std() / math.sqrt(len(samples))


def test_bad_input():
    with pytest.raises(ParameterError, match="psi"):
        RF.solve(alpha=1.0, psi=0.0)
    with pytest.raises(InputError, match="square loss"):
        RF.solve(alpha=1.0, psi=1.0, loss="hinge")
    with pytest.raises(InputError, match="activation"):
        RF.simulate(dict(alpha=1.0, psi=1.0, mu1=0.7, mustar=0.3), N=20, instances=2)
    assert main(["solve", "raf-rf", "--set", "psi=-1"]) == 2
    assert main(["solve", "raf-rf", "--set", "activation=cubic"]) == 2


@pytest.mark.slow
@pytest.mark.parametrize("kw", [
    dict(alpha=2.0, psi=2.0, eps=0.3, lam=0.01, activation="erf"),
    dict(alpha=3.0, psi=1.5, eps=0.2, lam=1e-3, activation="relu"),
    dict(alpha=1.0, psi=4.0, eps=0.5, lam=0.5, activation="tanh"),
    dict(alpha=2.0, psi=0.7, eps=0.1, lam=0.1, activation="linear"),
])
def test_verify_full_ladder(tmp_path, kw):
    r = api.verify("raf-rf", kw, out_dir=tmp_path, seed=1)
    assert r["passed"], r["table"]
