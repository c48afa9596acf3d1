"""composition: the compiled loops of the cavity theory (see composition_cavity.py).

A kernel-cache companion of the generated module numerics/generated/composition.py: never
imported as a module of the package. ``kernels.load`` copies this file into the composition
kernels' cache entry behind one line binding the generated kernels (``feature``, ``binom_pmf``,
``soft_factor``, ``hard_factor``, ``cavity``, ``pinned``, ...) from the loaded kernel module, and
executes it there, so that numba caches these functions on disk with the kernels (closures over
the kernels could not be cached and were compiled anew in every process). The constants below are
frozen into the machine code; this file's bytes are part of the cache key.
"""
import math

import numpy as np
from numba import njit

SUB = 16
# tables: every sequence covers k, J <= NEAR; one in FAR_EVERY continues to the largest k, J
# (the ratios there average over many messages and vary little between sequences)
NEAR = 64
FAR_EVERY = 8

# totals() slots
T_P1, T_P1Q, T_P0, T_P0B, T_E1B, T_E1N, T_P2, T_CB, T_CN, T_LB, T_LN, T_RB, T_RN, \
    T_UNP_C, T_UNP_CB, T_UNP_CN, T_UNREC, T_UNREC_B, T_UNREC_N = range(19)
N_TOTALS = 19


@njit(cache=True)
def binom(k, N, q, buf_x, buf_o, p):
    """Binomial(N, q) pmf at k, with the degenerate ends q = 0, 1 (point masses)."""
    if q >= 1.0:
        return 1.0 if k == N else 0.0
    if q <= 0.0:
        return 1.0 if k == 0 else 0.0
    buf_x[0] = k
    buf_x[1] = N
    buf_x[2] = q
    binom_pmf(buf_x, p, buf_o)
    return buf_o[0]

@njit(cache=True)
def log_product(p, Z, Q):
    """log prod_i (1 - u_i(Q)) and sum_i i^(-a) (the weights do not depend on Z, Q)."""
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

@njit(cache=True)
def arrays(p, Z, Q):
    """Per-feature arrays: cumulative u and p - u (drawing unpinned / pinned features),
    p, r, beta^2."""
    d = int(p[1])
    x = np.empty(3)
    out = np.empty(10)
    cum_u = np.empty(d)
    cum_pin = np.empty(d)
    pp = np.empty(d)
    r = np.empty(d)
    b2 = np.empty(d)
    au = 0.0
    ap = 0.0
    for i in range(1, d + 1):
        x[0] = i
        x[1] = Z
        x[2] = Q
        feature(x, p, out)
        au += out[6]
        ap += max(out[1] - out[6], 0.0)
        cum_u[i - 1] = au
        cum_pin[i - 1] = ap
        pp[i - 1] = out[1]
        rr = out[9]
        r[i - 1] = min(1.0, max(0.0, rr)) if rr == rr else 0.0
        b2[i - 1] = out[2]
    return cum_u, cum_pin, pp, r, b2

@njit(cache=True)
def draw(cum, x):
    """First index with cum[idx] > x (inverse CDF by bisection)."""
    lo, hi = 0, cum.size - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo

@njit(cache=True)
def binom_at_least_one(N, q):
    """J ~ Binomial(N, q) conditioned on J >= 1: the first success T (truncated geometric,
    inverse CDF), then 1 + Binomial(N - T, q)."""
    if q >= 1.0:
        return N
    lq = math.log1p(-q)
    tot = -math.expm1(N * lq)  # P(J >= 1)
    T = int(math.ceil(math.log1p(-np.random.random() * tot) / lq))
    T = min(max(T, 1), N)
    return 1 + (np.random.binomial(N - T, q) if N > T else 0)

@njit(cache=True)
def members(pop_v, pop_eb, pop_en, M, lam_scale, acc):
    """Add M random members of a population to acc = (V, Eb, En); variances scaled."""
    size = pop_v.size
    for _ in range(M):
        j = np.random.randint(size)
        acc[0] += lam_scale * pop_v[j]
        acc[1] += pop_eb[j]
        acc[2] += pop_en[j]

@njit(cache=True)
def soft_message(U, P, pcdf, sp_rate, p, acc, os):
    """One soft factor message: M >= 1 unpinned and M' pinned members (pinned variances
    enter as lam vt)."""
    acc[0] = 0.0
    acc[1] = 0.0
    acc[2] = 0.0
    members(U[0], U[1], U[2], 1 + draw(pcdf, np.random.random()), 1.0, acc)
    if sp_rate > 0.0:
        members(P[0], P[1], P[2], np.random.poisson(sp_rate), p[5], acc)
    soft_factor(acc, p, os)

@njit(cache=True)
def hard_message(P, sp_rate, p, acc, os):
    """One hard factor message from M' ~ Poisson(s' - mu) pinned members."""
    acc[0] = 0.0
    acc[1] = 0.0
    acc[2] = 0.0
    members(P[0], P[1], P[2], np.random.poisson(sp_rate), 1.0, acc)
    hard_factor(acc, p, os)

@njit(cache=True)
def population(cum_u, cum_pin, pp, r, b2, pcdf, sp_rate, Q, p, Mp, sweeps, seed, with_p):
    """Population dynamics from the star initialization. Returns U, P (each a 3 x Mp array:
    variance, eps_b, eps_n) and trace[sweep] = means of (U v, U eps_b, U eps_n, P vt,
    P eps_b, P eps_n)."""
    np.random.seed(seed)
    n1 = int(p[0]) - 1
    ridge = p[5] > 0.0
    tu = cum_u[-1]
    tp = cum_pin[-1]
    has_p = with_p and sp_rate > 0.0 and tp > 0.0
    U = np.zeros((3, Mp))
    P = np.zeros((3, Mp))
    for t in range(Mp):
        U[0, t] = 1.0
        U[1, t] = b2[draw(cum_u, np.random.random() * tu)]
    acc = np.empty(3)
    os = np.empty(3)
    xc = np.empty(4)
    xp = np.empty(7)
    oc = np.empty(3)
    trace = np.zeros((sweeps, 6))
    for sw in range(sweeps):
        for t in range(Mp):  # unpinned
            j = draw(cum_u, np.random.random() * tu)
            c = np.random.binomial(n1, r[j]) if r[j] > 0.0 else 0
            S1 = S2b = S2n = 0.0
            for _ in range(c):
                soft_message(U, P, pcdf, sp_rate, p, acc, os)
                S1 += os[0]
                S2b += os[1]
                S2n += os[2]
            xc[0] = S1
            xc[1] = S2b
            xc[2] = S2n
            xc[3] = b2[j]
            cavity(xc, p, oc)
            U[0, t] = oc[0]
            U[1, t] = oc[1]
            U[2, t] = oc[2]
        if has_p:
            for t in range(Mp):  # pinned
                j = draw(cum_pin, np.random.random() * tp)
                J = binom_at_least_one(n1, pp[j] * Q)
                h1 = h2b = h2n = 0.0
                Jd = min(J, SUB)
                for _ in range(Jd):
                    hard_message(P, sp_rate, p, acc, os)
                    h1 += os[0]
                    h2b += os[1]
                    h2n += os[2]
                sc = J / Jd
                S1 = S2b = S2n = 0.0
                if ridge and n1 > J and r[j] > 0.0:
                    m = np.random.binomial(n1 - J, r[j])
                    md = min(m, SUB)
                    for _ in range(md):
                        soft_message(U, P, pcdf, sp_rate, p, acc, os)
                        S1 += os[0]
                        S2b += os[1]
                        S2n += os[2]
                    if md > 0:
                        S1 *= m / md
                        S2b *= m / md
                        S2n *= m / md
                xp[0] = h1 * sc
                xp[1] = h2b * sc
                xp[2] = h2n * sc
                xp[3] = S1
                xp[4] = S2b
                xp[5] = S2n
                xp[6] = b2[j]
                pinned(xp, p, oc)
                P[0, t] = oc[0]
                P[1, t] = oc[1]
                P[2, t] = oc[2]
        for q in range(3):
            trace[sw, q] = U[q].mean()
            trace[sw, 3 + q] = P[q].mean()
    return U, P, trace

@njit(cache=True)
def tables(U, P, pcdf, sp_rate, p, kcut, jlo, jhi, R, seed, with_hard):
    """G[0..2, k], k = 0..kcut (k soft factors, no hard one: 1/(1+S1)^2, teacher and noise
    parts) and H[0..2, J, m] for m = 0..len(jlo)-1 and J = jlo[m]..jhi[m] (J hard and m
    soft factors: b coefficient, teacher part, noise part); averages over R independent
    sequences of messages (running sums give every k, J, m at once)."""
    np.random.seed(seed)
    G = np.zeros((3, kcut + 1))
    mmax = jlo.size - 1
    Jmax = 0
    for m in range(mmax + 1):
        if jhi[m] >= jlo[m]:
            Jmax = max(Jmax, jhi[m])
    if not with_hard:  # noiseless min-norm: pinned features carry no error at all
        Jmax = min(Jmax, 1)
    H = np.zeros((3, Jmax + 1, mmax + 1))
    nG = np.zeros(kcut + 1)
    nH = np.zeros((Jmax + 1, mmax + 1))
    acc = np.empty(3)
    os = np.empty(3)
    xc = np.empty(4)
    oc = np.empty(3)
    xp = np.empty(7)
    hs = np.zeros((3, Jmax + 1))
    for rep in range(R):
        far = rep % FAR_EVERY == 0
        kc = kcut if far else min(kcut, NEAR)
        Jc = Jmax if far else min(Jmax, NEAR)
        mc = mmax if far else min(mmax, NEAR)
        top = max(kc, mc)
        if Jc > 0:  # running sums over J hard messages
            for J in range(1, Jc + 1):
                hard_message(P, sp_rate, p, acc, os)
                for q in range(3):
                    hs[q, J] = hs[q, J - 1] + os[q]
        S1 = S2b = S2n = 0.0
        for mm in range(top + 1):
            if mm > 0:
                soft_message(U, P, pcdf, sp_rate, p, acc, os)
                S1 += os[0]
                S2b += os[1]
                S2n += os[2]
            if mm <= kc:
                nG[mm] += 1.0
                xc[0] = S1
                xc[1] = S2b
                xc[2] = S2n
                xc[3] = 0.0
                cavity(xc, p, oc)
                G[0, mm] += oc[0] * oc[0]  # 1/(1+S1)^2
                G[1, mm] += oc[1]
                G[2, mm] += oc[2]
            if mm <= mc:
                xp[3] = S1
                xp[4] = S2b
                xp[5] = S2n
                for J in range(max(jlo[mm], 1), min(jhi[mm], Jc) + 1):
                    nH[J, mm] += 1.0
                    xp[0] = hs[0, J]
                    xp[1] = hs[1, J]
                    xp[2] = hs[2, J]
                    xp[6] = 0.0
                    pinned(xp, p, oc)
                    e0 = oc[1]
                    H[1, J, mm] += e0
                    H[2, J, mm] += oc[2]
                    xp[6] = 1.0
                    pinned(xp, p, oc)
                    H[0, J, mm] += oc[1] - e0
    for k in range(kcut + 1):
        G[:, k] /= max(nG[k], 1.0)
    for J in range(Jmax + 1):
        for m in range(mmax + 1):
            H[:, J, m] /= max(nH[J, m], 1.0)
    return G, H

@njit(cache=True)
def totals(p, Z, Q, G, H):
    """Sums over features (see the T_* slots); teacher (b) and noise (n, per unit sigma^2)
    parts kept apart. At lam = 0 the H tables have m = 0 only (soft factors carry no
    weight for a pinned feature)."""
    n = p[0]
    d = int(p[1])
    ridge = p[5] > 0.0
    kcut = G.shape[1] - 1
    x = np.empty(3)
    out = np.empty(10)
    bx = np.empty(3)
    bo = np.empty(1)
    t = np.zeros(N_TOTALS)
    for i in range(1, d + 1):
        x[0] = i
        x[1] = Z
        x[2] = Q
        feature(x, p, out)
        pi, b2, P0, P1, Qi = out[1], out[2], out[3], out[4], out[8]
        # seen once: one hard factor (recovered) with probability Q_i, else one soft one
        rb = b2 * H[0, 1, 0] + H[1, 1, 0] if H.shape[1] > 1 else 0.0
        rn = H[2, 1, 0] if H.shape[1] > 1 else 1.0
        fb = b2 * G[0, 1] + G[1, 1]
        fn = G[2, 1]
        t[T_P1] += P1
        t[T_P1Q] += P1 * Qi
        t[T_P0] += P0
        t[T_P0B] += P0 * b2
        t[T_E1B] += P1 * (Qi * rb + (1.0 - Qi) * fb)
        t[T_E1N] += P1 * (Qi * rn + (1.0 - Qi) * fn)
        t[T_RB] += P1 * Qi * rb
        t[T_RN] += P1 * Qi * rn
        t[T_UNREC] += P1 * (1.0 - Qi)
        t[T_UNREC_B] += P1 * (1.0 - Qi) * fb
        t[T_UNREC_N] += P1 * (1.0 - Qi) * fn
        # seen k >= 2 times
        var = n * pi * (1.0 - pi)
        sd = math.sqrt(var)
        kmin = max(2, int(n * pi - 14 * sd - 12))
        kmax = min(int(n), int(n * pi + 14 * sd + 12))
        cb = cn = 0.0
        for k in range(kmin, kmax + 1):
            wk = binom(k, n, pi, bx, bo, p)
            if wk < 1e-300:
                continue
            t[T_P2] += wk
            w0 = binom(0, k, Qi, bx, bo, p)
            if k <= kcut and w0 > 0.0:
                eb = b2 * G[0, k] + G[1, k]
                en = G[2, k]
                cb += wk * w0 * eb
                cn += wk * w0 * en
                t[T_UNP_C] += wk * w0
                t[T_UNP_CB] += wk * w0 * eb
                t[T_UNP_CN] += wk * w0 * en
            sj = math.sqrt(k * Qi * (1.0 - Qi))
            jmin = max(1, int(k * Qi - 14 * sj - 12))
            jmax = min(k, int(k * Qi + 14 * sj + 12))
            for J in range(jmin, jmax + 1):
                wj = binom(J, k, Qi, bx, bo, p)
                m = k - J if ridge else 0
                if J >= H.shape[1] or m >= H.shape[2]:
                    continue  # outside the tables: weight below 1e-40 by construction
                cb += wk * wj * (b2 * H[0, J, m] + H[1, J, m])
                cn += wk * wj * H[2, J, m]
        t[T_CB] += cb
        t[T_CN] += cn
        t[T_LB] += pi * (P0 * b2 + P1 * (Qi * rb + (1.0 - Qi) * fb) + cb)
        t[T_LN] += pi * (P1 * (Qi * rn + (1.0 - Qi) * fn) + cn)
    return t

@njit(cache=True)
def sizes(p, Z, Q, ridge):
    """Largest k over the Binomial(n, p_i) windows and the (J hard, m soft) pairs the
    feature sums visit: for each m the range jlo[m]..jhi[m] (at lam = 0, m = 0 only)."""
    n = p[0]
    d = int(p[1])
    x = np.empty(3)
    out = np.empty(10)
    kbig = 1
    for i in range(1, d + 1):
        x[0] = i
        x[1] = Z
        x[2] = Q
        feature(x, p, out)
        pi = out[1]
        sd = math.sqrt(n * pi * (1.0 - pi))
        kbig = max(kbig, min(int(n), int(n * pi + 14 * sd + 12)))
    jlo = np.full(kbig + 1, kbig + 1, np.int64)
    jhi = np.zeros(kbig + 1, np.int64)
    if not ridge:
        jlo[0] = 1
        jhi[0] = kbig
        return kbig, jlo[:1].copy(), jhi[:1].copy()
    jlo[0] = 1
    jhi[0] = 1  # the recovered seen-once feature
    for i in range(1, d + 1):
        x[0] = i
        x[1] = Z
        x[2] = Q
        feature(x, p, out)
        pi, Qi = out[1], out[8]
        sd = math.sqrt(n * pi * (1.0 - pi))
        kmin = max(2, int(n * pi - 14 * sd - 12))
        kmax = min(int(n), int(n * pi + 14 * sd + 12))
        for k in range(kmin, kmax + 1):
            sj = math.sqrt(k * Qi * (1.0 - Qi))
            j0 = max(1, int(k * Qi - 14 * sj - 12))
            j1 = min(k, int(k * Qi + 14 * sj + 12))
            for J in range(j0, j1 + 1):
                m = k - J
                jlo[m] = min(jlo[m], J)
                jhi[m] = max(jhi[m], J)
    top = 0
    for m in range(kbig + 1):
        if jhi[m] >= jlo[m]:
            top = m
    return kbig, jlo[:top + 1].copy(), jhi[:top + 1].copy()


def warm_up():
    """Compile every loop with the argument types Composition.theory passes (kernels.load
    calls this under the cache lock when it builds the entry, so that concurrent first uses
    compile once)."""
    p = np.array([20.0, 60.0, 3.0, 1.0, 0.1, 0.1, 0.1])  # n, d, s, a, sigma, lam, beta_exp
    _, Z = log_product(p, 1.0, 1.0)
    Q = 0.5
    cum_u, cum_pin, pp, r, b2 = arrays(p, Z, Q)
    sp_rate = float(cum_pin[-1])
    kbig, jlo, jhi = sizes(p, Z, Q, True)
    pcdf = np.array([0.5, 2.0])
    U, P, _ = population(cum_u, cum_pin, pp, r, b2, pcdf, sp_rate, Q, p, 4, 1, 1, True)
    G, H = tables(U, P, pcdf, sp_rate, p, min(kbig, 2), jlo, jhi, 2, 2, True)
    G, _ = tables(U, P, pcdf, sp_rate, p, min(kbig, 2), jlo[:1], jhi[:1], 2, 3, True)
    totals(p, Z, Q, G, H)
