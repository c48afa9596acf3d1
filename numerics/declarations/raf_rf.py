"""raf-rf: Rules-and-Facts random-feature ridge regression of finite width."""
from ..declaration import ModelDeclaration
from ..params import ParamSpec
from .raf_erm import ACTIVATIONS

MODEL = ModelDeclaration(
    name="raf-rf", stem="raf_rf", order=40, kind="glm", roles=("m", "q", "V"),
    summary="Rules-and-Facts, random-feature ridge of finite width psi = p/d; also "
            "activation=sign|relu|erf|tanh|linear.",
    theory="memgenkit.theory.models.raf_rf:derive",
    numerics="memgenkit.numerics.models.raf_rf:RafRf",
    params=(
        ParamSpec("loss", kind="categorical", choices=("square",), optional=True,
                  description="raf-rf trains the readout with the square loss only"),
        ParamSpec("activation", kind="categorical", choices=ACTIVATIONS, optional=True,
                  description="sets (mu1, mustar) to this activation's coefficients"),
    ),
    solve_methods=("brent", "anderson", "fixed-point", "hybrid", "newton"),
    plot_y=("eps_gen",),
    blocks=("gaussian", "moreau-square", "rules-and-facts", "sign-teacher", "random-features"),
)
