"""raf-rf: random features of finite width (p = psi d), readout trained by ridge with the square loss.

Conventions are those of theory/models/raf_rf.py: features v(x) = s(F x) - mu0 with a fixed random
first layer F (p x d), predictor f(x) = a.v(x)/sqrt(p), objective sum (1/2)(y - f)^2 + (lam/2)|a|^2;
Gaussian equivalence with coefficients (mu1, mustar) (or ``activation=sign|relu|erf|tanh|linear``,
which sets them); order parameters of the field f: m = E f nu, q = E f^2, V; conjugates reported.

Solving: the saddle point reduces to one scalar equation for V (kernel ``v_equation``, increasing
residual bracketed by (0, (mu1^2 + mustar^2)/lam]), solved by Brent; then m and q are explicit
(kernel ``closed_form_square``). ``iterate=True`` iterates the full map prior o channel instead
(Anderson, ``mixing`` = weight on the new iterate): the independent check used by the tests.
As psi -> oo the model becomes raf-erm with the same (mu1, mustar), V_rf = V_erm + mustar^2/lam.
"""
from __future__ import annotations

import math

import numpy as np

from ..rootfind import find_root
from ..errors import InputError
from ..model import GlmModel
from .raf_erm import ACTIVATIONS, apply_activation


class RafRf(GlmModel):
    """Rules-and-Facts, random-feature ridge of finite width psi = p/d; also activation=sign|relu|erf|tanh|linear."""  # noqa: E501

    def validate(self, params: dict) -> dict:
        params = dict(params)
        act = params.get("activation")
        if act is not None:
            act = self.check_given({"activation": act})["activation"]
            params["activation"] = act
            apply_activation(params, self.stem)
        out = super().validate(params)
        out.pop("loss", None)
        if act is not None:
            out["activation"] = act
        return out

    def fixed_point_map(self, params):
        p = self.pvec(params)

        def T(x):
            return self.call("prior", self.call("channel_square", x, p), p)
        return T

    def solve(self, params: dict | None = None, *, init=None, method="brent", mixing=0.5,
              tol=1e-12, max_iter=5000, trace=False, iterate=False, **kw):
        """Saddle point: Brent on the scalar V equation, then m(V), q(V) (default); with
        ``iterate=True`` (or method anderson / fixed-point) the Anderson-accelerated iteration of
        the full map instead. The result's residual is that of the full map at the solution."""
        from ..solvers import iterate_map
        params = self.validate({**(params or {}), **kw})
        p = self.pvec(params)
        T = self.fixed_point_map(params)
        if method in ("anderson", "fixed-point"):
            iterate = True
        elif method not in ("brent", "hybrid", "newton"):
            raise InputError(f"unknown method '{method}': choose brent, anderson or fixed-point")
        if not iterate:
            upper = (params["mu1"] ** 2 + params["mustar"] ** 2) / params["lam"]
            r = find_root(lambda v: float(self.call("v_equation", [v], p)[0]), 0.0, upper,
                          xtol=1e-16)
            x = np.array([*self.call("closed_form_square", [r.value], p), r.value])
            res = float(np.max(np.abs(T(x) - x))) if self.inside(x) else math.inf
            ok = bool(r.converged and res < 1e-9 * (1 + np.abs(x).max()))
            status = {"converged": ok, "iterations": r.iterations, "residual": res,
                      "method": "brent", "message": "" if ok else
                      f"scalar V equation: {r.message or 'no root'}; full-map residual {res:.3g}"}
        else:
            x0 = np.asarray(init if init is not None else self.initial_guess(params), float)
            common = dict(tol=tol, inside=self.inside, trace=trace, max_iter=max_iter)
            x, st = iterate_map(T, x0, method=method, mixing=mixing, **common)
            status = st.to_dict()
            if trace:
                status["trace"] = [float(v) for v in st.trace]
        order = dict(zip(("m", "q", "V"), map(float, x)))
        obs = {}
        if status["converged"]:
            hats = self.call("channel_square", x, p)
            order.update(zip(("mhat", "qhat", "Vhat"), map(float, hats)))
            out = self.call("observables", np.concatenate([x, hats]), p)
            obs = dict(zip(self.module.KERNELS["observables"][1], map(float, out)))
        return self._result(params, order, obs, status)

    # -- resources ----------------------------------------------------------------------------
    # Peak resident bytes of one instance, d = N, n = round(alpha N), p = round(psi N) (measured,
    # tests/numerics/test_resources.py): the data X, first layer F and features Z, 8 (n N + p N + n p),
    # plus the largest phase: building Z (16 n p of temporaries), the ridge solve on the smaller
    # Gram (~40 min(n, p)^2), the 4N test inputs and their features (32 N^2 + 96 N p), the exact
    # p x p feature covariance for q (~64 p^2 + 16 p N; not for tanh). Seconds (rough):
    # ~5e-7 per transcendental entry (p^2 + 4 N p + n p) + 2e-10 (n p N + min(n, p)^3).
    def _instance_cost(self, v, N):
        from ..resources import Cost
        N = float(N)
        n = float(max(2, round(v["alpha"] * N)))  # raf-erm's sample: at least 2 samples
        p = float(max(1, round(v["psi"] * N)))
        m = min(n, p)
        phases = [16 * n * p, 40 * m * m, 32 * N * N + 96 * N * p]
        if v.get("activation") != "tanh":
            phases.append(64 * p * p + 16 * p * N)
        return Cost(8 * (n * N + p * N + n * p) + max(phases),
                    5e-7 * (p * p + 4 * N * p + n * p) + 2e-10 * (n * p * N + m ** 3))

    def cost(self, verb: str, params: dict, **opts):
        from ..resources import ladder, run_sizes, sizes
        run = run_sizes(verb, opts, N=200, instances=20, verify_instances=(20, 40),
                        simulation="raf_rf")
        if run is None:
            return None
        Ns, inst = run
        N = max(Ns)
        n, p = max(2, round(params["alpha"] * N)), max(1, round(params["psi"] * N))
        return ladder(lambda N: self._instance_cost(params, N), Ns, inst,
                      "8 (n N + p N + n p) + max(40 min(n,p)^2, 32 N^2 + 96 N p, 64 p^2 + 16 p N) "
                      f"bytes: data, random features, test features, feature covariance; at "
                      f"N = {sizes(N)}, n = {sizes(n)}, p = {sizes(p)}, {inst} instances "
                      "one after another")

    # -- simulation ---------------------------------------------------------------------------
    def simulate(self, params: dict, *, N: int = 200, instances: int = 20, seed: int = 0):
        from ..simulation import raf_rf as sim
        v = self.validate(params)
        if N < 2 or instances < 2:
            raise InputError(f"simulate needs N >= 2 and instances >= 2 (got N={N}, "
                             f"instances={instances})")
        sim.check_activation(v)
        stats = sim.measure(v, N, instances, seed)
        th = self.solve(v)
        theory = dict(th.observables, m=th.order_params["m"], q=th.order_params["q"])
        from ..records import make_record
        record = make_record(self, v, {"converged": th.converged,
                                       "unconverged": stats["unconverged"]},
                             N=N, instances=instances, seed=seed, simulation=stats,
                             theory=theory)
        return {"record": record, "table": sim.format_simulation(v, N, instances, seed, stats,
                                                                 theory)}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        """Theory against explicit random features (true non-linear activation, explicit random
        first layer, closed-form ridge) at an N = d ladder, 1/N-extrapolated, within 3 se."""
        from ..simulation import raf_rf as sim
        v = self.validate(params)
        sim.check_activation(v)
        Ns = list(Ns or (sim.QUICK_LADDER if quick else sim.DEFAULT_LADDER))
        instances = instances or (20 if quick else 40)
        if len(Ns) < 2 or min(Ns) < 10 or instances < 5:
            raise InputError("verify needs a ladder of >= 2 sizes N >= 10 and >= 5 instances")
        th = self.solve(v)
        if not th.converged:
            raise InputError(f"no converged theory point at these parameters: "
                             f"{th.status['message']}")
        return sim.verify(self, v, th, Ns, instances, seed, out_dir, progress)
