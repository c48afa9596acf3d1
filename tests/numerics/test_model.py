"""The model protocol: every registered model answers boundary / simulate / verify, either by
doing it or with one line (InputError), never an AttributeError."""
import pytest

from memgenkit.numerics import models
from memgenkit.numerics.errors import InputError
from memgenkit.numerics.model import SaddlePointModel

VERBS = ("boundary", "simulate", "verify")


@pytest.mark.parametrize("name", list(models.MODELS))
def test_every_model_answers_every_verb(name):
    m = models.get(name)
    assert m.has("boundary") == (m.boundary_variable is not None)
    for verb in VERBS:
        implemented = getattr(type(m), verb) is not getattr(SaddlePointModel, verb)
        if verb == "boundary":
            # a declared boundary variable and an implementation go together
            assert implemented == (m.boundary_variable is not None), name
        assert m.has(verb) == implemented
        if not implemented:
            with pytest.raises(InputError) as e:
                getattr(m, verb)({})
            line = str(e.value)
            assert "\n" not in line and f"'{name}' has no {verb}" in line


def test_a_bare_model_has_nothing():
    class Bare(SaddlePointModel):
        name = "bare"
    m = Bare()
    assert not any(m.has(v) for v in VERBS)
    for verb in VERBS:
        with pytest.raises(InputError, match=f"'bare' has no {verb}"):
            getattr(m, verb)({})
