"""ti-krr derivation record: every step checked, kernels declared, and the stored symbolic
results against independent evaluations (numpy linear algebra, mpmath)."""
import json
from pathlib import Path

import mpmath as mp
import numpy as np
import sympy as sp

from memgenkit.theory.derivation import load_json
from mp_reference import path_laplacian_plus_ridge

ROOT = Path(__file__).resolve().parents[3]
RAW = json.loads((ROOT / "derivations" / "ti_krr.json").read_text())
D = load_json((ROOT / "derivations" / "ti_krr.json").read_text())


def step(name):
    return next(s for s in D["steps"] if s["name"] == name)


def test_every_step_checked_and_passed():
    names = [s["name"] for s in RAW["steps"]]
    for required in ("reduction to a regularized graph-Laplacian problem",
                     "Green's function of the free path", "one exception: Sherman-Morrison",
                     "several exceptions: Woodbury", "ridgeless and strong-ridge limits",
                     "gradient flow in time", "ReLU network kernels",
                     "thresholds in the (c, lam) plane"):
        assert required in names
    for s in RAW["steps"]:
        for c in s["checks"]:
            assert c["passed"], (s["name"], c)
    checked = [s for s in RAW["steps"] if s["checks"]]
    assert len(checked) >= 12
    kernels = {k["name"] for k in RAW["kernels"]}
    assert {"green", "green0", "ti_margin", "arccos", "combined", "critical_c",
            "train_margin", "flow_time"} <= kernels


def test_stored_mu_against_numpy_krr():
    """mu(c, lam) from the record: (L + mu) r = s reproduces dense numpy KRR test margins."""
    c, lam = sp.symbols("c lam", nonnegative=True)
    mu = step("reduction to a regularized graph-Laplacian problem")["expressions"]["mu"]
    f = sp.lambdify([c, lam], mu)
    from memgenkit.numerics.simulation.ti_krr import brute_force_krr
    n, exc = 9, [(7, 3)]
    for cc, ll in [(0.2, 0.3), (0.7, 0.0), (0.0, 2.0)]:
        B = brute_force_krr(n, exc, cc, ll)
        L = np.zeros((n, n))
        for a, b in [(k, k + 1) for k in range(1, n)] + exc:
            L[a - 1, a - 1] += 1
            L[b - 1, b - 1] += 1
            L[a - 1, b - 1] -= 1
            L[b - 1, a - 1] -= 1
        s = np.zeros(n)
        s[0], s[-1], s[6], s[2] = 1, -1, 1, -1
        r = np.linalg.solve(L + f(cc, ll) * np.eye(n), s)
        assert abs((r[0] - r[4]) - B[0, 4]) < 1e-13 and abs((r[3] - r[8]) - B[3, 8]) < 1e-13


def test_stored_green_function_against_mpmath():
    G = step("Green's function of the free path")["expressions"]["G"]
    syms = sorted(G.free_symbols, key=lambda s: s.name)  # hi, lo, n, theta
    f = sp.lambdify(syms, G, "mpmath")
    with mp.workdps(30):
        for n, mu in [(5, mp.mpf("0.3")), (11, mp.mpf("2.5"))]:
            A = path_laplacian_plus_ridge(n, mu)
            inv = A ** -1
            th = mp.acosh(1 + mu / 2)
            for lo in range(1, n + 1):
                for hi in range(lo, n + 1):
                    assert abs(f(hi, lo, n, th) - inv[lo - 1, hi - 1]) < mp.mpf(10) ** -25


def test_depth_one_nngp_conjunctivity_value():
    c1 = step("ReLU network kernels")["expressions"]["c_nngp_1"]
    # E[2 relu(u) relu(v)] at rho = 1/2 by scipy quadrature of E[relu(v) | u] (Gaussian
    # conditioning), independent of the record; rho = 0 gives 2 E[relu]^2 = 1/pi.
    from scipy.integrate import quad
    from scipy.stats import norm
    rho, s = 0.5, np.sqrt(0.75)
    Kh = quad(lambda u: 2 * u * norm.pdf(u) * (rho * u * norm.cdf(rho * u / s)
                                               + s * norm.pdf(rho * u / s)), 0, np.inf,
              epsabs=1e-14, epsrel=1e-14)[0]
    K0 = 2 * (1 / np.sqrt(2 * np.pi)) ** 2
    ref = (1 - 2 * Kh + K0) / (1 - K0)
    assert abs(float(c1) - ref) < 1e-12
