"""The static import graph of memgenkit.numerics has no cycle.

Every module under numerics/ is parsed with ``ast`` (nothing is imported); every ``import`` and
``from ... import`` statement counts, at any depth (function-level imports included, since a lazy
import that closes a cycle still ties the two modules together), relative imports are resolved
against the module's package, and ``from P import name`` is an edge to ``P.name`` when that is a
module, else to ``P``. Importing ``A.B.C`` also runs ``A.B``'s ``__init__``, so an edge to a module
is an edge to each package above it too, except a module's own enclosing packages (Python has
initialised those before the module runs, so such an edge closes no real cycle). Imports by name
(``importlib.import_module``): a constant name is an edge; a computed one in a package's
``__init__`` (the model registry, models/__init__.py) is taken to import every module of that
package, since any of them may be loaded through it; elsewhere (the special-function records) the
name comes from data and is not in the graph.
"""
from __future__ import annotations

import ast
from pathlib import Path

import memgenkit.numerics

ROOT = Path(memgenkit.numerics.__file__).resolve().parent
PKG = "memgenkit.numerics"

# Edges that are allowed to remain (importer, imported), each with the reason. Empty: no cycle.
ALLOWED: dict[tuple[str, str], str] = {}


def _modules(root: Path = ROOT, pkg: str = PKG) -> dict[str, Path]:
    """Dotted module name -> source file, for every .py file under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([pkg, *parts])] = path
    return out


def _is_package(name: str, modules: dict[str, Path]) -> bool:
    return modules[name].name == "__init__.py"


def _ancestors(name: str, pkg: str = PKG) -> list[str]:
    """The packages above ``name`` inside ``pkg`` (``pkg`` included)."""
    parts = name.split(".")
    base = len(pkg.split("."))
    return [".".join(parts[:i]) for i in range(base, len(parts))]


def _targets(name: str, tree: ast.AST, modules: dict[str, Path], pkg: str) -> set[str]:
    """Modules of the package that ``name`` imports, anywhere in its source."""
    package = name if _is_package(name, modules) else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif _is_package(name, modules):
                found.update(m for m in modules if m.startswith(name + "."))
    out = set()
    for t in found:
        # ``from P import name``: a module when P.name is one; else the nearest module above it
        while t and t not in modules:
            t = t.rpartition(".")[0]
        if not t:
            continue
        out.add(t)
        out.update(_ancestors(t, pkg))
    own = set(_ancestors(name, pkg)) | {name}
    return {t for t in out if t not in own}


def import_graph(root: Path = ROOT, pkg: str = PKG) -> dict[str, set[str]]:
    """Module -> the package's modules it imports (static, see the module docstring)."""
    modules = _modules(root, pkg)
    return {name: _targets(name, ast.parse(path.read_text(), str(path)), modules, pkg)
            for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted, plus
    any self-loop; an acyclic graph gives []."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        # iterative DFS: the graph has ~100 nodes, but recursion depth is no part of the contract
        work = [(v, iter(sorted(graph.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1 or node in graph.get(node, ()):
                        out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def _without_allowed(graph):
    return {a: {b for b in bs if (a, b) not in ALLOWED} for a, bs in graph.items()}


def _short(name):
    return name[len(PKG) + 1:] or "(numerics)"


def test_cycle_finder_finds_known_cycles():
    """The finder itself: a hand-made graph with one 3-cycle, one 2-cycle and a DAG tail."""
    g = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}, "g": set()}
    assert cycles(g) == [["a", "b", "c"], ["d", "e"]]
    assert cycles({"x": {"x"}}) == [["x"]]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_graph_sees_relative_function_level_and_package_imports(tmp_path):
    """A throwaway package: a function-level relative import, ``from . import sub`` (an edge to
    the submodule), an absolute import, an import of a subpackage's module (an edge to the
    subpackage's __init__ too) and a package importing its modules by computed name."""
    pkg = tmp_path / "p"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from .b import g\n    return g\n")
    (pkg / "b.py").write_text("from . import c\nimport os\n")
    (pkg / "c.py").write_text("from p.sub.d import x\n")
    (pkg / "sub" / "__init__.py").write_text(
        "import importlib\ndef get(n):\n    return importlib.import_module(f'{__name__}.{n}')\n")
    (pkg / "sub" / "d.py").write_text("from .. import a\nx = 1\n")
    g = import_graph(pkg, "p")
    assert g["p.a"] == {"p.b"}
    assert g["p.b"] == {"p.c"}
    assert g["p.c"] == {"p.sub", "p.sub.d"}
    assert g["p.sub.d"] == {"p.a"}
    assert g["p.sub"] == {"p.sub.d"}  # the registry-style computed import
    assert cycles(g) == [["p.a", "p.b", "p.c", "p.sub", "p.sub.d"]]


def test_allowed_edges_exist():
    """Every allow-listed edge is still in the graph (a stale entry would hide nothing)."""
    g = import_graph()
    assert all(b in g.get(a, ()) for a, b in ALLOWED), \
        [e for e in ALLOWED if e[1] not in g.get(e[0], ())]


def test_numerics_import_graph_has_no_cycle():
    g = _without_allowed(import_graph())
    assert len(g) > 20  # the whole package was read
    found = cycles(g)
    detail = []
    for comp in found:
        inside = set(comp)
        edges = sorted((a, b) for a in comp for b in g[a] if b in inside)
        detail.append(", ".join(f"{_short(a)} -> {_short(b)}" for a, b in edges))
    assert not found, "import cycles:\n" + "\n".join(detail)


def test_simulation_imports_nothing_from_models():
    """The layering: models import their simulation, a simulation never imports a model module
    (what both need lives in numerics/common/)."""
    g = import_graph()
    sim, mod = f"{PKG}.simulation", f"{PKG}.models"
    bad = sorted((_short(a), _short(b)) for a, bs in g.items() if a.startswith(sim)
                 for b in bs if b == mod or b.startswith(mod + "."))
    assert not bad, bad
