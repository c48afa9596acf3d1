"""ti-krr: transitive inference with exceptions, learned by kernel ridge regression."""
import math

from ..declaration import CliOption, ModelDeclaration
from ..params import ParamSpec, refine

MODEL = ModelDeclaration(
    name="ti-krr", stem="ti_krr", order=70, kind="closed-form",
    summary="Transitive inference with exceptions, kernel ridge regression: margins of every "
            "pair.",
    theory="memgenkit.theory.models.ti_krr:derive",
    numerics="memgenkit.numerics.models.ti_krr:TiKrr",
    params=(
        refine("n", kind="integer", upper=100000,
               description="number of items (integer >= 3; at most 100000: every pair is "
                           "visited, O(n^2) time)"),
        ParamSpec("exceptions", default="", kind="text",
                  description="trained exceptions a>b (item a beats the higher item b, a >= b + 2)"
                              ", e.g. 6>4,9>5 (CLI --exceptions)"),
        ParamSpec("t", 0.0, math.inf, True, False, None,
                  "gradient-flow time from zero (inf: ridge regression, the default)",
                  optional=True),
        ParamSpec("pairs", kind="text", optional=True,
                  description="pairs i-j whose margins to report, e.g. 3-8,1-20000 (any n)"),
        ParamSpec("depth", 0, 1000, kind="integer", optional=True,
                  description="hidden ReLU layers of a network kernel used instead of c"),
        ParamSpec("ntk", 0, 1, kind="integer", optional=True,
                  description="with depth: 0 NNGP (default), 1 NTK"),
    ),
    boundary="c", blocks=("kernel-ridge",),
    cli_options=(
        CliOption("--exceptions", "exceptions", metavar="A>B,...",
                  help="trained exceptions, item A beats the higher item B, e.g. 6>4,9>5 (quote "
                       "it in a shell)"),
    ),
)
