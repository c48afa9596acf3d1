"""hopfield-snr: Hebbian signal-to-noise on power-law hidden-manifold data (closed form)."""
from ..declaration import ModelDeclaration
from ..params import ParamSpec, refine

# N: a size (at most 10^7 neurons); L: features per example, an odd integer (the oddness and
# D = alpha_D N >= L are checked in validate). The training options of simulate and verify
# (--set NAME=VALUE), the same domains as simulation.hopfield_snr.GEN_OPTIONS (a test checks that
# they agree; declared here so that validating input does not import scipy.stats).
_GEN = ("simulate", "verify")

MODEL = ModelDeclaration(
    name="hopfield-snr", stem="hopfield_snr", order=60, kind="closed-form",
    summary="Hebbian SNR on power-law data: k_max(N), signal and noise terms (closed form).",
    theory="memgenkit.theory.models.hopfield_snr:derive",
    numerics="memgenkit.numerics.models.hopfield_snr:HopfieldSNR",
    # Hebbian storage + sign readout (self-overlap, crosstalk per example, 1 - 2H(S/sigma)); the
    # mixture moments are the model's own.
    blocks=("hebb-sign",),
    params=(
        refine("N", kind="integer", upper=10 ** 7),
        refine("L", kind="integer", description="features per example (odd integer)"),
        ParamSpec("gen_N", 20, 20000, default=500, kind="integer", verbs=_GEN,
                  description="N of the cross-entropy checks"),
        ParamSpec("lam", 0.0, None, True, False, 1.0,
                  "inverse temperature of the loss log(1+exp(-lam xi h))", verbs=_GEN),
        ParamSpec("lr", 0.0, None, True, False, 0.5, "gradient-descent step size", verbs=_GEN),
        ParamSpec("train_steps", 1, 100000, default=200, kind="integer", verbs=_GEN,
                  description="full-batch gradient steps from Hebb"),
        ParamSpec("n_eval", 10, 100000, default=400, kind="integer", verbs=_GEN,
                  description="test examples (and train examples) evaluated per alpha"),
        ParamSpec("k_test", 1, 100000, default=120, kind="integer", verbs=_GEN,
                  description="features tested for being learned (the most frequent)"),
    ),
)
