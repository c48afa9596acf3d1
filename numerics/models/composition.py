"""composition: long-tail memorization and composition in sparse power-law linear regression.

Conventions are those of theory/models/composition.py (derivations/composition.md). The theory has
one scalar order parameter, Q: the probability that all other features of a sample are pinned
without it, the largest fixed point of Q = prod_i (1 - u_i(Q)). The errors come from the cavity
recursion for the unpinned features, solved by population dynamics (composition_cavity.py):
the theory is a Monte Carlo evaluation with a fixed seed (deterministic), and reports its own
Monte Carlo standard error (``<observable>_mc_se``, from independent populations), which the
theory-vs-simulation pulls include.
"""
from __future__ import annotations

import math

import numpy as np

from ..rootfind import find_root
from ..model import SaddlePointModel
from ..results import Result
from . import composition_cavity as cav

OBSERVABLES = ("recovered_fraction", "err_common", "err_tail_once", "err_unseen", "loss_in",
               "loss_ood")
# the paper's linear experiment
PAPER = {"n": 1000.0, "d": 10000.0, "s": 5.0}
PAPER_A = (0.0, 0.5, 1.0, 1.25, 1.5, 2.0, 3.0)
# n ladder of `memgen verify composition --ladder` (d/n and s fixed) when no a is given
LADDER_A = (0.5, 1.0, 2.0)
QUICK_LADDER = (100, 200, 400)

# Monte Carlo effort of the population dynamics: independent populations (batches), population
# size, sweeps (converged after ~4 from the star start at every a tried), soft-message sequences
# for the tables (ridge tables: reps_ridge). "curve": the dense theory curves of figures.
THEORY_MC = {"batches": 4, "pop": 20000, "sweeps": 8, "reps": 4000, "reps_ridge": 400}
CURVE_MC = {"batches": 1, "pop": 8000, "sweeps": 6, "reps": 1500, "reps_ridge": 150}
THEORY_SEED = 20251016


class Composition(SaddlePointModel):
    """Long-tail memorization in sparse power-law linear regression: recovery, errors, losses."""

    def __init__(self, progress=None, declaration=None):
        super().__init__(progress, declaration)
        self._ev = None

    @property
    def evaluator(self):
        if self._ev is None:
            self._ev = cav.make_evaluator(self.module)
        return self._ev

    # -- theory -------------------------------------------------------------------------------
    def fixed_point(self, v: dict):
        """Largest fixed point of Q = prod_i (1 - u_i(Q)): monotone iteration from Q = 1 (the
        iterates decrease to it), finished by a bracketed root when iteration is slow (near the
        point where a smaller fixed point appears, the map is nearly tangent)."""
        p = self.pvec(v)
        log_product = self.evaluator["log_product"]
        _, Z = log_product(p, 1.0, 1.0)

        def g(Q):
            return math.exp(log_product(p, Z, Q)[0])

        Q, it, msg = 1.0, 0, "monotone iteration from Q = 1"
        for it in range(1, 301):
            Qn = g(Q)
            if abs(Qn - Q) <= 1e-15:
                Q = Qn
                break
            Q = Qn
        else:
            # Q_t >= Q*; scan down for h = g - Q >= 0, then Brent on the bracket
            hi, grid = Q, np.linspace(Q, 0.0, 401)[1:]
            lo = 0.0
            for x in grid:
                if g(x) - x >= 0:
                    lo = x
                    break
                hi = x
            root = find_root(lambda x: g(x) - x, lo, hi, xtol=1e-15)
            Q, msg = root.value, "monotone iteration, then Brent on a bracket of g(Q) - Q"
            it += root.iterations
        return Q, Z, it, abs(g(Q) - Q), msg

    def theory(self, v: dict, mc: dict | None = None, seed: int = THEORY_SEED) -> dict:
        """Observables, their Monte Carlo standard errors and diagnostics at validated ``v``."""
        mc = dict(THEORY_MC, **(mc or {}))
        ev = self.evaluator
        p = self.pvec(v)
        Q, Z, it, res, msg = self.fixed_point(v)
        cum_u, cum_pin, pp, r, b2 = ev["arrays"](p, Z, Q)
        mu, sp_rate = float(cum_u[-1]), float(cum_pin[-1])
        ridge = v["lam"] > 0
        # the pinned population only matters for noise and ridge (noiseless min-norm: pinned
        # features are exact and their vt never enters a soft message)
        noisy = ridge or v["sigma"] > 0
        kbig, jlo, jhi = ev["sizes"](p, Z, Q, ridge)
        # all-soft tables up to where (1 - Q)^k < 1e-17 (the weight of no hard factor)
        if Q <= 0:
            kcut = kbig
        elif Q >= 1:
            kcut = 1
        else:
            kcut = max(1, min(kbig, int(math.log(1e-17) / math.log1p(-Q)) + 1))
        # M ~ Poisson(mu) | M >= 1 unpinned members of a soft factor (no soft factor exists
        # when mu = 0: then any draw is multiplied by a zero weight)
        pcdf = cav.poisson_cdf(self.module, p, mu) if mu > 0 else np.array([2.0])
        batches, traces = [], []
        for bt in range(mc["batches"]):
            sd = seed + 7919 * bt
            U, P, trace = ev["population"](cum_u, cum_pin, pp, r, b2, pcdf, sp_rate, Q, p,
                                           mc["pop"], mc["sweeps"], sd, noisy)
            traces.append(trace)
            G, H = ev["tables"](U, P, pcdf, sp_rate, p, kcut, jlo, jhi,
                                mc["reps_ridge"] if ridge else mc["reps"], sd + 1, noisy)
            if ridge:  # the all-soft tables with the full number of sequences
                G, _ = ev["tables"](U, P, pcdf, sp_rate, p, kcut, jlo[:1], jhi[:1],
                                    mc["reps"], sd + 2, noisy)
            t = ev["totals"](p, Z, Q, G, H)
            o = _observables(t, v["sigma"], ev["slots"])
            # the error the pinned features of a sample leave in it (mean over hard messages)
            o["eps_c"] = sp_rate * float(np.mean(P[1]) + v["sigma"] ** 2 * np.mean(P[2]))
            batches.append(o)
        obs = {k: float(np.mean([b[k] for b in batches])) for k in batches[0]}
        se = {k: (float(np.std([b[k] for b in batches], ddof=1) / math.sqrt(len(batches)))
                  if len(batches) > 1 else math.nan) for k in OBSERVABLES}
        extra = {"Q": Q, "Z_a": Z, "mu": mu, "pinned_rate": sp_rate, "kcut": kcut,
                 "eps_c": obs.pop("eps_c"),
                 "poisson_bound": float(np.sum(np.diff(np.concatenate([[0.0], cum_u])) ** 2)),
                 "population_trace": np.mean(traces, axis=0).tolist(), "mc": mc, "seed": seed}
        for k in ("expected_once", "expected_common", "expected_unseen",
                  "expected_unrecovered_once", "expected_unpinned_common",
                  "err_unrecovered_once", "err_unpinned_common", "err_pinned_common"):
            extra[k] = obs.pop(k)
        theory_obs = {k: obs[k] for k in OBSERVABLES}
        message = (f"{msg}; errors: population dynamics ({mc['batches']} populations of "
                   f"{mc['pop']}, {mc['sweeps']} sweeps, seed {seed})")
        return {"observables": theory_obs, "mc_se": se, "extra": extra,
                "status": {"converged": bool(res < 1e-12), "iterations": it, "residual": res,
                           "method": "fixed-point + population dynamics", "message": message}}

    def solve(self, params: dict | None = None, **kw) -> Result:
        v = self.validate({**(params or {}), **{k: x for k, x in kw.items()
                                                if k not in ("init", "method", "mixing", "tol",
                                                             "max_iter", "trace")}})
        th = self.theory(v)
        ex = th["extra"]
        obs = dict(th["observables"])
        obs.update({f"{k}_mc_se": x for k, x in th["mc_se"].items()})
        obs.update(Z_a=ex["Z_a"], mu=ex["mu"], eps_c=ex["eps_c"])
        return Result(self.name, v, {"Q": ex["Q"]}, obs, th["status"], self.derivation_hash,
                      self._versions())

    def large_n(self, v: dict, n_values, Q=None, c=None):
        """Leading large-n laws (derivation: 'scaling with n and the exponent') at the
        parameters ``v`` for each n: 1 - recovered_fraction ~ K n^(-(1 - 1/a)) (the Q series
        to second order), loss_in ~ L(n), and the number of seen-once features. a > 1 only;
        c = s/zeta(a) (d -> oo) unless given."""
        from ..errors import InputError
        from scipy.special import zeta
        if v["a"] <= 1:
            raise InputError(f"the large-n laws need a > 1 (got a = {v['a']:g})")
        p = self.pvec(v)
        c = v["s"] / float(zeta(v["a"])) if c is None else c
        out = []
        for nn in n_values:
            o = self.call("large_n", [float(nn), c, 1.0], p)
            K = o[1] * nn ** (1 - 1 / v["a"])  # mu at Q = 1 is K eta
            eta = nn ** (-(1 - 1 / v["a"]))
            one_minus_Q = K * eta - K * K * (1 / v["a"] - 0.5) * eta * eta
            out.append({"n": nn, "unrecovered": one_minus_Q, "loss_in": float(o[2]),
                        "once": float(o[0]), "rate_unrecovered": float(o[3]),
                        "rate_loss": float(o[4])})
        return out

    # -- resources --------------------------------------------------------------------------
    # Measured peaks (tests/numerics/test_resources.py). Theory: the per-feature arrays of the fixed point
    # and the population dynamics' tables, ~56 B per feature, ~1e-4 s per feature (the fixed
    # point sweeps all d features per iteration). One simulated instance: the d-vectors (p,
    # teacher, probe, counts, solutions, classes), ~76 B per feature; the sampled supports
    # (int64 rows, columns, sort keys) and the sparse X, ~64 B per non-zero (n s of them); the
    # dense n x n Gram matrix and its factorization: for lam = 0 the Cholesky attempt, then the
    # eigendecomposition (input copy, eigenvectors, LAPACK workspace) ~48 n^2 B, for lam > 0
    # the Cholesky factor ~24 n^2 B. That is an upper bound: at large a, duplicate rows merge
    # (n shrinks) and well-conditioned Grams stop at the Cholesky factor. Time: the
    # eigendecomposition ~2.5e-9 n^3 s (Cholesky ~3e-10 n^3), sampling ~1e-6 s per feature.
    def _theory_cost(self, d):
        from ..resources import Cost
        return Cost(56.0 * d, 1.0 + 1e-4 * d)

    def _instance_cost(self, n, d, s, lam):
        from ..resources import Cost
        n, d = float(n), float(d)
        gram, t3 = (48.0, 2.5e-9) if lam == 0 else (24.0, 6e-10)
        return Cost(gram * n * n + 76.0 * d + 64.0 * n * min(s, d), t3 * n ** 3 + 1e-6 * d)

    def cost(self, verb: str, params: dict, **opts):
        from ..resources import Cost, sequential, sizes
        given = opts.get("given", ())
        if verb in ("solve", "boundary"):
            c = self._theory_cost(params["d"])
            return Cost(c.memory, c.seconds, f"56 d bytes for the per-feature arrays of the "
                        f"theory, d = {sizes(params['d'])}")
        if verb not in ("simulate", "verify"):
            return None
        gram = "48 n^2" if params["lam"] == 0 else "24 n^2"
        what = (f"{gram} + 76 d + 64 n s bytes per instance: the dense n x n Gram matrix and its "
                "factorization, the d-vectors and the sparse n x d data")
        if verb == "simulate":
            n = params["n"] if "n" in given or opts.get("N") is None else opts["N"]
            inst = int(opts.get("instances") or 20)
            one = self._instance_cost(n, params["d"], params["s"], params["lam"])
            steps = [Cost(one.memory, inst * one.seconds), self._theory_cost(params["d"])]
            return sequential(steps, f"{what}, n = {sizes(n)}, d = {sizes(params['d'])}; "
                                     f"{inst} instances one after another")
        quick = bool(opts.get("quick"))
        base = dict(PAPER, **{k: params[k] for k in given if k in params})
        n0, d0 = float(base["n"]), float(base["d"])
        Ns = opts.get("Ns")
        if Ns:
            n_a = 1 if "a" in given else (1 if quick else len(LADDER_A))
            points = [(float(x), float(round(d0 / n0 * x))) for x in Ns] * n_a
        else:
            n_a = 1 if "a" in given else (3 if quick else len(PAPER_A))
            if quick and "d" not in given:
                n0, d0 = 300.0, 3000.0
            points = [(n0, d0)] * n_a
        inst = int(opts.get("instances") or (16 if quick else 20))
        steps = []
        for n, d in points:
            one = self._instance_cost(n, d, params["s"], params["lam"])
            steps += [Cost(one.memory, inst * one.seconds), self._theory_cost(d)]
        nmax, dmax = max(p[0] for p in points), max(p[1] for p in points)
        return sequential(steps, f"{what}, largest n = {sizes(nmax)}, d = {sizes(dmax)}; "
                                 f"{len(points)} points of {inst} instances one after another")

    # -- simulation -------------------------------------------------------------------------
    def simulate(self, params: dict, *, N: int | None = None, instances: int = 20,
                 seed: int = 0):
        """Sampled instances at the given parameters, observables with standard errors next to
        the theory. ``N`` (the CLI's --N) is the number of samples n unless params sets n."""
        from ..errors import InputError
        from ..simulation import composition as sim
        params = dict(params)
        if N is not None and "n" not in params:
            params["n"] = N
        v = self.validate(params)
        if instances < 2:
            raise InputError(f"simulate needs instances >= 2 (got {instances})")
        res = sim.run(int(v["n"]), int(v["d"]), v["s"], v["a"], v["sigma"], v["lam"],
                      instances, seed, beta_exp=v["beta_exp"])
        th = self.theory(v)
        pulls, notes, _ = _pulls(res, th, instances)
        from ..records import make_record
        record = make_record(
            self, v, th["status"], instances=instances, seed=seed,
            simulation={k: {"mean": res[k][0], "se": res[k][1]} for k in OBSERVABLES},
            counts=res["counts"], theory=th["observables"], theory_mc_se=th["mc_se"],
            pulls=pulls, notes=notes, Q=th["extra"]["Q"])
        lines = [f"composition simulate: n={v['n']:g} d={v['d']:g} s={v['s']:g} a={v['a']:g} "
                 f"sigma={v['sigma']:g} lam={v['lam']:g} beta_exp={v['beta_exp']:g}, "
                 f"{instances} instances (seed {seed})",
                 f"  {'observable':<20}{'simulation':>24}{'theory':>24}{'pull':>8}"]
        for k in OBSERVABLES:
            m, se = res[k]
            t, ts = th["observables"][k], th["mc_se"][k]
            lines.append(f"  {k:<20}{m:>14.5g} +- {se:<8.2g}{t:>14.5g} +- {ts:<8.2g}"
                         f"{pulls[k]:>8.2f}")
        for k, note in notes.items():
            lines.append(f"  {k}: {note}")
        return {"record": record, "table": "\n".join(lines)}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        """Theory against simulation with a 3-standard-error verdict on every observable.

        Without ``Ns``: a sweep over the exponent a at one (n, d) (the paper's n = 1000, d =
        10000, s = 5 unless ``params`` sets them; a single a if ``params`` has a). The theory
        is a finite-n theory (the counts are exact Binomial(n, p_i)), so this is a direct
        comparison. With ``Ns`` (the CLI's --ladder): an n ladder at fixed d/n, s (and the a
        of ``params``, else a in 0.5, 1, 2): per-n pulls, plus a weighted 1/n extrapolation of
        the discrepancy simulation - theory, whose intercept must be within 3 standard errors
        of 0 (the tree theory is asymptotically exact; finite-n loop corrections show up as
        the slope). Pulls include the theory's own Monte Carlo standard error."""
        if Ns:
            return self._verify_ladder(params, list(Ns), instances, seed, out_dir, quick,
                                       progress)
        from ..records import make_record, write_record
        from ..simulation import composition as sim
        base = dict(PAPER, sigma=0.0, lam=0.0)
        base.update(params)
        a_values = [base.pop("a")] if "a" in params else list(
            (0.0, 1.0, 2.0) if quick else PAPER_A)
        instances = instances or (16 if quick else 20)
        if quick and "d" not in params:
            base.update(n=300.0, d=3000.0)
        rows = []
        for j, av in enumerate(a_values):
            v = self.validate(dict(base, a=av))
            res = sim.run(int(v["n"]), int(v["d"]), v["s"], v["a"], v["sigma"], v["lam"],
                          instances, seed, beta_exp=v["beta_exp"])
            th = self.theory(v)
            row = {"a": av, "Q": th["extra"]["Q"], "mu": th["extra"]["mu"],
                   "counts": res["counts"], "theory": th["observables"],
                   "theory_mc_se": th["mc_se"],
                   "simulation": {k: list(res[k]) for k in OBSERVABLES}}
            row["pulls"], row["notes"], row["se"] = _pulls(res, th, instances)
            rows.append(row)
            if progress:
                progress(j + 1, len(a_values))
        verdicts = {k: all(abs(r["pulls"][k]) <= 3 for r in rows) for k in OBSERVABLES}
        passed = all(verdicts.values())
        v0 = self.validate(dict(base, a=a_values[0]))
        tag = (f"verify-composition-n{v0['n']:g}-d{v0['d']:g}-s{v0['s']:g}-"
               f"sigma{v0['sigma']:g}-lam{v0['lam']:g}-b{v0['beta_exp']:g}-seed{seed}")
        dense = []
        if len(a_values) > 1:
            for av in np.linspace(min(a_values), max(a_values), 13):
                dense.append((float(av), self.theory(self.validate(dict(base, a=float(av))),
                                                     mc=CURVE_MC)["observables"]))
        record = make_record(self, {k: x for k, x in v0.items() if k != "a"},
                             {"verdict": "PASS" if passed else "FAIL"}, instances=instances,
                             seed=seed, rows=rows, verdicts=verdicts, passed=passed)
        path = write_record(record, out_dir, tag)
        figure = plot_sweep(rows, dense, path.with_suffix(".png"),
                            f"n={v0['n']:g}, d={v0['d']:g}, s={v0['s']:g}, "
                            f"sigma={v0['sigma']:g}, lam={v0['lam']:g}, {instances} inst.")
        lines = [f"composition verify: n={v0['n']:g} d={v0['d']:g} s={v0['s']:g} "
                 f"sigma={v0['sigma']:g} lam={v0['lam']:g} beta_exp={v0['beta_exp']:g}, "
                 f"{instances} instances per a (seed {seed}); derivation {self.derivation_hash}",
                 "  a     " + "".join(f"{k:>27}" for k in OBSERVABLES)]
        for r in rows:
            cells = []
            for k in OBSERVABLES:
                m, _ = r["simulation"][k]
                cells.append(f"{m:9.4g}|{r['theory'][k]:<9.4g}({_fmt_pull(r['pulls'][k])})")
            lines.append(f"  {r['a']:<5g} " + " ".join(f"{c:>26}" for c in cells))
        lines.append("  cells: simulation|theory(pull in SE, theory Monte Carlo SE included); "
                     "|pull| <= 3 for every observable at every a: "
                     + ("PASS" if passed else "FAIL"))
        for r in rows:
            for k, note in r.get("notes", {}).items():
                lines.append(f"  a={r['a']:g} {k}: {note}")
        lines.append("  per observable: " + ", ".join(f"{k} {'ok' if ok else 'off'}"
                                                       for k, ok in verdicts.items()))
        return {"record": record, "table": "\n".join(lines), "figure": str(figure),
                "path": str(path), "passed": passed}

    def _verify_ladder(self, params, Ns, instances, seed, out_dir, quick, progress):
        from ..errors import InputError
        from ..records import make_record, write_record
        from ..simulation import composition as sim
        if len(Ns) < 2 or min(Ns) < 10:
            raise InputError("composition verify --ladder needs >= 2 sample sizes n >= 10 "
                             f"(got {Ns})")
        base = dict(PAPER, sigma=0.0, lam=0.0)
        base.update(params)
        ratio = base["d"] / base["n"]
        a_values = [base.pop("a")] if "a" in params else list((2.0,) if quick else LADDER_A)
        instances = instances or (16 if quick else 20)
        rows, fits = [], {}
        total = len(a_values) * len(Ns)
        for av in a_values:
            pts = []
            for nn in sorted(Ns):
                v = self.validate(dict(base, a=av, n=float(nn), d=float(round(ratio * nn))))
                res = sim.run(int(v["n"]), int(v["d"]), v["s"], v["a"], v["sigma"], v["lam"],
                              instances, seed, beta_exp=v["beta_exp"])
                th = self.theory(v)
                pulls, notes, ses = _pulls(res, th, instances)
                pts.append({"a": av, "n": nn, "d": v["d"], "theory": th["observables"],
                            "theory_mc_se": th["mc_se"],
                            "simulation": {k: list(res[k]) for k in OBSERVABLES},
                            "pulls": pulls, "notes": notes, "se": ses})
                if progress:
                    progress(len(rows) + len(pts), total)
            rows.extend(pts)
            for k in OBSERVABLES:
                fits[(av, k)] = _extrapolate(pts, k)
        verdict_pulls = all(abs(r["pulls"][k]) <= 3 for r in rows for k in OBSERVABLES)
        verdict_extra = all(f["ok"] for f in fits.values())
        passed = verdict_pulls and verdict_extra
        v0 = self.validate(dict(base, a=a_values[0]))
        tag = (f"verify-composition-ladder-{'-'.join(str(x) for x in Ns)}-dn{ratio:g}-"
               f"s{v0['s']:g}-sigma{v0['sigma']:g}-lam{v0['lam']:g}-seed{seed}")
        record = make_record(
            self, {k: x for k, x in v0.items() if k not in ("a", "n", "d")},
            {"verdict": "PASS" if passed else "FAIL"}, d_over_n=ratio, Ns=Ns,
            instances=instances, seed=seed, rows=rows,
            extrapolation={f"a={a_:g} {k}": f for (a_, k), f in fits.items()}, passed=passed)
        path = write_record(record, out_dir, tag)
        figure = plot_ladder(rows, fits, a_values, path.with_suffix(".png"),
                             f"d/n={ratio:g}, s={v0['s']:g}, sigma={v0['sigma']:g}, "
                             f"lam={v0['lam']:g}, {instances} inst.")
        lines = [f"composition verify (n ladder {Ns}, d = {ratio:g} n, s={v0['s']:g}, "
                 f"sigma={v0['sigma']:g}, lam={v0['lam']:g}, beta_exp={v0['beta_exp']:g}), "
                 f"{instances} instances per point (seed {seed}); derivation "
                 f"{self.derivation_hash}",
                 "  a     n      " + "".join(f"{k:>27}" for k in OBSERVABLES)]
        for r in rows:
            cells = [f"{r['simulation'][k][0]:9.4g}|{r['theory'][k]:<9.4g}"
                     f"({_fmt_pull(r['pulls'][k])})" for k in OBSERVABLES]
            lines.append(f"  {r['a']:<5g} {r['n']:<6g} " + " ".join(f"{c:>26}" for c in cells))
        lines.append("  1/n extrapolation of simulation - theory (intercept +- se, pull):")
        for av in a_values:
            cells = []
            for k in OBSERVABLES:
                f = fits[(av, k)]
                cells.append(f"{k} {f['intercept']:+.3g} +- {f['se']:.2g} ({_fmt_pull(f['pull'])})"
                             if f["fitted"] else f"{k} n/a ({f['why']})")
            lines.append(f"  a={av:g}: " + "; ".join(cells))
        lines.append(f"  verdict: per-n |pull| <= 3 {'ok' if verdict_pulls else 'FAIL'}, "
                     f"extrapolated discrepancy within 3 se of 0 "
                     f"{'ok' if verdict_extra else 'FAIL'}: " + ("PASS" if passed else "FAIL"))
        for r in rows:
            for k, note in r["notes"].items():
                lines.append(f"  a={r['a']:g} n={r['n']:g} {k}: {note}")
        return {"record": record, "table": "\n".join(lines), "figure": str(figure),
                "path": str(path), "passed": passed}


def _observables(t, sigma, T):
    """Observables of one population's tables (teacher part + sigma^2 x noise part); ``T``
    holds the T_* slots of the totals."""
    N = sigma ** 2

    def ratio(num, den):
        return num / den if den > 0 else math.nan

    return {
        "recovered_fraction": ratio(t[T.T_P1Q], t[T.T_P1]),
        "err_common": ratio(t[T.T_CB] + N * t[T.T_CN], t[T.T_P2]),
        "err_tail_once": ratio(t[T.T_E1B] + N * t[T.T_E1N], t[T.T_P1]),
        "err_unseen": ratio(t[T.T_P0B], t[T.T_P0]),
        "loss_in": t[T.T_LB] + N * t[T.T_LN],
        "loss_ood": 2 * ratio(t[T.T_RB] + N * t[T.T_RN], t[T.T_P1Q]),
        "expected_once": t[T.T_P1], "expected_common": t[T.T_P2],
        "expected_unseen": t[T.T_P0],
        "expected_unrecovered_once": t[T.T_UNREC],
        "expected_unpinned_common": t[T.T_UNP_C],
        "err_unrecovered_once": ratio(t[T.T_UNREC_B] + N * t[T.T_UNREC_N], t[T.T_UNREC]),
        "err_unpinned_common": ratio(t[T.T_UNP_CB] + N * t[T.T_UNP_CN], t[T.T_UNP_C]),
        "err_pinned_common": ratio(t[T.T_CB] - t[T.T_UNP_CB] + N * (t[T.T_CN] - t[T.T_UNP_CN]),
                                   t[T.T_P2] - t[T.T_UNP_C]),
    }


# Floating-point floor of a squared coefficient error: w is computed to ~1e-13 relative, so a
# zero error reads as up to ~1e-26; added in quadrature to the statistical SE (it only matters
# where the theory is exactly 0: noiseless recovered features, loss_ood at sigma = lam = 0).
ROUNDOFF = 1e-20


def _pulls(res, th, instances):
    """Pulls (simulation - theory) / SE, SE^2 = simulation SE^2 + theory Monte Carlo SE^2, with
    statistical floors where the plug-in (delta-method) SE fails because the events are few:

    * recovered_fraction: simulation SE >= binomial sqrt(t (1 - t)/N) at the theory's t over
      the N seen-once features of the run;
    * err_tail_once, err_common: these are mixtures of a rare, large-error part (unpinned
      members) and a common small-error part; the simulation SE is at least the Poisson
      fluctuation of the number of unpinned members times the theory's mean error of one,
      sqrt(expected count) x error / class count (a lower bound on the true SE that the delta
      method misses when few or none are seen: with none seen the pull is -sqrt(expected
      count)). A note gives the zero-count probability when none is seen.

    Returns (pulls, notes, ses): ses[k] is the SE the pull used (also used by the ladder's
    extrapolation)."""
    t_obs, t_se, ex = th["observables"], th["mc_se"], th["extra"]
    pulls, notes, ses = {}, {}, {}
    c = res["counts"]
    N = c["n_once"] * instances
    n_unrec = N - c["n_rec"] * instances
    n_common = c["n_common"] * instances
    n_unp_common = c["n_common_unpinned"] * instances
    t_rf = t_obs["recovered_fraction"]
    rare = {"err_tail_once": (N, n_unrec, N * (1 - t_rf), ex["err_unrecovered_once"],
                              "unrecovered seen-once"),
            "err_common": (n_common, n_unp_common, instances * ex["expected_unpinned_common"],
                           ex["err_unpinned_common"], "unpinned common")}
    for k in OBSERVABLES:
        m, se = res[k]
        se = se if (se is not None and math.isfinite(se)) else 0.0
        ts = t_se.get(k, 0.0)
        ts = ts if math.isfinite(ts) else 0.0
        if k == "recovered_fraction" and N > 0:
            se = max(se, math.sqrt(max(t_rf * (1 - t_rf), 0) / N))
        if k in rare and rare[k][0] > 0:
            total, seen, expect, err, what = rare[k]
            if math.isfinite(err) and expect > 0:
                se = max(se, math.sqrt(expect) * err / total)
            if seen < 0.5:
                notes[k] = (f"no {what} feature among {total:.0f}: expected {expect:.3g} "
                            f"(probability of none {math.exp(-expect):.3g}) under the theory")
        ses[k] = math.sqrt(se * se + ts * ts + ROUNDOFF * ROUNDOFF)
        pulls[k] = _pull(m, se, t_obs[k], ts)
    return pulls, notes, ses


def _pull(m, se, t, ts=0.0):
    if not (math.isfinite(m) and math.isfinite(t)):
        return 0.0 if (math.isnan(m) and math.isnan(t)) else math.inf
    se = se if (se is not None and math.isfinite(se)) else 0.0
    ts = ts if (ts is not None and math.isfinite(ts)) else 0.0
    return (m - t) / math.sqrt(se * se + ts * ts + ROUNDOFF * ROUNDOFF)


def _fmt_pull(pl):
    return f"{pl:+5.1f}" if abs(pl) < 1e4 else " >1e4"


def _extrapolate(pts, k):
    """WLS fit of simulation - theory = D_inf + c/n over the ladder (numerics/ladder.py
    ``extrapolate`` against 0), weights from the SE each pull used; ok when |D_inf| <= 3 se.
    Points where the discrepancy and its SE vanish (exactly-zero observables: loss_ood without
    noise) carry no information and are left out."""
    from ..ladder import extrapolate
    ns, y, s = [], [], []
    for r in pts:
        m, t, sd = r["simulation"][k][0], r["theory"][k], r["se"][k]
        if not (math.isfinite(m) and math.isfinite(t)) or (abs(m - t) < 1e-18 and sd <= 1e-18):
            continue
        ns.append(r["n"])
        y.append(m - t)
        s.append(sd)
    if len(ns) < 2:
        return {"fitted": False, "ok": True, "why": "fewer than 2 usable points"}
    fit = extrapolate(ns, y, s, 0.0, atol=0.0)
    D, se = fit["extrapolated"], fit["se"]
    pull = D / se if se > 0 else (0.0 if D == 0 else math.inf)  # signed: the table shows it
    return {"fitted": True, "intercept": D, "se": se, "slope": fit["slope"],
            "pull": pull, "chi2": fit["chi2"], "dof": fit["dof"], "ok": abs(pull) <= 3}


def plot_sweep(rows, dense, path, title):
    from ..plotting import pyplot
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    a = np.array([r["a"] for r in rows])
    for ax, k in zip(axes.ravel(), OBSERVABLES):
        if dense:
            ta = np.array([x for x, _ in dense])
            th = np.array([o[k] for _, o in dense], float)
        else:
            ta, th = a, np.array([r["theory"][k] for r in rows], float)
        m = np.array([r["simulation"][k][0] for r in rows], float)
        se = np.array([r["simulation"][k][1] for r in rows], float)
        ax.plot(ta, th, "-", color="C0", label="theory (cavity)")
        ax.errorbar(a, m, yerr=np.nan_to_num(se), fmt="o", color="C3", ms=4, capsize=3,
                    label="simulation (1 SE)")
        ax.set_xlabel("power-law exponent a")
        ax.set_title(k)
    axes[0, 0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_ladder(rows, fits, a_values, path, title):
    from ..plotting import pyplot
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    for ax, k in zip(axes.ravel(), OBSERVABLES):
        for j, av in enumerate(a_values):
            pts = [r for r in rows if r["a"] == av]
            x = np.array([1.0 / r["n"] for r in pts])
            y = np.array([r["simulation"][k][0] - r["theory"][k] for r in pts], float)
            e = np.array([r["se"][k] for r in pts])
            ax.errorbar(x, y, yerr=e, fmt="o", color=f"C{j}", ms=4, capsize=3,
                        label=f"a={av:g}")
            f = fits[(av, k)]
            if f["fitted"]:
                xx = np.linspace(0, x.max() * 1.05, 20)
                ax.plot(xx, f["intercept"] + f["slope"] * xx, "-", color=f"C{j}", lw=1)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_xlabel("1/n")
        ax.set_title(f"{k}: simulation - theory")
    axes[0, 0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
