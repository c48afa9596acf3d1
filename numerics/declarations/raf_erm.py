"""raf-erm: Rules-and-Facts empirical risk minimization (ridge, kernel, hinge, logistic)."""
from ..declaration import ModelDeclaration
from ..params import ParamSpec

LOSSES = ("square", "hinge", "logistic")
ACTIVATIONS = ("sign", "relu", "erf", "tanh", "linear")

MODEL = ModelDeclaration(
    name="raf-erm", stem="raf_erm", order=20, kind="glm", roles=("m", "q", "V"),
    summary="Rules-and-Facts ERM, ridge/kernel learners; also loss=square|hinge|logistic, "
            "activation=sign|relu|erf|tanh|linear.",
    theory="memgenkit.theory.models.raf_erm:derive",
    numerics="memgenkit.numerics.models.raf_erm:RafErm",
    params=(
        ParamSpec("loss", default="square", kind="categorical", choices=LOSSES,
                  description="training loss; codes 0, 1, 2 too"),
        ParamSpec("activation", kind="categorical", choices=ACTIVATIONS, optional=True,
                  description="sets (mu1, mustar) to this random-feature kernel's coefficients"),
    ),
    solve_methods=("anderson", "anderson-py", "fixed-point", "hybrid", "newton", "njit"),
    cli_verbs=("memgenkit.numerics.studies.raf_erm_cli",),  # memgen study frontier|rates|phase
    plot_y=("eps_gen",),
    blocks=("gaussian", "moreau-square", "moreau-hinge", "moreau-logistic", "rules-and-facts", "sign-teacher", "kernel"),
)
