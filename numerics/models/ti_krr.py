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

import bisect
import math

import numpy as np
from numba import njit, types

from ..errors import InputError, ParameterError
from ..model import SaddlePointModel
from ..results import Result
from ..common.ti_krr_exceptions import parse_exceptions, split_pairs

_KSIG = types.FunctionType(types.void(types.float64[::1], types.float64[::1],
                                      types.float64[::1]))


@njit(types.void(_KSIG, _KSIG, types.int64[::1], types.int64[::1], types.float64,
                 types.float64[::1], types.float64[:, ::1]), cache=True)
def _green_block(green, green0, rows, cols, mu, p, out):
    """out[q, k] = G(rows[q] + 1, cols[k]; n, mu) (rows 0-based, cols 1-based)."""
    x3 = np.empty(3)
    x2 = np.empty(2)
    o = np.empty(1)
    for q in range(rows.size):
        a = rows[q] + 1
        for k in range(cols.size):
            b = cols[k]
            lo = min(a, b)
            hi = max(a, b)
            if mu > 0.0:
                x3[0] = lo
                x3[1] = hi
                x3[2] = mu
                green(x3, p, o)
            else:
                x2[0] = lo
                x2[1] = hi
                green0(x2, p, o)
            out[q, k] = o[0]


@njit(types.void(_KSIG, types.float64[:, ::1], types.float64[::1], types.float64[::1]),
      cache=True)
def _apply_rows(kernel, X, p, out):
    """out[k] = first output of ``kernel`` at inputs X[k] (one row per evaluation)."""
    o = np.empty(4)
    for k in range(X.shape[0]):
        kernel(X[k], p, o)
        out[k] = o[0]


@njit(cache=True)
def _group(i, j, start, inloop, sec, eb, ea):
    """Group code of the pair i < j (0-based), see TiKrr.pair_groups."""
    if j == i + 1:
        return 0
    if inloop[i] and inloop[j]:
        if start[i] == start[j]:
            for e in range(eb.size):
                if eb[e] == i and ea[e] == j:
                    return 1
            return 5
        return 6
    if inloop[i] != inloop[j]:
        return 4
    return 2 if sec[i] == sec[j] else 3


@njit(cache=True)
def _is_test(g):
    return g == 2 or g == 3 or g == 4 or g == 6


@njit(cache=True)
def _scan_pairs(r, fadj, fexc, eb, ea, start, inloop, sec, resolution, cap, stats, dist, wrong,
                unres, counts):
    """Every pair i < j once, O(1) memory per pair: the summaries of TiKrr.summaries without the
    n x n matrices. stats[g] = (count, sum, min, max, #f>0, #f<0, #(f>0 and resolved),
    #unresolved); dist[d] = (count, sum, min, #wrong) over the test pairs at distance d; the first
    ``cap`` wrong (test group, f <= 0, resolved) and unresolved (group >= 2) pairs in row-major
    order go to wrong / unres, their totals to counts. Items with equal (inloop, start, sec) form
    runs on which the group of (i, j) is constant (exceptions aside), so the inner loop carries
    no group logic."""
    n = r.size
    ng = stats.shape[0]
    for g in range(ng):
        stats[g, 0] = 0.0
        stats[g, 1] = 0.0
        stats[g, 2] = np.inf
        stats[g, 3] = -np.inf
        for q in range(4, stats.shape[1]):
            stats[g, q] = 0.0
    for d in range(dist.shape[0]):
        dist[d, 0] = 0.0
        dist[d, 1] = 0.0
        dist[d, 2] = np.inf
        dist[d, 3] = 0.0
    # run boundaries
    run_end = np.empty(n, np.int64)  # run_end[j]: one past the last item of j's run
    run_end[n - 1] = n
    for j in range(n - 2, -1, -1):
        same = (inloop[j] == inloop[j + 1]) and (start[j] == start[j + 1]) \
            and (sec[j] == sec[j + 1])
        run_end[j] = run_end[j + 1] if same else j + 1
    nw = 0
    nu = 0
    for i in range(n - 1):
        ri = r[i]
        ari = abs(ri)
        # j = i + 1: training pair
        f = fadj[i]
        stats[0, 0] += 1.0
        stats[0, 1] += f
        stats[0, 2] = min(stats[0, 2], f)
        stats[0, 3] = max(stats[0, 3], f)
        if f > 0.0:
            stats[0, 4] += 1.0
        if f < 0.0:
            stats[0, 5] += 1.0
        j0 = i + 2
        while j0 < n:
            j1 = run_end[j0]
            g = _group(i, j0, start, inloop, sec, eb, ea)
            if g == 1:  # an exception column opens the run: the run's code is 5
                g = 5
            test = _is_test(g)
            cnt = 0.0
            tot = 0.0
            lo = np.inf
            hi = -np.inf
            pos = 0.0
            neg = 0.0
            good = 0.0
            nun = 0.0
            for j in range(j0, j1):
                rj = r[j]
                f = ri - rj
                if g == 5:
                    isexc = False
                    for e in range(eb.size):
                        if eb[e] == i and ea[e] == j:
                            isexc = True
                            fe = fexc[e]
                            stats[1, 0] += 1.0
                            stats[1, 1] += fe
                            stats[1, 2] = min(stats[1, 2], fe)
                            stats[1, 3] = max(stats[1, 3], fe)
                            if fe > 0.0:
                                stats[1, 4] += 1.0
                            if fe < 0.0:
                                stats[1, 5] += 1.0
                    if isexc:
                        continue
                un = abs(f) <= resolution * (ari + abs(rj))
                cnt += 1.0
                tot += f
                if f < lo:
                    lo = f
                if f > hi:
                    hi = f
                if f > 0.0:
                    pos += 1.0
                elif f < 0.0:
                    neg += 1.0
                if un:
                    nun += 1.0
                    if nu < cap:
                        unres[nu, 0] = i
                        unres[nu, 1] = j
                    nu += 1
                if test:
                    d = j - i
                    dist[d, 0] += 1.0
                    dist[d, 1] += f
                    if f < dist[d, 2]:
                        dist[d, 2] = f
                    if not un:
                        if f > 0.0:
                            good += 1.0
                        else:
                            dist[d, 3] += 1.0
                            if nw < cap:
                                wrong[nw, 0] = i
                                wrong[nw, 1] = j
                            nw += 1
            stats[g, 0] += cnt
            stats[g, 1] += tot
            stats[g, 2] = min(stats[g, 2], lo)
            stats[g, 3] = max(stats[g, 3], hi)
            stats[g, 4] += pos
            stats[g, 5] += neg
            stats[g, 6] += good
            stats[g, 7] += nun
            j0 = j1
    counts[0] = nw
    counts[1] = nu


@njit(cache=True)
def _compact_events(out, m, lo_idx, keep):
    """Keep the events that can still be among the ``keep`` earliest thresholds with c* >= 0 or
    be the earliest failure (see _sign_events); returns the new count."""
    ks = np.empty(m, np.int64)
    q = 0
    bf = np.int64(1) << 62
    for e in range(m):
        if out[e, 3] >= lo_idx:  # mu* > mu_last >= mu_lo: a threshold with c* >= 0
            ks[q] = out[e, 0]
            q += 1
            if out[e, 4] > 0 and out[e, 0] < bf:
                bf = out[e, 0]
    bound = np.int64(1) << 62
    if q >= keep:
        bound = np.sort(ks[:q])[keep - 1]
    w = 0
    for e in range(m):
        last = out[e, 3]
        if last <= bound or (out[e, 4] > 0 and last <= bf):
            out[w] = out[e]
            w += 1
    return w, bound, bf


@njit(cache=True)
def _sign_events(R, start, inloop, sec, eb, ea, resolution, lo_idx, keep, buf):
    """Sign changes of every test pair's margin r_i - r_j along the columns of R (scores at a
    grid of mu, R[:, 0] at mu = 0). An unresolved sign (|f| <= resolution (|r_i| + |r_j|)) counts
    as 0 and never makes a change; a change is recorded between the last resolved grid index and
    the present one. Rows of the result: (k, i, j, last, sign before the change); also the total
    number of changes.

    keep = 0: every change. keep > 0 (large n, bounded memory): only changes whose mu* can be
    among the ``keep`` smallest mu* >= mu_lo = mu[lo_idx], or the smallest such mu* of a
    failure (sign +1 before). mu* lies in (mu_last, mu_k]: once ``keep`` changes have
    mu_last >= mu_lo and mu_k <= mu_B, a change with last > B cannot qualify (nor, for
    failures, one with last beyond the earliest failure's k)."""
    n, G = R.shape
    cap0 = 16 if keep == 0 else buf
    out = np.empty((cap0, 5), np.int64)
    m = 0
    total = 0
    big = np.int64(1) << 62
    bound = big
    bf = big
    for i in range(n):
        for j in range(i + 2, n):
            if not _is_test(_group(i, j, start, inloop, sec, eb, ea)):
                continue
            prev = 0
            last = 0
            for k in range(G):
                a = R[i, k]
                b = R[j, k]
                f = a - b
                s = 0
                if abs(f) > resolution * (abs(a) + abs(b)):
                    s = 1 if f > 0 else -1
                if k > 0 and s != 0 and prev != 0 and s != prev:
                    total += 1
                    if keep == 0 or (k >= lo_idx and (last <= bound
                                                      or (prev > 0 and last <= bf))):
                        if m == out.shape[0] and keep > 0:
                            m, bound, bf = _compact_events(out, m, lo_idx, keep)
                        if m == out.shape[0]:
                            bigger = np.empty((2 * m, 5), np.int64)
                            bigger[:m] = out
                            out = bigger
                        if keep == 0 or last <= bound or (prev > 0 and last <= bf):
                            out[m, 0] = k
                            out[m, 1] = i
                            out[m, 2] = j
                            out[m, 3] = last
                            out[m, 4] = prev
                            m += 1
                if k == 0:
                    prev = s
                elif s != 0:
                    prev = s
                if s != 0:
                    last = k
    if keep > 0:
        m, bound, bf = _compact_events(out, m, lo_idx, keep)
    return out[:m].copy(), total


# A margin f = r_i - r_j is resolved in double precision when |f| > RESOLUTION (|r_i| + |r_j|):
# at strong regularization the margins of pairs far from the items with nonzero net wins are
# exponentially small differences of nearly equal scores (e^{-d theta}); their sign is then not
# determined by the computation (checked against 120-digit mpmath solves in the tests).
RESOLUTION = 1e-12


# -- input parsing --------------------------------------------------------------------------------
def parse_pairs(spec, n: int) -> list[tuple[int, int]]:
    """'3-8,10-2' (or [(3, 8), (10, 2)]) -> [(3, 8), (10, 2)]: ordered pairs "i against j"."""
    if spec is None or spec == "" or spec == []:
        return []
    items = split_pairs(spec, "-", lambda part: (
        f"malformed pair '{part}' in pairs: expected i-j with items i != j in 1..{n}, e.g. "
        f"pairs=3-8,1-{n}")) if isinstance(spec, str) else spec
    out = []
    for i, j in items:
        i, j = int(i), int(j)
        if not (1 <= i <= n and 1 <= j <= n) or i == j:
            raise InputError(f"pair '{i}-{j}' in pairs: items must be distinct and lie in "
                             f"1..{n}")
        out.append((i, j))
    return out


def format_pairs(pairs) -> str:
    return ",".join(f"{i}-{j}" for i, j in pairs)


def format_exceptions(exc) -> str:
    return ",".join(f"{a}>{b}" for a, b in exc)


class TiKrr(SaddlePointModel):
    """Transitive inference with exceptions, kernel ridge regression: margins of every pair."""

    # -- parameters: numerics/declarations/ti_krr.py ------------------------------------------

    def validate(self, params: dict) -> dict:
        if "depth" in params and params["depth"] is not None and "c" in params:
            raise InputError("give either c or depth (the network kernel sets c), not both")
        given = {k: x for k, x in params.items() if x is not None or k not in
                 ("exceptions", "t", "depth", "ntk", "pairs")}
        v = super().validate(given)
        try:
            v["exceptions"] = format_exceptions(parse_exceptions(v["exceptions"], v["n"]))
        except InputError as e:
            raise InputError(f"parameter 'exceptions': {e}") from None
        if v.get("pairs"):
            v["pairs"] = format_pairs(parse_pairs(v["pairs"], v["n"]))
        else:
            v.pop("pairs", None)
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
        _green_block(m.green, m.green0, np.arange(n, dtype=np.int64), cols, float(mu),
                     self._pvec(n, 0.0, 0.0), out)
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
    def components(n: int, exc) -> np.ndarray:
        """start[k-1] = (0-based) first item of the strongly connected component of item k in the
        directed graph of trained relations (k -> k+1: k beats k+1; a -> b per exception a>b).

        Expected order of a pair from the transitive closure: i < j is ordered i above j when a
        chain of trained relations leads from i to j and none from j to i, ambiguous when chains
        run both ways (or neither). The chain i -> i+1 -> ... -> j always exists, so i < j is
        ambiguous exactly when j reaches i, i.e. when i and j share a component. Forward edges
        only raise the index, so j reaches i iff every step p -> p+1 (i <= p < j) lies inside some
        loop b <= p < a: components are the runs of covered steps, found in O(n + E). (The tests
        check this against the closure of the graph by Warshall's algorithm.)"""
        cover = np.zeros(n + 1, np.int64)
        for a, b in exc:  # steps b, ..., a - 1 (1-based p: p -> p + 1) are covered
            cover[b] += 1
            cover[a] -= 1
        covered = np.cumsum(cover)[1:n] > 0  # covered[p - 1]: step p -> p + 1
        newcomp = np.r_[True, ~covered]  # item k + 1 starts a component unless step k is covered
        return np.maximum.accumulate(np.where(newcomp, np.arange(n), 0)).astype(np.int64)

    @classmethod
    def item_structure(cls, n: int, exc):
        """(start, inloop, sec, eb, ea): component starts, 'in a loop' (a component of more than
        one item), section index (a new section begins at each loop component), and the 0-based
        exception endpoints b - 1, a - 1."""
        start = cls.components(n, exc)
        size = np.bincount(start, minlength=n)
        inloop = size[start] > 1
        sec = np.cumsum(np.r_[False, inloop[1:] & ~inloop[:-1]]).astype(np.int64)
        eb = np.array([b - 1 for _, b in exc], dtype=np.int64)
        ea = np.array([a - 1 for a, _ in exc], dtype=np.int64)
        return start, inloop, sec, eb, ea

    @classmethod
    def pair_groups(cls, n: int, exc) -> np.ndarray:
        """Group code G[i-1, j-1] for i < j: 0 training (adjacent), 1 exception (trained), 2
        within-section, 3 cross-section, 4 one item in a loop, 5 both items in the same loop (a
        cycle of trained relations: no ground truth), 6 the items in two different loops (ordered
        by the transitive closure); -1 on and below the diagonal. A loop is a component of the
        trained relations with more than one item (see ``components``): the union of the
        intervals [b, a] of exceptions a>b that share items. Test pairs (the closure orders them
        i above j, untrained): codes 2, 3, 4, 6 (TEST_GROUPS)."""
        start, inloop, sec, _, _ = cls.item_structure(n, exc)
        Gp = np.full((n, n), -1, dtype=np.int64)
        iu, ju = np.triu_indices(n, 1)
        both = inloop[iu] & inloop[ju]
        code = np.where(both, np.where(start[iu] == start[ju], 5, 6),
                        np.where(inloop[iu] ^ inloop[ju], 4,
                                 np.where(sec[iu] == sec[ju], 2, 3)))
        code = np.where(ju == iu + 1, 0, code)
        Gp[iu, ju] = code
        for a, b in exc:
            Gp[b - 1, a - 1] = 1
        return Gp

    GROUP_NAMES = {0: "training", 1: "exception", 2: "within_section", 3: "cross_section",
                   4: "one_in_loop", 5: "both_in_loop", 6: "different_loops"}
    TEST_GROUPS = (2, 3, 4, 6)

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
            if code in self.TEST_GROUPS:
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
    # Above FULL_MARGINS_MAX items, solve (ridge regression) and boundary build no n x n matrix:
    # every pair is visited once by a compiled scan (O(n + E) memory; the margins dict alone
    # would hold n^2/2 entries). They then list at most LIST_MAX wrong / unresolved pairs (the
    # totals are counted) and give per-distance summaries; `pairs=` asks for chosen margins.
    FULL_MARGINS_MAX = 2000
    LIST_MAX = 1000

    def _train_values(self, n, exc, r, c, lam):
        """f(k, k+1) for k = 1..n-1 and f(b, a) per exception a>b (the upper-triangle training
        margins), exactly as the dense path computes them."""
        dr_adj = r[:-1] - r[1:]
        dr_exc = np.array([r[b - 1] - r[a - 1] for a, b in exc])
        if not c + lam > 0:  # no conjunctive features: training pairs keep r_i - r_j
            return dr_adj, dr_exc
        X = np.ascontiguousarray(np.column_stack(
            [np.r_[dr_adj, dr_exc], np.r_[np.ones(n - 1), -np.ones(len(exc))]]))
        vals = np.empty(X.shape[0])
        _apply_rows(self.module.train_margin, X, self._pvec(n, c, lam), vals)
        return vals[:n - 1], vals[n - 1:]

    def _ridge_scores(self, v):
        n = v["n"]
        exc = parse_exceptions(v["exceptions"], n)
        fam = self.family(v)
        mu = self.mu(fam["c"], fam["lam"])
        r = self.scores(n, exc, mu)
        res = self.residual(n, exc, mu, r)
        if mu == 0.0:
            r = r - r.mean()
        return r, res, mu, fam, exc

    def scan(self, n, exc, r, fadj, fexc, cap=None):
        """Summaries, wrong / unresolved pairs (first ``cap``, and totals) and per-distance
        statistics of all pairs from the scores r and the training margins, without n x n
        matrices (see _scan_pairs)."""
        cap = self.LIST_MAX if cap is None else int(cap)
        start, inloop, sec, eb, ea = self.item_structure(n, exc)
        stats = np.empty((len(self.GROUP_NAMES), 8))
        dist = np.empty((n, 4))
        wrong = np.empty((cap, 2), np.int64)
        unres = np.empty((cap, 2), np.int64)
        counts = np.zeros(2, np.int64)
        _scan_pairs(np.ascontiguousarray(r, dtype=float), np.ascontiguousarray(fadj, dtype=float),
                    np.ascontiguousarray(fexc, dtype=float), eb, ea, start, inloop, sec,
                    RESOLUTION, cap, stats, dist, wrong, unres, counts)
        groups = {}
        for code, name in self.GROUP_NAMES.items():
            cnt, tot, lo, hi, pos, neg, good, un = stats[code]
            if cnt == 0:
                groups[name] = {"count": 0}
                continue
            rec = {"count": int(cnt), "mean": float(tot / cnt), "min": float(lo),
                   "max": float(hi)}
            if code in self.TEST_GROUPS:
                rec["correct"] = int(good)
                rec["fraction_correct"] = float(good / cnt)
                rec["unresolved"] = int(un)
            elif code == 0:
                rec["fitted"] = int(pos)
            elif code == 1:
                rec["learned"] = int(neg)
            else:
                rec["fraction_rule"] = float(pos / cnt)
            groups[name] = rec
        nw, nu = int(counts[0]), int(counts[1])
        d = np.nonzero(dist[:, 0] > 0)[0]
        by_distance = {"distance": d.tolist(), "count": dist[d, 0].astype(int).tolist(),
                       "mean": (dist[d, 1] / dist[d, 0]).tolist(), "min": dist[d, 2].tolist(),
                       "wrong": dist[d, 3].astype(int).tolist()}
        return {"groups": groups,
                "wrong_pairs": [f"{i + 1}-{j + 1}" for i, j in wrong[:min(nw, cap)]],
                "wrong_pair_count": nw,
                "unresolved_pairs": [f"{i + 1}-{j + 1}" for i, j in unres[:min(nu, cap)]],
                "unresolved_count": nu, "by_distance": by_distance}

    def _pair_margins(self, v, pairs, r=None, F=None):
        """Margins f(i, j) of the requested ordered pairs, from F or from the scores r."""
        n = v["n"]
        if F is not None:
            return {f"{i}-{j}": float(F[i - 1, j - 1]) for i, j in pairs}
        exc = parse_exceptions(v["exceptions"], n)
        fam = self.family(v)
        c, lam = fam["c"], fam["lam"]
        trained = {(k, k + 1): 1.0 for k in range(1, n)}
        trained.update({(k + 1, k): -1.0 for k in range(1, n)})
        for a, b in exc:
            trained[(a, b)], trained[(b, a)] = 1.0, -1.0
        out = {}
        for i, j in pairs:
            f = float(r[i - 1] - r[j - 1])
            if (i, j) in trained and c + lam > 0:
                X = np.array([[f, trained[(i, j)]]])
                val = np.empty(1)
                _apply_rows(self.module.train_margin, X, self._pvec(n, c, lam), val)
                f = float(val[0])
            out[f"{i}-{j}"] = f
        return out

    def solve(self, params: dict | None = None, *, with_margins: bool = True, **kw) -> Result:
        """All margins at (n, exceptions, c, lam[, t, depth, ntk]). Solver options are ignored
        (closed form); status residual = max |(L + mu) r - s| relative to max(1, |mu r|).

        n <= FULL_MARGINS_MAX (or gradient flow): every margin ("margins", pairs "i-j", i < j).
        Larger n (ridge regression): the same group summaries from a pair-by-pair scan, the first
        LIST_MAX wrong and unresolved pairs with their totals (wrong_pair_count,
        unresolved_count) and per-distance statistics of the test pairs (by_distance). Either
        way, ``pairs="i-j,..."`` adds the margins of those ordered pairs (pair_margins)."""
        for k in ("init", "method", "mixing", "tol", "max_iter", "trace"):
            kw.pop(k, None)
        v = self.validate({**(params or {}), **kw})
        n = v["n"]
        pairs = parse_pairs(v.get("pairs"), n)
        if n > self.FULL_MARGINS_MAX and v.get("t") is None:
            return self._solve_scan(v, pairs)
        F, info = self._margins(v)
        exc = info["exceptions"]
        Gp = self.pair_groups(n, exc)
        iu, ju = np.triu_indices(n, 1)
        obs = {"mu": info["mu"]}
        if info["network"] is not None:
            obs["c_network"] = info["network"]["c"]
            obs["lam_family"] = info["lam"]
        obs["groups"] = self.summaries(F, Gp, info["unresolved"])
        fu, gu = F[iu, ju], Gp[iu, ju]
        unres = info["unresolved"][iu, ju] & (gu >= 2)
        bad = np.nonzero(np.isin(gu, self.TEST_GROUPS) & ~(fu > 0) & ~unres)[0]
        obs["wrong_pairs"] = [f"{iu[k] + 1}-{ju[k] + 1}" for k in bad]
        obs["unresolved_pairs"] = [f"{iu[k] + 1}-{ju[k] + 1}" for k in np.nonzero(unres)[0]]
        obs["exceptions"] = {f"{a}>{b}": {"margin": float(F[b - 1, a - 1]),
                                           "learned": bool(F[b - 1, a - 1] < 0)}
                             for a, b in exc}
        if with_margins:
            keys = [f"{i}-{j}" for i, j in zip((iu + 1).tolist(), (ju + 1).tolist())]
            obs["margins"] = dict(zip(keys, fu.tolist()))
        if pairs:
            obs["pair_margins"] = self._pair_margins(v, pairs, F=F)
        ok = bool(np.all(np.isfinite(F)))
        return self._finish(v, obs, ok, info["residual"], info["mu"], info["method"])

    def _finish(self, v, obs, ok, residual, mu, method):
        msg = "" if ok else "non-finite margins"
        if ok and residual > 1e-9:
            # G ~ 1/(n mu) + O(1): for tiny mu > 0 the margins (differences) lose digits as
            # eps/(n mu); the measured residual says how many.
            msg = (f"precision: residual {residual:.1e} because n mu = "
                   f"{v['n'] * mu:.1e} is tiny; lam = c = 0 gives the exact ridgeless limit")
        status = {"converged": ok, "iterations": 0, "residual": residual,
                  "method": method, "message": msg}
        return Result(self.name, v, {}, obs, status, self.derivation_hash, self._versions())

    def _solve_scan(self, v, pairs):
        n = v["n"]
        r, res, mu, fam, exc = self._ridge_scores(v)
        fadj, fexc = self._train_values(n, exc, r, fam["c"], fam["lam"])
        obs = {"mu": mu}
        if fam["network"] is not None:
            obs["c_network"] = fam["network"]["c"]
            obs["lam_family"] = fam["lam"]
        sc = self.scan(n, exc, r, fadj, fexc)
        obs["groups"] = sc.pop("groups")
        obs.update(sc)
        obs["exceptions"] = {f"{a}>{b}": {"margin": float(f), "learned": bool(f < 0)}
                             for (a, b), f in zip(exc, fexc)}
        if pairs:
            obs["pair_margins"] = self._pair_margins(v, pairs, r=r)
        ok = bool(np.all(np.isfinite(r)) and np.all(np.isfinite(fadj))
                  and np.all(np.isfinite(fexc)))
        return self._finish(v, obs, ok, res, mu,
                            "closed form (Green's function + Woodbury), pair-by-pair scan")

    # -- thresholds ---------------------------------------------------------------------------
    MU_MAX = 1e6
    GRID = 481

    def scores_rows(self, n: int, exceptions, mu: float, rows) -> np.ndarray:
        """r[rows] (0-based rows) of ``scores`` in O((E + len(rows)) E) kernel evaluations."""
        rows = np.asarray(rows, dtype=np.int64)
        E = len(exceptions)
        a_idx = np.array([a - 1 for a, _ in exceptions], dtype=np.int64)
        b_idx = np.array([b - 1 for _, b in exceptions], dtype=np.int64)
        allrows = np.concatenate([rows, a_idx, b_idx])
        cols = np.array([1, n] + [a for a, _ in exceptions] + [b for _, b in exceptions],
                        dtype=np.int64)
        Gc = np.empty((allrows.size, cols.size))
        m = self.module
        _green_block(m.green, m.green0, allrows, cols, float(mu), self._pvec(n, 0.0, 0.0), Gc)
        r0 = Gc[:, 0] - Gc[:, 1]
        if E == 0:
            return r0[:rows.size]
        GU = Gc[:, 2:2 + E] - Gc[:, 2 + E:]
        k = rows.size
        M = np.eye(E) + GU[k:k + E] - GU[k + E:]
        rhs = 1.0 - (r0[k:k + E] - r0[k + E:])
        return (r0 + GU @ np.linalg.solve(M, rhs))[:k]

    def thresholds(self, v: dict, mu_max=None, grid=None):
        """Sign changes of every test pair's margin along mu in [0, mu_max] (ridge regression):
        a log grid then Brent refinement. Returns a list of dicts sorted by mu*."""
        from ..rootfind import find_root
        mu_max = self.MU_MAX if mu_max is None else mu_max
        grid = self.GRID if grid is None else grid
        n = v["n"]
        exc = parse_exceptions(v["exceptions"], n)
        start, inloop, sec, eb, ea = self.item_structure(n, exc)
        mus = np.concatenate([[0.0], np.logspace(-6, math.log10(mu_max), grid)])
        R = np.empty((n, mus.size))
        for k, m in enumerate(mus):
            r = self.scores(n, exc, m)
            R[:, k] = r - r.mean() if m == 0.0 else r
        large = n > self.FULL_MARGINS_MAX
        mu_lo = 2.0 * v["lam"]  # c* = 0
        lo_idx = int(np.searchsorted(mus, mu_lo))  # first grid mu >= mu_lo
        ev, total = _sign_events(R, start, inloop, sec, eb, ea, RESOLUTION, lo_idx,
                                 self.LIST_MAX if large else 0, 4 * self.LIST_MAX)
        del R
        ev = ev[np.lexsort((ev[:, 2], ev[:, 1], ev[:, 0]))]  # grid step, then row-major pairs
        self._last_event_count = int(total)

        def refine(k, i, j, last, prev):
            a, b = float(mus[last]), float(mus[k])
            if n <= self.FULL_MARGINS_MAX:
                def g(mm):
                    r = self.scores(n, exc, mm)
                    return float(r[i] - r[j])
            else:
                def g(mm):
                    r = self.scores_rows(n, exc, mm, [i, j])
                    return float(r[0] - r[1])
            root = find_root(g, a, b, xtol=1e-14 * max(1.0, b))
            ga = g(a) if n <= self.FULL_MARGINS_MAX else float(prev)
            code = int(_group(i, j, start, inloop, sec, eb, ea))
            return {"pair": f"{i + 1}-{j + 1}", "group": self.GROUP_NAMES[code],
                    "mu_star": root.value, "mu_error": root.error,
                    "direction": "fails" if ga > 0 else "recovers"}

        if not large:
            out = [refine(*e) for e in ev.tolist()]
        else:
            # Large n: only the LIST_MAX earliest thresholds with c* >= 0 and the earliest
            # failure. mu* lies in its bracket (mu_last, mu_k], so brackets are refined by
            # increasing lower end until the next lower end exceeds every kept mu*.
            keep = ev[mus[ev[:, 0]] >= mu_lo]
            keep = keep[np.argsort(mus[keep[:, 3]], kind="stable")]
            out = []
            for want, sel in ((self.LIST_MAX, np.ones(len(keep), bool)),
                              (1, keep[:, 4] > 0)):
                best = []
                for e in keep[sel].tolist():
                    if len(best) >= want and mus[e[3]] > best[-1]["mu_star"]:
                        break
                    row = refine(*e)
                    if row["mu_star"] >= mu_lo:
                        bisect.insort(best, row, key=lambda d: d["mu_star"])
                        del best[want:]
                out += [row for row in best if row not in out]
        return sorted(out, key=lambda d: d["mu_star"])

    def boundary(self, params: dict | None = None, **kw) -> Result:
        """For each test pair whose margin changes sign: mu* and the critical c at the given lam
        (c* = (mu* - 2 lam)/(mu* + 2), derivation step 'thresholds'), ordered by c*.
        'fails': correct below c*, wrong above; 'recovers': the reverse. Test pairs are the
        untrained pairs that the transitive closure of the trained relations orders (see
        ``components``); first_failure is the test pair that fails at the smallest c*."""
        params = dict(params or {}, **kw)
        if "c" in params:
            raise InputError("boundary returns the critical c at the given lam: do not set (or "
                             "sweep) c; sweep lam instead")
        if "t" in params:
            raise InputError("boundary is for ridge regression (t = inf); drop t")
        if "depth" in params:
            raise InputError("boundary scans c; drop depth/ntk (use solve for network kernels)")
        params.pop("pairs", None)
        v = self.validate(params)
        v.pop("c")
        v.pop("pairs", None)
        rows = self.thresholds(v)
        p = self._pvec(v["n"], 0.0, v["lam"])
        for row in rows:
            cs = float(self.call("critical_c", [row["mu_star"]], p)[0])
            row["c_star"] = cs if 0.0 <= cs < 1.0 else None
        rows.sort(key=lambda d: (d["c_star"] is None, d["c_star"] if d["c_star"] is not None
                                 else d["mu_star"]))
        base = self.validate({**params, "c": 0.0})
        n = v["n"]
        extra = {}
        if n <= self.FULL_MARGINS_MAX:
            F0, info0 = self._margins(base)
            Gp = self.pair_groups(n, parse_exceptions(v["exceptions"], n))
            iu, ju = np.triu_indices(n, 1)
            bad = np.nonzero(np.isin(Gp[iu, ju], self.TEST_GROUPS) & ~(F0[iu, ju] > 0)
                             & ~info0["unresolved"][iu, ju])[0]
            wrong0 = [f"{iu[k] + 1}-{ju[k] + 1}" for k in bad]
        else:
            r, _, _, fam, exc = self._ridge_scores(base)
            fadj, fexc = self._train_values(n, exc, r, fam["c"], fam["lam"])
            sc = self.scan(n, exc, r, fadj, fexc)
            wrong0 = sc["wrong_pairs"]
            extra["wrong_at_c0_count"] = sc["wrong_pair_count"]
        first = next((d for d in rows if d["c_star"] is not None and d["direction"] == "fails"),
                     None)
        if v["n"] > self.FULL_MARGINS_MAX:
            extra["threshold_count"] = self._last_event_count
        obs = {"thresholds": rows, "wrong_at_c0": wrong0, **extra,
               "first_failure": None if first is None else first["pair"],
               "c_first_failure": None if first is None else first["c_star"]}
        status = {"converged": True, "iterations": len(rows), "residual": 0.0,
                  "method": "log grid in mu + brent", "message": ""}
        return Result(self.name, v, {}, obs, status, self.derivation_hash, self._versions())

    # -- resources ----------------------------------------------------------------------------
    # Bytes and seconds per unit, from tracemalloc peaks (tests/numerics/models/test_ti_krr.py checks the
    # memory formulas at two sizes per path) and one-core timings: a dense solve holds about
    # 15 doubles per ordered pair (F, the unresolved mask, groups, triangle indices and the
    # margins dict of n^2/2 "i-j" entries); the pair scan holds O(1) per item.
    DENSE_BYTES = 130.0
    BOUNDARY_DENSE_BYTES = 60.0  # the c = 0 margins of boundary: no margins dict
    SCAN_BYTES = 240.0

    def cost(self, verb: str, params: dict, **opts):
        """Estimated peak memory and one-core time of ``verb`` at ``params`` (n, number of
        exceptions E, gradient-flow t) and ``opts`` (simulate: N, instances; verify: Ns,
        instances, quick)."""
        from ..resources import Cost
        params = dict(params)
        if verb in ("boundary", "simulate", "verify"):
            params.pop("c", None)  # set by the verb (scanned, or the network kernel)
        if verb == "verify":
            params = {**self.VERIFY_DEFAULTS, **params}
        v = self.validate(params)
        n = v["n"]
        E = len(parse_exceptions(v["exceptions"], n))
        n2 = float(n) * n
        scores = 16.0 * n * (E + 2)  # Green columns and scores
        dense = Cost(self.DENSE_BYTES * n2 + scores, 4.5e-7 * n2,
                     f"{self.DENSE_BYTES:g} n^2 bytes for all n^2/2 margins at n = {n} "
                     f"(pair-by-pair summaries instead above n = {self.FULL_MARGINS_MAX})")
        scan = Cost(self.SCAN_BYTES * n + scores + 200.0 * self.LIST_MAX, 1e-8 * n2,
                    f"{self.SCAN_BYTES:g} n bytes for per-item and per-distance summaries, "
                    f"n^2/2 pairs scanned")
        if verb == "solve":
            if v.get("t") is not None:  # gradient flow: eigendecomposition of the n x n L
                return Cost(self.DENSE_BYTES * n2 + 40.0 * n2, 4.5e-7 * n2 + 1.5e-9 * n2 * n,
                            f"{self.DENSE_BYTES + 40:g} n^2 bytes (dense eigendecomposition for "
                            f"gradient flow t, all margins) at n = {n}")
            return dense if n <= self.FULL_MARGINS_MAX else scan
        if verb == "boundary":
            G = self.GRID + 1
            kept = ("40 bytes per sign change found" if n <= self.FULL_MARGINS_MAX else
                    f"at most {4 * self.LIST_MAX} sign changes kept")
            grid = Cost(8.0 * n * G + scores + (0.0 if n <= self.FULL_MARGINS_MAX else
                                                 160.0 * self.LIST_MAX),
                        G * (5e-9 * n2 + 1e-7 * n * (E + 2)),
                        f"8 n x {G} bytes for the scores on the mu grid, {G} x n^2/2 pair "
                        f"signs; then {kept} and about 50 score evaluations per threshold "
                        "refined")
            if n > self.FULL_MARGINS_MAX:
                return grid + scan
            return grid + Cost(self.BOUNDARY_DENSE_BYTES * n2, 1e-7 * n2,
                               f"{self.BOUNDARY_DENSE_BYTES:g} n^2 bytes for the margins at c = 0")
        if verb in ("simulate", "verify"):
            P = float(n) * (n - 1)
            if verb == "simulate":
                N = int(opts.get("N", 1024))
                S = int(opts.get("instances", 8))
                samples = 8.0 * n2 * (S + 4)
            else:
                from ..simulation import ti_krr as sim
                quick = bool(opts.get("quick", False))
                Ns = list(opts.get("Ns") or (sim.QUICK_WIDTHS if quick else sim.DEFAULT_WIDTHS))
                N = max(Ns)
                S = int(opts.get("instances") or (8 if quick else 16))
                samples = 2 * 8.0 * n2 * len(Ns) * S
                T = 2 * (n - 1) + 2 * E
                # gradient descent: ~8000 steps of O(T width) (the default ladder, n = 12: 5.5 min)
                seconds = S * sum(4e-9 * P * n * w + 4e-5 * T * w for w in Ns)
            mem = 8.0 * P * (2.4 * N + 2 * n) + samples + 150.0 * P
            if verb == "simulate":
                seconds = S * 4e-9 * P * n * N
            return Cost(mem, seconds,
                        f"8 n(n-1) (2.4 N + 2 n) bytes for the features of all n(n-1) pairs at "
                        f"width N = {N}, n = {n}")
        return None

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
        from ..records import make_record
        record = make_record(self, v, {"converged": True}, width=N, instances=instances,
                             seed=seed, pairs=[f"{i + 1}-{j + 1}" for i, j in zip(iu, ju)],
                             theory=theory[iu, ju].tolist(), mean=mean[iu, ju].tolist(),
                             se=se[iu, ju].tolist(), max_abs_z=float(np.max(np.abs(z))))
        lines = [f"ti-krr simulate: random-feature ReLU network, depth {v['depth']}, width {N}, "
                 f"{instances} seeds (seed {seed}); n={v['n']}, exceptions={v['exceptions']!r},"
                 f" lam={v['lam']:g}", f"  {'pair':>7} {'theory':>10} {'network':>10} "
                 f"{'se':>8} {'z':>6}"]
        for k, (i, j) in enumerate(zip(iu, ju)):
            lines.append(f"  {i + 1:>3}-{j + 1:<3} {theory[i, j]:10.5f} {mean[i, j]:10.5f} "
                         f"{se[i, j]:8.5f} {z[k]:6.2f}")
        return {"record": record, "table": "\n".join(lines)}

    VERIFY_DEFAULTS = {"n": 12, "exceptions": "7>4", "lam": 0.05}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        """Closed forms against brute-force KRR, and finite networks against the kernel theory:
        random-feature networks (depth-1 NNGP, ridge lam) and GD-trained one-hidden-layer
        networks (depth-1 NTK, lam = 0, trained to convergence), over a width ladder with seeds.
        See numerics/simulation/ti_krr.py for the statistics and the verdict."""
        from ..simulation import ti_krr as sim
        base = dict(self.VERIFY_DEFAULTS)
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
        from ..records import make_record, write_record
        stem = (f"verify-ti-krr-n{v['n']}-exc{v['exceptions'].replace('>', 'b').replace(',', '_')}"
                f"-lam{v['lam']:g}-seed{seed}")
        record = make_record(self, v, {"converged": True,
                                       "verdict": "PASS" if res["passed"] else "FAIL"}, **res)
        path = write_record(record, out_dir, stem)
        figure = sim.plot_verify(res, path.with_suffix(".png"))
        table = sim.format_verify(res, v, self.derivation_hash)
        return {"record": record, "table": table, "figure": str(figure), "path": str(path),
                "passed": bool(res["passed"])}

    def figures(self, params: dict | None = None, out_dir="memgen-out", **kw) -> list[str]:
        """Margin matrices (items x items) without and with the exceptions, and the threshold
        diagram in the (c, lam) plane; returns the paths written."""
        from ..simulation import ti_krr as sim
        v = self.validate({**(params or {}), **kw})
        if v["n"] > self.FULL_MARGINS_MAX:
            raise ParameterError("n", v["n"], f"n <= {self.FULL_MARGINS_MAX} for the figures "
                                 "(they draw the n x n margin matrix)")
        return sim.plot_figures(self, v, out_dir)
