"""theory/blocks/priors/ising.py: the Ising prior block against its contract."""
import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from memgenkit.theory.blocks import BLOCKS, Ising
from memgenkit.theory.blocks.symbols import q, qhat
from memgenkit.theory.derivation import Derivation
from memgenkit.theory.evaluate import mp_function


@pytest.fixture(scope="module")
def recorded():
    d = Derivation(model="ising-block", title="", conventions="", parameters=[],
                   order_parameters=[q, qhat])
    prior = Ising()
    return prior, prior.entropic(d), d


def test_registered_and_every_step_checked(recorded):
    _, _, d = recorded
    assert isinstance(BLOCKS["ising"](), Ising)
    assert all(c.passed for s in d.steps for c in s.checks)
    assert all(s.checks for s in d.steps)


def test_moment_is_the_derivative(recorded):
    prior, G_S, _ = recorded
    diff = mp_function(sp.diff(G_S, qhat) - prior.moments()[qhat], [q, qhat], [sp.S(0)])
    with mp.workdps(25):
        for qq, qh in ((0.2, 0.1), (0.5, 3.0), (0.95, 40.0)):
            assert abs(diff(qq, qh)) < 1e-20


def test_pairings_cancel_the_updated_parameter(recorded):
    prior, G_S, _ = recorded
    dS = {qhat: prior.moments()[qhat], q: sp.diff(G_S, q)}
    for p in prior.pairings():
        rhs = sp.cancel(p.theta + p.c * dS[p.sigma])
        assert p.theta not in rhs.free_symbols


def test_domain_and_sample():
    prior = Ising()
    assert prior.domain({q: 0.5, qhat: 1.0})
    assert not prior.domain({q: 1.0, qhat: 1.0}) and not prior.domain({q: 0.5, qhat: 0.0})
    w = prior.sample(np.random.default_rng(4), 101)
    assert set(np.unique(w)) == {-1.0, 1.0} and w @ w == 101
    assert np.array_equal(w, prior.sample(np.random.default_rng(4), 101))


def test_teacher_branch():
    """With a teacher: [q, qhat, R, Rhat], every step checked, R <- E tanh, Rhat <- alpha dG_E/dR
    (dG_S/dR = -Rhat), and the Rhat moment is the derivative of G_S."""
    from memgenkit.theory.blocks.symbols import R, Rhat
    d = Derivation(model="ising-teacher", title="", conventions="", parameters=[],
                   order_parameters=[q, qhat, R, Rhat])
    prior = Ising()
    G_S = prior.entropic(d, teacher=True)
    assert prior.order_parameters(True) == [q, qhat, R, Rhat]
    assert all(c.passed for s in d.steps for c in s.checks)
    assert sp.simplify(sp.diff(G_S, R) + Rhat) == 0
    diff = mp_function(sp.diff(G_S, Rhat) - prior.moments(True)[Rhat], [q, qhat, R, Rhat],
                       [sp.S(0)])
    with mp.workdps(25):
        assert abs(diff(0.5, 2.0, 0.3, 0.7)) < 1e-20
    assert [(p.theta, p.sigma, p.c) for p in prior.pairings(True)][2:] == [(R, Rhat, 1),
                                                                           (Rhat, R, 1)]
    assert not prior.domain({q: 0.3, qhat: 1.0, R: 0.6})
