"""raf-bayes: the Bayes-optimal estimator of the rule on Rules-and-Facts data (RS, Nishimori line).

Conventions are those of theory/models/raf_bayes.py: one order parameter q (= m by the Nishimori
identity), q = qhat/(1 + qhat), eps_gen = arccos(sqrt q)/pi. Solved by Anderson-accelerated
iteration of q <- qhat(q)/(1 + qhat(q)) (``mixing`` = weight on the new iterate); at eps = 1 (facts
only) the labels carry no information on the teacher and q = 0 exactly.
"""
from __future__ import annotations

import numpy as np

from ..model import SaddlePointModel


class RafBayes(SaddlePointModel):
    """Rules-and-Facts Bayes-optimal rule learning: q and eps_gen."""

    def inside(self, x) -> bool:
        return bool(np.all(np.isfinite(x)) and 0.0 < x[0] < 1.0)

    def initial_guess(self, params):
        a = params["alpha"]
        return np.array([min(0.5 + 0.4 * a / (1 + a), 0.99)])

    def solve(self, params=None, *, init=None, method="anderson", mixing=0.5, tol=1e-13,
              max_iter=5000, trace=False, **kw):
        from ..solvers import iterate_map
        params = self.validate({**(params or {}), **kw})
        p = self.pvec(params)
        if params["eps"] == 1.0:
            x = np.array([0.0])
            status = {"converged": True, "iterations": 0, "residual": 0.0,
                      "method": "closed-form", "message": "eps = 1: facts only, q = 0"}
            qhat = 0.0
        else:
            kern = "fixed_point_noiseless" if params["eps"] == 0.0 else "fixed_point"

            def T(x):
                return self.call(kern, x, p)[:1]
            x0 = np.asarray(init if init is not None else self.initial_guess(params), float)
            common = dict(tol=tol, inside=self.inside, trace=trace, max_iter=max_iter)
            x, st = iterate_map(T, x0, method=method, mixing=mixing, **common)
            status = st.to_dict()
            qhat = float(self.call(kern, x, p)[1])
        order = {"q": float(x[0]), "qhat": qhat}
        obs = {}
        if status["converged"]:
            obs["eps_gen"] = float(self.call("observables", x, p)[0])
        return self._result(params, order, obs, status)

    # -- resources ----------------------------------------------------------------------------
    # One GAMP instance, n = round(alpha N) samples in dimension N: the data X, its scaled copy
    # A = X/sqrt(N) and the temporary A*A of the variance estimate, 24 n N bytes (measured,
    # tests/numerics/test_resources.py); rough seconds ~1.2e-6 n N (up to 500 iterations of two
    # matrix-vector products, typically ~100).
    def cost(self, verb: str, params: dict, **opts):
        from ..resources import Cost, ladder, run_sizes, sizes
        run = run_sizes(verb, opts, N=400, instances=10, verify_instances=(10, 20),
                        simulation="raf_bayes")
        if run is None:
            return None
        Ns, inst = run

        def one(N):
            nN = float(max(2, round(params["alpha"] * N))) * N
            return Cost(24 * nN, 1.2e-6 * nN)
        N = max(Ns)
        return ladder(one, Ns, inst, f"24 n N bytes: the n x N data and its scaled copy for "
                      f"GAMP, n = {sizes(max(2, round(params['alpha'] * N)))}, N = {sizes(N)}; "
                      f"{inst} instances one after another")

    def simulate(self, params: dict, *, N: int = 400, instances: int = 10, seed: int = 0):
        """GAMP on sampled instances: overlaps m, q and eps_gen against the theory."""
        from ..errors import InputError
        from ..simulation import raf_bayes as sim
        v = self.validate(params)
        if N < 10 or instances < 2:
            raise InputError("simulate needs N >= 10 and instances >= 2")
        st = sim.measure(v["alpha"], v["eps"], N, instances, seed)
        th = self.solve(v)
        theory = {"m": th["q"], "q": th["q"], "eps_gen": th["eps_gen"]}
        lines = [f"raf-bayes simulate (GAMP): N={N}, alpha={v['alpha']:g}, eps={v['eps']:g}, "
                 f"{instances} instances (seed {seed})"]
        lines += [f"  {k:<8} {st[k]['mean']:.5f} +- {st[k]['se']:.5f}   theory {theory[k]:.5f}"
                  for k in ("m", "q", "eps_gen")]
        from ..records import make_record
        record = make_record(self, v, {"converged": th.converged,
                                       "unconverged": st["unconverged"]},
                             N=N, instances=instances, seed=seed, simulation=st, theory=theory)
        return {"record": record, "table": "\n".join(lines)}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None, sampler: str = "own"):
        """GAMP (an independent route) at an N ladder: m, q (Nishimori: both = q theory) and
        eps_gen, 1/N-extrapolated, within 3 standard errors.

        ``sampler="blocks"``: the block simulation instead (numerics/simulation/blocks.py,
        ``GAMPFit``: instances from the declared blocks, the same GAMP, the shared ladder). The
        default stays the own sampler: the blocks draw in another order from other instance
        seeds, so the two agree in distribution, not in bytes
        (tests/numerics/simulation/test_raf_block_paths.py)."""
        from ..errors import InputError
        from ..simulation import raf_bayes as sim
        done = self.block_verify(sampler, params, Ns=Ns, instances=instances, seed=seed,
                                 out_dir=out_dir, quick=quick, progress=progress)
        if done is not None:
            return done
        v = self.validate(params)
        Ns = list(Ns or (sim.QUICK_LADDER if quick else sim.DEFAULT_LADDER))
        instances = instances or (10 if quick else 20)
        if len(Ns) < 2 or min(Ns) < 10 or instances < 3:
            raise InputError("verify needs a ladder of >= 2 sizes N >= 10 and >= 3 instances")
        th = self.solve(v)
        return sim.verify(self, v, th, Ns, instances, seed, out_dir, progress)
