"""Finite-N checks of block-built models: instances from the declared blocks, a trusted solver
chosen by them, the shared ladder.

A model whose declaration lists ``blocks=(...)`` (names in ``theory.blocks.BLOCKS``; see
numerics/declaration.py) gets ``simulate`` and ``verify`` with no simulation code of its own by
inheriting ``BlockVerified`` and naming the declared boundary (numerics/boundaries.py) the
estimator measures::

    class MyModel(BlockVerified, DeclaredBoundaries, SaddlePointModel):
        boundaries = (Root("alpha_c", "entropy", ...), ...)
        capacity = "alpha_c"          # the boundary P_max/N estimates
        excluded = ("alpha_rs",)      # boundaries the N -> oo fit must exclude (optional)
        verify_defaults = {"eps": 0.5}  # parameter values verify uses where none is given

Instances (``draw``): inputs X (P x N) from the data block's ``sample(rng, P, N)``; labels from
the label model's ``sample(rng, nu, values)``, where nu = X w*/sqrt(N) is a
``theory.blocks.base.TeacherField``: the teacher w* is drawn from the prior block's
``sample(rng, N)`` when the label model first asks for its field (random labels never do), from
the same stream; a label model with a teacher that never asked for it (rules and facts at eps =
1) gets one drawn after its labels. Label blocks are listed outermost first: ("rules-and-facts",
"sign-teacher") is RulesAndFacts(rule=SignTeacher()). The stream of instance ``index`` at size N
is ``instance_seed(seed, N, index)`` (numpy SeedSequence): the same seed gives the same bytes.

Estimators (``estimator``), by the channel and prior blocks:

* margin channel, Ising prior: the per-instance capacity P_max (the largest P such that some
  w = +-1 satisfies the first P constraints y w.x/sqrt(N) >= kappa, > 0 at kappa = 0) by the
  exhaustive Gray-code walk of numerics/simulation/enumeration.py (``Enumeration``);
* margin channel, spherical prior: the same P_max for |w|^2 = N by bisection over prefixes,
  each decided by the LP (kappa = 0, HiGHS, numerics/simulation/perceptron_lp.py) or the
  max-stability QP (kappa > 0) of numerics/simulation/capacity_search.py ``is_feasible``
  (``LPBisection``);
* Moreau channels (ERM, a label model with a teacher): the fit of numerics/simulation/raf_erm.py
  (closed form for the square loss, scikit-learn / Clarabel for hinge and logistic) at P =
  round(alpha N), the loss chosen by the ``loss`` parameter (``ERMFit``);
* Bayes channel, Gaussian prior, a label law of the sign form w theta(y nu) + (1-w)/2: the
  posterior mean by GAMP (numerics/simulation/raf_bayes.py) (``GAMPFit``).

The margin estimators measure the volume's observable as the theory defines it: P_max/N, whose
N -> oo limit is the capacity, where the RS entropy of the volume vanishes (``capacity``).
verify: per N the mean of P_max/N over seeded instances with its standard error, extrapolated in
1/N by the shared ladder (numerics/ladder.py): PASS when within 3 se of the capacity and more
than 3 se from every excluded boundary. The ERM and GAMP estimators measure m = u.w*/N,
q = |u|^2/N and eps_gen = arccos(m/sqrt q)/pi per instance (u the trained field weights or the
posterior mean); verify extrapolates each and compares it with the solved saddle point (ERM: m,
q the order parameters the declaration's ``roles`` name; Bayes: m = q = the theory's q,
Nishimori); ``capacity`` is then unused. Any unconverged fit FAILs the verdict.
Other blocks have no estimator: ``estimator`` says so in one line.

Importing theory.blocks imports sympy: this module imports it only inside ``resolve``, which
simulate and verify call, never the solve path. This module names no model.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .enumeration import capacity as enumerated_capacity, instance_seed, seconds_per_instance

__all__ = ["Blocks", "resolve", "draw", "estimator", "Estimator", "BlockVerified",
           "block_verified", "instance_seed"]


@dataclass
class Blocks:
    """A model's blocks, instantiated: one prior, its channels (several for a model that
    chooses a loss by a parameter), the label model (rules nested), the data model."""

    names: tuple
    prior: object
    channels: tuple
    labels: object
    data: object

    @property
    def channel(self):
        return self.channels[0]


def resolve(names) -> Blocks:
    """Instantiate the blocks named in a declaration's ``blocks`` (theory.blocks.BLOCKS)."""
    from ...theory.blocks import BLOCKS, Isotropic
    made = {"prior": [], "channel": [], "labels": [], "data": []}
    for n in names:
        if n not in BLOCKS:
            raise ValueError(f"block {n!r} is not in theory.blocks.BLOCKS (allowed: "
                             f"{', '.join(sorted(BLOCKS))})")
        b = BLOCKS[n]()
        made[b.kind].append(b)
    if len(made["prior"]) != 1 or not made["channel"] or not made["labels"]:
        raise ValueError(f"blocks {tuple(names)}: need one prior, a channel and a label model")
    labels = made["labels"]
    for outer, inner in zip(labels, labels[1:]):  # outermost first: each wraps the next
        if not hasattr(outer, "rule"):
            raise ValueError(f"label block {outer.name!r} takes no rule, but {inner.name!r} "
                             f"follows it")
        outer.rule = inner
    data = made["data"][0] if made["data"] else Isotropic()
    return Blocks(tuple(names), made["prior"][0], tuple(made["channel"]), labels[0], data)


def draw(blocks: Blocks, values: dict, N: int, P: int, seed_seq):
    """One instance (X, y, w_star) of P samples at size N from ``seed_seq`` (see the module
    docstring for the order of the draws); w_star is None for labels without a teacher."""
    from ...theory.blocks.base import TeacherField
    rng = np.random.default_rng(seed_seq)
    X = blocks.data.sample(rng, P, N)
    nu = TeacherField(X, lambda: blocks.prior.sample(rng, N))
    y = np.asarray(blocks.labels.sample(rng, nu, values), dtype=float)
    if blocks.labels.teacher and nu.w_star is None:
        nu()
    return X, y, nu.w_star


class Estimator:
    """A trusted finite-N solver for one kind of block-built model. ``measure(X, y, values)``
    returns one instance's P_max (raises ValueError when all ``rows`` constraints are
    satisfiable); ``rows(N, theory)`` the samples drawn per instance."""

    kind = "capacity"  # measures P_max (against a declared boundary)
    method = ""  # as the tables name it
    min_N, max_N = 3, 10**6
    quick_ladder: tuple = ()
    default_ladder: tuple = ()
    ladder_instances: tuple = (200, 400)

    def __init__(self, margin: str):
        self.margin = margin  # the channel's margin parameter, e.g. "kappa"

    def rows(self, N: int, theory: float) -> int:
        return 3 * N + 10

    def measure(self, X, y, values) -> int:
        raise NotImplementedError

    def seconds(self, N: int, theory: float) -> float:
        raise NotImplementedError


class Enumeration(Estimator):
    """P_max of binary weights by the exhaustive Gray-code walk (2^(N-1) weight vectors). Rows:
    3N + 10, well above the spherical capacity 2N + O(sqrt N) of random labels."""

    method = "exhaustive enumeration"
    max_N = 32
    quick_ladder = (9, 11, 13, 15, 17)
    default_ladder = (11, 13, 15, 17, 19, 21, 23)

    def measure(self, X, y, values):
        return enumerated_capacity(X, y, values[self.margin])

    def seconds(self, N, theory):
        # alpha ~ 1 bounds the maintained fields (P_max/N < 1.3 at these sizes)
        return seconds_per_instance(N, 1.0)


class LPBisection(Estimator):
    """P_max of spherical weights: bisection over prefixes (feasibility is monotone in P), each
    prefix decided by capacity_search.is_feasible (LP at kappa = 0, QP beyond). Rows: at least
    3 N + 10 and three times the theory's capacity."""

    method = "LP/QP feasibility (HiGHS), bisection over prefixes"
    quick_ladder = (20, 30, 40, 60)
    default_ladder = (25, 50, 100, 200)
    ladder_instances = (60, 200)

    def rows(self, N, theory):
        return max(3 * N + 10, int(math.ceil(3.0 * theory * N)) + 10)

    def measure(self, X, y, values):
        from .capacity_search import is_feasible
        kappa = values[self.margin]
        P = len(y)
        if is_feasible(X, y, kappa):
            raise ValueError(f"all P = {P} constraints are satisfiable: P_max is not reached")
        lo, hi = 0, P  # prefix lo feasible, prefix hi infeasible
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if is_feasible(X[:mid], y[:mid], kappa):
                lo = mid
            else:
                hi = mid
        return lo

    def seconds(self, N, theory):
        P = self.rows(N, theory)
        return math.log2(P + 1) * (2e-3 + 2e-8 * P * N * N)  # HiGHS, rough


class ERMFit:
    """Empirical risk minimization for a Moreau channel (the loss named by the ``loss``
    parameter, else the declared channel's): the fit of numerics/simulation/raf_erm.py (closed
    form for the square loss, scikit-learn / Clarabel for hinge and logistic) on P = round(alpha
    N) samples, with the ridge ``lam`` (and kernel features mu1, mustar where declared).
    Observables as the theory defines them, from the instance's own overlaps with its teacher:
    m = u.w*/N, q = |u|^2/N (u the field weights) and eps_gen = arccos(m/sqrt q)/pi (the angle
    between the student and teacher fields, exact for fresh Gaussian inputs)."""

    kind = "observables"
    method = "ERM (raf_erm.fit: closed form / scikit-learn / Clarabel)"
    min_N = 10
    quick_ladder = (60, 120, 240)
    default_ladder = (100, 200, 400)
    ladder_instances = (20, 40)
    observables = ("eps_gen", "m", "q")

    def __init__(self, losses):
        self.losses = tuple(losses)

    def rows(self, N, values):
        return max(2, int(round(values["alpha"] * N)))

    def measure(self, X, y, w_star, values):
        from .raf_erm import fit
        loss = values.get("loss", self.losses[0])
        p = {"loss": loss, "lam": values["lam"], "mu1": values.get("mu1", 1.0),
             "mustar": values.get("mustar", 0.0)}
        u, _, _, runaway = fit(p, X, y)
        N = X.shape[1]
        m, q = float(u @ w_star / N), float(u @ u / N)
        eps_gen = math.acos(max(-1.0, min(1.0, m / math.sqrt(q)))) / math.pi
        return {"eps_gen": eps_gen, "m": m, "q": q, "unconverged": bool(runaway)}


    def instance_cost(self, N, values):
        """(bytes, seconds) of one fit, rough: the formulas of raf-erm's cost (numerics/models/
        raf_erm.py): the n x n kernel ridge system, or liblinear/lbfgs on n x N features."""
        n = float(self.rows(N, values))
        if values.get("loss", self.losses[0]) == "square":
            return 8 * n * N + 28 * n * n, 2e-10 * (n ** 3 + 2 * n * n * N)
        f = n * (N + n if values.get("mustar", 0.0) > 0 else N)
        rate = 3e-10 if values.get("loss", self.losses[0]) == "hinge" else 6e-10
        return 8 * n * N + 24 * f, rate * f ** 1.5

    def theory(self, th, declaration):
        """The theory's m, q (the order parameters playing them, declaration ``roles``) and its
        observables, from a solved point ``th``."""
        roles = dict(zip(("m", "q", "V"), declaration.roles or ("m", "q", "V")))
        return {"m": th.order_params[roles["m"]], "q": th.order_params[roles["q"]],
                **th.observables}


class GAMPFit(ERMFit):
    """Bayes posterior mean by GAMP (numerics/simulation/raf_bayes.py ``gamp``: scalar-variance
    form, Gaussian N(0, 1) prior) at P = round(alpha N), for a label law of the sign form
    P(y | nu) = w theta(y nu) + (1 - w)/2 (``LabelModel.sign_weight``: rules and facts have
    w = 1 - eps, label noise w = 1 - 2 eta): the exact channel of GAMP's rules-and-facts form
    at eps = 1 - w. Observables m, q, eps_gen as for ``ERMFit``, against the theory's q for
    both m and q (Nishimori: m = q at the Bayes-optimal point) and its eps_gen. An unconverged
    GAMP run counts as unconverged (FAIL)."""

    method = "GAMP (raf_bayes.gamp, the posterior mean)"
    quick_ladder = (100, 200, 400)
    default_ladder = (200, 400, 800)
    ladder_instances = (10, 20)

    def __init__(self, labels):
        import sympy as sp
        self.weight = sp.sympify(labels.sign_weight()[0])  # in the label parameters

    def measure(self, X, y, w_star, values):
        from .raf_bayes import gamp
        w = float(self.weight.subs({s: values[s.name] for s in self.weight.free_symbols}))
        w_hat, _, ok = gamp(X, y, 1.0 - w)
        N = X.shape[1]
        m, q = float(w_hat @ w_star / N), float(w_hat @ w_hat / N)
        eps_gen = math.acos(max(-1.0, min(1.0, m / math.sqrt(q)))) / math.pi
        return {"eps_gen": eps_gen, "m": m, "q": q, "unconverged": not ok}

    def instance_cost(self, N, values):
        """(bytes, seconds): X and its scaled copy; at most 500 iterations of two n x N
        matrix-vector products (~1 ns per entry)."""
        n = float(self.rows(N, values))
        return 24 * n * N, 500 * 2 * n * N * 1e-9

    def theory(self, th, declaration):
        q = th.order_params["q"]
        return {"m": q, "q": q, **th.observables}


def estimator(blocks: Blocks, margin: str | None = None) -> Estimator:
    """The estimator of a block-built model (module docstring); ValueError when none exists."""
    ch, prior = blocks.channel, blocks.prior
    if ch.name == "margin":
        margin = margin or ch.parameters[0].symbol.name
        if prior.name == "ising":
            return Enumeration(margin)
        if prior.name == "spherical":
            return LPBisection(margin)
    moreau = [c.loss for c in blocks.channels if c.name == "moreau"]
    if moreau and blocks.labels.teacher:
        return ERMFit(moreau)
    if ch.name == "bayes" and prior.name == "gaussian" and blocks.labels.teacher:
        try:
            blocks.labels.sign_weight()
        except NotImplementedError:
            pass
        else:
            return GAMPFit(blocks.labels)
    raise ValueError(f"no finite-N estimator for the blocks {', '.join(blocks.names)} (supported: "
                     f"the margin channel with an ising or spherical prior, Moreau channels)")


class BlockVerified:
    """Mixin: ``simulate``, ``verify`` and ``cost`` for a model with declared boundaries whose
    declaration lists its blocks (module docstring). Optional overrides: ``quick_ladder``,
    ``default_ladder``, ``ladder_instances`` = (quick, full) (None: the estimator's),
    ``verify_defaults``. ``workers`` is accepted and ignored: one process solves the instances
    one after another."""

    capacity = "alpha_c"
    excluded: tuple = ()
    quick_ladder: tuple | None = None
    default_ladder: tuple | None = None
    ladder_instances: tuple | None = None
    verify_defaults: dict = {}

    # -- the blocks and their estimator -------------------------------------------------------
    @property
    def blocks(self) -> Blocks:
        if getattr(self, "_blocks", None) is None:
            self._blocks = resolve(self.declaration.blocks)
        return self._blocks

    @property
    def estimator(self) -> Estimator:
        if getattr(self, "_estimator", None) is None:
            from ..errors import InputError
            try:
                self._estimator = estimator(self.blocks)
            except ValueError as e:
                raise InputError(f"{self.name}: {e}") from None
        return self._estimator

    def _ladder(self, quick):
        est = self.estimator
        if quick:
            return self.quick_ladder or est.quick_ladder
        return self.default_ladder or est.default_ladder

    def _instances(self, quick):
        return (self.ladder_instances or self.estimator.ladder_instances)[0 if quick else 1]

    def _given(self, v):
        return ", ".join(f"{k}={x:g}" for k, x in v.items() if k != self.boundary_variable)

    def _capacities(self, v, N, instances, seed, theory):
        """P_max of ``instances`` seeded instances at size N."""
        from ..errors import InputError
        est, b = self.estimator, self.blocks
        rows = est.rows(N, theory)
        out = np.empty(instances, dtype=np.int64)
        for k in range(instances):
            X, y, _ = draw(b, v, N, rows, instance_seed(seed, N, k))
            try:
                out[k] = est.measure(X, y, v)
            except ValueError as e:
                names = [p.symbol.name for blk in (b.labels, b.channel)
                         for p in _parameters(blk)]
                at = ", ".join(f"{n}={v[n]:g}" for n in names if n in v)
                why = " (the teacher satisfies every rule)" if b.labels.teacher else ""
                raise InputError(f"{self.name} at {at}: {e}{why}") from None
        return out

    def _sizes(self, Ns, instances):
        from ..errors import InputError
        est = self.estimator
        if len(Ns) < 2 or min(Ns) < est.min_N or max(Ns) > est.max_N or instances < 5:
            extra = " (2^(N-1) weight vectors each)" if est.max_N <= 40 else ""
            raise InputError(f"verify needs a ladder of >= 2 sizes {est.min_N} <= N <= "
                             f"{est.max_N}{extra} and >= 5 instances")

    def _capacity_theory(self, v):
        return float(self.boundary_values(v)[self.capacity])

    # -- verbs --------------------------------------------------------------------------------
    def simulate(self, params: dict, *, N: int = 15, instances: int = 50, seed: int = 0):
        """P_max/N of seeded instances at size N, next to the theory's boundaries."""
        from ..errors import InputError
        from ..ladder import mean_estimate
        from ..records import make_record
        est = self.estimator
        if est.kind == "observables":
            return self._simulate_observables(params, N=N, instances=instances, seed=seed)
        if not est.min_N <= N <= est.max_N or instances < 1:
            what = (f" ({est.method} of 2^(N-1) weight vectors)" if est.max_N <= 40 else "")
            raise InputError(f"simulate needs {est.min_N} <= N <= {est.max_N}{what} and "
                             f"instances >= 1 (got N={N}, instances={instances})")
        v = self.validate(params)
        theory = self.boundary_values(v)
        pm = self._capacities(v, N, instances, seed, theory[self.capacity])
        e = mean_estimate(pm / N)
        record = make_record(self, v, {"converged": True}, N=N, instances=instances, seed=seed,
                             P_max=pm, mean=e.mean, se=e.se, theory=theory)
        table = (f"{self.name} simulate: N={N}, {self._given(v)}, {instances} instances "
                 f"(seed {seed}), {est.method}\n"
                 f"  P_max/N = {e.mean:.4f} +- {e.se:.4f} (min {pm.min() / N:.3f}, max "
                 f"{pm.max() / N:.3f}); theory " + ", ".join(f"{k} = {x:.6g}"
                                                             for k, x in theory.items()))
        return {"record": record, "table": table}

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None):
        from ..ladder import mean_estimate, run_ladder
        if self.estimator.kind == "observables":
            return self._verify_observables(params, Ns=Ns, instances=instances, seed=seed,
                                            out_dir=out_dir, quick=quick, progress=progress)
        v = self.validate({**self.verify_defaults, **{k: x for k, x in params.items()
                                                     if k != self.boundary_variable}})
        v.pop(self.boundary_variable, None)
        Ns = [int(N) for N in (Ns or self._ladder(quick))]
        instances = int(instances or self._instances(quick))
        self._sizes(Ns, instances)
        theory = self.boundary_values(v)
        target = theory[self.capacity]

        def measure(N):
            return {self.capacity: mean_estimate(
                self._capacities(v, N, instances, seed, target) / N)}

        header = (f"{self.name} verify: {self._given(v)}; theory " + ", ".join(
            f"{k} = {x:.10g}" for k, x in theory.items()) + f", derivation "
            f"{self.derivation_hash}\n  per-instance P_max/N by {self.estimator.method}, "
            f"{instances} instances per N (seed {seed}), mean +- se, 1/N extrapolation")
        res = run_ladder(self, v, theory={self.capacity: target},
                         measure=measure, Ns=Ns, instances=instances, seed=seed,
                         out_dir=out_dir, excluded={self.capacity: theory[e]
                                                    for e in self.excluded},
                         header=header, progress=progress, extra={"theory": theory},
                         status={"converged": True})
        row = res["record"]["rows"][0]
        per_n = "\n".join(f"  N={N:3d}  P_max/N = {m:.4f} +- {s:.4f}" for N, m, s in
                          zip(Ns, row["means"], row["ses"]))
        lines = res["table"].split("\n")
        k = header.count("\n") + 1
        res["table"] = "\n".join(lines[:k] + [per_n] + lines[k:])
        return res

    def _observables(self, v, N, instances, seed):
        """Per-instance observables of the estimator over seeded instances at size N:
        {observable: Estimate}, "unconverged": count."""
        from threadpoolctl import threadpool_limits  # a scikit-learn dependency
        from ..ladder import mean_estimate
        est, b = self.estimator, self.blocks
        # one BLAS thread: the same seed gives the same bytes whatever the thread settings
        with threadpool_limits(limits=1):
            rows = [est.measure(*draw(b, v, N, est.rows(N, v), instance_seed(seed, N, k)), v)
                    for k in range(instances)]
        out = {k: mean_estimate([r[k] for r in rows]) for k in est.observables}
        out["unconverged"] = int(sum(r["unconverged"] for r in rows))
        return out

    def _theory_observables(self, v):
        from ..errors import InputError
        th = self.solve(v)
        if not th.converged:
            raise InputError(f"{self.name}: no converged theory point at these parameters: "
                             f"{th.status['message']}")
        theory = self.estimator.theory(th, self.declaration)
        return {k: float(theory[k]) for k in self.estimator.observables if k in theory}

    def _simulate_observables(self, params, *, N, instances, seed):
        from ..errors import InputError
        from ..records import make_record
        est = self.estimator
        if N < est.min_N or instances < 2:
            raise InputError(f"simulate needs N >= {est.min_N} and instances >= 2 (got N={N}, "
                             f"instances={instances})")
        v = self.validate(params)
        stats = self._observables(v, N, instances, seed)
        theory = self._theory_observables(v)
        record = make_record(self, v, {"converged": True, "unconverged": stats["unconverged"]},
                             N=N, instances=instances, seed=seed, theory=theory,
                             simulation={k: vars(e) for k, e in stats.items()
                                         if k != "unconverged"})
        lines = [f"{self.name} simulate: N={N}, {instances} instances (seed {seed}), "
                 f"{est.method}"]
        lines += [f"  {k:<8} {stats[k].mean:.5f} +- {stats[k].se:.5f}"
                  + (f"   theory {theory[k]:.5f}" if k in theory else "")
                  for k in est.observables]
        return {"record": record, "table": "\n".join(lines)}

    def _verify_observables(self, params, *, Ns, instances, seed, out_dir, quick, progress):
        from ..errors import InputError
        from ..ladder import run_ladder
        est = self.estimator
        v = self.validate({**self.verify_defaults, **params})
        Ns = [int(N) for N in (Ns or self._ladder(quick))]
        instances = int(instances or self._instances(quick))
        if len(Ns) < 2 or min(Ns) < est.min_N or instances < 5:
            raise InputError(f"verify needs a ladder of >= 2 sizes N >= {est.min_N} and >= 5 "
                             f"instances")
        theory = self._theory_observables(v)
        header = (f"{self.name} verify: " + ", ".join(f"{k}={x:g}" if isinstance(x, float)
                                                      else f"{k}={x}" for k, x in v.items())
                  + f"; derivation {self.derivation_hash}\n  per-instance observables by "
                  f"{est.method}, {instances} instances per N (seed {seed}), mean +- se, 1/N "
                  f"extrapolation")
        return run_ladder(self, v, theory=theory,
                          measure=lambda N: self._observables(v, N, instances, seed), Ns=Ns,
                          instances=instances, seed=seed, out_dir=out_dir, header=header,
                          progress=progress, status={"converged": True})

    def cost(self, verb: str, params: dict, **opts):
        from ..resources import Cost
        est = self.estimator
        if est.kind == "observables":
            v = self.validate({**self.verify_defaults, **params})
            if verb == "simulate":
                Ns, inst = [int(opts.get("N") or 15)], int(opts.get("instances") or 50)
            elif verb == "verify":
                quick = bool(opts.get("quick"))
                Ns = [int(N) for N in (opts.get("Ns") or self._ladder(quick))]
                inst = int(opts.get("instances") or self._instances(quick))
            else:
                return None
            mem = max(est.instance_cost(N, v)[0] for N in Ns)
            sec = inst * sum(est.instance_cost(N, v)[1] for N in Ns)
            return Cost(mem + 1e6, sec, f"{inst} instances per N of {est.method} at n = "
                        f"round(alpha N), N = " + ",".join(map(str, Ns)))
        if verb == "simulate":
            Ns, inst = [int(opts.get("N") or 15)], int(opts.get("instances") or 50)
        elif verb == "verify":
            quick = bool(opts.get("quick"))
            Ns = [int(N) for N in (opts.get("Ns") or self._ladder(quick))]
            inst = int(opts.get("instances") or self._instances(quick))
        else:
            return None
        if max(Ns) > est.max_N:
            return None  # refused by the verb itself, in one line
        theory = 1.0
        if not isinstance(est, Enumeration):  # the rows follow the theory's capacity
            try:
                theory = self._capacity_theory(self.validate({**self.verify_defaults,
                                                              **params}))
            except Exception:  # an invalid point is refused by the verb itself
                return None
        rows = est.rows(max(Ns), theory)
        seconds = inst * sum(est.seconds(N, theory) for N in Ns)
        if isinstance(est, Enumeration):
            what = (f"{inst} instances x 2^(N-1) weight vectors (~(N + 4) ns each) for N = "
                    + ",".join(map(str, Ns)))
        else:
            what = (f"{inst} instances x ~log2({rows}) {est.method.split(' ')[0]} solves for "
                    f"N = " + ",".join(map(str, Ns)))
        return Cost(16.0 * rows * max(Ns) + 1e6, seconds, what)


def block_verified(model):
    """``model`` with the mixin's verbs: an instance of (BlockVerified, type(model)) on the same
    declaration, for a model that keeps its own ``simulate``/``verify`` as the default and offers
    the block simulation as an alternative (its verify's ``sampler="blocks"``)."""
    cls = type(f"Block{type(model).__name__}", (BlockVerified, type(model)), {})
    return cls(progress=getattr(model, "_progress", None), declaration=model.declaration)


def _parameters(block):
    """A block's parameters with those of the rules it wraps."""
    out = list(getattr(block, "parameters", ()))
    rule = getattr(block, "rule", None)
    return out + (_parameters(rule) if rule is not None else [])
