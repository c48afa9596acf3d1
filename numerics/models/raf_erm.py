"""raf-erm: ridge / kernel ERM on Rules-and-Facts data (square, hinge, logistic losses).

Conventions are those of theory/models/raf_erm.py: order parameters m, q, V of the linear part of
the predictor h = mu1 w.x/sqrt(d) (conjugates mhat, qhat, Vhat reported with them), kernel
coefficients (mu1, mustar) of the Gaussian-equivalent kernel mu1^2 XX^T/d + mustar^2 I (mu0 = 0),
ridge lam. Extra, non-numeric parameters:

* ``loss``: square (default) | hinge | logistic (codes 0, 1, 2 are accepted too);
* ``activation``: sign | relu | erf | tanh | linear; sets (mu1, mustar) to that activation's
  random-feature kernel coefficients, mu1 = E z s(z), mustar^2 = E s^2 - mu0^2 - mu1^2 (mu0 is
  dropped: the constant kernel part is not modelled).

Solving: the square loss is closed form (kernel ``closed_form_square``); hinge and logistic iterate
(m, q, V) <- prior(channel(m, q, V)) with Anderson acceleration (``mixing`` = weight on the new
iterate); where that iteration stalls, Newton on the scaled variables (m/sqrt q, log q, log V)
finishes the solve (see ``solve``).

Existence and separability. For every lam > 0 the ERM objective is lam-strongly convex, so it has
one finite minimizer, and the saddle point exists: a solve that fails is a solver failure, never
physics. Every minimizer also obeys (lam/2)|theta|^2 <= objective(0) = n loss(0), i.e.
q <= 2 alpha mu1^2 loss(0)/lam (``q_bound``); an iterate beyond it is proof that the iteration,
not the norm, runs away. Separability decides only the lam -> 0 limit: the training set is
linearly separable when alpha < alpha_c(eps, kappa = 0), the raf-gardner capacity (eps = 0:
every alpha; mustar > 0: always, through the private features). There the logistic norm grows
like log(1/lam) (|w|/sqrt(d) ~ log(1/lam)/kappa_max, V ~ 1/lam) and the hinge solution tends to
the max-margin (hard-margin SVM) one, of bounded norm 1/kappa_max; non-separable, both tend to
the finite lam = 0 minimizer. A converged solve in the separable regime says so in its message.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..model import GlmModel
from ..common.activations import activation_coefficients
from ..declarations.raf_erm import ACTIVATIONS, LOSSES  # noqa: F401 -- declared there
from ..results import Result

KERNEL_PRECISION = 1e-10  # relative accuracy of the channel kernels (tests: rtol 1e-10 vs mpmath)
LOSS_AT_ZERO = {"square": 0.5, "hinge": 1.0, "logistic": math.log(2.0)}


def q_bound(params) -> float:
    """A priori bound on q = mu1^2 |w|^2/d at the minimizer: the objective at theta = 0 is
    n loss(0), and the minimum is below it, so (lam/2)|theta|^2 <= n loss(0)."""
    ell0 = LOSS_AT_ZERO[params["loss"]]
    return 2.0 * params["alpha"] * params["mu1"] ** 2 * ell0 / params["lam"]


def apply_activation(params: dict, stem: str):
    """Pop ``activation`` from params (in place) and set (mu1, mustar) to its coefficients in the
    table of the generated module ``stem`` (the model's derivation); returns the activation name
    or None. (mu1, mustar) may come along only when they are the activation's own (a result's
    params fed back in); anything else is ambiguous."""
    act = params.pop("activation", None)
    if act is not None:
        _, mu1, mus = activation_coefficients(str(act), stem)
        if any(k in params and float(params[k]) != v for k, v in (("mu1", mu1),
                                                                  ("mustar", mus))):
            raise InputError("give either activation or (mu1, mustar), not both")
        params["mu1"], params["mustar"] = mu1, mus
    return act


class RafErm(GlmModel):
    """Rules-and-Facts ERM, ridge/kernel learners; also loss=square|hinge|logistic, activation=sign|relu|erf|tanh|linear."""  # noqa: E501

    # -- parameters: numerics/declarations/raf_erm.py -----------------------------------------
    def validate(self, params: dict) -> dict:
        params = dict(params)
        act = params.get("activation")
        if act is not None:
            act = self.check_given({"activation": act})["activation"]
            params["activation"] = act
            apply_activation(params, self.stem)  # pops it; sets (mu1, mustar)
        out = super().validate(params)
        if act is not None:
            out["activation"] = act
        return out

    # -- solving ------------------------------------------------------------------------------
    def fixed_point_map(self, params):
        p = self.pvec(params)
        loss = params["loss"]

        def T(x):
            hats = self.call(f"channel_{loss}", x, p)
            return self.call("prior", hats, p)
        return T

    def solve(self, params: dict | None = None, *, init=None, method="anderson", mixing=0.5,
              tol=1e-12, max_iter=5000, trace=False, iterate=False, **kw) -> Result:
        """Saddle point. Square loss: closed form (``iterate=True`` iterates instead, the check
        used by the tests). Others: ``anderson`` (default): the Anderson loop compiled with the
        kernels (``iterate_<loss>`` in the generated module, cached on disk; falls back to the
        Python iterations below if it does not converge); ``anderson-py``: the same iteration
        in Python (with ``trace``); ``fixed-point``: damped iteration (``mixing`` = weight on
        the new iterate). ``njit`` is an alias of ``anderson``."""
        from ..solvers import SolveStatus, iterate_map
        params = self.validate({**(params or {}), **kw})
        if method in ("hybrid", "newton", "njit"):  # no Jacobian kernel here
            method = "anderson"
        if method not in ("anderson", "anderson-py", "fixed-point"):
            raise InputError(f"unknown method '{method}': choose anderson, anderson-py or "
                             "fixed-point")
        p = self.pvec(params)
        loss = params["loss"]
        T = self.fixed_point_map(params)
        if loss == "square" and not iterate:
            x = self.call("closed_form_square", np.empty(0), p)
            res = float(np.max(np.abs(T(x) - x)))
            status = {"converged": bool(res < 1e-9 * (1 + abs(x).max())), "iterations": 0,
                      "residual": res, "method": "closed-form", "message": ""}
        else:
            x0 = np.asarray(init if init is not None else self.initial_guess(params), float)
            bound = q_bound(params)
            big = {"hit": False}

            def inside(x):
                if np.isfinite(x[1]) and x[1] > bound:
                    big["hit"] = True
                    return False
                return self.inside(x)
            common = dict(tol=tol, inside=inside, trace=trace, max_iter=max_iter)
            st, failed = None, []
            driver = getattr(self.module, f"iterate_{loss}", None)
            if method == "anderson" and driver is not None and not trace:
                xd, its, res, code = driver(x0, p, mixing, tol, max_iter, bound)
                if code == 0:
                    x, st = xd, SolveStatus(True, its, res, "anderson", "")
                else:
                    big["hit"] = code == 3
                    # The slow mode of the map (eigenvalue -> 1 near the max-margin limit, V ~
                    # 1/lam) defeats the iteration but not Newton in scaled variables, started
                    # from where the iteration stopped (then from the default start).
                    why = {1: "max_iter reached", 2: "left the domain",
                           3: "q beyond the bound"}[int(code)]
                    starts = [xd] if inside(xd) else []
                    for start in starts + [x0]:
                        xn, sn = self._newton_scaled(T, start, tol)
                        if sn.converged and xn[1] <= bound:
                            x, st = xn, sn
                            st.message = (f"compiled Anderson: {why} after {its} iterations; "
                                          + sn.message)
                            st.iterations += its
                            break
                        origin = "the Anderson iterate" if start is xd else "the default start"
                        failed.append(f"scaled Newton from {origin}: residual {sn.residual:.1e}")
            if st is None:
                x, st = iterate_map(T, x0, method=method, mixing=mixing, **common)
                if failed and not st.converged:
                    st.message = "; ".join(failed + [f"then {st.method}: {st.message}"])
            status = st.to_dict()
            if trace:
                status["trace"] = [float(r) for r in st.trace]
            sep = self.separability(params)
            if not st.converged:
                status["message"] = (
                    f"no saddle point found ({st.message}); one exists at every lam > 0 (the "
                    f"objective is lam-strongly convex): this is a solver failure"
                    + (f"; the iteration ran away: q passed {bound:.4g} = 2 alpha mu1^2 "
                       f"loss(0)/lam, a bound every minimizer obeys" if big["hit"] else ""))
                status["runaway"] = bool(big["hit"])
            elif sep["separable"] and loss != "square":
                why = (f"alpha < alpha_c = {sep['alpha_c']:.6g}" if math.isfinite(sep["alpha_c"])
                       else "mustar > 0: the private features separate any training set"
                       if params["mustar"] > 0 else
                       "eps = 0: noiseless rule data are separable at every alpha")
                tail = ("the norm diverges like log(1/lam)" if loss == "logistic" else
                        "the solution tends to the max-margin one (bounded norm)")
                status["message"] = "; ".join(
                    [m for m in (st.message, f"separable regime ({why}): as lam -> 0 {tail}")
                     if m])
        order = dict(zip(("m", "q", "V"), map(float, x)))
        obs = {}
        if status["converged"]:
            hats = self.call(f"channel_{loss}", x, p)
            order.update(zip(("mhat", "qhat", "Vhat"), map(float, hats)))
            out = self.call(f"observables_{loss}", np.concatenate([x, hats]), p)
            names = self.module.KERNELS[f"observables_{loss}"][1]
            obs = dict(zip(names, map(float, out)))
            obs["norm"] = math.sqrt(x[1]) / params["mu1"]  # |w|/sqrt(d) of the linear part
        return self._result(params, order, obs, status)

    def _newton_scaled(self, T, x0, tol, max_iter=60):
        """Newton on the fixed point of T in y = (r, log q, log V), r = m/sqrt q, with a central
        finite-difference Jacobian. Why scaled: near the max-margin / separable limit V ~ 1/lam
        and q ~ 1/kappa_max^2 are large while r -> 1, and the map has an eigenvalue close to 1
        (0.9988 at eps = 0, alpha = 30): the iteration crawls, Newton does not. Converged: the
        residual max_i |T_i(x) - x_i|/s_i with s = max(1, (sqrt q, q, V)) below tol (absolute
        for order-one values, relative for large ones; the message says so)."""
        from ..solvers import SolveStatus, newton

        def to_x(y):
            if not (abs(y[1]) < 700 and abs(y[2]) < 700 and abs(y[0]) < 1):
                return None
            q = math.exp(y[1])
            return np.array([y[0] * math.sqrt(q), q, math.exp(y[2])])

        def parts(y):
            x = to_x(y)
            t = None if x is None else T(x)
            if t is None or not (self.inside(t) and self.inside(x)):
                return None, None
            return x, t

        def F(y):
            x, t = parts(y)
            if x is None:
                return np.full(3, np.nan), np.full(3, np.nan)
            f = np.array([t[0] / math.sqrt(t[1]) - y[0], math.log(t[1]) - y[1],
                          math.log(t[2]) - y[2]])
            scale = np.maximum(1.0, [math.sqrt(x[1]), x[1], x[2]])
            return f, (t - x) / scale

        best = {"res": math.inf, "y": None}

        def system(y):
            f, g = F(y)
            res = float(np.max(np.abs(g)))
            if res < best["res"]:
                best.update(res=res, y=np.array(y))
            J = np.empty((3, 3))
            for j in range(3):
                h = 1e-7 * max(1.0, abs(y[j]))
                if j == 0:
                    h = min(h, 0.25 * (1 - abs(y[0])))
                e = np.zeros(3)
                e[j] = h
                J[:, j] = (F(y + e)[0] - F(y - e)[0]) / (2 * h)
            return f, J, g

        x0 = np.asarray(x0, float)
        y0 = np.array([x0[0] / math.sqrt(x0[1]), math.log(x0[1]), math.log(x0[2])])
        y, st = newton(system, y0, tol=tol, max_iter=max_iter,
                       inside=lambda y: to_x(y) is not None)
        if not st.converged and best["res"] < KERNEL_PRECISION:
            # Deep in the separable regime (lam < 1e-10, V > 1e9) the channel integrals, good to
            # ~1e-10 relative (the kernel tests' tolerance), leave a residual floor that Newton
            # cannot go under; a point at that floor is as exact as the kernels.
            y = best["y"]
            st = SolveStatus(True, st.iterations, best["res"], "newton-scaled",
                             f"stalled at residual {best['res']:.1e} < {KERNEL_PRECISION:g}, "
                             "the kernels' relative precision: accepted")
        x = to_x(y)
        if x is None:
            return x0, SolveStatus(False, st.iterations, math.inf, "newton-scaled", st.message)
        st.method = "newton-scaled"
        st.message = ("Newton on (m/sqrt q, log q, log V): residual relative to max(1, (sqrt q, "
                      "q, V))" + (f", {st.message}" if st.message else ""))
        return x, st

    def separability(self, params) -> dict:
        """Linear separability of the training set (mustar = 0): alpha < alpha_c(eps, 0)."""
        from . import get
        if params["mustar"] > 0:
            return {"separable": True, "alpha_c": math.inf}  # private features interpolate
        cap = get("raf-gardner").capacity(params["eps"], 0.0)
        return {"separable": bool(params["alpha"] < cap.alpha_c), "alpha_c": cap.alpha_c}

    # -- resources ----------------------------------------------------------------------------
    # Peak resident bytes of one instance, n = round(alpha N) samples in dimension N (measured,
    # tests/numerics/test_resources.py): the data X, 8 n N, plus
    # * square loss: the n x n kernel, its shifted copy, the solver's copy and temporaries,
    #   ~28 n^2; seconds ~2e-10 (n^3 + 2 n^2 N);
    # * hinge, logistic: the features F (n x N, and the n x n private block when mustar > 0) with
    #   scikit-learn's copies, ~24 B per entry of F; seconds ~3e-10 (entries of F)^1.5;
    # * the exact kernel (verify with a closed-form activation): the n x n kernel K and its
    #   elementwise temporaries (~64 n^2 while built), then the 4N test inputs (32 N^2) and the
    #   4N x n test kernel with its temporaries (~256 N n); seconds ~1e-6 per kernel entry.
    # Instances run one after another, so the peak is one instance's.
    def _instance_cost(self, v, N, exact=False):
        from ..resources import Cost
        N = float(N)
        n = float(max(2, round(v["alpha"] * N)))
        if exact:
            mem = 8 * n * N + 8 * n * n + max(64 * n * n, 32 * N * N + 256 * N * n)
            sec = 1e-6 * (n * n + 4 * N * n) + 2e-10 * n ** 3
            if v["loss"] != "square":
                sec += 3e-10 * (n * n) ** 1.5
            return Cost(mem, sec)
        if v["loss"] == "square":
            return Cost(8 * n * N + 28 * n * n, 2e-10 * (n ** 3 + 2 * n * n * N))
        f = n * (N + n if v["mustar"] > 0 else N)
        return Cost(8 * n * N + 24 * f, (3e-10 if v["loss"] == "hinge" else 6e-10) * f ** 1.5)

    def _cost_detail(self, v, exact):
        if exact:
            return ("8 n N + 8 n^2 + max(64 n^2, 32 N^2 + 256 N n) bytes: data, exact kernel, "
                    "4N test inputs and their kernel")
        if v["loss"] == "square":
            return "8 n N + 28 n^2 bytes: data and the n x n kernel ridge system"
        return ("8 n N + 24 n (N" + (" + n" if v["mustar"] > 0 else "") + ") bytes: data and the "
                "explicit features in scikit-learn")

    def cost(self, verb: str, params: dict, **opts):
        from ..resources import ladder, sizes
        if verb == "simulate":
            N, inst = int(opts.get("N") or 200), int(opts.get("instances") or 20)
            n = max(2, round(params["alpha"] * N))
            return ladder(lambda N: self._instance_cost(params, N), [N], inst,
                          f"{self._cost_detail(params, False)}, n = {sizes(n)}, N = {sizes(N)}; "
                          f"{inst} instances one after another")
        if verb != "verify":
            return None
        # imported only here: the simulation module pulls in scipy.stats (~1 s), which a solve
        # (cost is asked for every verb) must not pay
        from ..simulation import raf_erm as sim
        exact = opts.get("exact_kernel")
        if exact is None:
            exact = params.get("activation") in sim.EXACT_KERNELS
        quick = bool(opts.get("quick"))
        Ns = [int(x) for x in (opts.get("Ns") or (sim.QUICK_LADDER if quick else
                                                    sim.DEFAULT_LADDER))]
        inst = int(opts.get("instances") or (20 if quick else 40))
        n = max(2, round(params["alpha"] * max(Ns)))
        return ladder(lambda N: self._instance_cost(params, N, exact), Ns, inst,
                      f"{self._cost_detail(params, exact)}, at the largest n = {sizes(n)}, N = "
                      f"{sizes(max(Ns))}; {inst} instances per N one after another")

    # -- simulation ---------------------------------------------------------------------------
    def simulate(self, params: dict, *, N: int = 200, instances: int = 20, seed: int = 0):
        from ..simulation import raf_erm as sim
        v = self.validate(params)
        if N < 2 or instances < 2:
            raise InputError(f"simulate needs N >= 2 and instances >= 2 (got N={N}, "
                             f"instances={instances})")
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
               out_dir="memgen-out", quick: bool = False, progress=None, exact_kernel=None,
               sampler: str = "own"):
        """Theory against finite-N ERM. With an activation that has a closed-form kernel
        (sim.EXACT_KERNELS) the simulation uses that exact kernel (kernel ridge regression; for
        hinge and logistic scikit-learn on features of the exact kernel matrix);
        ``exact_kernel=False`` uses the Gaussian-equivalent features instead.

        ``sampler="blocks"``: the block simulation instead (numerics/simulation/blocks.py: data,
        labels and teacher drawn from the declared blocks, the same fit, observables eps_gen, m,
        q, the shared ladder), with the Gaussian-equivalent features. The default stays the own
        sampler: the blocks draw in another order (inputs, coins, teacher, fact mask) from
        other instance seeds, so the two agree in distribution, not in bytes
        (tests/numerics/simulation/test_raf_block_paths.py)."""
        from ..simulation import raf_erm as sim
        done = self.block_verify(sampler, params, Ns=Ns, instances=instances, seed=seed,
                                 out_dir=out_dir, quick=quick, progress=progress)
        if done is not None:
            return done
        v = self.validate(params)
        if exact_kernel is None:
            exact_kernel = v.get("activation") in sim.EXACT_KERNELS
        if exact_kernel:
            if v.get("activation") not in sim.EXACT_KERNELS:
                raise InputError("the exact-kernel simulation needs activation in "
                                 f"{{{', '.join(sim.EXACT_KERNELS)}}}")
            v = dict(v, exact_kernel=True)
        Ns = list(Ns or (sim.QUICK_LADDER if quick else sim.DEFAULT_LADDER))
        instances = instances or (20 if quick else 40)
        if len(Ns) < 2 or min(Ns) < 10 or instances < 5:
            raise InputError("verify needs a ladder of >= 2 sizes N >= 10 and >= 5 instances")
        th = self.solve({k: x for k, x in v.items() if k != "exact_kernel"})
        if not th.converged:
            raise InputError(f"no converged theory point at these parameters: "
                             f"{th.status['message']}")
        return sim.verify(self, v, th, Ns, instances, seed, out_dir, progress)
