"""One declaration per model: what the registries, ``memgen list`` and the command line read.

A model is declared once, in a *declaration file*: a light Python module (it may import this
module and ``numerics.params``, nothing heavy: no sympy, no numba, no theory module, no
simulation) that binds ``MODEL = ModelDeclaration(...)`` at module level. Example (the
package's ``numerics/declarations/raf_gardner.py``)::

    from ..declaration import ModelDeclaration

    MODEL = ModelDeclaration(
        name="raf-gardner", stem="raf_gardner", order=10, kind="gardner",
        summary="Rules-and-Facts Gardner capacity: binary perceptron, ...",
        theory="memgenkit.theory.models.raf_gardner:derive",
        numerics="memgenkit.numerics.models.raf_gardner:RafGardner",
        boundary="alpha")

Fields (all but name, stem, summary, theory, numerics optional):

* ``name``: the command-line name; ``stem``: the file stem of derivations/<stem>.json|md and
  generated/<stem>.py; ``summary``: the one line ``memgen list`` prints; ``order``: the listing
  position (smaller first, then by name).
* ``kind``: the form of the theory, read by codegen and the core: ``"glm"`` (a generalized
  linear model: a ``prior`` kernel and ``channel_<name>`` kernels over three order parameters
  playing the roles m, q, V, named by ``roles``; codegen appends compiled Anderson drivers, see
  numerics/drivers.py), ``"gardner"``, ``"saddle-point"``, ``"closed-form"``, ``"cavity"``.
* ``theory``: where ``derive()`` lives; ``numerics``: the ``SaddlePointModel`` subclass. A
  reference is ``"module:attr"``: ``module`` a dotted module name, or a ``.py`` path relative to
  the declaration file (a user model's own files).
* ``params``: the parameters the kernels' PARAMETERS (the derivation's Parameter list) do not
  say: new ``ParamSpec``s, and ``refine(name, ...)`` narrowing a kernel parameter (see
  numerics.params). ``param_specs()`` is the merged list.
* ``solve_methods``: solve's methods, the first the default (None: numerics.solvers.METHODS);
  ``boundary``: the variable a boundary solves for (None: no boundary); ``companions``: companion
  sources (paths relative to the declaration file) loaded with the kernels (numerics/kernels.py).
* ``cli_options``: ``CliOption``s, extra command-line flags that set one parameter (the command
  line adds each to the verbs it names); ``cli_verbs``: light modules that add a verb of their
  own to the command line (each has ``add_parser(subparsers, limits)``, see
  numerics/studies/raf_erm_cli.py).
* ``plot_y``: observables ``memgen plot`` draws by default next to the order parameters.
* ``blocks``: the names (in ``theory.blocks.BLOCKS``) of the prior, channel, label and data
  blocks the theory is assembled from; empty for a theory not built from blocks.

Observables and kernel parameters are read from the generated module's source (``ast``), so
reading a declaration never compiles or imports a kernel.

Discovery (no central list): every module of the package ``memgenkit.numerics.declarations``
whose name does not start with ``_``; then every such ``*.py`` directly inside each directory of
``$MEMGEN_MODEL_PATH`` (``os.pathsep``-separated); then the entry points of the group
``memgenkit.models`` (each loads to a ``ModelDeclaration`` or a module with ``MODEL``). A model
declared outside the package keeps its stored files next to its declaration file:
``derivations/<stem>.json|md`` and ``generated/<stem>.py`` (written by ``memgen derive NAME``).
``MODELS`` is the read-only mapping name -> declaration, re-read when ``$MEMGEN_MODEL_PATH``
changes; ``lookup(name)`` raises the one-line ``UnknownModelError``.

theory/registry.py reads these declarations too: it is theory's one import from numerics (this
module and numerics.params, plain data), so that the two halves cannot disagree on a model.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import UnknownModelError

KINDS = ("glm", "gardner", "saddle-point", "closed-form", "cavity")
GLM_ROLES = ("m", "q", "V")
ENTRY_POINT_GROUP = "memgenkit.models"
PATH_ENV = "MEMGEN_MODEL_PATH"
_PACKAGE_DIR = Path(__file__).parent


@dataclass(frozen=True)
class CliOption:
    """A command-line flag setting the parameter ``param`` (``--flag VALUE`` is ``--set
    param=VALUE``) on each verb of ``verbs``."""
    flag: str
    param: str
    help: str = ""
    metavar: str | None = None
    verbs: tuple = ("solve", "boundary", "simulate", "verify", "plot")


@dataclass(frozen=True)
class ModelDeclaration:
    name: str
    stem: str
    summary: str
    theory: str
    numerics: str
    kind: str = "saddle-point"
    order: int = 1000
    params: tuple = ()
    solve_methods: tuple | None = None
    boundary: str | None = None
    companions: tuple = ()
    roles: tuple = ()  # kind "glm": the order parameters playing m, q, V, in that order
    cli_options: tuple = ()
    cli_verbs: tuple = ()
    plot_y: tuple = ()
    # The theory blocks the model is assembled from, by their names in theory.blocks.BLOCKS
    # (prior, channel, label model, data model); () for a model whose theory is not built from
    # blocks. Shown by `memgen list`; tests check each name is a block.
    blocks: tuple = ()
    source: Path | None = field(default=None, compare=False)  # the declaration file
    builtin: bool = field(default=True, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"model {self.name}: kind {self.kind!r} not in {KINDS}")
        if self.kind == "glm" and len(self.roles) != len(GLM_ROLES):
            raise ValueError(f"model {self.name}: kind 'glm' needs roles, the order parameters "
                             f"playing {', '.join(GLM_ROLES)}")

    # -- where things live -----------------------------------------------------------------
    @property
    def base(self) -> Path:
        """The declaration file's directory (relative references and paths start here)."""
        return self.source.parent if self.source is not None else _PACKAGE_DIR

    @property
    def derivations_dir(self) -> Path:
        if self.builtin:
            import memgenkit.derivations as pkg
            return Path(pkg.__file__).parent
        return self.base / "derivations"

    @property
    def generated_path(self) -> Path:
        if self.builtin:
            import memgenkit.numerics.generated as pkg
            return Path(pkg.__file__).parent / f"{self.stem}.py"
        return self.base / "generated" / f"{self.stem}.py"

    def stored_files(self) -> list[Path]:
        """derivations/<stem>.json, derivations/<stem>.md, generated/<stem>.py."""
        d = self.derivations_dir
        return [d / f"{self.stem}.json", d / f"{self.stem}.md", self.generated_path]

    def companion_paths(self) -> tuple[Path, ...]:
        return tuple((self.base / c).resolve() for c in self.companions)

    def resolve(self, what: str):
        """The object a reference names: ``theory`` or ``numerics`` (imports it)."""
        return resolve(getattr(self, what), self.base, self.stem)

    def theory_file(self) -> Path | None:
        """Source file of the theory module (for the derivation's staleness key)."""
        mod = self.theory.partition(":")[0]
        if mod.endswith(".py"):
            return (self.base / mod).resolve()
        spec = importlib.util.find_spec(mod)
        return Path(spec.origin) if spec is not None and spec.origin else None

    # -- what the generated module declares (read from its source, nothing imported) -------
    def _generated(self, name):
        return _generated_constant(self.generated_path, name)

    @property
    def derived(self) -> bool:
        """Whether its generated kernels exist (``memgen derive NAME`` writes them)."""
        return self.generated_path.is_file()

    def not_derived(self):
        from .errors import InputError
        return InputError(f"model '{self.name}' is not derived yet: run `memgen derive "
                          f"{self.name}` (it writes {self.generated_path})")

    def param_specs(self) -> tuple:
        """Every declared parameter (numerics.params.declared_specs): the kernels' PARAMETERS
        refined by ``params``, then the model's own. InputError when not derived yet."""
        from .params import declared_specs
        if not self.derived:
            raise self.not_derived()
        return declared_specs(self.stem, tuple(self.params))

    def observables(self) -> tuple[str, ...]:
        kernels = self._generated("KERNELS") or {}
        return tuple(kernels.get("observables", ((), ()))[1])

    def order_parameters(self) -> tuple[str, ...]:
        return tuple(self._generated("ORDER_PARAMETERS") or ())


def _generated_constant(path: Path, name: str):
    try:
        tree = _parsed(path, path.stat().st_mtime_ns)
    except OSError:
        return None
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == name:
            return ast.literal_eval(node.value)
    return None


@lru_cache(maxsize=64)
def _parsed(path: Path, mtime):
    return ast.parse(path.read_text())


def resolve(ref: str, base: Path, tag: str = "model"):
    """``"module:attr"`` -> the object; a module ending in .py is a file relative to ``base``."""
    mod, _, attr = ref.partition(":")
    if mod.endswith(".py"):
        path = (base / mod).resolve()
        name = f"memgen_user_{tag}_{path.stem}"
        module = sys.modules.get(name)
        if module is None or getattr(module, "__file__", None) != str(path):
            module = _load_file(name, path)
    else:
        module = importlib.import_module(mod)
    return getattr(module, attr) if attr else module


def _load_file(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: dataclasses and pickling look the module up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


# -- discovery ---------------------------------------------------------------------------------
def _with_source(decl, path: Path, builtin: bool) -> ModelDeclaration:
    if not isinstance(decl, ModelDeclaration):
        raise TypeError(f"{path}: MODEL is not a ModelDeclaration")
    object.__setattr__(decl, "source", Path(path).resolve())
    object.__setattr__(decl, "builtin", builtin)
    return decl


def _builtin() -> list[ModelDeclaration]:
    import pkgutil

    from . import declarations as pkg
    out = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        out.append(_with_source(module.MODEL, module.__file__, True))
    return out


def _from_directory(directory: Path) -> list[ModelDeclaration]:
    out = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            module = _load_file(f"memgen_user_declaration_{path.stem}", path.resolve())
        except Exception as e:  # a user's file: one line naming it, not a traceback per command
            from .errors import InputError
            raise InputError(f"model declaration {path} ({PATH_ENV}) does not load: "
                             f"{type(e).__name__}: {e}") from e
        decl = getattr(module, "MODEL", None)
        if decl is not None:
            out.append(_with_source(decl, path, False))
    return out


@lru_cache(maxsize=1)
def _entry_points() -> tuple:
    from importlib import metadata
    out = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        decl = obj if isinstance(obj, ModelDeclaration) else getattr(obj, "MODEL", None)
        path = sys.modules[ep.module].__file__ if isinstance(obj, ModelDeclaration) \
            else getattr(obj, "__file__", None)
        out.append(_with_source(decl, path or ".", False))
    return tuple(out)


@lru_cache(maxsize=8)
def _discover(model_path: str) -> dict[str, ModelDeclaration]:
    found = _builtin()
    for d in filter(None, model_path.split(os.pathsep)):
        if Path(d).is_dir():
            found += _from_directory(Path(d))
    found += list(_entry_points())
    out: dict[str, ModelDeclaration] = {}
    stems: dict[str, str] = {}
    for decl in sorted(found, key=lambda x: (x.order, x.name)):
        if decl.name in out:
            raise RuntimeError(f"model '{decl.name}' declared twice ({out[decl.name].source} "
                               f"and {decl.source})")
        if decl.stem in stems:
            raise RuntimeError(f"models '{stems[decl.stem]}' and '{decl.name}' share the stem "
                               f"'{decl.stem}'")
        out[decl.name], stems[decl.stem] = decl, decl.name
    for decl in out.values():
        if not decl.builtin:
            from .kernels import register_source
            register_source(decl.stem, decl.generated_path)
    return out


def declarations() -> dict[str, ModelDeclaration]:
    """Every declared model by name, in listing order."""
    return _discover(os.environ.get(PATH_ENV, ""))


class _Models(Mapping):
    """Read-only view name -> ModelDeclaration, always the current discovery."""

    def __getitem__(self, name):
        return declarations()[name]

    def __iter__(self):
        return iter(declarations())

    def __len__(self):
        return len(declarations())

    def __repr__(self):
        return f"MODELS({', '.join(self)})"


MODELS = _Models()


def lookup(name: str) -> ModelDeclaration:
    """The declaration of model ``name``; ``UnknownModelError`` (one line) naming the known ones."""
    found = declarations()
    if name not in found:
        raise UnknownModelError(name, list(found))
    return found[name]


def by_stem(stem: str) -> ModelDeclaration | None:
    for decl in declarations().values():
        if decl.stem == stem:
            return decl
    return None
