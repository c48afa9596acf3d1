"""Gaussian (ridge) prior block: its closed forms against brute-force maximization, quadrature
and sympy's own stationarity conditions."""
import numpy as np
import sympy as sp
from scipy.optimize import minimize_scalar

from memgenkit.theory.blocks.glm import V, Vh, legendre, m, mh, q, qh
from memgenkit.theory.blocks.priors.gaussian import Gaussian, lam
from memgenkit.theory.blocks.symbols import qhat as qhat_pos
from memgenkit.theory.derivation import Derivation


def _d():
    return Derivation(model="test", title="", conventions="", parameters=[], order_parameters=[])


def test_conjugate_term_is_the_average_maximum():
    """Phi_prior = E max_u [...] with the max found numerically and E by Gauss-Hermite nodes."""
    phi = sp.lambdify([mh, qh, Vh, lam], Gaussian().conjugate(_d()))
    x, w = np.polynomial.hermite_e.hermegauss(12)
    w = w / w.sum()
    for mhv, qhv, Vhv, lv in ((0.7, 0.4, 1.3, 0.5), (-0.3, 2.0, 0.1, 1.2)):
        ref = 0.0
        for a, wa in zip(x, w):
            for b, wb in zip(x, w):
                res = minimize_scalar(lambda u: -(mhv * u * a + np.sqrt(qhv) * b * u
                                                  - (Vhv + lv) * u**2 / 2))
                ref += wa * wb * -res.fun
        assert abs(phi(mhv, qhv, Vhv, lv) - ref) < 1e-9


def test_prior_map_and_pairings_solve_stationarity():
    g = Gaussian()
    G = g.entropic(_d())
    sol = sp.solve([sp.diff(G, s) for s in (mh, qh, Vh)], [m, q, V], dict=True)[0]
    for k, v in g.prior_map().items():
        assert sp.simplify(sol[k] - v) == 0
    # each pairing's c cancels its theta in theta + c dG/dsigma (entropic part free of theta)
    for p in g.pairings():
        if p.theta in (m, q, V):
            assert sp.diff(sp.expand(p.theta + p.c * sp.diff(G, p.sigma)), p.theta) == 0
    assert legendre() == -m * mh + (q * Vh - V * qh) / 2


def test_bayes_form_against_quadrature():
    """Psi_w(qhat) = E_{w*, xi} log int Dw exp(b w - qhat w^2/2): inner integral by scipy
    quadrature, the average over b ~ N(0, qhat (1 + qhat)) by Gauss-Hermite nodes."""
    from scipy.integrate import quad
    Psi_w, q_of = Gaussian().bayes(_d())
    f = sp.lambdify([qhat_pos], Psi_w)
    x, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    for qv in (0.4, 3.0):
        s = np.sqrt(qv * (1 + qv))
        log_z = [np.log(quad(lambda u: np.exp(s * y * u - (1 + qv) * u**2 / 2), -np.inf,
                             np.inf, epsabs=0, epsrel=1e-13)[0] / np.sqrt(2 * np.pi)) for y in x]
        assert abs(f(qv) - np.dot(w, log_z)) < 1e-9
    assert sp.simplify(q_of - qhat_pos / (1 + qhat_pos)) == 0


def test_sample_and_domain():
    w = Gaussian().sample(np.random.default_rng(1), 20000)
    assert abs(w @ w / 20000 - 1) < 0.05
    assert Gaussian().domain({q: 0.5, V: 1.0, m: 0.3})
    assert not Gaussian().domain({q: 0.5, V: 1.0, m: 0.8})
