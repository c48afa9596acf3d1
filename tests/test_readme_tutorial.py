"""The README's "Adding a model" tutorial, run from the README's own text.

Every code block of the section whose first line is a ``# path/to/file.py`` comment is written
at that path under a temporary folder; every ``$ memgen ...`` line of the section's console
blocks is run there, in order, in a subprocess, with ``MEMGEN_MODEL_PATH`` naming the folder of
the section's ``$ export MEMGEN_MODEL_PATH=$PWD/<folder>`` line and a private kernel cache; each
must exit 0. The comment after a command says what it shows, and is checked:

* ``name = value`` (before any parenthesis): the output prints ``name=...`` equal to ``value``
  to the digits stated, and the printed value agrees with an independent computation
  (``_references``): the registered models the new one must reproduce (label noise eta is the
  same label law as facts eps = 2 eta, so ising-raf at eps = 2 eta; at eta = 1/2 ising-gardner)
  and the free entropy phi written out here in mpmath (phi is the entropy at the solved order
  parameters with a vanishing gradient; phi = 0 at alpha_c) -- a stated number without a
  reference fails;
* a number in parentheses (a literature value): the printed value rounds to it;
* text in backquotes: it appears in the output; paths ending in .json or .py: they exist.

The whole tutorial derives the model (sympy, about half a minute) and compiles its kernels, so it
is marked slow; the fast test runs its first commands (derive, list, the first solve) with the
same checks. Both share one run (module fixture): the slow test continues where the fast one
stopped.
"""
import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import mpmath as mp
import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SECTION = "## Adding a model"
MODEL = "ising-noise"


def section(text: str) -> str:
    start = text.index(SECTION + "\n")
    end = text.find("\n## ", start + len(SECTION))
    return text[start:] if end < 0 else text[start:end]


def blocks(sec: str):
    """(language, body) of every fenced code block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", sec, flags=re.M | re.S)


def files(sec: str) -> dict[str, str]:
    out = {}
    for _, body in blocks(sec):
        m = re.match(r"# (\S+\.py)\n", body)
        if m:
            out[m.group(1)] = body
    return out


def console(sec: str):
    """(folder of MEMGEN_MODEL_PATH, [(argv after `memgen`, comment)]) of the console blocks."""
    folder, commands = None, []
    for lang, body in blocks(sec):
        if lang != "console":
            continue
        for line in body.splitlines():
            if not line.startswith("$ "):
                continue
            cmd, _, comment = line[2:].partition(" # ")
            m = re.fullmatch(r"export MEMGEN_MODEL_PATH=\$PWD/(\S+)", cmd.strip())
            if m:
                folder = m.group(1)
                continue
            argv = shlex.split(cmd)
            assert argv[0] == "memgen", f"a console line that is not memgen: {line}"
            commands.append((argv[1:], comment.strip()))
    return folder, commands


def printed(output: str, name: str) -> float:
    m = re.search(rf"(?<![\w.]){re.escape(name)}=([-+0-9.eE]+|nan|inf)", output)
    assert m, f"{name}= not in the output:\n{output}"
    return float(m.group(1))


def stated(comment: str):
    """(name, value text) pairs before any parenthesis, and the numbers in parentheses."""
    head, _, rest = comment.partition("(")
    pairs = re.findall(r"([A-Za-z_][\w.]*) = (-?\d+\.\d+|-?\d+)", head)
    literature = re.findall(r"\d+\.\d+", rest)
    return pairs, literature


def digits(text: str) -> float:
    """Half a unit of the last stated digit."""
    return 0.5 * 10.0 ** -(len(text.partition(".")[2]))


def params_of(argv) -> dict[str, float]:
    sets = argv[argv.index("--set") + 1:] if "--set" in argv else []
    out = {}
    for s in sets:
        if s.startswith("--"):
            break
        k, v = s.split("=")
        out[k] = float(v)
    return out


# -- the independent computation: phi written out in mpmath ------------------------------------
def _H(x):
    return mp.erfc(x / mp.sqrt(2)) / 2


def _gauss(f):
    return mp.quad(lambda z: f(z) * mp.npdf(z), [-mp.inf, -4, -1, 0, 1, 4, mp.inf])


def phi_mp(q, qhat, R, Rhat, alpha, eta, kappa):
    """RS entropy of the Ising student on sign-teacher labels flipped with probability eta:
    G_S = -qhat (1-q)/2 - R Rhat + E_z log 2cosh(sqrt(qhat) z + Rhat) (gauge w* = +1),
    G_E = 2 E_t P(+1|t) log H((kappa - sqrt(q) t)/sqrt(1-q)) with P(+1|t) = (1-eta) H(-R t/s)
    + eta H(R t/s), s = sqrt(q - R^2) (Gardner 1988, Gyorgyi 1990)."""
    G_S = -qhat * (1 - q) / 2 - R * Rhat + _gauss(
        lambda z: mp.log(2 * mp.cosh(mp.sqrt(qhat) * z + Rhat)))
    s = mp.sqrt(q - R * R)
    P = lambda t: (1 - eta) * _H(-R * t / s) + eta * _H(R * t / s)  # noqa: E731
    G_E = 2 * _gauss(lambda t: P(t) * mp.log(_H((kappa - mp.sqrt(q) * t) / mp.sqrt(1 - q))))
    return G_S + alpha * G_E


def saddle_mp(x, alpha, eta, kappa):
    """(phi, largest |dphi/dtheta|) at x = (q, qhat, R, Rhat), in mpmath at 20 digits."""
    with mp.workdps(20):
        x = [mp.mpf(v) for v in x]
        f = lambda *y: phi_mp(*y, alpha, eta, kappa)  # noqa: E731
        grad = [mp.diff(lambda v: f(*(x[:i] + [v] + x[i + 1:])), x[i]) for i in range(4)]
        return float(f(*x)), max(float(abs(g)) for g in grad)


def _references(verb, params, output):
    """{observable: [(what, independent value)]} for a command of the tutorial."""
    from memgenkit.numerics import api
    eta, kappa = params.get("eta", 0.0), params.get("kappa", 0.0)
    refs = {}
    if verb == "solve":
        alpha = params["alpha"]
        x = [printed(output, n) for n in ("q", "qhat", "R", "Rhat")]
        phi, grad = saddle_mp(x, alpha, eta, kappa)
        assert grad < 1e-8, f"mpmath gradient of phi at the solved point: {grad}"
        raf = api.solve("ising-raf", alpha=alpha, eps=2 * eta, kappa=kappa)
        assert raf.converged
        refs["entropy"] = [("mpmath phi", phi),
                           ("ising-raf at eps = 2 eta", raf.observables["entropy"])]
        refs["eps_gen"] = [("mpmath arccos(R)/pi", float(mp.acos(x[2]) / mp.pi)),
                           ("ising-raf at eps = 2 eta", raf.observables["eps_gen"])]
        for n in ("q", "R"):
            refs[n] = [("ising-raf at eps = 2 eta", raf[n])]
    elif verb == "boundary":
        a = printed(output, "alpha_c")
        x = [printed(output, f"alpha_c.{n}") for n in ("q", "qhat", "R", "Rhat")]
        phi, grad = saddle_mp(x, a, eta, kappa)
        assert abs(phi) < 1e-9 and grad < 1e-8, f"mpmath at alpha_c: phi {phi}, gradient {grad}"
        raf = api.boundary("ising-raf", eps=2 * eta, kappa=kappa)
        assert raf.converged
        refs["alpha_c"] = [("ising-raf at eps = 2 eta", raf.observables["alpha_c"])]
        if eta == 0.5:
            g = api.boundary("ising-gardner", kappa=kappa)
            refs["alpha_c"].append(("ising-gardner", g.observables["alpha_c"]))
    return refs


class Tutorial:
    """The section's files written under ``root`` and its commands, run in order on demand."""

    def __init__(self, root: Path, cache: Path):
        sec = section(README.read_text())
        self.files = files(sec)
        self.folder, self.commands = console(sec)
        self.root, self.done = root, 0
        for rel, body in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(body)
        self.env = {**os.environ, "MEMGEN_MODEL_PATH": str(root / self.folder),
                    "MEMGEN_CACHE_DIR": str(cache)}

    def run_through(self, last: int):
        while self.done <= last:
            self.check(*self.commands[self.done])
            self.done += 1

    def check(self, argv, comment):
        p = subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", *argv],
                           capture_output=True, text=True, cwd=self.root, env=self.env)
        line = "memgen " + " ".join(argv)
        assert p.returncode == 0, f"{line}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
        check_output(argv, comment, p.stdout, self.root)


def check_output(argv, comment, out, root):
    """What ``comment`` says of the output ``out`` of ``memgen argv`` run in ``root``."""
    line = "memgen " + " ".join(argv)
    for text in re.findall(r"`([^`]+)`", comment):
        assert text in out, f"{line}: `{text}` not in the output:\n{out}"
    if "writes" in comment:
        for rel in re.findall(r"[\w.-]+(?:/[\w.-]+)+\.(?:json|py)\b", comment):
            assert (root / rel).is_file(), f"{line}: {rel} not written"
    pairs, literature = stated(comment)
    for name, text in pairs:
        value = printed(out, name)
        assert abs(value - float(text)) <= digits(text) + 1e-12, \
            f"{line}: {name} = {value}, the README states {text}"
    for text in literature if pairs else ():  # a literature value of the first stated number
        value = printed(out, pairs[0][0])
        assert abs(value - float(text)) <= digits(text), \
            f"{line}: {pairs[0][0]} = {value} is not the literature's {text}"
    if not pairs:
        return
    refs = _references(argv[0], params_of(argv), out)
    for name, _ in pairs:
        value = printed(out, name)
        assert refs.get(name), f"{line}: no independent check of {name}"
        for what, ref in refs[name]:
            assert math.isclose(value, ref, rel_tol=1e-9, abs_tol=1e-10), \
                f"{line}: {name} = {value}, {what} = {ref}"


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory):
    root = tmp_path_factory.mktemp("tutorial")
    return Tutorial(root, tmp_path_factory.mktemp("cache"))


def test_section_parses_into_files_and_commands(tutorial):
    assert tutorial.folder == "mymodels"
    assert sorted(tutorial.files) == ["mymodels/ising_noise.py",
                                      "mymodels/ising_noise/numerics.py",
                                      "mymodels/ising_noise/theory.py"]
    # every step of the tutorial, in order (a removed command line fails here)
    verbs = [argv[0] for argv, _ in tutorial.commands]
    assert verbs == ["derive", "list", "solve", "boundary", "boundary", "boundary", "verify"]
    assert sum(len(stated(c)[0]) for _, c in tutorial.commands) == 5
    assert all(argv[1] == MODEL for argv, _ in tutorial.commands if argv[0] != "list")
    # the line counts the text states are the files' (without their `# path` line)
    counts = re.search(r"Three files, (\d+) \+ (\d+) \+ (\d+)\s+lines", README.read_text())
    assert counts, "the tutorial no longer states its files' line counts"
    n = [len(tutorial.files[f"mymodels/ising_noise{p}"].splitlines()) - 1
         for p in (".py", "/theory.py", "/numerics.py")]
    assert n == [int(c) for c in counts.groups()]
    # the model is the user's, not the package's
    from memgenkit.numerics import declaration
    assert not (Path(declaration.__file__).parent / "declarations" / "ising_noise.py").exists()
    assert MODEL not in [d.name for d in declaration._builtin()]


def test_tutorial_derive_list_solve(tutorial):
    first_solve = [argv[0] for argv, _ in tutorial.commands].index("solve")
    tutorial.run_through(first_solve)
    stored = tutorial.root / tutorial.folder
    for rel in ("derivations/ising_noise.json", "derivations/ising_noise.md",
                "generated/ising_noise.py"):
        assert (stored / rel).is_file(), rel


@pytest.mark.slow
def test_tutorial_every_command(tutorial):
    tutorial.run_through(len(tutorial.commands) - 1)


def test_broken_text_fails(tmp_path):
    """A removed line or a changed number in the section makes the test fail (no derivation
    needed to see it: the parse, the line counts and the output checks)."""
    text = README.read_text()
    sec = section(text)
    export = "$ export MEMGEN_MODEL_PATH=$PWD/mymodels\n"
    assert export in sec and console(sec.replace(export, ""))[0] is None
    line = "    return d\n"
    assert line in files(sec)["mymodels/ising_noise/theory.py"]
    broken = files(sec.replace(line, ""))["mymodels/ising_noise/theory.py"]
    assert len(broken.splitlines()) != len(files(sec)["mymodels/ising_noise/theory.py"]
                                           .splitlines())
    argv, comment = next(c for c in console(sec)[1] if c[0][0] == "solve")
    out = "observables:  entropy=0.351236274028, eps_gen=0.426151344803"
    wrong = comment.replace("0.351236", "0.351237")
    assert wrong != comment
    with pytest.raises(AssertionError, match="the README states"):
        check_output(argv, wrong, out, tmp_path)
    with pytest.raises(AssertionError, match="not in the output"):
        check_output(["list"], "# shows `blocks: ising`", "ising-noise: ...", tmp_path)
    with pytest.raises(AssertionError, match="literature"):
        check_output(["boundary", MODEL], "# alpha_c = 0.83308 (0.900)", "alpha_c=0.83307859974",
                     tmp_path)
