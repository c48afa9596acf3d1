"""raf-gardner: solve the RS Gardner volume on Rules-and-Facts data, and its capacity.

Conventions are those of theory/models/raf_gardner.py: spherical student |w|^2 = N, margin kappa,
order parameters q (solution-solution overlap) and R (solution-teacher overlap), eps_gen =
arccos(R)/pi for the typical solution. The capacity alpha_c(eps, kappa) comes from the analytic
q -> 1 limit: alpha_c = max_R (1 - R^2)/I(R), the maximum located by a bracketed root of
g(R) = d/dR [(1 - R^2)/I(R)] (numerator).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..rootfind import find_root
from ..model import SaddlePointModel
from ..results import Result


def _simulation():
    from ..simulation import raf_gardner as sim
    return sim


# Ladders for `memgen verify raf-gardner`: the default takes a few minutes on 2 cores, --quick
# seconds; the largest sizes belong in the slow tests.
DEFAULT_LADDER = (25, 50, 100, 200)
QUICK_LADDER = (20, 40, 80)


@dataclass
class Capacity:
    alpha_c: float
    R: float
    error: float  # bound on |alpha_c - exact| from the certified R bracket (alpha_c is flat in R)
    residual: float
    iterations: int
    converged: bool
    message: str = ""


class RafGardner(SaddlePointModel):
    """Rules-and-Facts Gardner volume: capacity alpha_c(eps, kappa), overlaps q, R, eps_gen."""

    def __init__(self, progress=None, declaration=None):
        super().__init__(progress, declaration)
        self._capacity_cache: dict = {}

    def inside(self, x) -> bool:
        q, R = x
        return bool(0.0 < q < 1.0 and R * R < q)

    def initial_guess(self, params):
        """A point Newton converges from, interpolating between the known limits.

        Small alpha: q, R -> 0. Near capacity: q -> 1, R -> R_c. eps = kappa = 0 (Gibbs learning):
        1 - q = 1 - R ~ 2/(1 + alpha)^2 follows the large-alpha law within ~10%.
        """
        cap = self.capacity(params["eps"], params["kappa"])
        a = params["alpha"]
        if math.isfinite(cap.alpha_c):
            f = a / cap.alpha_c
            q0 = 1.0 - 0.95 * (1.0 - f) ** 2
        else:
            q0 = 1.0 - 2.0 / (1.0 + a) ** 2
        q0 = min(max(q0, 0.02), 1.0 - 1e-12)
        return np.array([q0, cap.R * q0])

    def precheck(self, params):
        cap = self.capacity(params["eps"], params["kappa"])
        if params["alpha"] >= cap.alpha_c:
            return (f"alpha = {params['alpha']:g} >= alpha_c(eps={params['eps']:g}, "
                    f"kappa={params['kappa']:g}) = {cap.alpha_c:.12g}: UNSAT, the Gardner volume "
                    "is empty (q -> 1); no saddle point to solve")
        return None

    # -- capacity -----------------------------------------------------------------------------
    def capacity(self, eps: float, kappa: float = 0.0, *, xtol=1e-15) -> Capacity:
        """alpha_c(eps, kappa) and the teacher overlap R there, from the q -> 1 limit."""
        key = (float(eps), float(kappa), xtol)
        if key not in self._capacity_cache:
            self._capacity_cache[key] = self._capacity(eps, kappa, xtol)
        return self._capacity_cache[key]

    def _capacity(self, eps, kappa, xtol):
        params = self.validate({"eps": eps, "kappa": kappa})
        p = self.pvec(params)
        eps, kappa = params["eps"], params["kappa"]

        def kern(R):
            return self.call("capacity", np.array([R]), p)

        if eps == 0.0 and kappa == 0.0:
            return Capacity(math.inf, 1.0, 0.0, 0.0, 0, True,
                            "eps = 0, kappa = 0: the teacher satisfies every constraint, the "
                            "volume never vanishes (alpha_c = inf)")
        g0, _, a0 = kern(0.0)
        if eps == 1.0 or g0 <= 0.0:
            # The channel does not depend on R (facts only), or alpha_c is maximal at R = 0.
            return Capacity(float(a0), 0.0, 0.0, abs(float(g0)), 0, True, "")
        hi = 1.0 - 1e-3
        while kern(hi)[0] > 0 and hi < 1 - 1e-15:
            hi = 1.0 - (1.0 - hi) * 1e-3
        root = find_root(lambda R: float(kern(R)[0]), 0.0, hi, xtol=xtol)
        if not root.converged:
            return Capacity(math.nan, math.nan, math.inf, root.residual, root.iterations, False,
                            root.message)
        a_mid = float(kern(root.value)[2])
        a_lo = float(kern(root.bracket[0])[2])
        a_hi = float(kern(root.bracket[1])[2])
        err = max(abs(a_lo - a_mid), abs(a_hi - a_mid))
        return Capacity(a_mid, root.value, err, root.residual, root.iterations, True, "")

    def boundary(self, params: dict | None = None, **kw) -> Result:
        """Result with observables alpha_c and R (teacher overlap at capacity)."""
        params = dict(params or {}, **kw)
        params.pop("alpha", None)  # alpha_c is the output; alpha is not an input here
        v = self.validate(params)
        cap = self.capacity(v["eps"], v["kappa"])
        v.pop("alpha")
        status = {"converged": cap.converged, "iterations": cap.iterations,
                  "residual": cap.residual, "method": "brent", "message": cap.message,
                  "error": cap.error}
        return Result(self.name, v, {}, {"alpha_c": cap.alpha_c, "R": cap.R}, status,
                      self.derivation_hash, self._versions())

    # -- resources --------------------------------------------------------------------------
    # Peak resident bytes per entry of the P x N constraint matrix, one instance at a time
    # (measured at N = 200-1200, tests/numerics/test_resources.py): HiGHS (kappa = 0) holds the dense
    # matrix, scipy's sparse copy and its own row and column copies, ~180 B; Clarabel (kappa > 0)
    # its KKT matrix and LDL factor, ~140 B. verify's sample stream keeps X and G of the longest
    # prefix drawn, and a concatenation copy of both while extending: 32 B. Rough seconds per
    # solve (one core): HiGHS ~7e-11 (P N)^2, Clarabel ~5e-8 (P N)^1.5.
    def cost(self, verb: str, params: dict, **opts):
        from ..resources import Cost, sequential, sizes
        if verb not in ("simulate", "verify"):
            return None
        given = opts.get("given", ())
        kappa = params["kappa"] if verb == "simulate" or "kappa" in given else 0.0
        per, lp = (180, "HiGHS LP") if kappa == 0 else (140, "Clarabel QP")

        def solve_seconds(PN):
            return 7e-11 * PN ** 2 if kappa == 0 else 5e-8 * PN ** 1.5

        if verb == "simulate":
            N, inst = int(opts.get("N") or 100), int(opts.get("instances") or 50)
            P = max(1, round(params["alpha"] * N))
            PN = float(P) * N
            return Cost(per * PN, inst * solve_seconds(PN),
                        f"{per} P N bytes for the {lp} on the P x N constraint matrix, "
                        f"P = {sizes(P)}, N = {sizes(N)}; {inst} instances one after another")
        eps = params["eps"] if "eps" in given else 0.5
        cap = self.capacity(eps, kappa)
        if not math.isfinite(cap.alpha_c):
            return None  # verify refuses these parameters itself
        quick = bool(opts.get("quick"))
        Ns = [int(x) for x in (opts.get("Ns") or (QUICK_LADDER if quick else DEFAULT_LADDER))]
        inst = int(opts.get("instances") or (40 if quick else 60))
        steps = []
        for N in Ns:
            step = max(2, round(math.sqrt(max(cap.alpha_c, 0.25) * N)))
            P = cap.alpha_c * N + 2 * step  # the search gallops a step or two past alpha_c N
            PN = P * N
            steps.append(Cost(per * PN + 32 * (P + step) * N, inst * 8 * solve_seconds(PN)))
        Nmax, Pmax = max(Ns), cap.alpha_c * max(Ns)
        detail = (f"{per} P N + 32 (P + step) N bytes for the {lp} and the sample stream at the "
                  f"largest N = {sizes(Nmax)}, P ~ alpha_c N + 2 sqrt(alpha_c N) = "
                  f"{sizes(round(Pmax))}+; ~8 solves per instance, {inst} instances per N")
        workers = int(opts.get("workers") or 1)
        if workers > 1:
            detail += f", {workers} worker processes at once"
        total = sequential(steps, detail)
        par = max(1, min(workers, inst * len(Ns)))  # worker processes hold an instance each
        return Cost(total.memory * par, total.seconds / par, detail)

    # -- simulation -------------------------------------------------------------------------
    def simulate(self, params: dict, *, N: int = 100, instances: int = 50, seed: int = 0):
        """Feasible fraction of sampled instances at (alpha, eps, kappa), with its binomial error,
        next to the theory capacity. Returns a dict: record (JSON-ready) and a printable table."""
        from ..errors import InputError
        from ..simulation.stats import binomial_se
        sim = _simulation()
        v = self.validate(params)
        if N < 2 or instances < 1:
            raise InputError(f"simulate needs N >= 2 and instances >= 1 (got N={N}, "
                             f"instances={instances})")
        P = max(1, round(v["alpha"] * N))
        feasible = 0
        for i in range(instances):
            inst = sim.sample_instance(N, P, v["eps"], sim.instance_seed(seed, N, i))
            feasible += bool(sim.is_feasible(inst.X, inst.y, v["kappa"]))
        cap = self.capacity(v["eps"], v["kappa"])
        frac = feasible / instances
        se = float(binomial_se(feasible, instances))
        from ..records import make_record
        record = make_record(self, v, {"converged": cap.converged}, N=N, P=P,
                             instances=instances, seed=seed, feasible=feasible,
                             feasible_fraction=frac, feasible_fraction_se=se,
                             theory={"alpha_c": cap.alpha_c, "R": cap.R})
        side = "below" if P / N < cap.alpha_c else "above"
        table = (f"raf-gardner simulate: N={N}, P={P} (alpha={P / N:.4g}), eps={v['eps']:g}, "
                 f"kappa={v['kappa']:g}, {instances} instances (seed {seed})\n"
                 f"  feasible fraction {frac:.3f} +- {se:.3f}; theory alpha_c = {cap.alpha_c:.6g} "
                 f"({side} capacity)")
        return {"record": record, "table": table}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
                out_dir="memgen-out", quick: bool = False, progress=None):
        """N ladder of per-instance capacities against alpha_c(eps, kappa), with a verdict.

        Pass iff the 1/N extrapolation of the per-N median capacity is within 3 standard errors of
        alpha_c (see numerics/simulation/raf_gardner.py for the statistics). Writes a JSON record
        (parameters, derivation hash, versions, verdict) and a figure to ``out_dir``.
        """
        from ..errors import InputError
        from ..records import make_record, write_record
        sim = _simulation()
        base = {"eps": 0.5, "kappa": 0.0}
        base.update(params)
        base.pop("alpha", None)
        v = self.validate(base)
        v.pop("alpha")
        Ns = list(Ns or (QUICK_LADDER if quick else DEFAULT_LADDER))
        instances = instances or (40 if quick else 60)
        if len(Ns) < 2 or min(Ns) < 5 or instances < 5:
            raise InputError("verify needs a ladder of >= 2 sizes N >= 5 and >= 5 instances")
        cap = self.capacity(v["eps"], v["kappa"])
        if not math.isfinite(cap.alpha_c):
            raise InputError(f"alpha_c(eps={v['eps']:g}, kappa={v['kappa']:g}) is infinite (never "
                             "UNSAT): nothing to verify; choose eps > 0 or kappa > 0")
        prog = (lambda done, total: progress(done, total)) if progress else None
        res = sim.run_ladder(v["eps"], v["kappa"], cap.alpha_c, Ns, instances, seed,
                             workers=workers, progress=prog)
        # the special estimator (medians of lattice capacities on a common alpha grid, see
        # simulation/capacity_ladder.py) feeds the shared fit, record writer and figure panel
        stem = f"verify-raf-gardner-eps{v['eps']:g}-kappa{v['kappa']:g}-seed{seed}"
        record = make_record(
            self, v, {"converged": cap.converged, "verdict": "PASS" if res.passed else "FAIL"},
            theory={"alpha_c": cap.alpha_c, "R": cap.R, "error": cap.error},
            ladder=res.to_dict(), passed=bool(res.passed))
        path = write_record(record, out_dir, stem)
        figure = sim.plot_ladder(res, path.with_suffix(".png"))
        table = (f"raf-gardner verify: eps={v['eps']:g}, kappa={v['kappa']:g}; theory alpha_c = "
                 f"{cap.alpha_c:.10g} (R = {cap.R:.6g}), derivation {self.derivation_hash}\n"
                 + sim.format_table(res))
        return {"record": record, "table": table, "figure": str(figure), "path": str(path),
                "passed": bool(res.passed)}
