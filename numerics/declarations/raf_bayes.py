"""raf-bayes: the Bayes-optimal benchmark of the Rules-and-Facts model."""
from ..declaration import ModelDeclaration

MODEL = ModelDeclaration(
    name="raf-bayes", stem="raf_bayes", order=30, kind="saddle-point",
    summary="Rules-and-Facts Bayes-optimal rule learning: q and eps_gen.",
    theory="memgenkit.theory.models.raf_bayes:derive",
    numerics="memgenkit.numerics.models.raf_bayes:RafBayes",
    solve_methods=("anderson", "fixed-point", "hybrid"),
    plot_y=("eps_gen",),
    blocks=("gaussian", "bayes", "rules-and-facts", "sign-teacher", "isotropic"),
)
