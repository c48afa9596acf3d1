"""hopfield-snr: Hebbian signal-to-noise theory of feature retrieval on power-law data.

Closed-form model (theory/models/hopfield_snr.py). Retrieval of feature k: one synchronous step
from f^k with the Hebb couplings; m_k, the one-step overlap averaged over the data, is
1 - 2H(S_k/sigma_k) with the generated kernel ``snr`` (signal a_L^2 P p_k and the coherent,
co-occurrence, count and incoherent variances), from the exact inclusion probability p_k
(computed here) and s1 = sum_l p_l^2. k_max: the largest k with m_j >= m_star for all j <= k
(S_k/sigma_k >= u_star = H^(-1)((1 - m_star)/2)); k_max_leading the large-N law
(N gamma^2/(u_star^2 Z(eta,D)^2 s1))^(1/(2 eta)), gamma = lim p_k/pi_k; k_max_poster the same
law with p_l = L pi_l, (N/(u_star^2 Z(2 eta, D)))^(1/(2 eta)). Random-sign mixtures (c = +-1);
clean mixtures (c = +1) saturate below overlap 1 (``clean_mixture_limit``).

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
    p = np.zeros(D + 1)  # p[D]: gamma = int_0^oo P(N(t) <= L-1) dt (all clocks)
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
            tot = 0.0
            for mm in range(L):
                tot += full[mm]
            p[D] += wt * tot
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
    return _inclusion_and_gamma(D, eta, L)[0]


def _inclusion_and_gamma(D: int, eta: float, L: int):
    """(p_k for k = 1..D, gamma = int_0^oo P(N(t) <= L-1) dt = lim_{w_k -> 0} p_k/pi_k)."""
    w = np.arange(1, D + 1, dtype=float) ** (-eta)
    w /= w.sum()
    if L >= D:
        return np.ones(D), float("nan")
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
    out = _inclusion(w, int(L), edges, _GL_X, _GL_W)
    return out[:D], float(out[D])


@njit
def _batch_impl(fn, X, p, out):
    for i in range(X.shape[0]):
        fn(X[i], p, out[i])


def _batch(fn, X, p, out):
    """Call the generated kernel ``fn`` on every row of X inside numba (no Python loop)."""
    if X.shape[0]:
        _batch_impl(fn, X, p, out)




def u_star(m_star: float) -> float:
    """H^(-1)((1 - m_star)/2)."""
    from scipy.special import ndtri
    return float(-ndtri((1.0 - m_star) / 2.0))


class HopfieldSNR(SaddlePointModel):
    """Hebbian SNR on power-law data: k_max(N), signal and noise terms (closed form)."""

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

    def features(self, params, K=None):
        """Per-feature arrays (the first K features, default all D): p_k, E[P_k], signal,
        variances, snr, one-step overlap; and s1 = sum_l p_l^2, gamma, D."""
        v = self.validate(params)
        Nn, LL = v["N"], int(v["L"])
        D = int(round(v["alpha_D"] * Nn))
        P = v["alpha"] * Nn
        p, gamma = _inclusion_and_gamma(D, v["eta"], LL)
        s1 = float(np.sum(p * p))
        K = D if K is None else min(int(K), D)
        names = self.module.KERNELS["snr"][1]
        X = np.empty((K, 2))
        X[:, 0] = p[:K]
        X[:, 1] = s1
        out = np.empty((K, len(names)))
        _batch(self.module.snr, X, self.pvec(v), out)
        res = {n: out[:, i] for i, n in enumerate(names)}
        res.update(p=p[:K], EP=P * p[:K], s1=s1, gamma=gamma, D=D, sum_p=float(p.sum()))
        return res

    def cost(self, verb, params, **opts):
        """solve: the exact inclusion law integrates 2560 quadrature nodes, each a pass over
        the D = alpha_D N clocks of O(L) (time ~ 2560 (2L + 4) D flops) with ~10 arrays of D
        doubles; simulate/verify: a Hebb instance holds the P x N examples (int8 and float32)
        and the D x N features, and the one-step fields cost K P N flops."""
        from ..resources import Cost
        Nn = float(params["N"])
        D = float(params["alpha_D"]) * Nn
        P = float(params["alpha"]) * Nn
        LL = float(params["L"])
        solve = Cost(8.0 * 12 * D, 2560 * (2 * LL + 4) * D / 1e9,
                     f"solve: 96 D bytes and 2560 (2L+4) D flops for the inclusion law, "
                     f"D = {D:.3g}")
        if verb == "solve" or verb == "boundary":
            return solve
        inst = Cost(5.0 * P * Nn + 2.0 * D * Nn + 4.0 * 64 * Nn,
                    (2 * 64 * P * Nn + 2 * P * Nn * LL) / 1e9,
                    f"one instance: 5 P N + 2 D N bytes (P = {P:.3g}, N = {Nn:.3g})")
        return solve + inst

    def solve(self, params=None, *, method=None, mixing=None, tol=None, max_iter=None,
              trace=False, init=None, **kw) -> Result:
        """Closed form: the solver options of the CLI/API are accepted and unused. A non-finite
        result (e.g. an infinite size) is reported as not converged, with the offending
        observable named."""
        v = self.validate({**(params or {}), **kw})
        D = int(round(v["alpha_D"] * v["N"])) if math.isfinite(v["alpha_D"] * v["N"]) else -1
        bad = [n for n in ("N", "alpha", "alpha_D", "eta") if not math.isfinite(v[n])]
        if bad or D < 0:
            status = {"converged": False, "iterations": 0, "residual": math.nan,
                      "method": "closed-form",
                      "message": f"non-finite parameter {', '.join(bad) or 'alpha_D N'}: the "
                                 "theory needs finite N, alpha, alpha_D, eta"}
            return Result(self.name, v, {}, {}, status, self.derivation_hash, self._versions())
        f = self.features(v)
        us = u_star(v["m_star"])
        ks = np.arange(1, D + 1, dtype=float)
        Z2 = float(np.sum(ks ** (-2 * v["eta"])))
        Z1 = float(np.sum(ks ** (-v["eta"])))
        ok = f["snr"] >= us
        # k_max: the largest k with every j <= k retrieved (the theory's snr decreases in k)
        kmax = int(np.argmin(ok)) if not ok.all() else D
        klead = float(self.call("k_max_leading", np.array([us, Z1, f["s1"], f["gamma"]]),
                                self.pvec(v))[0])
        # the law with p_l = L pi_l (gamma = L, s1 = L^2 Z2/Z1^2): the poster's form
        kpost = float(self.call("k_max_leading",
                                np.array([us, Z1, v["L"] ** 2 * Z2 / Z1**2, v["L"]]),
                                self.pvec(v))[0])
        i = max(kmax - 1, 0)
        noise = np.sqrt(f["var_coherent"] + f["var_signal"] + f["var_count"]
                        + f["var_incoherent"])
        obs = {"k_max": kmax, "k_max_leading": klead, "k_max_poster": kpost, "u_star": us,
               "a_L": float(f["a_L"][0]), "Z_eta": Z1, "Z_2eta": Z2, "s1": f["s1"],
               "gamma": f["gamma"], "signal_at_k_max": float(f["signal"][i]),
               "noise_at_k_max": float(noise[i]), "m_at_k_max": float(f["m_one_step"][i]),
               "m_after_k_max": float(f["m_one_step"][kmax]) if kmax < D else math.nan,
               "snr_1": float(f["snr"][0]), "m_1": float(f["m_one_step"][0]),
               "p_1": float(f["p"][0]), "sum_p": f["sum_p"]}
        finite = [n for n, x in obs.items() if not math.isfinite(x) and n != "m_after_k_max"]
        if finite:
            status = {"converged": False, "iterations": 0, "residual": math.nan,
                      "method": "closed-form",
                      "message": f"non-finite {', '.join(finite)}"}
        else:
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
        features and the predictions of test reconstruction (simulation.hopfield_snr.generalization)."""
        from ..simulation import hopfield_snr as ss
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
        (defaults in simulation.hopfield_snr.GEN_OPTIONS: gen_N 500, lam 1, lr 0.5, train_steps 200,
        n_eval 400, k_test 120, gen_alphas 0.25..4) come as keywords or in ``params`` (--set);
        giving one runs the checks also with ``quick``; ``generalization`` forces them on/off."""
        from ..simulation import hopfield_snr as ss
        params, opts = ss.split_gen_options(params, dict(
            gen_N=gen_N, lam=lam, lr=lr, train_steps=train_steps, n_eval=n_eval, k_test=k_test,
            gen_alphas=gen_alphas, checkpoints=checkpoints))
        return ss.verify(self, params, Ns=Ns, instances=instances, seed=seed, out_dir=out_dir,
                         quick=quick, progress=progress, gen_opts=opts,
                         generalization=generalization)


def clean_mixture_limit(D: int, eta: float, k: int = 1, M: int = 16):
    """Large-N one-step overlap of feature k for clean 3-mixtures (c = +1), from the derivation's
    step 'clean mixtures': m_inf = E_g[sgn(sum_{S ni k} w_S sgn(1 + g_l + g_m))], w_S the exact
    conditional support law (successive sampling, all pairs). The M most frequent partners are
    enumerated exactly (2^M sign patterns); a support with a rarer partner m enters through its
    mean over g_m and a Gaussian spread (rare partners are many and light: their sum is nearly
    Gaussian; its variance sum_m c_m(g)^2 for one rare partner, c_m = sum of w_lm over the
    negative top l, and 3/4 sum w^2 for two). Returns (point estimate, lower, upper): the bounds
    replace the rare supports by -+ their total weight tau. L = 3 only."""
    w = np.arange(1, D + 1, dtype=float) ** (-eta)
    w /= w.sum()
    kk = k - 1
    others = np.array([j for j in range(D) if j != kk])
    a = w[kk]
    wl = w[others][:, None]
    wm = w[others][None, :]

    def seq(x, y, z):  # probability of drawing x, then y, then z
        return x * y * z / ((1 - x) * (1 - x - y))
    pi = (seq(a, wl, wm) + seq(a, wm, wl) + seq(wl, a, wm) + seq(wm, a, wl) + seq(wl, wm, a)
          + seq(wm, wl, a))
    np.fill_diagonal(pi, 0.0)
    pi = np.triu(pi, 1)  # unordered pairs l < m
    W = pi / pi.sum()
    M = min(M, len(others))
    top = W[:M, :M]
    mixed = W[:M, M:].sum(1) + W[M:, :M].sum(0)  # one top partner l, one rare partner
    both = W[M:, M:].sum()
    tau = float(mixed.sum() + both)
    g = 1 - 2 * ((np.arange(2 ** M)[:, None] >> np.arange(M)[None, :]) & 1)  # (2^M, M) signs
    neg = (g < 0).astype(float)
    # sum over top pairs of w (1 - 2 [g_l = g_m = -1])
    Wtop = top.sum() - 2 * np.einsum("sl,lm,sm->s", neg, top, neg)
    rest_mean = mixed @ ((1 + g.T) / 2) + both / 2  # E over rare partners of their sgn terms
    from scipy.special import ndtr
    cm = neg @ W[:M, M:] + (neg @ W[M:, :M].T)  # weight on each rare partner's sign
    sd = np.sqrt(np.sum(cm * cm, axis=1) + 0.75 * np.sum(W[M:, M:] ** 2))
    X = Wtop + rest_mean
    with np.errstate(divide="ignore", invalid="ignore"):
        sm = np.where(sd > 0, 2 * ndtr(X / sd) - 1, np.sign(X))
    m_pt = float(np.mean(sm))
    m_lo = float(np.mean(np.sign(Wtop - tau)))
    m_hi = float(np.mean(np.sign(Wtop + tau)))
    return m_pt, m_lo, m_hi
