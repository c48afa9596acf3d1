"""ising-gardner: the binary (Ising) perceptron on random labels."""
from ..declaration import ModelDeclaration

MODEL = ModelDeclaration(
    name="ising-gardner", stem="ising_gardner", order=15, kind="gardner",
    summary="Ising perceptron (w = +-1) on random labels: RS entropy, alpha_c (entropy = 0), "
            "alpha_rs (q -> 1), alpha_AT (replicon).",
    theory="memgenkit.theory.models.ising_gardner:derive",
    numerics="memgenkit.numerics.models.ising_gardner:IsingGardner",
    boundary="alpha", blocks=("ising", "margin", "random-labels", "isotropic"))
