"""hopfield-snr: Hebbian signal-to-noise theory of feature retrieval on power-law data.

Closed-form model (theory/models/hopfield_snr.py): per feature k the generated kernel ``snr`` gives
the signal a_L^2 P p_k, the noise variances and the one-step overlap, from the exact inclusion
probability p_k (computed here) and Q2 = sum_l E[P_l^2]/P^2. k_max is the number of features whose
signal-to-noise ratio reaches u_star = H^(-1)((1 - m_star)/2); k_max_leading the large-N law
(N/(u_star^2 Z(2 eta, D)))^(1/(2 eta)).

Exact inclusion probabilities (drawing without replacement): with weights w_k summing to one,
p_k = int_0^oo w_k e^(-w_k t) P(N_(-k)(t) <= L-1) dt. The Poisson-binomial probabilities of the
count N(t) of all clocks are built by a dynamic programme in the number fired (truncated at L);
the count without clock k follows by dividing out its factor (1 - q_k + q_k x), which is stable
for q_k <= 1/2, and by a direct programme over the other clocks for the few k with q_k > 1/2.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..model import SaddlePointModel
from ..params import ParamSpec, refine
from ..results import Result

# Gauss-Legendre nodes on [-1, 1] for the t integral panels
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


@njit(cache=True)
def _counts_upto(q, L, skip, out):
    """out[m] = P(exactly m of the clocks fired), m < L, excluding index ``skip`` (-1: none)."""
    out[:] = 0.0
    out[0] = 1.0
    for j in range(q.shape[0]):
        if j == skip:
            continue
        qj = q[j]
        for mm in range(L - 1, 0, -1):
            out[mm] = out[mm] * (1.0 - qj) + out[mm - 1] * qj
        out[0] *= 1.0 - qj


@njit(cache=True)
def _inclusion(w, L, t_edges, gx, gw):
    D = w.shape[0]
    p = np.zeros(D)
    q = np.empty(D)
    full = np.empty(L)
    part = np.empty(L)
    for e in range(t_edges.shape[0] - 1):
        half = 0.5 * (t_edges[e + 1] - t_edges[e])
        mid = 0.5 * (t_edges[e + 1] + t_edges[e])
        for n in range(gx.shape[0]):
            t = mid + half * gx[n]
            wt = half * gw[n]
            for j in range(D):
                q[j] = -math.expm1(-w[j] * t)
            _counts_upto(q, L, -1, full)
            for kk in range(D):
                qk = q[kk]
                if qk <= 0.5:
                    inv = 1.0 / (1.0 - qk)
                    part[0] = full[0] * inv
                    for mm in range(1, L):
                        part[mm] = (full[mm] - qk * part[mm - 1]) * inv
                else:
                    _counts_upto(q, L, kk, part)
                s = 0.0
                for mm in range(L):
                    s += part[mm]
                p[kk] += wt * w[kk] * math.exp(-w[kk] * t) * s
    return p


def inclusion_probabilities(D: int, eta: float, L: int) -> np.ndarray:
    """Exact p_k, k = 1..D, for L draws without replacement with weights k^(-eta)."""
    w = np.arange(1, D + 1, dtype=float) ** (-eta)
    w /= w.sum()
    if L >= D:
        return np.ones(D)
    # The integrand dies when P(N(t) <= L-1) does: find T with that below 1e-18.
    buf = np.empty(L)
    T = 1.0
    while True:
        _counts_upto(-np.expm1(-w * T), L, -1, buf)
        if buf.sum() < 1e-18 or T > 1e7:
            break
        T *= 1.5
    # panels graded geometrically from small t (rates up to w_1 ~ 1) to T
    edges = np.concatenate([[0.0], np.geomspace(1e-3, T, 160)])
    return _inclusion(w, int(L), edges, _GL_X, _GL_W)


def u_star(m_star: float) -> float:
    """H^(-1)((1 - m_star)/2)."""
    from scipy.special import ndtri
    return float(-ndtri((1.0 - m_star) / 2.0))


class HopfieldSNR(SaddlePointModel):
    """Hebbian SNR on power-law data: k_max(N), signal and noise terms (closed form)."""

    name = "hopfield-snr"
    stem = "hopfield_snr"

    # N: a size (at most 10^7 neurons); L: features per example, an odd integer (the oddness
    # and D = alpha_D N >= L are checked in validate). The training options of simulate and
    # verify (--set NAME=VALUE), the same domains as hopfield_snr_sim.GEN_OPTIONS (a test checks
    # that they agree; declared here so that validating input does not import scipy.stats).
    _GEN = ("simulate", "verify")
    extra_params = (
        refine("N", kind="integer", upper=10 ** 7),
        refine("L", kind="integer", description="features per example (odd integer)"),
        ParamSpec("gen_N", 20, 20000, default=500, kind="integer", verbs=_GEN,
                  description="N of the cross-entropy checks"),
        ParamSpec("lam", 0.0, None, True, False, 1.0,
                  "inverse temperature of the loss log(1+exp(-lam xi h))", verbs=_GEN),
        ParamSpec("lr", 0.0, None, True, False, 0.5, "gradient-descent step size", verbs=_GEN),
        ParamSpec("train_steps", 1, 100000, default=200, kind="integer", verbs=_GEN,
                  description="full-batch gradient steps from Hebb"),
        ParamSpec("n_eval", 10, 100000, default=400, kind="integer", verbs=_GEN,
                  description="test examples (and train examples) evaluated per alpha"),
        ParamSpec("k_test", 1, 100000, default=120, kind="integer", verbs=_GEN,
                  description="features tested for being learned (the most frequent)"),
    )

    def validate(self, params):
        from ..errors import ParameterError
        v = super().validate(params)
        if v["L"] % 2 == 0:
            raise ParameterError("L", v["L"], "an odd integer in [1, 15]", reason="is even")
        D = int(round(v["alpha_D"] * v["N"]))
        if D < v["L"]:
            raise ParameterError("alpha_D", v["alpha_D"], f"alpha_D N >= L (D = {D})")
        if D > 10 ** 8:
            raise ParameterError("alpha_D", v["alpha_D"], f"alpha_D N <= 1e8 features (D = {D})")
        return v

    def features(self, params):
        """Per-feature arrays: p_k, E[P_k], signal, variances, snr, one-step overlap."""
        v = self.validate(params)
        Nn, LL = v["N"], int(v["L"])
        D = int(round(v["alpha_D"] * Nn))
        P = v["alpha"] * Nn
        p = inclusion_probabilities(D, v["eta"], LL)
        Q2 = float(np.sum(p * (1 - p) / P + p * p))
        pv = self.pvec(v)
        names = self.module.KERNELS["snr"][1]
        out = np.array([self.call("snr", np.array([pk, Q2]), pv) for pk in p])
        res = {n: out[:, i] for i, n in enumerate(names)}
        res.update(p=p, EP=P * p, Q2=Q2, D=D)
        return res

    def solve(self, params=None, *, method=None, mixing=None, tol=None, max_iter=None,
              trace=False, init=None, **kw) -> Result:
        """Closed form: the solver options of the CLI/API are accepted and unused."""
        v = self.validate({**(params or {}), **kw})
        f = self.features(v)
        us = u_star(v["m_star"])
        D = f["D"]
        ks = np.arange(1, D + 1, dtype=float)
        Z2 = float(np.sum(ks ** (-2 * v["eta"])))
        Z1 = float(np.sum(ks ** (-v["eta"])))
        retrieved = f["snr"] >= us
        kmax = int(np.count_nonzero(retrieved))
        klead = float(self.call("k_max_leading", np.array([us, Z2]), self.pvec(v))[0])
        i = max(kmax - 1, 0)
        obs = {"k_max": kmax, "k_max_leading": klead, "u_star": us, "a_L": float(f["a_L"][0]),
               "Z_eta": Z1, "Z_2eta": Z2, "signal_at_k_max": float(f["signal"][i]),
               "noise_at_k_max": float(math.sqrt(f["var_coherent"][i] + f["var_signal"][i]
                                                 + f["var_incoherent"][i])),
               "snr_1": float(f["snr"][0]), "p_1": float(f["p"][0]),
               "sum_p": float(f["p"].sum())}
        status = {"converged": True, "iterations": 0,
                  "residual": abs(obs["sum_p"] - v["L"]), "method": "closed-form",
                  "message": "residual = |sum_k p_k - L| (exact inclusion probabilities)"}
        return Result(self.name, v, {}, obs, status, self.derivation_hash, self._versions())

    def simulate(self, params: dict, *, N: int | None = None, instances: int = 3, seed: int = 0,
                 lam=None, lr=None, train_steps=None, n_eval=None, k_test=None,
                 checkpoints=None):
        """Hebb networks on sampled data: learned-feature counts against the theory k_max.
        N: the parameter N when given with the parameters, else the ``N`` argument (CLI --N).

        With any training option (``lam``, ``lr``, ``train_steps``, ``n_eval``, ``k_test``,
        ``checkpoints``; as keywords or in ``params``, i.e. --set on the command line): one
        cross-entropy training at (N, alpha) instead, with train/test reconstruction, the learned
        features and the predictions of test reconstruction (hopfield_snr_sim.generalization)."""
        from ..simulation import hopfield_snr_sim as ss
        params, opts = ss.split_gen_options(params, dict(
            lam=lam, lr=lr, train_steps=train_steps, n_eval=n_eval, k_test=k_test,
            checkpoints=checkpoints))
        v = self.validate({**({"N": N} if N else {}), **params})
        if opts:
            return ss.simulate_training(self, v, seed, opts)
        return ss.simulate(self, v, instances, seed)

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None, generalization=None,
               gen_N=None, lam=None, lr=None, train_steps=None, n_eval=None, k_test=None,
               gen_alphas=None, checkpoints=None):
        """k_max(N) verdicts, and (unless ``quick``) the cross-entropy checks. Their options
        (defaults in hopfield_snr_sim.GEN_OPTIONS: gen_N 500, lam 1, lr 0.5, train_steps 200,
        n_eval 400, k_test 120, gen_alphas 0.25..4) come as keywords or in ``params`` (--set);
        giving one runs the checks also with ``quick``; ``generalization`` forces them on/off."""
        from ..simulation import hopfield_snr_sim as ss
        params, opts = ss.split_gen_options(params, dict(
            gen_N=gen_N, lam=lam, lr=lr, train_steps=train_steps, n_eval=n_eval, k_test=k_test,
            gen_alphas=gen_alphas, checkpoints=checkpoints))
        return ss.verify(self, params, Ns=Ns, instances=instances, seed=seed, out_dir=out_dir,
                         quick=quick, progress=progress, gen_opts=opts,
                         generalization=generalization)
