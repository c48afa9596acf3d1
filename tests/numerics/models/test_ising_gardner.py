"""ising-gardner: the binary perceptron against literature values and independent references.

References that never touch the numba kernels: Gardner-Derrida's alpha_rs = 4/pi, Krauth-Mezard's
alpha_c = 0.833, the replica-symmetric entropy typed in by hand with mpmath (its saddle point
solved by mpmath findroot), the stored equations evaluated with mpmath quadrature, and exhaustive
enumeration of small instances.
"""
import math
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

from memgenkit.numerics import api, cli
from memgenkit.theory.derivation import load_json
from memgenkit.theory.evaluate import mp_function

DERIVATION = Path(__file__).resolve().parents[3] / "derivations" / "ising_gardner.json"


@pytest.fixture(scope="module")
def derivation():
    return load_json(DERIVATION.read_text())


def _kernel(d, name):
    k = next(k for k in d["kernels"] if k["name"] == name)
    params = [p["symbol"] for p in d["parameters"]]
    cuts = [c for c, _ in k["hints"]]
    return [mp_function(e, list(k["inputs"]) + params, cuts) for _, e in k["outputs"]]


@pytest.fixture(scope="module")
def boundary0():
    """The declared boundaries at kappa = 0 (alpha_rs, the alpha_c root along warm-started saddle
    points, the alpha_AT replicon root): computed once, read by each reference below."""
    return api.boundary("ising-gardner", kappa=0.0)


def test_alpha_rs_is_gardner_derrida(boundary0):
    b = boundary0
    assert b.converged
    assert abs(b.observables["alpha_rs"] - 4 / math.pi) < 1e-10


def test_alpha_rs_closed_form_at_kappa():
    """alpha_rs = 2/(pi I), I = (1 + k^2) H(-k) + k Npdf(k) written out with mpmath."""
    k = 0.6
    b = api.boundary("ising-gardner", kappa=k)
    I = (1 + k * k) * mp.ncdf(k) + k * mp.npdf(k)
    assert abs(b.observables["alpha_rs"] - float(2 / (mp.pi * I))) < 1e-12


def _rs_entropy(alpha, kappa):
    """The RS entropy of the Ising perceptron on random labels (Gardner-Derrida 1988), by hand:
    phi = -qhat (1-q)/2 + E_z log 2cosh(sqrt(qhat) z) + alpha E_t log H((k - sqrt(q) t)/sqrt(1-q)),
    stationary in (q, qhat): q = E_z tanh^2(sqrt(qhat) z), qhat = -2 alpha dG_E/dq."""
    def G_E(q):
        f = lambda t: mp.npdf(t) * mp.log(mp.ncdf(-(kappa - mp.sqrt(q) * t) / mp.sqrt(1 - q)))
        return mp.quad(f, [-mp.inf, kappa / mp.sqrt(q), mp.inf])

    def E(f, qhat):
        w = 1 / mp.sqrt(qhat)
        return mp.quad(lambda z: mp.npdf(z) * f(mp.sqrt(qhat) * z), [-mp.inf, -w, 0, w, mp.inf])

    def phi(q, qhat):
        return -qhat * (1 - q) / 2 + E(lambda x: mp.log(2 * mp.cosh(x)), qhat) + alpha * G_E(q)

    def eqs(q, qhat):
        return [q - E(lambda x: mp.tanh(x) ** 2, qhat), qhat + 2 * alpha * mp.diff(G_E, q)]
    return phi, eqs


def test_alpha_c_is_krauth_mezard_and_the_entropy_vanishes(boundary0):
    b = boundary0
    a_c = b.observables["alpha_c"]
    assert abs(a_c - 0.833) < 5e-4  # Krauth & Mezard 1989: alpha_c = 0.833
    # 20 digits (a third faster than 25): q and phi agree with the 25-digit solve to 1e-21,
    # far below the 1e-10 asked
    with mp.workdps(20):
        phi, eqs = _rs_entropy(mp.mpf(a_c), mp.mpf(0))
        q, qhat = mp.findroot(eqs, (b.observables["alpha_c.q"], b.observables["alpha_c.qhat"]))
        assert abs(q - b.observables["alpha_c.q"]) < 1e-10
        assert abs(phi(q, qhat)) < 1e-10


def test_alpha_at_is_gardner_derrida(boundary0):
    """The replicon vanishes at alpha_AT = 1.015 (Gardner & Derrida 1988); the hand-typed
    lambda = 1 - alpha E_t[GH^2 (GH - u)^2]/(1-q)^2 E_z[sech^4] (mpmath) vanishes there."""
    b = boundary0
    a = b.observables["alpha_AT"]
    assert abs(a - 1.015) < 1e-3
    q, qh = b.observables["alpha_AT.q"], b.observables["alpha_AT.qhat"]
    with mp.workdps(20):
        def out(t):
            u = -mp.sqrt(q) * t / mp.sqrt(1 - q)
            g = mp.npdf(u) / mp.ncdf(-u)
            return mp.npdf(t) * (g * (g - u)) ** 2
        w = 1 / mp.sqrt(qh)
        m_out = mp.quad(out, [-mp.inf, 0, mp.inf]) / (1 - q) ** 2
        m_in = mp.quad(lambda z: mp.npdf(z) / mp.cosh(mp.sqrt(qh) * z) ** 4,
                       [-mp.inf, -w, 0, w, mp.inf])
        assert abs(1 - a * m_out * m_in) < 1e-9
    assert b.observables["alpha_c"] < a  # RS is locally stable at the capacity


@pytest.mark.parametrize("seed", [1, 2])
def test_kernels_match_mpmath_at_random_points(derivation, seed):
    rng = np.random.default_rng(seed)
    m = api.model("ising-gardner")
    refs = {k: _kernel(derivation, k) for k in ("newton", "fixed_point", "free_entropy",
                                                "observables")}
    with mp.workdps(20):
        for _ in range(2):
            q, qhat = rng.uniform(0.05, 0.95), 10 ** rng.uniform(-1, 2)
            alpha, kappa = rng.uniform(0.1, 1.2), rng.uniform(0, 1.5)
            p = np.array([alpha, kappa])
            for k, fs in refs.items():
                got = m.call(k, [q, qhat], p)
                for g, f in zip(got, fs):
                    ref = float(f(q, qhat, alpha, kappa))
                    assert abs(g - ref) <= 1e-10 * max(1.0, abs(ref)), (k, q, qhat, g, ref)


def test_saddle_point_solves_the_stored_equations(derivation):
    r = api.solve("ising-gardner", alpha=0.6, kappa=0.3)
    assert r.converged and 0 < r["q"] < 1
    F = _kernel(derivation, "newton")[:2]
    with mp.workdps(20):
        assert max(abs(f(r["q"], r["qhat"], 0.6, 0.3)) for f in F) < 1e-11
    assert r.observables["entropy"] == r.observables["free_entropy"]


def test_q_tends_to_one_at_alpha_rs(boundary0):
    a_rs = boundary0.observables["alpha_rs"]
    qs = [api.solve("ising-gardner", alpha=f * a_rs)["q"] for f in (0.9, 0.97, 0.99)]
    assert qs[0] < qs[1] < qs[2] and qs[2] > 0.98


def test_verify_quick_passes_and_excludes_alpha_rs(tmp_path):
    v = api.verify("ising-gardner", {"kappa": 0.0}, quick=True, out_dir=tmp_path)
    assert v["passed"]
    row = v["record"]["rows"][0]
    assert row["pass"] and row["excluded_pass"] and row["z_excluded"] > 3
    assert v["record"]["status"]["verdict"] == "PASS"
    assert Path(v["path"]).exists()


def test_simulate_is_seeded():
    a = api.simulate("ising-gardner", {"kappa": 0.0}, N=9, instances=10, seed=3)
    b = api.simulate("ising-gardner", {"kappa": 0.0}, N=9, instances=10, seed=3)
    assert a["record"]["P_max"] == b["record"]["P_max"]


@pytest.mark.parametrize("argv", [
    ["boundary", "ising-gardner", "--set", "kappa=-1"],
    ["solve", "ising-gardner", "--set", "alpha=0"],
    ["simulate", "ising-gardner", "--N", "60"],
    ["verify", "ising-gardner", "--ladder", "9,64"],
])
def test_bad_input_is_one_line(argv, capsys):
    try:
        rc = cli.main(argv)
    except SystemExit as e:  # argparse's own errors
        rc = e.code
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memgen: error:"), err


@pytest.mark.slow
def test_verify_default_ladder_passes(tmp_path):
    """N = 11..23, 400 instances each (about a minute on one core)."""
    v = api.verify("ising-gardner", {"kappa": 0.0}, out_dir=tmp_path)
    assert v["passed"], v["table"]


def test_cost_follows_the_ladder():
    m = api.model("ising-gardner")
    quick = m.cost("verify", {"alpha": 0.5, "kappa": 0.0}, quick=True)
    full = m.cost("verify", {"alpha": 0.5, "kappa": 0.0})
    big = m.cost("verify", {"alpha": 0.5, "kappa": 0.0}, Ns=[25, 27], instances=10)
    assert quick.seconds < full.seconds and big.seconds > 2.0 ** 25 * 10 * 1e-9
