"""The contracts of the building blocks a replica-symmetric model is assembled from.

A model's free entropy is a sum of terms, each contributed by one block:

* a **prior** (entropic term): the log-volume of the student weights at fixed overlaps, in the
  order parameters it introduces (and their conjugates, for a prior written as a Legendre
  transform);
* a **channel** (energetic term): the log-probability that one sample's constraint or loss is
  met, as a Gaussian average over the replica field;
* a **label model**: how the sample's label depends on the teacher field, P(y | t) after the
  teacher field is conditioned on the replica field t;
* a **data model**: how inputs enter the fields (isotropic Gaussian inputs, or Gaussian-equivalent
  random features with their spectrum).

A sparse-graph (cavity) model is assembled instead from a **graph** block (the random
sample-feature graph: degree law, generating functions, instances; theory/blocks/graph.py) and a
**cavity** block (belief-propagation messages on it, exact on trees; theory/blocks/cavity.py).

Every block holds its own sympy symbols and records the steps it takes on the caller's
``Derivation``, each with a check. ``theory/blocks/checks.py`` runs the same generic checks on
every block. Conventions shared by all blocks: inputs x ~ N(0, I_N); student and teacher fields
h = w.x/sqrt(N), nu = w*.x/sqrt(N); the replica field t is the standard Gaussian shared by all
replicas, so the student field of one replica is h = sqrt(q) t + sqrt(1-q) z.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


class Block:
    """One building block. ``kind`` is "prior", "channel", "labels", "data", "graph", "cavity",
    "readout" or "predictor"."""

    kind = ""
    name = ""
    # Parameters the block adds to a model (theory.derivation.Parameter), e.g. eps of the
    # rules-and-facts label mixture.
    parameters: tuple = ()

    def describe(self) -> str:
        return (self.__doc__ or self.name).strip().splitlines()[0]

    def sample_parameters(self, rng) -> dict:
        """{symbol: value}: each of the block's parameters drawn (seeded ``rng``) from its
        declared range (the generic checks' sample points)."""
        return {p.symbol: draw_in_range(rng, p.lower, p.upper) for p in self.parameters}


def draw_in_range(rng, lower, upper) -> float:
    """A value strictly inside [lower, upper] (None: unbounded): uniform on a bounded range,
    lower + log-uniform(0.05, 3) on a half line, uniform(-2, 2) on the real line. Strictly inside,
    so open and closed ends are both respected."""
    if lower is not None and upper is not None:
        return float(rng.uniform(lower + 0.02 * (upper - lower), upper - 0.02 * (upper - lower)))
    if lower is not None:
        return float(lower + np.exp(rng.uniform(np.log(0.05), np.log(3.0))))
    if upper is not None:
        return float(upper - np.exp(rng.uniform(np.log(0.05), np.log(3.0))))
    return float(rng.uniform(-2.0, 2.0))


def overlap_point(rng, teacher: bool) -> dict:
    """(q, R) with 0 < q < 1 and R^2 < q (R only with a teacher): the replica-field overlaps a
    label model or channel is evaluated at in the generic checks."""
    from .symbols import R, q
    qq = float(rng.uniform(0.1, 0.9))
    out = {q: qq}
    if teacher:
        out[R] = float(rng.uniform(-0.9, 0.9) * np.sqrt(qq))
    return out


@dataclass
class Pairing:
    """Which stationarity equation updates an order parameter in the fixed-point map.

    ``theta <- theta + c * dphi/d(sigma)``: ``sigma`` is theta itself (a prior written directly in
    overlaps, like the spherical one) or theta's conjugate (a prior written as a Legendre
    transform: q is updated from dphi/dqhat = 0, qhat from dphi/dq = 0). ``c`` is the
    preconditioner that makes the map's fixed points exactly the stationary points (c != 0) and,
    chosen well, cancels theta on the right-hand side.
    """

    theta: object
    sigma: object
    c: object


class Prior(Block):
    """Entropic term. Subclasses define:

    * ``order_parameters(teacher)``: the symbols it introduces (with a teacher: the teacher
      overlap too);
    * ``entropic(d, teacher)``: the term G_S, recorded as steps on ``d``;
    * ``pairings(teacher)``: one ``Pairing`` per order parameter;
    * ``moments(teacher)``: {sigma: dG_S/dsigma written as the moment it defines} (e.g. for the
      Ising prior dG_S/dqhat = (q - E tanh^2)/2); the checks compare it with sympy's derivative;
    * ``domain(values)``: whether a point (dict symbol -> float) lies inside the open domain;
    * ``sample(rng, N)``: one weight vector with the prior's normalization (|w|^2 = N).
    """

    kind = "prior"

    def order_parameters(self, teacher: bool) -> list:
        raise NotImplementedError

    def entropic(self, d, teacher: bool):
        raise NotImplementedError

    def pairings(self, teacher: bool) -> list[Pairing]:
        raise NotImplementedError

    def moments(self, teacher: bool) -> dict:
        return {}

    def domain(self, values: dict) -> bool:
        return True

    def sample(self, rng, N: int):
        raise NotImplementedError

    def sample_point(self, rng, teacher: bool = False, tries: int = 2000) -> dict:
        """A random point {symbol: value} of the declared domain: the block's parameters from
        their ranges, then each order parameter from a generic box (positive symbols
        log-uniform on [e^-2.5, e^1.5], others uniform on (-1.5, 1.5)), kept when ``domain``
        accepts it. A prior with a narrow domain overrides this."""
        values = self.sample_parameters(rng)
        theta = self.order_parameters(teacher)
        for _ in range(tries):
            for th in theta:
                values[th] = (float(np.exp(rng.uniform(-2.5, 1.5))) if th.is_positive
                              else float(rng.uniform(-1.5, 1.5)))
            if self.domain(values):
                return values
        raise ValueError(f"prior {self.name!r}: no point of its domain found in {tries} draws; "
                         "define sample_point")


class LabelModel(Block):
    """P(y | t): the label distribution given the replica field t, for y = +-1.

    ``conditional(y, t, q, R)``: with the teacher field conditioned on the student's replica field
    (nu | t has mean R t/sqrt(q) and variance 1 - R^2/q); ``teacher`` tells whether the model has
    a teacher overlap R at all (random labels do not); ``symmetric``: P(-y | -t) = P(y | t), which
    lets a channel fold the sum over y into twice the y = +1 term; ``at_q_one(y, t, R)``: the same
    at q = 1; ``sample(rng, nu, values)``: labels for teacher fields nu (simulation; ``values``
    the model's parameter values by name). ``nu`` is an array or a ``TeacherField``, which
    draws the teacher from the same stream only when ``teacher_field(nu)`` first asks for it:
    a label model that never looks at the teacher (random labels, all facts) draws none, and
    the order of the draws is the order in which ``sample`` asks for them.
    """

    kind = "labels"
    teacher = True
    symmetric = True

    def conditional(self, y, t, q, R):
        raise NotImplementedError

    def at_q_one(self, y, t, R):
        return self.conditional(y, t, 1, R)

    def hints(self) -> list:
        """(center, scale) quadrature hints of P(y|t) in t."""
        return []

    def sample(self, rng, nu, values=None):
        raise NotImplementedError

    def sample_point(self, rng) -> dict:
        """(q, R) with R^2 < q < 1 (R only with a teacher) and the parameters from their
        ranges."""
        return {**overlap_point(rng, self.teacher), **self.sample_parameters(rng)}

    # Generalized-linear-model forms (theory/blocks/glm.py, channels/moreau.py, channels/bayes.py).
    def likelihood(self, y, nu):
        """P(y | nu) as an expression of the teacher field (Heaviside for a hard rule)."""
        raise NotImplementedError

    def partition(self, y, omega, V):
        """Z(y | omega, V) = E_z P(y | nu = omega + sqrt(V) z): the output partition function of
        a Bayes channel at mean omega and variance V of the teacher field."""
        raise NotImplementedError

    def sign_weight(self):
        """(w, w_text, rest_text) for a label law P(y | nu) = w theta(y nu) + (1 - w)/2 (the
        part w of the label follows the sign of nu; the rest is a fair coin): its Gaussian
        averages are E_t P(+1|t) = E_t P(+1|t) t^2 = 1/2, E_t P(+1|t) t = w R/sqrt(2 pi q),
        and E[y nu] = w sqrt(2/pi). ``w_text``, ``rest_text``: w and 1 - w as written in steps."""
        raise NotImplementedError

    def describe_partition(self, arg: str) -> str:
        """P(+1 | .) written out for steps, with ``arg`` the argument of the rule's H."""
        raise NotImplementedError


class TeacherField:
    """Teacher fields nu = X w*/sqrt(N) of ``n`` samples, drawn on first use: ``draw()`` returns
    the teacher w* (from the caller's stream, at that moment). ``len`` is the number of samples;
    ``teacher_field`` resolves it to the array (numerics/simulation/blocks.py draws instances
    through it)."""

    def __init__(self, X, draw):
        self.X, self._draw, self.w_star, self._nu = X, draw, None, None

    def __len__(self):
        return len(self.X)

    def __call__(self):
        if self._nu is None:
            self.w_star = self._draw()
            self._nu = self.X @ self.w_star / math.sqrt(self.X.shape[1])
        return self._nu


def teacher_field(nu):
    """The teacher fields as an array (``nu`` an array or a ``TeacherField``)."""
    return nu() if callable(nu) else nu


class Channel(Block):
    """Energetic term per sample, for a label model: ``energetic(d, labels)`` -> G_E in the
    order parameters (q, and R with a teacher) and the channel's parameters."""

    kind = "channel"

    def energetic(self, d, labels: LabelModel):
        raise NotImplementedError

    # Optional, for the generic checks (theory/blocks/checks.py):
    # ``student_average(d) -> {y: A_y(t)}``: E_z of the per-sample factor at the replica field t,
    #   when G_E = sum_y E_t P(y|t) log A_y(t);
    # ``factor(y, h, values) -> array``: the per-sample factor at student fields h (numpy);
    # ``bayes_point(labels) -> dict | None``: parameter values at which the channel is the label
    #   model's own likelihood (Bayes-optimal, Nishimori), None where it never is.

    def sample_point(self, rng, labels: LabelModel) -> dict:
        """A point for the channel on ``labels``: (q, R), label and channel parameters."""
        return {**labels.sample_point(rng), **self.sample_parameters(rng)}


class DataModel(Block):
    """How inputs enter the fields. ``fields`` maps the isotropic-input overlaps to the ones the
    channel sees (identity for isotropic inputs); ``sample(rng, n, N)`` draws inputs."""

    kind = "data"

    def sample(self, rng, n: int, N: int):
        raise NotImplementedError


class Readout(Block):
    """How a stored memory is read from the local field h_i (not a term of a free entropy: a
    signal-to-noise model is built from its moments). Subclasses define:

    * ``moments(N, P)``: {"signal": E[s_i h_i], "noise": Var[s_i h_i]} from the state s of one
      of P stored patterns at size N (sympy expressions, or numbers);
    * ``error(u)``, ``overlap(u)``: the per-site error probability and the one-step overlap at
      signal-to-noise ratio u in the Gaussian crosstalk limit;
    * ``smoothed(mu, s, sigma)``: the overlap when the signal mu carries a Gaussian fluctuation
      of standard deviation s on top of noise sigma;
    * ``domain(values)``: integer N >= 2, P >= 1 (``values`` keyed "N", "P");
    * ``sample(rng, N, P)``: (patterns (P, N), fields h (N,)) of one instance from pattern 1.
    """

    kind = "readout"

    def moments(self, N, P) -> dict:
        raise NotImplementedError

    def error(self, u):
        raise NotImplementedError

    def overlap(self, u):
        raise NotImplementedError

    def smoothed(self, mu, s, sigma):
        raise NotImplementedError

    def domain(self, values: dict) -> bool:
        N, P = values["N"], values["P"]
        return N >= 2 and P >= 1 and float(N).is_integer() and float(P).is_integer()

    def sample(self, rng, N: int, P: int):
        raise NotImplementedError


@dataclass
class Assembly:
    """The blocks of one model, as declared."""

    prior: Prior
    channel: Channel
    labels: LabelModel
    data: DataModel | None = None
    extra: dict = field(default_factory=dict)
