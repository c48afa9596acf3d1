"""Margin constraint (the Gardner volume): every sample must satisfy y h >= kappa."""
from __future__ import annotations

import sympy as sp

from ...derivation import Parameter
from ...evaluate import check_numeric, check_symbolic
from ...free_entropy import replica_limit_check
from ...gaussian import GH, H, LogH, gauss_avg, gauss_integral
from ..base import Channel
from ..symbols import R, q, t, z

kappa = sp.Symbol("kappa", nonnegative=True)


class Margin(Channel):
    """Gardner volume: the indicator theta(y h - kappa) of each constraint. Energetic term
    G_E = sum_y E_t P(y|t) log H((kappa - y sqrt(q) t)/sqrt(1-q))."""

    name = "margin"
    parameters = (Parameter(kappa, 0.0, None, default=0.0,
                            description="margin; replica symmetry is exact for kappa >= 0"),)

    def cuts(self):
        """Where the energetic integrand changes character in t (quadrature breakpoints)."""
        return [kappa / sp.sqrt(q), sp.S(0)]

    def hints(self):
        """(center, scale) quadrature hints of the energetic integrand in t."""
        return [(kappa / sp.sqrt(q), sp.sqrt(1 - q) / sp.sqrt(q))]

    def student_average(self, d):
        """E_z theta(y h - kappa) for h = sqrt(q) t + sqrt(1-q) z, as a step with its check."""
        student_y, checks = {}, []
        for y in (1, -1):
            # y h >= kappa <=> y z >= (kappa - y sqrt(q) t)/sqrt(1-q): a Gaussian tail in z.
            bound = (kappa - y * sp.sqrt(q) * t) / sp.sqrt(1 - q)
            direct = (gauss_integral(1, z, bound, sp.oo) if y == 1
                      else gauss_integral(1, z, -sp.oo, -bound))
            student_y[y] = H(bound)
            checks.append(check_numeric(direct, H(bound), [q, kappa, t],
                                        [(0.3, 0.0, 0.4), (0.7, 0.8, -1.2), (0.95, 0.3, 0.1)],
                                        1e-25, f"E_z theta(y h - kappa) = H(...) for y = {y}"))
        d.step("student constraint average",
               "With h = sqrt(q) t + sqrt(1-q) z, E_z theta(y h - kappa) = H((kappa - y sqrt(q) t)/"
               "sqrt(1-q)); checked against direct Gaussian integrals (mpmath, 30 digits).",
               checks, A_plus=student_y[1], A_minus=student_y[-1])
        return student_y

    def energetic(self, d, labels, samples=()):
        """G_E for ``labels``; ``samples``: (q, R, <label and channel parameters>) points for the
        numeric check of the y-fold, in the order [q, R] + label parameters + [kappa]."""
        self.student_average(d)
        P = labels.record(d)
        replica_limit_check(d)
        arg = {y: (kappa - y * sp.sqrt(q) * t) / sp.sqrt(1 - q) for y in (1, -1)}
        G_E_sum = sum(gauss_avg(P[y] * LogH(arg[y]), t) for y in (1, -1))
        if not labels.symmetric:
            d.step("energetic term", "G_E = sum_y E_t P(y|t) log E_z theta(y h - kappa).",
                   G_E=G_E_sum)
            return G_E_sum
        G_E = 2 * gauss_avg(P[1] * LogH(arg[1]), t)
        syms = [q, R] + [p.symbol for p in labels.parameters] + [kappa]
        d.step("energetic term",
               "G_E = sum_y E_t P(y|t) log E_z theta(y h - kappa). The y = -1 term maps onto the "
               "y = +1 term under t -> -t, so G_E = 2 E_t P(+1|t) log H((kappa - sqrt(q) t)/"
               "sqrt(1-q)).",
               [check_numeric(G_E_sum, G_E, syms, list(samples), 1e-20,
                              "sum over y equals twice the y = +1 term",
                              breakpoints=self.cuts() + [-kappa / sp.sqrt(q)])] if samples else [],
               G_E=G_E)
        return G_E

    def factor(self, y, h, values=None):
        """The per-sample factor theta(y h - kappa) at student fields ``h`` (generic checks)."""
        import numpy as np
        k = float((values or {}).get(kappa, 0.0))
        return (np.asarray(y) * np.asarray(h) >= k).astype(float)

    def bayes_point(self, labels):
        """At kappa = 0 on a noiseless sign teacher the constraint y h >= 0 is the teacher's own
        likelihood theta(y nu): the Gardner volume is then the Bayes posterior (Gibbs learning)."""
        from ..labels import LabelNoise, RulesAndFacts, SignTeacher
        if type(labels) is SignTeacher:
            return {kappa: 0.0}
        if type(labels) in (RulesAndFacts, LabelNoise) and type(labels.rule) is SignTeacher:
            return {kappa: 0.0, labels.parameters[0].symbol: 0.0}
        return None

    def replicon_moment(self, d, labels):
        """sum_y E_t P(y|t) (d^2/domega^2 log H((kappa - y omega)/sqrt(1-q)))^2 at omega =
        sqrt(q) t: the channel's factor of the replicon (its second derivative in the cavity mean
        omega, squared). For a symmetric label model the y = -1 term is the y = +1 term under
        t -> -t."""
        om = sp.Symbol("omega", real=True)
        sec = {y: sp.diff(LogH((kappa - y * om) / sp.sqrt(1 - q)), om, 2).subs(om, sp.sqrt(q) * t)
               for y in (1, -1)}
        r = R if labels.teacher else sp.S(0)
        P = {y: labels.conditional(y, t, q, r) for y in (1, -1)}
        m = 2 * gauss_avg(P[1] * sec[1]**2, t) if labels.symmetric else sum(
            gauss_avg(P[y] * sec[y]**2, t) for y in (1, -1))
        u = (kappa - sp.sqrt(q) * t) / sp.sqrt(1 - q)
        d.step("replicon factor of the channel",
               "d^2/domega^2 log H((kappa - omega)/sqrt(1-q)) = -GH(u)(GH(u) - u)/(1-q), u = "
               "(kappa - sqrt(q) t)/sqrt(1-q); its square averaged over the labels and t.",
               [check_symbolic(sec[1] + GH(u) * (GH(u) - u) / (1 - q),
                               "second derivative of log H in omega")], M_out=m)
        return m

    def q_to_one(self, d, labels, teacher=True):
        """lim_{q->1} 2(1-q) G_E = -I(R), I(R) = 2 int_{-oo}^{kappa} Dt P(+1|t)|_{q=1} (kappa-t)^2.

        sympy cannot take this limit of the integral; the pointwise limit of the integrand is taken
        here from the asymptotics of log H, and the limit of the integral is checked numerically by
        the model (it needs the full free entropy)."""
        u = sp.Symbol("u", positive=True)
        delta = sp.Symbol("delta", positive=True)  # delta = 1 - q
        arg = (kappa - sp.sqrt(1 - delta) * t) / sp.sqrt(delta)
        pointwise = sp.limit(delta * (-arg**2 / 2), delta, 0)
        d.step("asymptotics of log H",
               "log H(u) = -u^2/2 - log(u sqrt(2 pi)) + O(u^-2) for u -> +oo and log H(u) -> 0 for "
               "u -> -oo. With u = (kappa - sqrt(q) t)/sqrt(1-q) and q -> 1, "
               "(1-q) log H(u) -> -(kappa - t)^2/2 for t < kappa and 0 for t > kappa.",
               [check_symbolic(pointwise + (kappa - t)**2 / 2, "limit of (1-q)(-u^2/2)"),
                _check_logh_asymptotics(u)],
               limit=pointwise)
        r = R if teacher else sp.S(0)
        return 2 * gauss_integral(labels.at_q_one(1, t, r) * (kappa - t)**2, t, -sp.oo, kappa)


def _check_logh_asymptotics(u):
    import mpmath as mp

    from ...derivation import Check
    worst = 0.0
    with mp.workdps(30):
        for x in (1e3, 1e4, 1e6):
            x = mp.mpf(x)
            exact = mp.log(mp.erfc(x / mp.sqrt(2)) / 2)
            approx = -x**2 / 2 - mp.log(x * mp.sqrt(2 * mp.pi))
            worst = max(worst, float(abs(exact - approx) * x**2))  # O(u^-2) remainder
    return Check("numeric", worst < 1.01, "log H(u) + u^2/2 + log(u sqrt(2 pi)) = O(u^-2) at "
                 "u = 1e3, 1e4, 1e6 (remainder times u^2 <= 1)", worst)
