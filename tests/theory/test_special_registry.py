"""The special-function registry: both halves agree, and every record meets its declared accuracy.

Each special function is a record in ``memgenkit.theory.special_registry`` (sympy class, mpmath
implementation, printed numba name, import module) and a record of the same name in
``memgenkit.numerics.special_registry`` (domain, sampled pieces, error bound). The contract test
evaluates every registered function at >= its declared number of seeded random points of every
declared piece against its own mpmath implementation, at ``dps`` digits plus guard digits. A
function without a numba implementation is checked in the compiled form that generated kernels
contain: its ``explicit()`` lowering, printed by codegen and compiled by numba.

The last tests register a toy special function (a scaled logistic sigmoid) from this file alone
and generate, compile and evaluate a kernel that uses it.
"""
import ast
import importlib.util
import math
import sys
import textwrap
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from numba import njit

from memgenkit.numerics import codegen, kernels
from memgenkit.numerics import special_registry as nreg
from memgenkit.theory import special_registry as treg
from memgenkit.theory.derivation import Derivation, from_srepr, to_srepr
from memgenkit.theory.evaluate import mp_function
from memgenkit.theory.gaussian import H, Npdf

TINY = 2.2250738585072014e-308  # smallest normal double
SEED = 20240611


# --- compiling a function the way generated kernels call it ------------------------------------


def _load_generated(source, name, directory):
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny_derivation(model, inputs, outputs):
    d = Derivation(model=model, title=model, conventions="", parameters=[],
                   order_parameters=list(inputs))
    d.kernel("f", inputs, outputs)
    return d


_COMPILED = {}


def _compiled(name, tmp_path_factory):
    """A scalar @njit callable computing the registered function ``name`` as kernels do: its
    numba implementation, or for a lowered function a generated kernel of its explicit form."""
    if name in _COMPILED:
        return _COMPILED[name]
    rec = nreg.get(name)
    impl = rec.implementation()
    if impl is None:
        args = sp.symbols(f"a0:{rec.nargs}", real=True)
        expr = treg.get(name).cls(*args).explicit()
        d = _tiny_derivation(f"explicit-{name}", args, [("value", expr)])
        stem = f"explicit_{name.lower()}"
        module = _load_generated(codegen.generate_module(d.to_json(), stem), stem,
                                 tmp_path_factory.mktemp(stem))
        kernel = module.f
        p = np.empty(0)

        if rec.nargs == 1:
            @njit
            def impl(a):
                out = np.empty(1)
                kernel(np.array([a]), p, out)
                return out[0]
        else:
            @njit
            def impl(a, b):
                out = np.empty(1)
                kernel(np.array([a, b]), p, out)
                return out[0]
    _COMPILED[name] = _vectorized(impl, rec.nargs)
    return _COMPILED[name]


def _vectorized(f, nargs):
    if nargs == 1:
        @njit
        def apply(xs):
            out = np.empty(xs.size)
            for i in range(xs.size):
                out[i] = f(xs[i])
            return out
        return lambda cols: apply(cols[0])

    @njit
    def apply2(xs, ys):
        out = np.empty(xs.size)
        for i in range(xs.size):
            out[i] = f(xs[i], ys[i])
        return out
    assert nargs == 2
    return lambda cols: apply2(cols[0], cols[1])


def _reference(rec, mp_f, args):
    """mpmath value at rec.dps digits, plus 2 log10 max|arg| guard digits when exp_guard."""
    big = max(abs(a) for a in args)
    extra = 2 * max(0, math.ceil(math.log10(big))) if rec.exp_guard and big > 0 else 0
    with mp.workdps(rec.dps + extra):
        return mp_f(*[mp.mpf(a) for a in args])


def _error(rec, mp_f, args, got):
    """(error, True) measured against max(|ref|, scale); (absolute error, False) where that
    denominator is below the normal range."""
    ref = _reference(rec, mp_f, args)
    if not math.isfinite(got):
        return math.inf, True
    with mp.workdps(rec.dps):
        diff = abs(mp.mpf(got) - ref)
        den = abs(ref)
        if rec.scale is not None:
            den = max(den, mp.mpf(rec.scale(*args)))
        if den >= TINY:
            return float(diff / den), True
        return float(diff), False


CASES = [(r.name, k, piece) for r in nreg.records() for k, piece in enumerate(r.pieces)]


def _case_id(case):
    return f"{case[0]}-{case[2].label}"


# --- the two halves agree ---------------------------------------------------------------------


def test_every_record_has_both_halves():
    assert [r.name for r in treg.records()] == [r.name for r in nreg.records()]


@pytest.mark.parametrize("name", [r.name for r in treg.records()])
def test_halves_agree(name):
    t, n = treg.get(name), nreg.get(name)
    assert (t.numba, t.module) == (n.function, n.module)
    assert callable(t.mpmath)
    assert t.cls.nargs == {n.nargs}  # the declared domain has one interval per argument
    if n.function is None:
        assert hasattr(t.cls, "explicit")
    else:
        impl = n.implementation()
        assert getattr(impl, "py_func", None) is not None, f"{name}: not a numba function"
        assert impl.__name__ == t.numba
        assert n.source_path() in nreg.kernel_sources()
    args = sp.symbols(f"x0:{n.nargs}", real=True)
    e = t.cls(*args) + 1
    assert from_srepr(to_srepr(e)) == e  # stored derivations rebuild the class
    assert treg.mpmath_namespace()[name] is t.mpmath


@pytest.mark.parametrize("name,k,piece", CASES, ids=[_case_id(c) for c in CASES])
def test_pieces_lie_in_the_declared_domain(name, k, piece):
    rec = nreg.get(name)
    cols = piece.draw(np.random.default_rng([SEED, 0, k]), piece.n)
    assert len(cols) == rec.nargs and all(c.shape == (piece.n,) for c in cols)
    inside = all(np.all((lo <= c) & (c <= hi)) for c, (lo, hi) in zip(cols, rec.domain))
    assert inside == piece.in_domain


def test_generated_modules_import_only_what_the_cache_key_covers():
    """Every toolkit module a committed generated module imports enters its cache key."""
    for path in sorted(kernels.GENERATED_DIR.glob("*.py")):
        if path.name == "__init__.py":
            continue
        covered = set(nreg.kernel_sources())
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module.startswith("memgenkit"):
                origin = importlib.util.find_spec(node.module).origin
                assert Path(origin) in covered, (path.name, node.module)


def test_codegen_refuses_a_function_without_numba_implementation():
    z, psi = sp.symbols("z psi", real=True)
    g = treg.get("MPStieltjes").cls(z, psi)
    d = _tiny_derivation("refuse", [z, psi], [("g", g)])
    with pytest.raises(ValueError, match="MPStieltjes has no numba implementation"):
        codegen.generate_module(d.to_json(), "refuse")


# --- every registered function against its mpmath implementation --------------------------------


@pytest.mark.parametrize("name,k,piece", CASES, ids=[_case_id(c) for c in CASES])
def test_numba_against_mpmath(name, k, piece, tmp_path_factory):
    rec = nreg.get(name)
    mp_f = treg.get(name).mpmath
    rng = np.random.default_rng([SEED, [r.name for r in nreg.records()].index(name), k])
    cols = piece.draw(rng, piece.n)
    got = _compiled(name, tmp_path_factory)(cols)
    rows = list(zip(*[c.tolist() for c in cols]))
    pairs = [_error(rec, mp_f, a, g) for a, g in zip(rows, got.tolist())]
    err = np.array([e for e, _ in pairs])
    is_rel = np.array([r for _, r in pairs], dtype=bool)
    msg = f"{name} {piece.label} n={piece.n}"
    if is_rel.any():
        i = int(np.argmax(np.where(is_rel, err, -1.0)))
        msg += f"  max rel err {err[i]:.3e} at {rows[i]!r} (bound {rec.rtol:g})"
    if (~is_rel).any():
        msg += f"  max abs err (|ref|<{TINY:.1e}) {err[~is_rel].max():.3e}"
    print(msg)
    assert np.all(err[is_rel] <= rec.rtol), msg
    assert np.all(err[~is_rel] <= rec.atol_subnormal), msg


@pytest.mark.parametrize("name", [r.name for r in nreg.records()])
def test_domain_corners(name, tmp_path_factory):
    rec = nreg.get(name)
    mp_f = treg.get(name).mpmath
    corners = list(zip(*[c.ravel() for c in np.meshgrid(*[np.array(iv) for iv in rec.domain])]))
    cols = tuple(np.array(c) for c in zip(*corners))
    got = _compiled(name, tmp_path_factory)(cols)
    for args, g in zip(corners, got.tolist()):
        err, is_rel = _error(rec, mp_f, args, g)
        assert err <= (rec.rtol if is_rel else rec.atol_subnormal), (name, args, err)


# --- a toy special function registered from this file only ---------------------------------------

TOY_SOURCE = textwrap.dedent('''
    import math

    from numba import njit


    @njit(cache=True)
    def toy_sigmoid(x):
        """1/(1 + exp(-3 x)) without overflow."""
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-3.0 * x))
        e = math.exp(3.0 * x)
        return e / (1.0 + e)
''')


class ToySigmoid(sp.Function):
    """s(x) = 1/(1 + exp(-3 x)), s' = 3 s (1 - s)."""

    nargs = 1

    def fdiff(self, argindex=1):
        return 3 * self * (1 - self)


def _mp_toy_sigmoid(x):
    return 1 / (1 + mp.exp(-3 * x))


@pytest.fixture
def toy(tmp_path, monkeypatch):
    key_before = kernels.cache_key("raf_gardner")
    """Register ToySigmoid on both sides for one test; its numba half is a temporary module."""
    (tmp_path / "toy_special_mod.py").write_text(TOY_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    t = treg.register(treg.SpecialFunction("ToySigmoid", ToySigmoid, _mp_toy_sigmoid,
                                           "toy_sigmoid", "toy_special_mod"))
    n = nreg.register(nreg.NumbaSpecial(
        "ToySigmoid", "toy_sigmoid", "toy_special_mod", ((-50.0, 50.0),),
        (nreg.Piece("core", 200, nreg.independent(nreg.uniform(-5.0, 5.0))),), rtol=1e-14))
    try:
        assert kernels.cache_key("raf_gardner") != key_before  # its source enters the key
        yield t, n, tmp_path
    finally:
        treg.unregister("ToySigmoid")
        nreg.unregister("ToySigmoid")
        sys.modules.pop("toy_special_mod", None)


def test_toy_special_function_end_to_end(toy):
    """Generate, compile and run a kernel that calls the toy function (directly, differentiated
    through its fdiff, and inside a Gaussian integral) against mpmath evaluation of the same
    expressions with the toy's mpmath record."""
    _, rec, tmp_path = toy
    x, t = sp.symbols("x t", real=True)
    s = ToySigmoid(x)
    outputs = [("s", s), ("ds", sp.diff(s * H(x), x)),
               ("avg", sp.Integral(ToySigmoid(x + t) * Npdf(t), (t, -sp.oo, sp.oo)))]
    d = _tiny_derivation("toy", [x], outputs)
    d.kernels[0].hints = [(-x, sp.Rational(1, 3))]  # the sigmoid's step: t = -x, width 1/3
    source = codegen.generate_module(d.to_json(), "toy_kernels")
    assert "from toy_special_mod import toy_sigmoid" in source.splitlines()
    assert "toy_sigmoid(x)" in source
    module = _load_generated(source, "toy_kernels", tmp_path)
    assert rec.source_path() == tmp_path / "toy_special_mod.py"
    assert rec.source_path() in nreg.kernel_sources()
    refs = [mp_function(e, [x], [-x]) for _, e in outputs]
    out = np.empty(3)
    rng = np.random.default_rng([SEED, 7])
    for xv in rng.uniform(-6.0, 6.0, 50):
        module.f(np.array([xv]), np.empty(0), out)
        with mp.workdps(30):
            want = [float(f(xv)) for f in refs]
        np.testing.assert_allclose(out[:2], want[:2], rtol=1e-13, atol=0)
        np.testing.assert_allclose(out[2], want[2], rtol=1e-11, atol=0)  # quadrature


def test_toy_is_held_to_its_record(toy, tmp_path_factory):
    """The generic contract and agreement tests apply to a newly registered record as is."""
    test_every_record_has_both_halves()
    test_halves_agree("ToySigmoid")
    test_numba_against_mpmath("ToySigmoid", 0, nreg.get("ToySigmoid").pieces[0],
                              tmp_path_factory)
    _COMPILED.pop("ToySigmoid")


def test_toy_is_gone_after_the_test():
    assert "ToySigmoid" not in [r.name for r in treg.records()]
    assert "ToySigmoid" not in [r.name for r in nreg.records()]
