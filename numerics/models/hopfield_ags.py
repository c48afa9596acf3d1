"""hopfield-ags: replica-symmetric zero-temperature retrieval of the Hebb Hopfield network.

Conventions are those of theory/models/hopfield_ags.py: order parameters m (retrieval overlap),
C = beta(1-q) (zero-temperature susceptibility) and r (crosstalk variance / alpha); the equations
are the stationarity conditions of the T = 0 free energy f0(m, C, r). The retrieval branch is
parametrized by u = m/sqrt(alpha r) (kernel ``capacity``): alpha(u) = g(u)^2 and the capacity
alpha_c = max_u g(u)^2 is located by a bracketed root of g'(u).
"""
from __future__ import annotations

import math

import numpy as np

from ..rootfind import find_root
from ..model import SaddlePointModel
from ..results import Result

# g'(u) changes sign once on this bracket (g rises from 0 at u = 0 to its maximum, then decays
# like 1/u); the retrieval branch is u > u_c.
_U_LO, _U_HI = 0.3, 6.0
_U_MAX = 40.0  # g(40) ~ 1/40: alpha down to ~6e-4 by bracketing, smaller alpha: asymptotics


class HopfieldAGS(SaddlePointModel):
    """Hebb Hopfield network at T = 0 (AGS, replica symmetric): m(alpha), capacity alpha_c."""

    def __init__(self, progress=None, declaration=None):
        super().__init__(progress, declaration)
        self._cap = None

    def inside(self, x) -> bool:
        m, C, r = x
        return bool(0.0 < m <= 1.0 and 0.0 <= C < 1.0 and r > 0.0)

    def _branch(self, u):
        return self.call("capacity", np.array([u]), np.zeros(1))

    def capacity(self, xtol=1e-15):
        """(alpha_c, m_c, u_c, bracket error on alpha_c, root result)."""
        if self._cap is None:
            root = find_root(lambda u: float(self._branch(u)[1]), _U_LO, _U_HI, xtol=xtol)
            out = self._branch(root.value)
            lo, hi = (self._branch(b)[3] for b in root.bracket)
            err = max(abs(lo - out[3]), abs(hi - out[3]))
            self._cap = (float(out[3]), float(out[4]), root.value, float(err), root)
        return self._cap

    def precheck(self, params):
        a_c = self.capacity()[0]
        if params["alpha"] > a_c:
            return (f"alpha = {params['alpha']:g} > alpha_c = {a_c:.10g}: no retrieval solution "
                    "(replica-symmetric, T = 0); only the spin-glass state remains")
        return None

    def initial_guess(self, params):
        """The retrieval branch point with g(u) = sqrt(alpha) on u > u_c (bracketed root), which
        Newton then polishes on the full (m, C, r) system."""
        a = params["alpha"]
        _, _, u_c, _, _ = self.capacity()
        target = math.sqrt(a)
        if self._branch(_U_MAX)[0] > target:
            u = 1.0 / target  # g(u) ~ 1/u for large u
        else:
            root = find_root(lambda v: float(self._branch(v)[0]) - target, u_c, _U_MAX)
            u = root.value if root.converged else u_c
        out = self._branch(u)
        return np.array([out[4], out[5], out[6]])

    def solve(self, params=None, *, method="newton", **kw):
        return super().solve(params, method=method, **kw)

    def boundary(self, params: dict | None = None, **kw) -> Result:
        """Result with observables alpha_c and m at capacity (and u_c, C, r there)."""
        params = dict(params or {}, **kw)
        params.pop("alpha", None)
        if params:
            from ..errors import UnknownParameterError
            raise UnknownParameterError(self.name, next(iter(params)), ["alpha (ignored)"])
        a_c, m_c, u_c, err, root = self.capacity()
        out = self._branch(u_c)
        status = {"converged": root.converged, "iterations": root.iterations,
                  "residual": root.residual, "method": "brent", "message": root.message,
                  "error": err}
        return Result(self.name, {}, {}, {"alpha_c": a_c, "m": m_c, "u": u_c,
                                          "C": float(out[5]), "r": float(out[6])},
                      status, self.derivation_hash, self._versions())

    # -- resources ----------------------------------------------------------------------------
    # Measured peaks (tests/numerics/test_resources.py). simulate, per instance: the Hebb couplings J and
    # the transposed copy the asynchronous dynamics read, 16 N^2 bytes, and the P = alpha N
    # patterns (int8, their float copy for the product), 9 P N; rough seconds
    # ~5e-10 (P + 10 min(P, 10)) N^2 (the product X^T X and up to 10 relaxations). verify: the
    # one-step flips at the largest N (J and the P x N fields, 8 N^2 + 24 P N), the mixtures
    # (7 x 50000 patterns, small) and, unless quick, the capacity ladder (alpha up to 0.22).
    def _retrieval_cost(self, N, alpha, instances):
        from ..resources import Cost
        N = float(N)
        P = float(max(1, round(alpha * N)))
        return Cost(16 * N * N + 9 * P * N,
                    instances * 5e-10 * (P + 10 * min(P, 10)) * N * N)

    def cost(self, verb: str, params: dict, **opts):
        from ..resources import Cost, sequential, sizes
        given = opts.get("given", ())
        if verb == "simulate":
            N, inst = int(opts.get("N") or 1000), int(opts.get("instances") or 10)
            P = max(1, round(params["alpha"] * N))
            c = self._retrieval_cost(N, params["alpha"], inst)
            return Cost(c.memory, c.seconds, f"16 N^2 + 9 P N bytes: the N x N couplings (and "
                        f"their transpose) and the patterns, N = {sizes(N)}, P = {sizes(P)}; "
                        f"{inst} instances one after another")
        if verb != "verify":
            return None
        quick = bool(opts.get("quick"))
        Ns = opts.get("Ns")
        alpha = params["alpha"] if "alpha" in given else 0.1  # verify's own default
        inst = int(opts.get("instances") or (10 if quick else 20))
        Nf = float(int(Ns[-1]) if Ns else (1000 if quick else 2000))
        Pf = float(max(2, round(alpha * Nf)))
        steps = [Cost(8 * Nf * Nf + 24 * Pf * Nf, inst * 2e-10 * Pf * Nf * Nf),
                 Cost(8 * 8 * 7 * 50000.0, 1.0)]
        if not quick:
            alphas = (0.10, 0.12, 0.13, 0.14, 0.15, 0.16, 0.18, 0.20, 0.22)
            steps += [self._retrieval_cost(N, a, inst) for N in (Ns or (250, 500, 1000, 2000))
                      for a in alphas]
        Nmax = max([Nf] + [float(x) for x in (Ns or ((250, 500, 1000, 2000) if not quick
                                                   else ()))])
        return sequential(steps, f"8 N^2 + 24 P N bytes (one-step flips) and 16 N^2 + 9 P N "
                                 f"(capacity ladder): couplings and patterns, largest N = "
                                 f"{sizes(Nmax)}")

    # -- finite-N checks -----------------------------------------------------------------------
    def simulate(self, params: dict, *, N: int = 1000, instances: int = 10, seed: int = 0):
        """Zero-temperature asynchronous dynamics of a Hebb network started at a stored pattern:
        the final overlap, against the replica-symmetric m(alpha)."""
        from ..simulation import hopfield_ags as hc
        v = self.validate(params)
        res = hc.retrieval_overlaps(N, v["alpha"], instances, seed)
        theory = self.solve(v)
        m_th = theory["m"] if theory.converged else float("nan")
        from ..records import make_record
        record = make_record(self, v, {"converged": theory.converged}, N=N,
                             instances=instances, seed=seed, **res,
                             theory={"m": m_th, "converged": theory.converged})
        table = (f"hopfield-ags simulate: N={N}, alpha={v['alpha']:g}, {instances} instances "
                 f"(seed {seed})\n  final overlap {res['m_mean']:.5f} +- {res['m_se']:.5f} "
                 f"(median {res['m_median']:.5f}); RS theory m = {m_th:.6f}")
        return {"record": record, "table": table}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        """Classic Hopfield checks (see numerics/simulation/hopfield_ags.py): the one-step Hebb
        flip probability H(1/sqrt(alpha)), the symmetric L-mixture overlaps at alpha -> 0, and the
        capacity by simulation approaching alpha_c as N grows."""
        from ..simulation import hopfield_ags as hc
        a_c, m_c, *_ = self.capacity()
        return hc.verify_classic(self, a_c, m_c, params, Ns=Ns, instances=instances, seed=seed,
                                 out_dir=out_dir, quick=quick, progress=progress)
