"""Data models: the random-features prior term against a finite random matrix (seeded), the
isotropic kernel's prox time and ridge."""
import mpmath as mp
import numpy as np
import sympy as sp

from memgenkit.theory.blocks.data import Isotropic, RandomFeatures, explicit, mu1, mustar, psi
from memgenkit.theory.blocks.glm import V, Vh, mh, qh
from memgenkit.theory.blocks.priors.gaussian import Gaussian, lam
from memgenkit.theory.derivation import Derivation


def _d():
    return Derivation(model="test", title="", conventions="", parameters=[], order_parameters=[])


def test_random_features_prior_against_a_sampled_spectrum():
    """Phi_prior = E_s[per-direction value] over Marchenko-Pastur: compare with the eigenvalues of
    one F F^T, F p x d with N(0, 1/d) entries (finite size: agreement to a few 1e-3)."""
    params = [psi, lam, mu1, mustar]
    samples = [(0.7, 0.4, 1.3, 0.5, 0.3, 1.0, 0.0), (0.4, 1.1, 0.6, 3.0, 0.05, 0.5, 0.6),
               (1.2, 0.2, 2.5, 1.7, 1.5, 0.8, 0.3)]
    rf = RandomFeatures(params, samples)
    Phi = sp.lambdify([mh, qh, Vh] + params, explicit(rf.prior_term(_d(), Gaussian())),
                      modules="mpmath")
    per_dir = sp.lambdify([sp.Symbol("s", nonnegative=True), mh, qh, Vh] + params,
                          rf.per_direction())
    rng = np.random.default_rng(7)
    d = 600
    for smp in samples:
        p = int(round(smp[3] * d))
        F = rng.standard_normal((p, d)) / np.sqrt(d)
        ev = np.clip(np.linalg.eigvalsh(F @ F.T), 0, None)
        emp = np.mean(per_dir(ev, *smp))
        with mp.workdps(20):
            exact = float(Phi(*smp))
        assert abs(emp - exact) < 1e-2 * abs(exact)


def test_isotropic_kernel():
    k = Isotropic(kernel=True)
    assert k.time == V + mustar**2 / lam and k.ridge == lam / mu1**2
    plain = Isotropic()
    assert plain.time == V and plain.ridge == lam
    x = plain.sample(np.random.default_rng(0), 3, 4)
    assert x.shape == (3, 4)
    k.kernel_features(_d())  # its checks pass (a failed check raises)


def test_activation_table_is_the_numerics_table():
    """The activations the generic checks verify (theory/blocks/data.py, checked by quadrature
    and Monte Carlo in ``checks.data_activations``) are the ones the numerics read (the table of
    each generated module, numerics/common/activations.py): each entry the float64 nearest the
    theory's coefficient at 30 digits, bit for bit."""
    from memgenkit.numerics.common.activations import activation_table
    from memgenkit.theory.blocks.data import _activations
    from memgenkit.theory.evaluate import mp_function
    acts = _activations()
    with mp.workdps(30):
        ours = {name: tuple(float(mp_function(c, [])()) for c in coeffs)
                for name, (_, *coeffs) in acts.items()}
    for stem in ("raf_erm", "raf_rf"):
        assert activation_table(stem) == ours
    assert set(acts) == {"linear", "sign", "relu", "erf", "tanh"}


def test_activation_table_step_and_table():
    """Both data models record the step and the table: closed forms kept exact, tanh (Gaussian
    averages left) as a 30-digit Float; the linear learner records nothing."""
    for data in (Isotropic(kernel=True), RandomFeatures()):
        d = _d()
        rows = data.activation_table(d)
        assert [s.name for s in d.steps] == ["activation coefficients"]
        (t,) = d.tables
        assert t.columns == ["mu0", "mu1", "mustar"] and t.rows == rows
        assert rows["sign"][1] == sp.sqrt(2 / sp.pi)
        assert all(isinstance(v, sp.Float) and v._prec >= 99 for v in rows["tanh"][1:])
    d = _d()
    assert Isotropic().activation_table(d) == {} and not d.tables and not d.steps


def test_random_features_hooks():
    """The spectrum hooks: F is round(psi d) x d with entries of variance 1/d; the declared law
    is MP(psi)."""
    from memgenkit.theory.spectra import MPStieltjes
    rf = RandomFeatures()
    F = rf.sample_features(np.random.default_rng(3), 400, {psi: 0.5})
    assert F.shape == (200, 400) and abs(F.var() * 400 - 1) < 0.02
    z = sp.Symbol("z", negative=True)
    assert rf.stieltjes(z) == MPStieltjes(z, psi)
