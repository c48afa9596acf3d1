"""A solvable model: generated kernels plus the solvers, behind one small object.

``SaddlePointModel`` expects the generated module to provide the kernels ``newton`` (outputs, for n
order parameters: the n stationarity equations F_i = dphi/dtheta_i, their Jacobian J_ij =
dF_i/dtheta_j row by row (n*n values), and the n preconditioners c_i with T_i - x_i =
c_i F[PAIRING[i]]; ``PAIRING`` is the identity unless the generated module defines it),
``fixed_point``, ``free_entropy`` and ``observables`` (see theory/free_entropy.py);
a model file in numerics/models/ subclasses it to add its domain, initial guess and boundaries.
What the model is (name, stem, parameters, solve methods, boundary variable, companions) is its
declaration's (numerics/declaration.py), handed to the constructor by the registry.
"""
from __future__ import annotations

import numpy as np

from . import kernels
from .params import check_given, declared_specs, param_specs, validate
from .results import Result
from .solvers import METHODS, anderson, fixed_point, hybrid, newton


class SaddlePointModel:
    """Constructed by the registry (numerics.models.get) with the model's ``declaration``
    (numerics/declaration.py), which is where its name, stem, extra parameters, solve methods,
    boundary variable and companions are declared; the properties below read it."""

    def __init__(self, progress=None, declaration=None):
        self._progress = progress
        self._module = None
        if declaration is None:  # a class used on its own: the declaration naming it, if any
            from .declaration import ModelDeclaration, declarations
            ref = f"{type(self).__module__}:{type(self).__qualname__}"
            declaration = next((d for d in declarations().values() if d.numerics == ref),
                               None) or ModelDeclaration(
                name=type(self).__name__.lower(), stem="", summary="", theory="", numerics=ref)
        self.declaration = declaration

    @property
    def name(self) -> str:
        """Command-line name, e.g. "raf-gardner"."""
        return self.declaration.name

    @property
    def stem(self) -> str:
        """File stem, e.g. "raf_gardner"."""
        return self.declaration.stem

    @property
    def extra_params(self) -> tuple:
        """Model-level parameter declarations (numerics.params): ParamSpecs the kernels do not
        take, and refine(name, ...) narrowing a kernel parameter (an integer kind, a maximum)."""
        return tuple(self.declaration.params)

    @property
    def solve_methods(self) -> tuple | None:
        """solve's methods (the first is its default); None: numerics.solvers.METHODS."""
        return self.declaration.solve_methods

    @property
    def boundary_variable(self) -> str | None:
        """The variable a boundary solves for (raf-gardner: alpha, giving alpha_c); None: none."""
        return self.declaration.boundary

    @property
    def companions(self) -> tuple:
        """Companion sources loaded with the kernels (see numerics/kernels.py)."""
        return self.declaration.companion_paths()

    # -- kernels ------------------------------------------------------------------------------
    @property
    def module(self):
        if self._module is None:
            if self.declaration.stem and not self.declaration.derived:
                raise self.declaration.not_derived()
            self._module = kernels.load(self.stem, progress=self._progress,
                                        companions=self.companions)
        return self._module

    @property
    def derivation_hash(self) -> str:
        return self.module.DERIVATION_HASH

    @property
    def order_names(self) -> tuple[str, ...]:
        return self.module.ORDER_PARAMETERS

    def param_names(self) -> list[str]:
        """The kernel parameters, in the order of the kernels' parameter vector."""
        return [s.name for s in param_specs(self.stem)]

    def param_specs(self) -> tuple:
        """Every declared parameter: the kernels' (refined by ``extra_params``), then the
        model's own, then options some verbs take through --set (``ParamSpec.verbs``)."""
        if type(self).extra_params is SaddlePointModel.extra_params:  # the declaration's
            return self.declaration.param_specs()
        return declared_specs(self.stem, tuple(self.extra_params))

    def check_given(self, params: dict, verb: str | None = None) -> dict:
        """Each given value inside its declared domain (no defaults, no cross-parameter rules):
        cheap, needs no kernels."""
        return check_given(self.name, self.param_specs(), params, verb)

    def validate(self, params: dict) -> dict:
        """Declared domains checked, defaults filled. Models add their cross-parameter rules."""
        return validate(self.name, self.param_specs(), params)

    def pvec(self, params: dict) -> np.ndarray:
        return np.array([params[n] for n in self.param_names()], dtype=float)

    def call(self, kernel: str, x, p) -> np.ndarray:
        inputs, outputs = self.module.KERNELS[kernel]
        out = np.empty(len(outputs))
        getattr(self.module, kernel)(np.asarray(x, dtype=float), p, out)
        return out

    # -- model hooks --------------------------------------------------------------------------
    def inside(self, x) -> bool:
        """Open domain of the order parameters."""
        return bool(np.all(np.isfinite(x)))

    def initial_guess(self, params: dict) -> np.ndarray:
        raise NotImplementedError

    def cost(self, verb: str, params: dict, **opts):
        """Estimated ``resources.Cost`` of ``verb`` ("solve", "boundary", "simulate", "verify")
        at validated ``params``; ``opts`` are the verb's size options (simulate: N, instances;
        verify: Ns, instances, quick). None: negligible (a few order parameters). A model whose
        sizes are parameters or options overrides this with its formulas."""
        return None

    # -- the model protocol: boundary, simulate, verify ----------------------------------------
    # A model overrides what it has; the defaults answer in one line (InputError, exit 2 on the
    # command line) instead of an AttributeError. A model with a boundary declares
    # ``boundary_variable``, which is what the API and the battery read.
    def has(self, verb: str) -> bool:
        """Whether the model implements ``verb`` ("boundary", "simulate", "verify")."""
        if verb == "boundary" and self.boundary_variable is None:
            return False
        return getattr(type(self), verb) is not getattr(SaddlePointModel, verb)

    def _lacks(self, verb: str):
        from .errors import InputError
        return InputError(f"model '{self.name}' has no {verb} (`memgen list` shows what each "
                          "model has)")

    def boundary(self, params: dict | None = None, **kw) -> Result:
        """The critical value of ``boundary_variable`` at ``params`` (e.g. raf-gardner's alpha_c
        and R there), under its own name in ``observables``, with the solver's status."""
        raise self._lacks("boundary")

    def simulate(self, params: dict, *, N: int | None = None, instances: int | None = None,
                 seed: int = 0) -> dict:
        """Finite-N instances, each observable measured as the theory defines it: a dict with
        "record" (parameters, seeds, per-instance values; JSON-able) and "table" (text)."""
        raise self._lacks("simulate")

    def verify(self, params: dict, *, Ns=None, instances=None, seed: int = 0, workers: int = 1,
               out_dir="memgen-out", quick: bool = False, progress=None) -> dict:
        """Theory against finite-N simulation with a verdict: a dict with "passed", "table",
        "record", "figure" and "path" (the JSON record written to ``out_dir``).
        A model with an N -> oo theory builds it with numerics.ladder.run_ladder (per-N
        Estimates, WLS extrapolation, 3-se verdict, record, figure); every record goes through
        numerics.records.make_record / write_record."""
        raise self._lacks("verify")

    def block_verify(self, sampler: str, params: dict, **kw) -> dict | None:
        """For a model whose own sampler is its default verify and which offers the generic block
        simulation as an alternative: ``sampler="blocks"`` runs that (numerics/simulation/blocks.py,
        imported only here, so the solve path never loads it) and returns its result;
        ``sampler="own"`` returns None (the caller runs its own); anything else is refused."""
        if sampler == "blocks":
            from .simulation.blocks import block_verified
            return block_verified(self).verify(params, **kw)
        if sampler != "own":
            from .errors import InputError
            raise InputError(f"sampler must be 'own' or 'blocks' (got {sampler!r})")
        return None

    def precheck(self, params: dict) -> str | None:
        """Return a message if no saddle point exists at these parameters (e.g. UNSAT)."""
        return None

    # -- solving ------------------------------------------------------------------------------
    def solve(self, params: dict | None = None, *, init=None, method="hybrid", mixing=0.5,
              tol=1e-12, max_iter=2000, trace=False, **kw) -> Result:
        """Solve the saddle-point equations at ``params`` (dict, or keyword arguments).

        ``mixing``: weight on the new iterate in damped iterations. ``method``: one of
        hybrid (damped fixed point, then Newton; Anderson fallback), newton, anderson,
        fixed-point.
        """
        from .params import check_option
        params = self.validate({**(params or {}), **kw})
        check_option("method", method, methods=METHODS)
        mixing, tol = check_option("mixing", mixing), check_option("tol", tol)
        max_iter = check_option("max_iter", max_iter)
        p = self.pvec(params)
        blocked = self.precheck(params)
        if blocked:
            nan = {n: float("nan") for n in self.order_names}
            return self._result(params, nan, {}, {"converged": False, "iterations": 0,
                                                  "residual": float("nan"), "method": method,
                                                  "message": blocked})
        x0 = np.asarray(init if init is not None else self.initial_guess(params), dtype=float)

        n = len(x0)
        # T(x) - x = c F[pairing], verified symbolically in the derivation; the pairing is the
        # identity unless the model declares one (an order parameter updated from the equation
        # of its conjugate).
        pairing = list(getattr(self.module, "PAIRING", range(n)))

        def system(x):
            out = self.call("newton", x, p)
            F, J, c = out[:n], out[n:n + n * n].reshape(n, n), out[n + n * n:]
            return F, J, c * F[pairing]

        def T(x):
            return self.call("fixed_point", x, p)

        common = dict(tol=tol, inside=self.inside, trace=trace)
        if method == "hybrid":
            x, st = hybrid(system, T, x0, mixing=mixing, max_iter=max_iter, **common)
        elif method == "newton":
            x, st = newton(system, x0, max_iter=max_iter, **common)
        elif method == "anderson":
            x, st = anderson(T, x0, mixing=mixing, max_iter=max_iter, **common)
        else:
            x, st = fixed_point(T, x0, mixing=mixing, max_iter=max_iter, **common)
        order = dict(zip(self.order_names, map(float, x)))
        obs = {}
        if st.converged:
            names = self.module.KERNELS["observables"][1]
            obs = dict(zip(names, map(float, self.call("observables", x, p))))
            obs["free_entropy"] = float(self.call("free_entropy", x, p)[0])
        status = st.to_dict()
        if trace:
            status["trace"] = [float(r) for r in st.trace]
        return self._result(params, order, obs, status)

    def _versions(self) -> dict:
        return kernels.versions()

    def _result(self, params, order, obs, status) -> Result:
        return Result(self.name, dict(params), order, obs, status, self.derivation_hash,
                      kernels.versions())


class GlmModel(SaddlePointModel):
    """A generalized-linear-model saddle point: the order parameters the declaration's ``roles``
    name as m (student-teacher overlap), q (student norm) and V (response) live on the domain
    q > 0, V > 0, m^2 < q (Cauchy-Schwarz); the neutral starting point is m = 0.1, q = 0.5,
    V = 1."""

    def _roles(self):
        order = list(self.order_names)
        return [order.index(r) for r in self.declaration.roles]

    def inside(self, x) -> bool:
        i_m, i_q, i_V = self._roles()
        m, q, V = x[i_m], x[i_q], x[i_V]
        return bool(np.all(np.isfinite(x)) and q > 0 and V > 0 and m * m < q)

    def initial_guess(self, params):
        x = np.empty(len(self.order_names))
        x[self._roles()] = (0.1, 0.5, 1.0)
        return x
