"""raf-erm against finite-size ERM (closed-form ridge, scikit-learn for hinge and logistic):
every observable over seeds at an N ladder, 1/N-extrapolated, within 3 standard errors of theory.
A fast subset runs by default; the other losses and kernels are marked slow."""
import numpy as np
import pytest

from memgenkit.numerics import api


def _verify(tmp_path, params, Ns, instances, seed=0):
    r = api.verify("raf-erm", params, Ns=Ns, instances=instances, seed=seed,
                   out_dir=tmp_path)
    print(r["table"])
    return r


def test_verify_square_linear_fast(tmp_path):
    r = _verify(tmp_path, dict(alpha=2.0, eps=0.2, lam=0.1), (40, 80, 160), 12)
    assert r["passed"], r["table"]
    assert {row["observable"] for row in r["record"]["rows"]} >= {
        "eps_gen", "eps_mem", "eps_train_rule", "train_loss"}


def test_verify_hinge_fast(tmp_path):
    r = _verify(tmp_path, dict(alpha=2.0, eps=0.2, lam=0.1, loss="hinge"), (40, 80, 160), 10)
    assert r["passed"], r["table"]


@pytest.mark.slow
@pytest.mark.parametrize("params", [
    dict(alpha=2.0, eps=0.2, lam=0.1, loss="logistic"),
    dict(alpha=3.0, eps=0.3, lam=0.05, loss="square", mustar=0.7),
    dict(alpha=2.0, eps=0.2, lam=0.1, loss="hinge", mustar=0.5),
    dict(alpha=1.0, eps=0.4, lam=0.5, loss="logistic", activation="erf"),
    dict(alpha=5.0, eps=0.1, lam=1e-3, loss="square"),
])
def test_verify_slow(tmp_path, params):
    r = _verify(tmp_path, params, (100, 200, 400), 30, seed=3)
    assert r["passed"], r["table"]


@pytest.mark.slow
@pytest.mark.parametrize("activation,lam", [("relu", 0.3), ("sign", 0.1), ("erf", 1.0)])
def test_verify_exact_kernel_ridge(tmp_path, activation, lam):
    """Gaussian equivalence: kernel ridge regression with the activation's exact random-feature
    kernel (arc-cosine / Williams) against the theory with its (mu1, mustar)."""
    r = _verify(tmp_path, dict(alpha=2.0, eps=0.2, lam=lam, activation=activation),
                (100, 200, 400), 20, seed=5)
    assert r["record"]["params"]["exact_kernel"]
    assert r["passed"], r["table"]


def test_exact_kernels_against_monte_carlo():
    """The closed-form kernels against a Monte Carlo average over random first layers."""
    from memgenkit.numerics.simulation.raf_erm import exact_kernel
    rng = np.random.default_rng(0)
    N, P = 30, 400000
    A = rng.standard_normal((3, N))
    Wf = rng.standard_normal((P, N))
    acts = {"relu": lambda z: np.maximum(z, 0), "sign": np.sign, "linear": lambda z: z,
            "erf": __import__("scipy.special", fromlist=["erf"]).erf}
    for name, f in acts.items():
        F = f(A @ Wf.T / np.sqrt(N))
        mc = F @ F.T / P
        se = np.sqrt(np.var(F[:, None, :] * F[None, :, :], axis=2) / P)
        assert np.all(np.abs(exact_kernel(name, A, A, N) - mc) < 5 * se + 1e-12), name


def test_simulate_reports_runaway_for_separable_logistic():
    """Separable data (alpha = 0.5 < alpha_c(0.1) at kappa 0) with lam -> 0: scikit-learn cannot
    reach a bounded minimizer; the simulation flags the fits instead of returning numbers."""
    from memgenkit.numerics.simulation import raf_erm as sim
    m = api.model("raf-erm")
    v = m.validate(dict(alpha=0.5, eps=0.1, lam=1e-12, loss="logistic"))
    assert m.separability(v)["separable"]
    row = sim.measure_instance(v, 40, 0)
    assert row["runaway"]


def test_verify_exact_kernel_svm_fast(tmp_path):
    """Kernel SVM with the exact sign kernel (scikit-learn on features of the kernel matrix),
    against the theory with the sign activation's (mu1, mustar)."""
    r = api.verify("raf-erm", dict(alpha=2.0, eps=0.2, lam=0.2, loss="hinge", activation="sign"),
                   quick=True, out_dir=tmp_path)
    assert r["record"]["params"]["exact_kernel"]
    assert r["passed"], r["table"]


@pytest.mark.slow
@pytest.mark.parametrize("loss,activation,lam", [("logistic", "relu", 0.3), ("hinge", "relu", 0.1),
                                                 ("logistic", "erf", 0.05)])
def test_verify_exact_kernel_classifiers(tmp_path, loss, activation, lam):
    r = _verify(tmp_path, dict(alpha=2.0, eps=0.3, lam=lam, loss=loss, activation=activation),
                (100, 200, 400), 20, seed=7)
    assert r["record"]["params"]["exact_kernel"]
    assert r["passed"], r["table"]


def test_kernel_features_reproduce_the_kernel():
    """Phi Phi^T = K and B^T maps weights to the kernel coefficients: f = Phi theta = K B theta."""
    from memgenkit.numerics.simulation.raf_erm import _kernel_features, exact_kernel
    X = np.random.default_rng(4).standard_normal((50, 30))
    K = exact_kernel("relu", X, X, 30)
    Phi, B = _kernel_features(K)
    theta = np.random.default_rng(5).standard_normal(Phi.shape[1])
    assert np.allclose(Phi @ Phi.T, K, atol=1e-10)
    assert np.allclose(Phi @ theta, K @ (B @ theta), atol=1e-8)


# hinge (liblinear, whose sample order must stay fixed) in the fast suite; square (the same
# process and BLAS path without liblinear) under -m slow
@pytest.mark.parametrize("loss", ["hinge", pytest.param("square", marks=pytest.mark.slow)])
def test_simulate_same_seed_same_bytes(loss):
    """Two processes, same seed, different BLAS thread counts: byte-identical JSON. (liblinear's
    sample order is fixed and BLAS runs on one thread inside the simulation.)"""
    import os
    import subprocess
    import sys
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads,
                   MKL_NUM_THREADS=threads)
        r = subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", "simulate", "raf-erm",
                            "--set", f"loss={loss}", "alpha=2", "eps=0.2", "lam=0.1", "--N", "150",
                            "--instances", "3", "--seed", "4", "--json"],
                           capture_output=True, env=env)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1]
