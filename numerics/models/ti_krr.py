"""ti-krr: transitive inference with exceptions, learned by kernel ridge regression on item pairs.

Conventions are those of theory/models/ti_krr.py (derivations/ti_krr.md): items 1 > 2 > ... > n,
training pairs = adjacent pairs in both orders plus exceptions "a>b" (the lower item a beats b,
a >= b + 2), pair kernel with conjunctivity c, ridge lam. Every margin comes from the derived
reduction: f(i, j) = r_i - r_j on untrained pairs with (L + mu) r = s, mu = 2 (c + lam)/(1 - c),
evaluated as r = r0 + G U (I + U^T G U)^{-1} (1 - U^T r0) (Woodbury) with the generated kernel
`green` (free-path Green's function, mu > 0) or `green0` (its mu = 0 generalized inverse): O(n E)
kernel evaluations plus an E x E solve. Training pairs: f = (lam (r_i - r_j) + c y)/(c + lam).

Parameters: n, c, lam (derivation), and model-level options:
* exceptions: string "6>4,9>5" (CLI --exceptions) or a list of (a, b) pairs;
* t > 0: gradient-flow time from zero (default: t = inf, i.e. ridge regression);
* depth >= 0 and ntk in {0, 1}: use the kernel of a ReLU network of that depth (NNGP, or NTK with
  ntk=1) on the input (e_i, e_j)/sqrt(2) instead of the family at a given c; lam and t are then in
  the network kernel's units (mapped to the family by the factor K_1 - K_0 of the derivation).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types

from ..errors import InputError
from ..model import SaddlePointModel
from ..params import ParamSpec, refine
from ..results import Result

_KSIG = types.FunctionType(types.void(types.float64[::1], types.float64[::1],
                                      types.float64[::1]))


@njit(types.void(_KSIG, _KSIG, types.int64, types.int64[::1], types.float64,
                 types.float64[::1], types.float64[:, ::1]), cache=True)
def _green_columns(green, green0, n, cols, mu, p, out):
    """out[a, k] = G(a + 1, cols[k]; n, mu) from the generated kernels (mu = 0: green0)."""
    x3 = np.empty(3)
    x2 = np.empty(2)
    o = np.empty(1)
    for a in range(n):
        for k in range(cols.size):
            b = cols[k]
            lo = min(a + 1, b)
            hi = max(a + 1, b)
            if mu > 0.0:
                x3[0] = lo
                x3[1] = hi
                x3[2] = mu
                green(x3, p, o)
            else:
                x2[0] = lo
                x2[1] = hi
                green0(x2, p, o)
            out[a, k] = o[0]


@njit(types.void(_KSIG, types.float64[:, ::1], types.float64[::1], types.float64[::1]),
      cache=True)
def _apply_rows(kernel, X, p, out):
    """out[k] = first output of ``kernel`` at inputs X[k] (one row per evaluation)."""
    o = np.empty(4)
    for k in range(X.shape[0]):
        kernel(X[k], p, o)
        out[k] = o[0]


# A margin f = r_i - r_j is resolved in double precision when |f| > RESOLUTION (|r_i| + |r_j|):
# at strong regularization the margins of pairs far from the items with nonzero net wins are
# exponentially small differences of nearly equal scores (e^{-d theta}); their sign is then not
# determined by the computation (checked against 120-digit mpmath solves in the tests).
RESOLUTION = 1e-12


# -- input parsing --------------------------------------------------------------------------------
def parse_exceptions(spec, n: int | None = None) -> list[tuple[int, int]]:
    """'6>4,9>5' (or [(6, 4), (9, 5)]) -> [(6, 4), (9, 5)]: item a beats the higher item b."""
    if spec is None or spec == "" or spec == []:
        return []
    items = spec
    if isinstance(spec, str):
        items = []
        for part in spec.replace(" ", "").split(","):
            if not part:
                continue
            if part.count(">") != 1:
                raise InputError(f"malformed exception '{part}': expected a>b (item a beats the "
                                 "higher item b, a >= b + 2), e.g. --exceptions 6>4,9>5")
            a, b = part.split(">")
            try:
                items.append((int(a), int(b)))
            except ValueError:
                raise InputError(f"malformed exception '{part}': items are integers") from None
    out = []
    for a, b in items:
        a, b = int(a), int(b)
        if a < b + 2:
            raise InputError(f"exception '{a}>{b}' is not an exception: need a >= b + 2 (the "
                             "lower item a beats a higher item b that is not adjacent)")
        if b < 1 or (n is not None and a > n):
            raise InputError(f"exception '{a}>{b}': items must lie in 1..{n}")
        if (a, b) in out:
            raise InputError(f"exception '{a}>{b}' is listed twice")
        out.append((a, b))
    return sorted(out)


def format_exceptions(exc) -> str:
    return ",".join(f"{a}>{b}" for a, b in exc)


class TiKrr(SaddlePointModel):
    """Transitive inference with exceptions, kernel ridge regression: margins of every pair."""

    name = "ti-krr"
    stem = "ti_krr"

    # -- parameters -------------------------------------------------------------------------
    extra_params = (
        refine("n", kind="integer", upper=10000,
               description="number of items (integer >= 3; at most 10000: dense n x n margins)"),
        ParamSpec("exceptions", default="", kind="text",
                  description="trained exceptions a>b (item a beats the higher item b, a >= b + 2)"
                              ", e.g. 6>4,9>5 (CLI --exceptions)"),
        ParamSpec("t", 0.0, math.inf, True, False, None,
                  "gradient-flow time from zero (inf: ridge regression, the default)",
                  optional=True),
        ParamSpec("depth", 0, 1000, kind="integer", optional=True,
                  description="hidden ReLU layers of a network kernel used instead of c"),
        ParamSpec("ntk", 0, 1, kind="integer", optional=True,
                  description="with depth: 0 NNGP (default), 1 NTK"),
    )
    boundary_variable = "c"

    def validate(self, params: dict) -> dict:
        if "depth" in params and params["depth"] is not None and "c" in params:
            raise InputError("give either c or depth (the network kernel sets c), not both")
        given = {k: x for k, x in params.items() if x is not None or k not in
                 ("exceptions", "t", "depth", "ntk")}
        v = super().validate(given)
        try:
            v["exceptions"] = format_exceptions(parse_exceptions(v["exceptions"], v["n"]))
        except InputError as e:
            raise InputError(f"parameter 'exceptions': {e}") from None
        if "t" in v and not math.isfinite(v["t"]):
            v.pop("t")  # t = inf: the converged flow, i.e. ridge regression
        if "ntk" in v and "depth" not in v:
            raise InputError("ntk needs depth (the number of hidden ReLU layers)")
        if "depth" in v:
            v.pop("c")  # set by the network kernel (observable c_network)
            v["ntk"] = v.pop("ntk", 0)
        return v

    def _pvec(self, n, c, lam):
        return np.array([float(n), float(c), float(lam)])

    def _call(self, kernel, x, n=3, c=0.0, lam=0.0):
        return self.call(kernel, x, self._pvec(n, c, lam))

    # -- network kernels --------------------------------------------------------------------
    def network_kernel(self, depth: int, ntk: bool = False):
        """(c, kd, scale K_1 - K_0) of a depth-`depth` ReLU NNGP (or NTK) on (e_i, e_j)/sqrt 2."""
        vals = []
        for rho0 in (0.0, 0.5, 1.0):
            k, theta = rho0, rho0
            for _ in range(depth):
                kk, kdot = self._call("arccos", [min(k, 1.0)])
                theta = kk + theta * kdot
                k = kk
            vals.append(theta if ntk else k)
        K0, Kh, K1 = vals
        K0, Kh, K1 = float(K0), float(Kh), float(K1)
        return {"c": (K1 - 2 * Kh + K0) / (K1 - K0), "kd": K0 / K1, "scale": K1 - K0,
                "K0": K0, "K_half": Kh, "K1": K1}

    def family(self, v: dict) -> dict:
        """The family parameters (c, lam, t) equivalent to validated params ``v``."""
        if "depth" in v:
            net = self.network_kernel(v["depth"], bool(v.get("ntk", 0)))
            t = v.get("t")
            return {"c": net["c"], "lam": v["lam"] / net["scale"],
                    "t": None if t is None else t * net["scale"], "network": net}
        return {"c": v["c"], "lam": v["lam"], "t": v.get("t"), "network": None}

    def mu(self, c: float, lam: float) -> float:
        if c == 0.0 and lam == 0.0:
            return 0.0
        return float(self._call("combined", [], 3, c, lam)[0])

    # -- the closed forms -------------------------------------------------------------------
    def green_columns(self, n: int, cols, mu: float) -> np.ndarray:
        cols = np.ascontiguousarray(cols, dtype=np.int64)
        out = np.empty((n, cols.size))
        m = self.module
        _green_columns(m.green, m.green0, n, cols, float(mu), self._pvec(n, 0.0, 0.0), out)
        return out

    def scores(self, n: int, exceptions, mu: float) -> np.ndarray:
        """r with (L + mu) r = s (mu = 0: a solution; only differences are defined)."""
        E = len(exceptions)
        cols = [1, n] + [a for a, _ in exceptions] + [b for _, b in exceptions]
        Gc = self.green_columns(n, cols, mu)
        r0 = Gc[:, 0] - Gc[:, 1]
        if E == 0:
            return r0
        a_idx = np.array([a - 1 for a, _ in exceptions])
        b_idx = np.array([b - 1 for _, b in exceptions])
        GU = Gc[:, 2:2 + E] - Gc[:, 2 + E:]  # columns G (e_a - e_b)
        M = np.eye(E) + GU[a_idx] - GU[b_idx]  # I + U^T G U
        rhs = 1.0 - (r0[a_idx] - r0[b_idx])
        return r0 + GU @ np.linalg.solve(M, rhs)

    @staticmethod
    def laplacian(n: int, exceptions) -> np.ndarray:
        L = np.zeros((n, n))
        for a, b in [(k, k + 1) for k in range(1, n)] + list(exceptions):
            L[a - 1, a - 1] += 1
            L[b - 1, b - 1] += 1
            L[a - 1, b - 1] -= 1
            L[b - 1, a - 1] -= 1
        return L

    @staticmethod
    def net_wins(n: int, exceptions) -> np.ndarray:
        s = np.zeros(n)
        s[0], s[-1] = 1.0, -1.0
        for a, b in exceptions:
            s[a - 1] += 1
            s[b - 1] -= 1
        return s

    def residual(self, n, exceptions, mu, r) -> float:
        """max |(L + mu) r - s| in O(n + E): the measured consistency of the closed form."""
        Lr = np.zeros(n)
        d = r[:-1] - r[1:]
        Lr[:-1] += d
        Lr[1:] -= d
        for a, b in exceptions:
            Lr[a - 1] += r[a - 1] - r[b - 1]
            Lr[b - 1] += r[b - 1] - r[a - 1]
        res = Lr + mu * r - self.net_wins(n, exceptions)
        return float(np.max(np.abs(res)) / max(1.0, float(np.max(np.abs(mu * r)))))

    def margin_matrix(self, params: dict | None = None, **kw) -> np.ndarray:
        """F[i-1, j-1] = f(i, j) for every ordered pair (diagonal 0); F is antisymmetric."""
        v = self.validate({**(params or {}), **kw})
        return self._margins(v)[0]

    def _margins(self, v):
        n = v["n"]
        exc = parse_exceptions(v["exceptions"], n)
        fam = self.family(v)
        c, lam, t = fam["c"], fam["lam"], fam["t"]
        mu = self.mu(c, lam)
        if t is None:
            r = self.scores(n, exc, mu)
            res = self.residual(n, exc, mu, r)
            if mu == 0.0:  # green0 fixes r up to a constant: centre it (exact r has mean 0)
                r = r - r.mean()
            F = r[:, None] - r[None, :]
            ar = np.abs(r)
            unresolved = np.abs(F) <= RESOLUTION * (ar[:, None] + ar[None, :])
            tr = list(self._training_labels(n, exc))
            ia = np.array([a - 1 for (a, _), _ in tr])
            ib = np.array([b - 1 for (_, b), _ in tr])
            if c + lam > 0:
                X = np.ascontiguousarray(np.column_stack([r[ia] - r[ib], [y for _, y in tr]]))
                vals = np.empty(len(tr))
                _apply_rows(self.module.train_margin, X, self._pvec(n, c, lam), vals)
                F[ia, ib] = vals
            # c = lam = 0: no conjunctive features; training pairs keep r_i - r_j
            method = "closed form (Green's function + Woodbury)"
        else:
            F = self._flow_margins(n, exc, c, lam, t)
            unresolved = np.abs(F) <= RESOLUTION * np.max(np.abs(F))
            res = 0.0
            method = "gradient flow (reduced, eigendecomposition of L)"
        np.fill_diagonal(unresolved, False)
        return F, {"mu": mu, "c": c, "lam": lam, "t": t, "residual": res, "method": method,
                   "network": fam["network"], "exceptions": exc, "unresolved": unresolved}

    @staticmethod
    def _training_labels(n, exc):
        for k in range(1, n):
            yield (k, k + 1), 1.0
            yield (k + 1, k), -1.0
        for a, b in exc:
            yield (a, b), 1.0
            yield (b, a), -1.0

    def _flow_margins(self, n, exc, c, lam, t):
        """Gradient flow from zero at time t (derivation step 'gradient flow in time').

        Test pairs: r(t) = (L + mu)^{-1} (1 - exp(-tau (L + mu))) s, tau = (1-c) t/2. Training
        pairs: f = [F(kappa(L)) p]_i - [.]_j + F(c) (y - p_i + p_j), p = L^+ s, kappa(L) = c +
        (1-c) L/2, F(k) = k/(k+lam) (1 - exp(-(k+lam) t)): the spectral filter of K applied to
        the gradient and cycle parts of the labels."""
        tau = float(self._call("flow_time", [t], n, c, lam)[0])
        mu = self.mu(c, lam)
        L = self.laplacian(n, exc)
        s = self.net_wins(n, exc)
        ev, Q = np.linalg.eigh(L)
        ev = np.clip(ev, 0.0, None)
        lamb = ev + mu
        with np.errstate(invalid="ignore", divide="ignore"):
            h = np.where(lamb > 0, -np.expm1(-tau * lamb) / np.where(lamb > 0, lamb, 1), tau)
        r = Q @ (h * (Q.T @ s))
        F = r[:, None] - r[None, :]
        kap = c + (1 - c) * ev / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            pinv = np.where(ev > 1e-9, 1 / np.where(ev > 1e-9, ev, 1), 0.0)
        p = Q @ (pinv * (Q.T @ s))
        filt = kap / (kap + lam) * -np.expm1(-(kap + lam) * t) if lam + c > 0 else \
            -np.expm1(-kap * t)
        q = Q @ (filt * (Q.T @ p))
        fc = (c / (c + lam) * -math.expm1(-(c + lam) * t)) if c + lam > 0 else 0.0
        for (a, b), y in self._training_labels(n, exc):
            dp = p[a - 1] - p[b - 1]
            F[a - 1, b - 1] = q[a - 1] - q[b - 1] + fc * (y - dp)
        return F

    # -- pair groups ------------------------------------------------------------------------
    @staticmethod
    def pair_groups(n: int, exc) -> np.ndarray:
        """Group code G[i-1, j-1] for i < j: 0 training (adjacent), 1 exception (trained), 2
        within-section, 3 cross-section, 4 one item in a loop, 5 both items in loops (no ground
        truth); -1 on and below the diagonal. A loop is [b, a] for an exception a>b."""
        inloop = np.zeros(n, bool)
        for a, b in exc:
            inloop[b - 1:a] = True
        sec = np.cumsum(np.r_[False, inloop[1:] & ~inloop[:-1]])  # new section after a loop
        Gp = np.full((n, n), -1, dtype=np.int64)
        iu, ju = np.triu_indices(n, 1)
        code = np.where(inloop[iu] & inloop[ju], 5,
                        np.where(inloop[iu] ^ inloop[ju], 4,
                                 np.where(sec[iu] == sec[ju], 2, 3)))
        code = np.where(ju == iu + 1, 0, code)
        Gp[iu, ju] = code
        for a, b in exc:
            Gp[b - 1, a - 1] = 1
        return Gp

    GROUP_NAMES = {0: "training", 1: "exception", 2: "within_section", 3: "cross_section",
                   4: "one_in_loop", 5: "both_in_loop"}

    def summaries(self, F, Gp, unresolved=None) -> dict:
        """Per group: count, mean/min/max margin; test groups: correct (f > 0 and resolved),
        unresolved (sign below double resolution, see RESOLUTION)."""
        out = {}
        iu, ju = np.triu_indices(F.shape[0], 1)
        f, g = F[iu, ju], Gp[iu, ju]
        un = np.zeros(len(f), bool) if unresolved is None else unresolved[iu, ju]
        for code, name in self.GROUP_NAMES.items():
            m = g == code
            if not m.any():
                out[name] = {"count": 0}
                continue
            vals = f[m]
            rec = {"count": int(m.sum()), "mean": float(vals.mean()), "min": float(vals.min()),
                   "max": float(vals.max())}
            if code in (2, 3, 4):
                good = (vals > 0) & ~un[m]
                rec["correct"] = int(good.sum())
                rec["fraction_correct"] = float(good.mean())
                rec["unresolved"] = int(un[m].sum())
            elif code == 0:
                rec["fitted"] = int((vals > 0).sum())
            elif code == 1:
                rec["learned"] = int((vals < 0).sum())  # f(b, a) < 0: a beats b, as trained
            else:
                rec["fraction_rule"] = float((vals > 0).mean())
            out[name] = rec
        return out

    # -- solve --------------------------------------------------------------------------------
    def solve(self, params: dict | None = None, *, with_margins: bool = True, **kw) -> Result:
        """All margins at (n, exceptions, c, lam[, t, depth, ntk]). Solver options are ignored
        (closed form); status residual = max |(L + mu) r - s| relative to max(1, |mu r|)."""
        for k in ("init", "method", "mixing", "tol", "max_iter", "trace"):
            kw.pop(k, None)
        v = self.validate({**(params or {}), **kw})
        F, info = self._margins(v)
        n, exc = v["n"], info["exceptions"]
        Gp = self.pair_groups(n, exc)
        iu, ju = np.triu_indices(n, 1)
        obs = {"mu": info["mu"]}
        if info["network"] is not None:
            obs["c_network"] = info["network"]["c"]
            obs["lam_family"] = info["lam"]
        obs["groups"] = self.summaries(F, Gp, info["unresolved"])
        fu, gu = F[iu, ju], Gp[iu, ju]
        unres = info["unresolved"][iu, ju] & (gu >= 2)
        bad = np.nonzero(np.isin(gu, (2, 3, 4)) & ~(fu > 0) & ~unres)[0]
        obs["wrong_pairs"] = [f"{iu[k] + 1}-{ju[k] + 1}" for k in bad]
        obs["unresolved_pairs"] = [f"{iu[k] + 1}-{ju[k] + 1}" for k in np.nonzero(unres)[0]]
        obs["exceptions"] = {f"{a}>{b}": {"margin": float(F[b - 1, a - 1]),
                                           "learned": bool(F[b - 1, a - 1] < 0)}
                             for a, b in exc}
        if with_margins:
            keys = [f"{i}-{j}" for i, j in zip((iu + 1).tolist(), (ju + 1).tolist())]
            obs["margins"] = dict(zip(keys, fu.tolist()))
        ok = bool(np.all(np.isfinite(F)))
        msg = "" if ok else "non-finite margins"
        if ok and info["residual"] > 1e-9:
            # G ~ 1/(n mu) + O(1): for tiny mu > 0 the margins (differences) lose digits as
            # eps/(n mu); the measured residual says how many.
            msg = (f"precision: residual {info['residual']:.1e} because n mu = "
                   f"{n * info['mu']:.1e} is tiny; lam = c = 0 gives the exact ridgeless limit")
        status = {"converged": ok, "iterations": 0, "residual": info["residual"],
                  "method": info["method"], "message": msg}
        return Result(self.name, v, {}, obs, status, self.derivation_hash, self._versions())

    # -- thresholds ---------------------------------------------------------------------------
    def thresholds(self, v: dict, mu_max=1e6, grid=481):
        """Sign changes of every test pair's margin along mu in [0, mu_max] (ridge regression):
        a log grid then Brent refinement. Returns a list of dicts sorted by mu*."""
        from ..boundary import find_root
        n = v["n"]
        exc = parse_exceptions(v["exceptions"], n)
        Gp = self.pair_groups(n, exc)
        test = np.isin(Gp, (2, 3, 4))
        mus = np.concatenate([[0.0], np.logspace(-6, math.log10(mu_max), grid)])
        prev = None
        found = []
        last = np.zeros((n, n))  # mu of the last resolved sign, per pair
        for k, m in enumerate(mus):
            r = self.scores(n, exc, m)
            if m == 0.0:
                r = r - r.mean()
            f = r[:, None] - r[None, :]
            ar = np.abs(r)
            # unresolved signs (RESOLUTION) count as 0 and never make a sign change
            sgn = np.where(np.abs(f) > RESOLUTION * (ar[:, None] + ar[None, :]), np.sign(f), 0)
            if prev is not None:
                ch = test & (sgn != prev) & (sgn != 0) & (prev != 0)
                for i, j in zip(*np.nonzero(ch)):
                    found.append((i + 1, j + 1, last[i, j], m))
                prev = np.where(sgn == 0, prev, sgn)
            else:
                prev = sgn
            last = np.where(sgn != 0, m, last)
        out = []
        for i, j, a, b in found:
            def g(mm, i=i, j=j):
                r = self.scores(n, exc, mm)
                return float(r[i - 1] - r[j - 1])
            root = find_root(g, a, b, xtol=1e-14 * max(1.0, b))
            ga = g(a)
            out.append({"pair": f"{i}-{j}", "group": self.GROUP_NAMES[int(Gp[i - 1, j - 1])],
                        "mu_star": root.value, "mu_error": root.error,
                        "direction": "fails" if ga > 0 else "recovers"})
        return sorted(out, key=lambda d: d["mu_star"])

    def boundary(self, params: dict | None = None, **kw) -> Result:
        """For each test pair whose margin changes sign: mu* and the critical c at the given lam
        (c* = (mu* - 2 lam)/(mu* + 2), derivation step 'thresholds'), ordered by c*.
        'fails': correct below c*, wrong above; 'recovers': the reverse."""
        params = dict(params or {}, **kw)
        if "c" in params:
            raise InputError("boundary returns the critical c at the given lam: do not set (or "
                             "sweep) c; sweep lam instead")
        if "t" in params:
            raise InputError("boundary is for ridge regression (t = inf); drop t")
        if "depth" in params:
            raise InputError("boundary scans c; drop depth/ntk (use solve for network kernels)")
        v = self.validate(params)
        v.pop("c")
        rows = self.thresholds(v)
        p = self._pvec(v["n"], 0.0, v["lam"])
        for row in rows:
            cs = float(self.call("critical_c", [row["mu_star"]], p)[0])
            row["c_star"] = cs if 0.0 <= cs < 1.0 else None
        rows.sort(key=lambda d: (d["c_star"] is None, d["c_star"] if d["c_star"] is not None
                                 else d["mu_star"]))
        base = self.validate({**params, "c": 0.0})
        F0, info0 = self._margins(base)
        Gp = self.pair_groups(v["n"], parse_exceptions(v["exceptions"], v["n"]))
        iu, ju = np.triu_indices(v["n"], 1)
        bad = np.nonzero(np.isin(Gp[iu, ju], (2, 3, 4)) & ~(F0[iu, ju] > 0)
                         & ~info0["unresolved"][iu, ju])[0]
        wrong0 = [f"{iu[k] + 1}-{ju[k] + 1}" for k in bad]
        first = next((d for d in rows if d["c_star"] is not None and d["direction"] == "fails"),
                     None)
        obs = {"thresholds": rows, "wrong_at_c0": wrong0,
               "first_failure": None if first is None else first["pair"],
               "c_first_failure": None if first is None else first["c_star"]}
        status = {"converged": True, "iterations": len(rows), "residual": 0.0,
                  "method": "log grid in mu + brent", "message": ""}
        return Result(self.name, v, {}, obs, status, self.derivation_hash, self._versions())

    # -- simulation and verification ---------------------------------------------------------
    def simulate(self, params: dict, *, N: int = 1024, instances: int = 8, seed: int = 0):
        """Random-feature ReLU networks of width N (fixed hidden layer, readout by ridge lam),
        `instances` seeds: seed-mean margins with standard errors next to the depth-1 NNGP
        kernel prediction."""
        from ..simulation import ti_krr as sim
        params = dict(params)
        params.pop("c", None)
        params.setdefault("depth", 1)
        v = self.validate(params)
        if N < 2 or instances < 2:
            raise InputError("simulate needs N (width) >= 2 and instances (seeds) >= 2")
        exc = parse_exceptions(v["exceptions"], v["n"])
        theory = self._margins(v)[0]
        fs = np.array([sim.rf_margins(v["n"], exc, v["lam"], N, sim.seed_for(seed, N, k),
                                      depth=v["depth"]) for k in range(instances)])
        mean, se = fs.mean(0), fs.std(0, ddof=1) / math.sqrt(instances)
        iu, ju = np.triu_indices(v["n"], 1)
        z = (mean - theory)[iu, ju] / np.maximum(se[iu, ju], 1e-300)
        record = {"model": self.name, "params": v, "width": N, "instances": instances,
                  "seed": seed, "pairs": [f"{i + 1}-{j + 1}" for i, j in zip(iu, ju)],
                  "theory": theory[iu, ju].tolist(), "mean": mean[iu, ju].tolist(),
                  "se": se[iu, ju].tolist(), "max_abs_z": float(np.max(np.abs(z))),
                  "derivation_hash": self.derivation_hash, "versions": self._versions()}
        lines = [f"ti-krr simulate: random-feature ReLU network, depth {v['depth']}, width {N}, "
                 f"{instances} seeds (seed {seed}); n={v['n']}, exceptions={v['exceptions']!r},"
                 f" lam={v['lam']:g}", f"  {'pair':>7} {'theory':>10} {'network':>10} "
                 f"{'se':>8} {'z':>6}"]
        for k, (i, j) in enumerate(zip(iu, ju)):
            lines.append(f"  {i + 1:>3}-{j + 1:<3} {theory[i, j]:10.5f} {mean[i, j]:10.5f} "
                         f"{se[i, j]:8.5f} {z[k]:6.2f}")
        return {"record": record, "table": "\n".join(lines)}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        """Closed forms against brute-force KRR, and finite networks against the kernel theory:
        random-feature networks (depth-1 NNGP, ridge lam) and GD-trained one-hidden-layer
        networks (depth-1 NTK, lam = 0, trained to convergence), over a width ladder with seeds.
        See numerics/simulation/ti_krr.py for the statistics and the verdict."""
        from ..simulation import ti_krr as sim
        base = {"n": 12, "exceptions": "7>4", "lam": 0.05}
        base.update(params)
        base.pop("c", None)
        for k in ("t", "depth", "ntk"):
            if k in base:
                raise InputError(f"verify sets the kernels itself (depth-1 NNGP and NTK); drop "
                                 f"'{k}'")
        v = self.validate(base)
        v.pop("c")
        if v["n"] > 40:
            raise InputError("verify trains networks on all pairs: choose n <= 40")
        Ns = list(Ns or (sim.QUICK_WIDTHS if quick else sim.DEFAULT_WIDTHS))
        instances = instances or (8 if quick else 16)
        if len(Ns) < 2 or min(Ns) < 16 or instances < 3:
            raise InputError("verify needs >= 2 widths >= 16 and >= 3 seeds (instances)")
        res = sim.run_verify(self, v, Ns, instances, seed, quick=quick, progress=progress)
        from pathlib import Path
        import json
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        stem = (f"verify-ti-krr-n{v['n']}-exc{v['exceptions'].replace('>', 'b').replace(',', '_')}"
                f"-lam{v['lam']:g}-seed{seed}")
        figure = sim.plot_verify(res, out / f"{stem}.png")
        record = {"model": self.name, "params": v, **res,
                  "status": {"converged": True, "verdict": "PASS" if res["passed"] else "FAIL"},
                  "derivation_hash": self.derivation_hash, "versions": self._versions()}
        path = out / f"{stem}.json"
        path.write_text(json.dumps(record, indent=1, allow_nan=False))
        table = sim.format_verify(res, v, self.derivation_hash)
        return {"record": record, "table": table, "figure": str(figure), "path": str(path),
                "passed": bool(res["passed"])}

    def figures(self, params: dict | None = None, out_dir="memgen-out", **kw) -> list[str]:
        """Margin matrices (items x items) without and with the exceptions, and the threshold
        diagram in the (c, lam) plane; returns the paths written."""
        from ..simulation import ti_krr as sim
        v = self.validate({**(params or {}), **kw})
        return sim.plot_figures(self, v, out_dir)
