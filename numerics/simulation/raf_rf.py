"""Finite-size random-feature ridge on sampled Rules-and-Facts instances.

Every instance is seeded (numpy SeedSequence children per N and instance). d = N, n = round(alpha N),
p = round(psi N). The learner is built explicitly, with the true non-linear activation (not its
Gaussian equivalent): a random first layer F (p x d, rows uniform on the unit sphere), features
v = s(X F^T) - mu0, and the closed-form ridge readout
a = (V^T V/p + lam I)^-1 V^T y/sqrt(p) (or its dual form when n < p); f = V a/sqrt(p).

Observables per instance:
* eps_gen: the error on 4 N fresh rule samples (measured, so Gaussian equivalence is tested);
* eps_mem, eps_train_rule: wrong signs of f on the training facts / rules;
* train_loss = (sum (1/2)(y - f)^2 + lam/2 |a|^2)/n;
* m = E_x f nu = mu1 a^T F w*/sqrt(p d) exactly (Stein's lemma, unit-norm rows of F), and
  q = E_x f^2 = a^T C a/p with C the exact feature covariance E s(f_i.x) s(f_j.x) - mu0^2 (the
  arc-cosine / Williams kernels of simulation/raf_erm.py); tanh has no closed-form C, so q is not
  measured for it.
The verdict is raf-erm's: per observable, a WLS fit of the per-N means in 1/N, intercept within
3 se of the theory.
"""
from __future__ import annotations

import math
from functools import partial

import numpy as np

from ..errors import InputError
from ..common.activations import activation_coefficients
from . import raf_erm as erm

DEFAULT_LADDER = (100, 200, 400)
QUICK_LADDER = (50, 100, 200)
ACTIVATIONS = ("linear", "sign", "relu", "erf", "tanh")
STEM = "raf_rf"  # the generated module whose derivation holds the activation table


def check_activation(params):
    """The simulation needs a concrete activation (the theory only needs (mu1, mustar))."""
    act = params.get("activation")
    if act is None and params["mu1"] == 1.0 and params["mustar"] == 0.0:
        return "linear"
    if act not in ACTIVATIONS:
        raise InputError("simulating raf-rf needs activation in {linear, sign, relu, erf, tanh} "
                         "(not bare mu1, mustar): the features are built with the true "
                         "activation")
    return act


def _activation(name, z):
    if name == "linear":
        return z
    if name == "sign":
        return np.where(z >= 0, 1.0, -1.0)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "tanh":
        return np.tanh(z)
    from scipy.special import erf
    return erf(z)


def features(act, X, F, mu0):
    return _activation(act, X @ F.T) - mu0


def fit(params, Z, y):
    """Closed-form ridge on the features Z (n x p); returns (a, f_train, objective)."""
    n, p = Z.shape
    lam = params["lam"]
    if n <= p:
        c = np.linalg.solve(Z @ Z.T / p + lam * np.eye(n), y)
        a = Z.T @ c / math.sqrt(p)
    else:
        a = np.linalg.solve(Z.T @ Z / p + lam * np.eye(p), Z.T @ y / math.sqrt(p))
    f = Z @ a / math.sqrt(p)
    obj = float(0.5 * np.sum((y - f) ** 2) + lam / 2 * a @ a)
    return a, f, obj


def measure_instance(params, N, seed, n_test_factor=4) -> dict:
    act = check_activation(params)
    mu0, mu1, _ = activation_coefficients(act, STEM)
    X, y, fact, w_star = erm.sample(N, params["alpha"], params["eps"], seed)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rng_f, rng_t = (np.random.default_rng(c) for c in ss.spawn(2))
    p = max(1, int(round(params["psi"] * N)))
    F = rng_f.standard_normal((p, N))
    F /= np.linalg.norm(F, axis=1, keepdims=True)
    Z = features(act, X, F, mu0)
    a, f, obj = fit(params, Z, y)
    Xt = rng_t.standard_normal((n_test_factor * N, N))
    yt = np.where(Xt @ w_star >= 0, 1.0, -1.0)
    ft = features(act, Xt, F, mu0) @ a / math.sqrt(p)
    m = float(mu1 * a @ (F @ w_star) / math.sqrt(p * N))
    if act == "tanh":
        q = math.nan
    else:
        C = erm.exact_kernel(act, F * math.sqrt(N), F * math.sqrt(N), N) - mu0**2
        q = float(a @ C @ a / p)
    wrong = y * f < 0
    return {"eps_gen": float(np.mean(yt * ft < 0)),
            "eps_mem": float(wrong[fact].mean()) if fact.any() else math.nan,
            "eps_train_rule": float(wrong[~fact].mean()) if (~fact).any() else math.nan,
            "train_loss": obj / len(y), "m": m, "q": q, "runaway": False, "unconverged": False,
            "n_fact": int(fact.sum()), "n_rule": int((~fact).sum())}


measure = partial(erm.measure, instance=measure_instance)


def format_simulation(params, N, instances, seed, stats, theory) -> str:
    lines = [f"raf-rf simulate: N=d={N}, p={int(round(params['psi'] * N))}, "
             f"activation={check_activation(params)}, alpha={params['alpha']:g}, "
             f"psi={params['psi']:g}, eps={params['eps']:g}, lam={params['lam']:g}; "
             f"{instances} instances (seed {seed})"]
    for k in erm.OBSERVABLES:
        if k in stats:
            lines.append(f"  {k:<15} {stats[k]['mean']:.5f} +- {stats[k]['se']:.5f}   theory "
                         f"{theory[k]:.5f}")
    return "\n".join(lines)


def verify(model, params, theory, Ns, instances, seed, out_dir, progress=None) -> dict:
    act = check_activation(params)
    tag = (f"verify-raf-rf-{act}-a{params['alpha']:g}-psi{params['psi']:g}-eps{params['eps']:g}"
           f"-lam{params['lam']:g}-seed{seed}")
    header = (f"raf-rf verify: activation={act}, alpha={params['alpha']:g}, "
              f"psi={params['psi']:g}, eps={params['eps']:g}, lam={params['lam']:g}; "
              f"N = d = {list(Ns)}, {instances} instances, seed {seed}")
    return erm.ladder_verdict(model, params, theory, Ns, instances, seed, out_dir, progress,
                              measure=measure, tag=tag, header=header)
