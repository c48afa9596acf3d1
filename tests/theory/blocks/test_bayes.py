"""Bayes posterior channel: Z and the stable qhat against direct mpmath integrals."""
import mpmath as mp
import sympy as sp

from memgenkit.theory.blocks.channels.bayes import BayesPosterior
from memgenkit.theory.blocks.glm import alpha
from memgenkit.theory.blocks.labels import RulesAndFacts, SignTeacher, eps
from memgenkit.theory.blocks.symbols import q
from memgenkit.theory.derivation import Derivation
from memgenkit.theory.evaluate import mp_function


def _d():
    return Derivation(model="test", title="", conventions="", parameters=[], order_parameters=[])


def test_partition_and_qhat():
    ch, labels = BayesPosterior([(0.3, 0.4, 0.2)]), RulesAndFacts(SignTeacher())
    d = _d()
    Psi_out = ch.energetic(d, labels)
    qhat = ch.qhat(d, labels, Psi_out, [(0.5, 1.0, 0.3)])
    with mp.workdps(20):
        f_psi = mp_function(Psi_out, [q, eps], [sp.S(0)])
        f_qhat = mp_function(qhat, [q, alpha, eps], [sp.S(0)])
        for qv, ev in ((0.4, 0.1), (0.8, 0.5)):
            # Psi_out = sum_y E_xi Z log Z with Z(y) = P(y | nu) averaged over nu | xi, directly
            def Z(y, x):
                s = mp.sqrt(qv) * x
                return (1 - ev) * mp.ncdf(y * s / mp.sqrt(1 - qv)) + ev / 2
            ref = mp.quad(lambda x: mp.npdf(x) * sum(Z(y, x) * mp.log(Z(y, x)) for y in (1, -1)),
                          [-mp.inf, 0, mp.inf])
            assert abs(f_psi(qv, ev) - ref) < 1e-14
            dpsi = mp.diff(lambda qq: f_psi(qq, ev), qv)
            assert abs(f_qhat(qv, 1.5, ev) - 2 * 1.5 * dpsi) < 1e-10


def test_partition_check_for_every_sign_label_model():
    """The direct-integral check of Z holds for label noise too (thetas of both signs)."""
    from memgenkit.theory.blocks.labels import LabelNoise, RandomLabels
    BayesPosterior([(0.3, 0.4, 0.2), (0.8, -1.1, 0.1)]).partition(_d(), LabelNoise(SignTeacher()))
    BayesPosterior([(0.3, 0.4)]).partition(_d(), SignTeacher())
    BayesPosterior([(0.3, 0.4)]).partition(_d(), RandomLabels())
