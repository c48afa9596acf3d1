"""raf-gardner: the Gardner volume of the Rules-and-Facts binary perceptron."""
from ..declaration import ModelDeclaration

MODEL = ModelDeclaration(
    name="raf-gardner", stem="raf_gardner", order=10, kind="gardner",
    summary="Rules-and-Facts Gardner volume: capacity alpha_c(eps, kappa), overlaps q, R, "
            "eps_gen.",
    theory="memgenkit.theory.models.raf_gardner:derive",
    numerics="memgenkit.numerics.models.raf_gardner:RafGardner",
    boundary="alpha",  # boundary: alpha_c at (eps, kappa)
    plot_y=("eps_gen",),
    blocks=("spherical", "margin", "rules-and-facts", "sign-teacher", "isotropic"),
)
