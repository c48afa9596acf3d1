"""composition: long-tail memorization and composition in sparse power-law linear regression.

Conventions are those of theory/models/composition.py (derivations/composition.md). The theory has
one scalar order parameter, Q: the probability that all other features of a sample are pinned
without it, the largest fixed point of Q = prod_i (1 - u_i(Q)). Everything else is a sum over
features i = 1..d (and over training counts k, clean samples J, co-free features M) of generated
per-feature kernels; the loops run in numba, calling the generated kernels.

Truncations (numerical, not modelling): sums over Binomial / Poisson counts are restricted to
mean +- 14 sd (+ 12), where the omitted mass is < 1e-40.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..boundary import find_root
from ..model import SaddlePointModel
from ..results import Result

OBSERVABLES = ("recovered_fraction", "err_common", "err_tail_once", "err_unseen", "loss_in",
               "loss_ood")
# the paper's linear experiment
PAPER = {"n": 1000.0, "d": 10000.0, "s": 5.0}
PAPER_A = (0.0, 0.5, 1.0, 1.25, 1.5, 2.0, 3.0)


def _window(mean, var, lo, hi):
    sd = math.sqrt(max(var, 0.0))
    return max(lo, int(mean - 14 * sd - 12)), min(hi, int(mean + 14 * sd + 12))


def _make_evaluator(mod):
    feature, binom_kernel, poisson = mod.feature, mod.binom_pmf, mod.poisson_pmf
    err_star = mod.err_star

    @njit
    def binom(x, p, out):
        """The generated Binomial pmf, with the degenerate ends prob = 0, 1 (point masses)."""
        if x[2] >= 1.0:
            out[0] = 1.0 if x[0] == x[1] else 0.0
        elif x[2] <= 0.0:
            out[0] = 1.0 if x[0] == 0.0 else 0.0
        else:
            binom_kernel(x, p, out)

    @njit
    def log_product(p, Z, Q):
        """log prod_i (1 - u_i(Q)) and, at Q = 1 and Z = 1, sum_i i^(-a) in slot 1."""
        d = int(p[1])
        x = np.empty(3)
        out = np.empty(10)
        acc = 0.0
        wsum = 0.0
        for i in range(1, d + 1):
            x[0] = i
            x[1] = Z
            x[2] = Q
            feature(x, p, out)
            acc += out[7]
            wsum += out[0]
        return acc, wsum

    @njit
    def sums(p, Z, Q):
        """Per-class sums: returns (mu, sum u beta2) first; see ``totals``."""
        d = int(p[1])
        x = np.empty(3)
        out = np.empty(10)
        mu = 0.0
        ub = 0.0
        for i in range(1, d + 1):
            x[0] = i
            x[1] = Z
            x[2] = Q
            feature(x, p, out)
            mu += out[6]
            ub += out[6] * out[2]
        return mu, ub

    @njit
    def totals(p, Z, Q, mu, B, mbar, eps_c):
        n = p[0]
        d = int(p[1])
        x = np.empty(6)
        x[5] = eps_c
        out = np.empty(10)
        pm = np.empty(1)
        e2 = np.empty(2)
        t = np.zeros(10)
        # t: 0 sum P1, 1 sum P1 Q_i, 2 sum P0, 3 sum P0 b2, 4 sum P1 E1, 5 sum P2plus,
        #    6 sum common err, 7 loss_in, 8 sum P1 Q_i err_rec,
        #    9 sum p_i E[err_i; i pinned] (the next eps_c)
        for i in range(1, d + 1):
            x[0] = i
            x[1] = Z
            x[2] = Q
            feature(x[:3], p, out)
            pi, b2, P0, P1, ui, Qi = out[1], out[2], out[3], out[4], out[6], out[8]
            # seen once: clean with prob Q_i, else M >= 1 co-free features ~ Poisson(mu - u_i)
            x[0] = 1.0
            x[1] = 1.0
            x[2] = 1.0  # m is irrelevant when every sample is clean (k = J); finite avoids 0*inf
            x[3] = b2
            x[4] = B
            err_star(x, p, e2)
            e_rec = e2[0]
            mui = mu - ui
            e_free = 0.0
            if Qi < 1.0 and mui > 0.0:
                poisson(np.array([0.0, mui]), p, pm)
                p0 = pm[0]
                lo, hi = 1, int(mui + 14 * math.sqrt(mui) + 12)
                acc = 0.0
                for M in range(lo, hi + 1):
                    poisson(np.array([float(M), mui]), p, pm)
                    x[0] = 1.0
                    x[1] = 0.0
                    x[2] = M
                    err_star(x, p, e2)
                    acc += pm[0] * e2[1]
                e_free = acc / (1.0 - p0)
            E1 = Qi * e_rec + (1.0 - Qi) * e_free
            # seen k >= 2 times: J ~ Binomial(k, Q_i) clean samples
            var = n * pi * (1.0 - pi)
            kmin = max(2, int(n * pi - 14 * math.sqrt(var) - 12))
            kmax = min(int(n), int(n * pi + 14 * math.sqrt(var) + 12))
            ec = 0.0
            pinned = 0.0
            P2 = 0.0  # P(k >= 2), summed over the same window (no 1 - P0 - P1 cancellation)
            for k in range(kmin, kmax + 1):
                binom(np.array([float(k), n, pi]), p, pm)
                wk = pm[0]
                if wk < 1e-300:
                    continue
                P2 += wk
                x[0] = k
                x[2] = mbar
                # J = 0: all k samples unclean
                binom(np.array([0.0, float(k), Qi]), p, pm)
                x[1] = 0.0
                err_star(x, p, e2)
                ek = pm[0] * e2[1]
                epin = 0.0
                vj = k * Qi * (1.0 - Qi)
                jmin = max(1, int(k * Qi - 14 * math.sqrt(vj) - 12))
                jmax = min(k, int(k * Qi + 14 * math.sqrt(vj) + 12))
                for J in range(jmin, jmax + 1):
                    binom(np.array([float(J), float(k), Qi]), p, pm)
                    x[1] = J
                    err_star(x, p, e2)
                    ek += pm[0] * e2[0]
                    epin += pm[0] * e2[0]
                ec += wk * ek
                pinned += wk * epin
            t[0] += P1
            t[1] += P1 * Qi
            t[2] += P0
            t[3] += P0 * b2
            t[4] += P1 * E1
            t[5] += P2
            t[6] += ec
            t[7] += pi * (P0 * b2 + P1 * E1 + ec)
            t[8] += P1 * Qi * e_rec
            t[9] += pi * (P1 * Qi * e_rec + pinned)
        return t

    return log_product, sums, totals


class Composition(SaddlePointModel):
    """Long-tail memorization in sparse power-law linear regression: recovery, errors, losses."""

    name = "composition"
    stem = "composition"

    def __init__(self, progress=None):
        super().__init__(progress)
        self._ev = None

    @property
    def evaluator(self):
        if self._ev is None:
            self._ev = _make_evaluator(self.module)
        return self._ev

    def validate(self, params: dict) -> dict:
        from ..errors import ParameterError
        v = super().validate(params)
        for name in ("n", "d"):
            if v[name] != int(v[name]):
                raise ParameterError(name, v[name], f"{name} a positive integer")
        return v

    # -- theory -------------------------------------------------------------------------------
    def fixed_point(self, v: dict):
        """Largest fixed point of Q = prod_i (1 - u_i(Q)): monotone iteration from Q = 1 (the
        iterates decrease to it), finished by a bracketed root when iteration is slow (near the
        point where a smaller fixed point appears, the map is nearly tangent)."""
        p = self.pvec(v)
        log_product = self.evaluator[0]
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

    def theory(self, v: dict) -> dict:
        p = self.pvec(v)
        Q, Z, it, res, msg = self.fixed_point(v)
        _, sums, totals = self.evaluator
        mu, ub = sums(p, Z, Q)
        B = ub / mu if mu > 0 else 0.0
        mbar = float(self.call("mean_free", [mu], p)[0]) if mu > 0 else 1.0
        # eps_c: error the pinned features leave in a sample, self-consistent (a contraction
        # with factor ~ s/k; exactly 0 for sigma = lam = 0)
        eps_c, eps_it, eps_res = 0.0, 0, 0.0
        t = totals(p, Z, Q, mu, B, mbar, eps_c)
        if v["sigma"] > 0 or v["lam"] > 0:
            for eps_it in range(1, 101):
                new = float(t[9])
                eps_res = abs(new - eps_c)
                eps_c = new
                t = totals(p, Z, Q, mu, B, mbar, eps_c)
                if eps_res <= 1e-12 * max(eps_c, 1e-300) + 1e-300:
                    break
            eps_res = abs(float(t[9]) - eps_c)
        obs = {
            "recovered_fraction": t[1] / t[0],
            "err_common": t[6] / t[5] if t[5] > 0 else math.nan,
            "err_tail_once": t[4] / t[0],
            "err_unseen": t[3] / t[2] if t[2] > 0 else math.nan,
            "loss_in": t[7],
            "loss_ood": 2 * t[8] / t[1] if t[1] > 0 else math.nan,
        }
        extra = {"Q": Q, "Z_a": Z, "mu": mu, "B": B, "mbar": mbar, "eps_c": eps_c,
                 "eps_c_iterations": eps_it, "eps_c_residual": eps_res,
                 "expected_once": t[0], "expected_common": t[5], "expected_unseen": t[2]}
        return {"observables": {k: float(x) for k, x in obs.items()}, "extra": extra,
                "status": {"converged": bool(res < 1e-12 and eps_res <= 1e-10 * max(eps_c, 1e-10)),
                           "iterations": it, "residual": max(res, eps_res),
                           "method": "fixed-point", "message": msg}}

    def solve(self, params: dict | None = None, **kw) -> Result:
        v = self.validate({**(params or {}), **{k: x for k, x in kw.items()
                                                if k not in ("init", "method", "mixing", "tol",
                                                             "max_iter", "trace")}})
        th = self.theory(v)
        ex = th["extra"]
        obs = dict(th["observables"], Z_a=ex["Z_a"], mu=ex["mu"], mbar=ex["mbar"],
                   eps_c=ex["eps_c"])
        return Result(self.name, v, {"Q": ex["Q"]}, obs, th["status"], self.derivation_hash,
                      self._versions())

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
                      instances, seed)
        th = self.theory(v)
        record = {"model": self.name, "params": v, "instances": instances, "seed": seed,
                  "simulation": {k: {"mean": res[k][0], "se": res[k][1]} for k in OBSERVABLES},
                  "counts": res["counts"], "theory": th["observables"], "Q": th["extra"]["Q"],
                  "derivation_hash": self.derivation_hash, "versions": self._versions()}
        lines = [f"composition simulate: n={v['n']:g} d={v['d']:g} s={v['s']:g} a={v['a']:g} "
                 f"sigma={v['sigma']:g} lam={v['lam']:g}, {instances} instances (seed {seed})",
                 f"  {'observable':<20}{'simulation':>24}{'theory':>14}{'pull':>8}"]
        for k in OBSERVABLES:
            m, se = res[k]
            t = th["observables"][k]
            pull = (m - t) / se if se and se > 0 else math.nan
            lines.append(f"  {k:<20}{m:>14.5g} +- {se:<8.2g}{t:>14.5g}{pull:>8.2f}")
        return {"record": record, "table": "\n".join(lines)}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        """Theory against simulation over the exponent a at the paper's setting (n, d, s from
        ``params``, default 1000, 10000, 5), with a 3-standard-error verdict per point.

        Verdict observables: recovered_fraction (tree fixed point) and err_unseen (exact) at
        every a; err_tail_once, loss_in, loss_ood (star approximation) where mu <= 0.5 (few
        co-unpinned features per sample: the composition regime, large a). All pulls are
        reported. ``Ns`` is not used (one n per run)."""
        import json
        from pathlib import Path

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
                          instances, seed)
            th = self.theory(v)
            row = {"a": av, "Q": th["extra"]["Q"], "mu": th["extra"]["mu"],
                   "counts": res["counts"], "theory": th["observables"],
                   "simulation": {k: list(res[k]) for k in OBSERVABLES}, "pulls": {}}
            row["pulls"], row["notes"] = _pulls(dict(res, sigma=v["sigma"], lam=v["lam"]),
                                                th["observables"], instances)
            rows.append(row)
            if progress:
                progress(j + 1, len(a_values))
        for r in rows:
            r["in_verdict"] = [k for k in OBSERVABLES
                               if k in VERDICT or (k in STAR_VERDICT and r["mu"] <= MU_VALID)]
        verdicts = {k: all(abs(r["pulls"][k]) <= 3 for r in rows if k in r["in_verdict"])
                    for k in OBSERVABLES}
        passed = all(abs(r["pulls"][k]) <= 3 for r in rows for k in r["in_verdict"])
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        tag = (f"verify-composition-n{base['n']:g}-d{base['d']:g}-s{base['s']:g}-"
               f"sigma{base['sigma']:g}-lam{base['lam']:g}-seed{seed}")
        dense = []
        if len(a_values) > 1:
            for av in np.linspace(min(a_values), max(a_values), 19):
                dense.append((float(av), self.theory(self.validate(dict(base, a=float(av))))[
                    "observables"]))
        figure = plot_sweep(rows, dense, out / f"{tag}.png",
                            f"n={base['n']:g}, d={base['d']:g}, s={base['s']:g}, "
                            f"sigma={base['sigma']:g}, lam={base['lam']:g}, {instances} inst.")
        record = {"model": self.name, "params": {k: x for k, x in base.items()},
                  "instances": instances, "seed": seed, "rows": rows, "verdicts": verdicts,
                  "verdict_observables": list(VERDICT), "passed": passed,
                  "derivation_hash": self.derivation_hash, "versions": self._versions()}
        path = out / f"{tag}.json"
        path.write_text(json.dumps(_clean(record), indent=1, allow_nan=False))
        lines = [f"composition verify: n={base['n']:g} d={base['d']:g} s={base['s']:g} "
                 f"sigma={base['sigma']:g} lam={base['lam']:g}, {instances} instances per a "
                 f"(seed {seed}); derivation {self.derivation_hash}",
                 "  a     " + "".join(f"{k:>27}" for k in OBSERVABLES)]
        for r in rows:
            cells = []
            for k in OBSERVABLES:
                m, se = r["simulation"][k]
                pl = r["pulls"][k]
                pls = f"{pl:+5.1f}" if abs(pl) < 1e4 else " >1e4"
                mark = "*" if k in r["in_verdict"] else " "
                cells.append(f"{m:9.4g}|{r['theory'][k]:<9.4g}({pls}){mark}")
            lines.append(f"  {r['a']:<5g} " + " ".join(f"{c:>26}" for c in cells))
        lines.append("  cells: simulation|theory(pull in SE), * = in the verdict; |pull| <= 3 for "
                     + ", ".join(VERDICT) + " at every a, and for " + ", ".join(STAR_VERDICT)
                     + f" where mu <= {MU_VALID:g}: " + ("PASS" if passed else "FAIL"))
        for r in rows:
            for k, note in r.get("notes", {}).items():
                lines.append(f"  a={r['a']:g} {k}: {note}")
        lines.append("  per observable: " + ", ".join(f"{k} {'ok' if ok else 'off'}"
                                                       for k, ok in verdicts.items()))
        return {"record": record, "table": "\n".join(lines), "figure": str(figure),
                "path": str(path), "passed": passed}


# Verdict: recovered_fraction (tree fixed point) and err_unseen (exact) at every a; the star-
# approximation errors only where a sample carries few co-unpinned features (mu <= MU_VALID).
# err_common is never in the verdict: the mean-field star overestimates it (see the docs).
VERDICT = ("recovered_fraction", "err_unseen")
STAR_VERDICT = ("err_tail_once", "loss_in", "loss_ood")
MU_VALID = 0.5


# Floating-point floor of a squared coefficient error: w is computed to ~1e-13 relative, so a
# zero error reads as up to ~1e-26; added in quadrature to the statistical SE (it only matters
# where the theory is exactly 0: noiseless recovered features, loss_ood at sigma = lam = 0).
ROUNDOFF = 1e-20


def _pulls(res, th, instances):
    """Pulls (sim - theory)/SE. Two small-count cases get exact null-model statistics instead of
    the plug-in standard error, which vanishes when no event is seen (large a: every seen-once
    feature recovered):
    * recovered_fraction: SE = max(delta-method SE, binomial SE sqrt(t (1 - t)/N) at the
      theory's t over the N seen-once features of the run);
    * err_tail_once with zero unrecovered seen-once features observed: the probability of that
      under the theory, t^N, is compared with 0.0027 (the two-sided 3-sigma level), and the
      measured error with the theory's error of a recovered seen-once feature (loss_ood / 2);
      the pull recorded is the latter (inf if t^N < 0.0027), with a note."""
    pulls, notes = {}, {}
    N = res["counts"]["n_once"] * instances
    n_rec = res["counts"]["n_rec"] * instances
    t_rf = th["recovered_fraction"]
    for k in OBSERVABLES:
        m, se = res[k]
        if k == "recovered_fraction" and N > 0:
            se = max(se if math.isfinite(se) else 0.0, math.sqrt(max(t_rf * (1 - t_rf), 0) / N))
        if k == "err_tail_once" and N > 0 and abs(n_rec - N) < 0.5:
            # no unrecovered seen-once feature seen: the rare, large-error part of the mixture
            # is tested by its zero-count probability, the rest against the theory's error of
            # a recovered seen-once feature (loss_ood / 2)
            p_zero = t_rf ** N
            pull_rec = _pull(m, se, th["loss_ood"] / 2)
            notes[k] = (f"no unrecovered seen-once feature among {N:.0f}: probability "
                        f"{p_zero:.3g} under the theory; recovered part {m:.4g} vs "
                        f"{th['loss_ood'] / 2:.4g} (pull {pull_rec:+.1f})")
            pulls[k] = pull_rec if p_zero >= 0.0027 else math.inf
            continue
        pulls[k] = _pull(m, se, th[k])
    return pulls, notes


def _pull(m, se, t):
    if not (math.isfinite(m) and math.isfinite(t)):
        return 0.0 if (math.isnan(m) and math.isnan(t)) else math.inf
    se = se if (se is not None and math.isfinite(se)) else 0.0
    return (m - t) / math.sqrt(se * se + ROUNDOFF * ROUNDOFF)


def _clean(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def plot_sweep(rows, dense, path, title):
    from ..plotting import _plt
    plt = _plt()
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
        ax.plot(ta, th, "-", color="C0", label="theory")
        ax.errorbar(a, m, yerr=np.nan_to_num(se), fmt="o", color="C3", ms=4, capsize=3,
                    label="simulation (1 SE)")
        ax.set_xlabel("power-law exponent a")
        ax.set_title(k + (" (verdict)" if k in VERDICT else ""))
    axes[0, 0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
