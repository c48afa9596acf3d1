"""Gaussian cavity (belief-propagation) messages of ridge / minimum-norm regression on a sparse
sample-feature graph, split by the lam = 0 pinning: the cavity block of sparse-graph models.

Conventions: ridge w = (X^T X + lam I)^(-1) X^T y is the posterior mean under the prior N(0, I)
and the likelihood prod_mu N(y_mu; x_mu.w, lam); lam -> 0 is the minimum-norm solution. A
feature is PINNED (e_i in the row space of X, zero posterior variance at lam = 0) when one of
its samples has all its other features pinned (a HARD factor); other factors are SOFT. Messages
(sums over a factor's other features, or over a feature's other factors):

* soft factor: precision A = 1/(lam + V), V = sum of unpinned v and pinned lam vt; errors
  A^2 Eb (teacher) and A^2 (1 + En) (noise, per unit sigma^2), Eb, En the members' error sums;
* hard factor: precision At/lam, At = 1/(1 + Vt), Vt = sum of the members' vt;
* unpinned feature: v = 1/(1 + S1), eps_b = (b + S2b)/(1 + S1)^2, eps_n = S2n/(1 + S1)^2;
* pinned feature: vt = v/lam = 1/(lam + Sh1 + lam S1), eps_b = (lam^2 (b + S2b) + Sh2b) vt^2,
  eps_n = (lam^2 S2n + Sh2n) vt^2 (Sh: sums over hard factors, S over soft ones);

b = beta*_i^2. Exact on a tree (forest) for every lam >= 0: ``compare`` runs the recursion on
a forest and exact linear algebra (sympy rationals, beta_j and sigma^2 symbolic).
"""
from __future__ import annotations

import sympy as sp

from .base import Block

lam = sp.Symbol("lam", nonnegative=True)
V, Eb, En = sp.symbols("V Eb En", nonnegative=True)
S1, S2b, S2n = sp.symbols("S1 S2b S2n", nonnegative=True)
Sh1, Sh2b, Sh2n = sp.symbols("Sh1 Sh2b Sh2n", nonnegative=True)
Vt = sp.Symbol("Vt", nonnegative=True)
b = sp.Symbol("b", nonnegative=True)


class GaussianCavity(Block):
    """Gaussian BP messages on a sparse graph, hard/soft split, regular at lam = 0."""

    kind = "cavity"
    name = "gaussian-cavity"

    A_SOFT = 1 / (lam + V)
    V_CAV = 1 / (1 + S1)
    ERR_B = (b + S2b) / (1 + S1) ** 2
    ERR_N = S2n / (1 + S1) ** 2
    HARD_A = 1 / (1 + Vt)
    PIN_V = 1 / (lam + Sh1 + lam * S1)
    PIN_EB = (lam ** 2 * (b + S2b) + Sh2b) * PIN_V ** 2
    PIN_EN = (lam ** 2 * S2n + Sh2n) * PIN_V ** 2

    # -- the recursion on one forest, against exact linear algebra ----------------------------
    def compare(self, forest, nf, lams=(sp.S(0), sp.Rational(3, 7), sp.S(2))):
        """(bad_v, bad_e, pinned, exact_pinned) on ``forest`` (rows as lists of (feature,
        sign), features 0..nf-1, no cycle): the number of (feature, lam) whose recursion
        variance / error differs from the exact posterior variance / error sum_j M_ij^2
        beta_j^2 + sigma^2 sum_mu H_i,mu^2 (M = H X - I, H the ridge or pseudo-inverse hat
        matrix), the pinned features by the recursion and by the exact lam = 0 variance."""
        nr = len(forest)
        X = sp.zeros(nr, nf)
        for r_, row in enumerate(forest):
            for f, sg in row:
                X[r_, f] = sg
        bs = sp.symbols(f"b0:{nf}", positive=True)  # beta_j (symbolic), b_j = beta_j^2
        sig2 = sp.Symbol("sig2", nonnegative=True)
        rows_of = {f: [r_ for r_, row in enumerate(forest) if any(g == f for g, _ in row)]
                   for f in range(nf)}

        def pinned_wo(f, excl):
            """lam = 0 pinning on the tree: some other factor of f has all its others pinned."""
            return any(all(pinned_wo(g, r_) for g, _ in forest[r_] if g != f)
                       for r_ in rows_of[f] if r_ != excl)

        def bp(lv):
            """(variance, error, pinned) per feature from the split recursion at lam = lv."""
            def var_msg(f, excl):
                return combine(f, [fac_msg(r_, f) for r_ in rows_of[f] if r_ != excl],
                               pinned_wo(f, excl))

            def fac_msg(r_, f):
                others = [(g, var_msg(g, r_)) for g, _ in forest[r_] if g != f]
                E = sum((o[2] for _, o in others), sp.S(0)) + sig2
                if all(o[0] for _, o in others):  # hard: ("hard", At, E)
                    Vt_ = sum((o[1] for _, o in others), sp.S(0))
                    return ("hard", self.HARD_A.subs(Vt, Vt_), E)
                Vs = sum((o[1] if not o[0] else lv * o[1] for _, o in others), sp.S(0))
                return ("soft", self.A_SOFT.subs({lam: lv, V: Vs}), E)

            def combine(f, facs, is_pinned):
                """(pinned?, v or vt, eps)."""
                s1 = sum((A for k_, A, _ in facs if k_ == "soft"), sp.S(0))
                s2 = sum((A ** 2 * E for k_, A, E in facs if k_ == "soft"), sp.S(0))
                if is_pinned:
                    h1 = sum((A for k_, A, _ in facs if k_ == "hard"), sp.S(0))
                    h2 = sum((A ** 2 * E for k_, A, E in facs if k_ == "hard"), sp.S(0))
                    sub = {lam: lv, Sh1: h1, S1: s1, S2b: s2, Sh2b: h2, S2n: 0, Sh2n: 0,
                           b: bs[f] ** 2}
                    return (True, self.PIN_V.subs(sub), self.PIN_EB.subs(sub))
                sub = {S1: s1, S2b: s2, b: bs[f] ** 2}
                return (False, self.V_CAV.subs(sub), self.ERR_B.subs(sub))

            out = []
            for f in range(nf):
                pin, var, err = combine(f, [fac_msg(r_, f) for r_ in rows_of[f]],
                                        pinned_wo(f, None))
                out.append((lv * var if pin else var, err, pin))
            return out

        def exact(lv):
            if lv == 0:
                Hm = X.pinv()
                cov = sp.eye(nf) - Hm * X
            else:
                Hm = (X.T * X + lv * sp.eye(nf)).inv() * X.T
                cov = (sp.eye(nf) + X.T * X / lv).inv()
            M = Hm * X - sp.eye(nf)
            errs = [sum((M[f, j] ** 2 * bs[j] ** 2 for j in range(nf)), sp.S(0))
                    + sig2 * sum((Hm[f, r_] ** 2 for r_ in range(nr)), sp.S(0))
                    for f in range(nf)]
            return [cov[f, f] for f in range(nf)], errs

        bad_v = bad_e = 0
        exact_pinned = None
        for lv in lams:
            ours = bp(lv)
            cov, errs = exact(lv)
            if lv == 0:
                exact_pinned = [f for f in range(nf) if sp.simplify(cov[f]) == 0]
            for f in range(nf):
                if sp.simplify(ours[f][0] - cov[f]) != 0:
                    bad_v += 1
                if sp.expand(ours[f][1] - errs[f]) != 0:
                    bad_e += 1
        pinned = [f for f, o in enumerate(bp(sp.S(0))) if o[2]]
        return bad_v, bad_e, pinned, exact_pinned

    # -- instances --------------------------------------------------------------------------
    def sample(self, rng, rows: int = 7, new_max: int = 2):
        """(forest, nf): a random tree of ``rows`` factors with random signs, grown by
        attaching each new row to one existing feature plus 0..new_max new ones (a row with
        none pins its feature: hard factors, chains of pinned features and soft ones occur)."""
        forest, nf = [], 1
        for _ in range(rows):
            anchor = int(rng.integers(0, nf))
            new = int(rng.integers(0, new_max + 1))
            row = [(anchor, int(rng.choice((-1, 1))))]
            row += [(nf + j, int(rng.choice((-1, 1)))) for j in range(new)]
            nf += new
            forest.append(row)
        return forest, nf
