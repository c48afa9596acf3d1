"""composition: long-tail memorization in sparse power-law linear regression (cavity)."""
from ..declaration import ModelDeclaration
from ..params import refine

MODEL = ModelDeclaration(
    name="composition", stem="composition", order=80, kind="cavity",
    summary="Long-tail memorization in sparse power-law linear regression: recovery, errors, "
            "losses.",
    theory="memgenkit.theory.models.composition:derive",
    numerics="memgenkit.numerics.models.composition:Composition",
    # n and d are sizes: integers, at most 10^9 (the theory sums over the d features).
    params=(
        refine("n", kind="integer", upper=10 ** 9),
        refine("d", kind="integer", upper=10 ** 9),
    ),
    # the compiled cavity loops, disk-cached with the kernels
    companions=("../models/composition_cavity_loops.py",),
    blocks=("bernoulli-graph", "gaussian-cavity"),
)
