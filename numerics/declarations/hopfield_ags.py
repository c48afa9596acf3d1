"""hopfield-ags: the Hebb Hopfield network at zero temperature (Amit-Gutfreund-Sompolinsky)."""
from ..declaration import ModelDeclaration

MODEL = ModelDeclaration(
    name="hopfield-ags", stem="hopfield_ags", order=50, kind="saddle-point",
    summary="Hebb Hopfield network at T = 0 (AGS, replica symmetric): m(alpha), capacity "
            "alpha_c.",
    theory="memgenkit.theory.models.hopfield_ags:derive",
    numerics="memgenkit.numerics.models.hopfield_ags:HopfieldAGS",
    boundary="alpha",  # boundary: alpha_c
    # The spin term is the Ising prior's site term with a teacher (the condensed pattern); the
    # non-condensed patterns' term and the T -> 0 limit are the model's own.
    blocks=("ising",),
)
