"""ising-raf: Ising student and teacher on rules-and-facts labels."""
from ..declaration import ModelDeclaration

MODEL = ModelDeclaration(
    name="ising-raf", stem="ising_raf", order=16, kind="gardner",
    summary="Ising perceptron and Ising teacher on Rules-and-Facts labels: RS entropy, eps_gen, "
            "alpha_c (entropy = 0).",
    theory="memgenkit.theory.models.ising_raf:derive",
    numerics="memgenkit.numerics.models.ising_raf:IsingRaf",
    boundary="alpha", blocks=("ising", "margin", "rules-and-facts", "sign-teacher", "isotropic"))
