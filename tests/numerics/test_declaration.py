"""numerics/declaration.py: one declaration per model, found without a central list.

A user model outside the package (a declaration file in a $MEMGEN_MODEL_PATH directory, its
theory and numerics beside it) is derived, solved and listed like a built-in one; an entry point
of the group ``memgenkit.models`` declares one too; an unknown name gets the one-line message;
reading the declarations imports no sympy, theory, numba or simulation module; the theory and
numerics registries are views of the same declarations.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from memgenkit.numerics import declaration
from memgenkit.numerics.cli import main

DECLARATION = '''
from memgenkit.numerics.declaration import ModelDeclaration

MODEL = ModelDeclaration(
    name="toy-square", stem="toy_square", kind="saddle-point",
    summary="Toy saddle point: phi(x) = a x - x^2/2, maximal at x = a.",
    theory="toy_square/theory.py:derive", numerics="toy_square/numerics.py:ToySquare")
'''

THEORY = '''
"""Toy: phi(x) = a x - x^2/2. Stationarity F = a - x, so x* = a, phi* = a^2/2."""
import sympy as sp

from memgenkit.theory.derivation import Derivation, Parameter
from memgenkit.theory.evaluate import check_symbolic

x = sp.Symbol("x", real=True)
a = sp.Symbol("a", real=True)


def derive():
    d = Derivation(model="toy-square", title="toy saddle point", conventions=__doc__,
                   parameters=[Parameter(a, -10.0, 10.0, default=1.0,
                                         description="linear coefficient")],
                   order_parameters=[x])
    phi = a * x - x ** 2 / 2
    F = sp.diff(phi, x)
    d.step("stationarity", "F = dphi/dx = a - x", [check_symbolic(F - (a - x), "F = a - x")],
           F=F)
    # T(x) - x = c F with T(x) = x + F: c = 1
    d.kernel("newton", [x], [("F_x", F), ("J_x_x", sp.diff(F, x)), ("c_x", sp.S(1))], "F, J, c")
    d.kernel("fixed_point", [x], [("T_x", x + F)], "x <- x + F")
    d.kernel("free_entropy", [x], [("phi", phi)], "phi at x")
    d.kernel("observables", [x], [("x2", x ** 2)], "x^2")
    return d
'''

NUMERICS = '''
import numpy as np

from memgenkit.numerics.model import SaddlePointModel


class ToySquare(SaddlePointModel):
    def initial_guess(self, params):
        return np.array([0.0])
'''


def write_user_model(root):
    (root / "toy_square").mkdir()
    (root / "toy_square.py").write_text(DECLARATION)
    (root / "toy_square" / "theory.py").write_text(THEORY)
    (root / "toy_square" / "numerics.py").write_text(NUMERICS)


def run(capsys, *argv):
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def user_model(tmp_path, monkeypatch):
    write_user_model(tmp_path)
    monkeypatch.setenv(declaration.PATH_ENV, str(tmp_path))
    return tmp_path


def test_user_model_outside_the_package_is_derived_solved_and_listed(user_model, capsys):
    assert "toy-square" in declaration.MODELS
    rc, out, _ = run(capsys, "derive", "toy-square")
    assert rc == 0 and "wrote" in out
    for path in ("derivations/toy_square.json", "derivations/toy_square.md",
                 "generated/toy_square.py"):
        assert (user_model / path).is_file(), path
    rc, out, _ = run(capsys, "derive", "--check", "toy-square")
    assert rc == 0 and "toy-square: up to date" in out
    rc, out, _ = run(capsys, "derive", "--show-kernel", "toy-square")
    assert rc == 0 and "MODEL = 'toy-square'" in out
    rc, out, _ = run(capsys, "solve", "toy-square", "--set", "a=0.7", "--json")
    assert rc == 0
    r = json.loads(out)
    assert r["order_params"]["x"] == pytest.approx(0.7, abs=1e-12)
    assert r["observables"]["x2"] == pytest.approx(0.49, abs=1e-12)
    assert r["observables"]["free_entropy"] == pytest.approx(0.245, abs=1e-12)  # a^2/2
    rc, out, _ = run(capsys, "list")
    assert rc == 0
    assert "toy-square: Toy saddle point: phi(x) = a x - x^2/2, maximal at x = a." in out
    assert "a in [-10, 10]" in out
    assert out.index("raf-gardner:") < out.index("toy-square:")  # built-ins first
    # its parameters are validated like any model's
    rc, _, err = run(capsys, "solve", "toy-square", "--set", "a=11")
    assert rc == 2 and "parameter 'a' = 11.0 is out of range: allowed a in [-10, 10]" in err


def test_user_model_before_derive_says_how_to_derive(user_model, capsys):
    from memgenkit.numerics import models
    from memgenkit.theory import registry
    assert models.MODELS["toy-square"].stem == registry.stem("toy-square") == "toy_square"
    rc, out, _ = run(capsys, "list")
    assert rc == 0
    assert "toy-square: Toy saddle point" in out
    assert "    not derived yet: run `memgen derive toy-square`" in out
    rc, _, err = run(capsys, "solve", "toy-square", "--set", "a=1")
    assert rc == 2
    assert err.startswith("memgen: error: model 'toy-square' is not derived yet: run `memgen "
                          "derive toy-square`") and len(err.strip().splitlines()) == 1


def test_unknown_model_is_one_line_listing_the_known_ones(capsys):
    from memgenkit.numerics import models
    from memgenkit.numerics.errors import UnknownModelError
    known = ", ".join(declaration.MODELS)
    for argv in (["solve", "no-such-model"], ["derive", "no-such-model"], ["list", "x"]):
        rc, _, err = run(capsys, *argv)
        assert rc == 2
        assert len(err.strip().splitlines()) == 1
    rc, _, err = run(capsys, "solve", "no-such-model")
    assert f"unknown model 'no-such-model': known models are {known}" in err
    with pytest.raises(UnknownModelError, match="known models are raf-gardner"):
        models.get("no-such-model")


def test_registries_read_the_same_declarations():
    from memgenkit.numerics import models
    from memgenkit.theory import registry
    assert list(models.MODELS) == list(registry.MODELS) == list(declaration.declarations())
    for name, decl in declaration.declarations().items():
        m = models.get(name)
        assert (m.name, m.stem, m.boundary_variable, m.solve_methods) == \
            (decl.name, decl.stem, decl.boundary, decl.solve_methods)
        assert m.param_specs() == decl.param_specs()
        assert registry.stem(name) == decl.stem and registry.kind(name) == decl.kind
        assert decl.theory.endswith(":derive") and type(m).__name__ == decl.numerics.split(":")[1]


def test_glm_models_declare_the_roles_of_their_order_parameters():
    for decl in declaration.declarations().values():
        has_drivers = "def iterate_" in decl.generated_path.read_text()
        assert has_drivers == (decl.kind == "glm"), decl.name
        if decl.kind == "glm":
            assert sorted(decl.roles) == sorted(decl.order_parameters())


def test_glm_drivers_follow_the_declared_roles():
    """The driver's domain checks index the order parameters by role, not by position."""
    from memgenkit.numerics.drivers import glm_drivers
    kernels = ["prior", "channel_sq"]
    assert glm_drivers("saddle-point", ["m", "q", "V"], kernels, ("m", "q", "V")) == []
    plain = glm_drivers("glm", ["m", "q", "V"], kernels, ("m", "q", "V"))[0]
    assert "new[1] > 0 and new[2] > 0 and new[0] ** 2 < new[1]" in plain
    moved = glm_drivers("glm", ["V", "m", "q"], kernels, ("m", "q", "V"))[0]
    assert "new[2] > 0 and new[0] > 0 and new[1] ** 2 < new[2]" in moved
    with pytest.raises(ValueError, match="roles"):
        glm_drivers("glm", ["a", "b", "c"], kernels, ("m", "q", "V"))


def test_entry_point_declares_a_model(tmp_path, monkeypatch):
    from importlib import metadata
    (tmp_path / "memgen_ep_toy.py").write_text(textwrap.dedent('''
        from memgenkit.numerics.declaration import ModelDeclaration
        MODEL = ModelDeclaration(name="ep-toy", stem="ep_toy", summary="entry-point toy",
                                 theory="ep_toy_theory:derive", numerics="ep_toy_num:EpToy")
    '''))
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = metadata.EntryPoint(name="ep-toy", value="memgen_ep_toy",
                             group=declaration.ENTRY_POINT_GROUP)
    real = metadata.entry_points
    monkeypatch.setattr(metadata, "entry_points",
                        lambda **kw: [ep] if kw.get("group") == declaration.ENTRY_POINT_GROUP
                        else real(**kw))
    declaration._entry_points.cache_clear()
    declaration._discover.cache_clear()
    try:
        decl = declaration.lookup("ep-toy")
        assert not decl.builtin and decl.summary == "entry-point toy"
        assert decl.generated_path == tmp_path / "generated" / "ep_toy.py"
    finally:
        monkeypatch.undo()
        declaration._entry_points.cache_clear()
        declaration._discover.cache_clear()
    assert "ep-toy" not in declaration.MODELS


def test_a_duplicate_name_is_refused(tmp_path, monkeypatch):
    (tmp_path / "dup.py").write_text(DECLARATION.replace('"toy-square"', '"raf-gardner"')
                                     .replace('"toy_square"', '"dup"'))
    monkeypatch.setenv(declaration.PATH_ENV, str(tmp_path))
    with pytest.raises(RuntimeError, match="'raf-gardner' declared twice"):
        declaration.declarations()


def test_a_broken_user_declaration_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "bad.py").write_text(DECLARATION.replace('kind="saddle-point"', 'kind="bogus"'))
    monkeypatch.setenv(declaration.PATH_ENV, str(tmp_path))
    rc, _, err = run(capsys, "list")
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert f"model declaration {tmp_path / 'bad.py'} (MEMGEN_MODEL_PATH) does not load: " \
           "ValueError: model toy-square: kind 'bogus' not in" in err


def test_reading_declarations_imports_nothing_heavy(tmp_path):
    """The declarations (built-in and a user model's) are read on every start of `memgen`."""
    write_user_model(tmp_path)
    probe = textwrap.dedent('''
        import json, sys
        from memgenkit.numerics import declaration, models
        from memgenkit.numerics.cli import build_parser
        names = list(declaration.declarations())
        for d in declaration.declarations().values():
            if d.derived:
                d.param_specs(), d.observables()
        build_parser()
        print(json.dumps({"names": names, "modules": sorted(sys.modules)}))
    ''')
    import os
    env = {**os.environ, declaration.PATH_ENV: str(tmp_path)}
    p = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout.strip().splitlines()[-1])
    assert "toy-square" in out["names"]
    heavy = ("sympy", "numba", "scipy", "matplotlib", "memgenkit.theory",
             "memgenkit.numerics.codegen", "memgenkit.numerics.simulation",
             "memgenkit.numerics.studies.raf_erm")
    loaded = [m for m in out["modules"] if any(m == h or m.startswith(h + ".") for h in heavy)]
    assert loaded == []


def test_declared_blocks_are_blocks():
    """Every name a declaration lists under ``blocks`` is a block of theory.blocks.BLOCKS, and
    `memgen list` shows them."""
    from memgenkit.numerics import models
    from memgenkit.theory.blocks import BLOCKS
    declared = {n: d.blocks for n, d in models.MODELS.items() if d.blocks}
    assert {"raf-gardner", "raf-erm", "raf-bayes", "raf-rf"} <= set(declared)
    for name, blocks in declared.items():
        unknown = set(blocks) - set(BLOCKS)
        assert not unknown, f"{name}: {unknown} are not blocks"
