"""raf-erm and raf-bayes: the block simulation (numerics/simulation/blocks.py) against the models'
own samplers (numerics/simulation/raf_erm.py, raf_bayes.py).

The two are not byte identical: the blocks draw inputs, fact coins, teacher and fact mask in that
order from ``instance_seed(seed, N, k)``, the own samplers teacher, inputs, mask and the facts'
labels from ``SeedSequence([seed, N]).spawn``. They sample the same law, so the per-N means of
m, q and eps_gen must agree within their combined standard errors (slow, statistical)."""
from __future__ import annotations

import math

import pytest

from memgenkit.numerics.errors import InputError
from memgenkit.numerics.models import get
from memgenkit.numerics.simulation.blocks import block_verified


def test_block_path_is_the_block_ladder(tmp_path):
    """verify(sampler="blocks") runs the shared block ladder (eps_gen, m, q against the solved
    point: ERM m, q; Bayes m = q = the theory's q) and an unknown sampler is refused."""
    for name, params in (("raf-erm", {"eps": 0.2, "lam": 0.5}), ("raf-bayes", {"eps": 0.2})):
        model = get(name)
        rec = model.verify(params, Ns=(30, 60), instances=5, sampler="blocks",
                           out_dir=tmp_path)["record"]
        th = model.solve(model.validate(params))
        rows = {r["observable"]: r for r in rec["rows"]}
        assert set(rows) == {"eps_gen", "m", "q"}
        m_th = th.order_params["q"] if name == "raf-bayes" else th.order_params["m"]
        assert rows["m"]["theory"] == pytest.approx(m_th, rel=1e-12)
        assert rows["q"]["theory"] == pytest.approx(th.order_params["q"], rel=1e-12)
        assert rec["Ns"] == [30, 60] and all(r["ns"] == [5, 5] for r in rows.values())
        with pytest.raises(InputError):
            model.verify(params, Ns=(30, 60), instances=5, sampler="nope", out_dir=tmp_path)


def _own(name, v, N, instances, seed):
    if name == "raf-erm":
        from memgenkit.numerics.simulation import raf_erm as sim
        st = sim.measure(v, N, instances, seed)
    else:
        from memgenkit.numerics.simulation import raf_bayes as sim
        st = sim.measure(v["alpha"], v["eps"], N, instances, seed)
    assert st["unconverged"] == 0
    return {k: (st[k]["mean"], st[k]["se"]) for k in ("eps_gen", "m", "q")}


@pytest.mark.slow
@pytest.mark.parametrize("name,params", [
    ("raf-erm", {"loss": "square", "alpha": 1.5, "eps": 0.3, "lam": 0.5}),
    ("raf-erm", {"loss": "hinge", "alpha": 2.0, "eps": 0.2, "lam": 1.0}),
    ("raf-erm", {"loss": "logistic", "alpha": 1.0, "eps": 0.1, "lam": 0.3, "mustar": 0.5}),
    ("raf-bayes", {"alpha": 2.0, "eps": 0.3}),
])
def test_block_and_own_samplers_agree(name, params):
    """Same N, 80 instances each, independent seeds: |mean_blocks - mean_own| < 4 sqrt(se_b^2 +
    se_o^2) for eps_gen, m and q (a 4-sigma two-sample test; 12 comparisons in all)."""
    model = get(name)
    v = model.validate(params)
    N, inst = 100, 80
    own = _own(name, v, N, inst, seed=11)
    blk = block_verified(model)._observables(v, N, inst, 12)
    assert blk["unconverged"] == 0
    for k in ("eps_gen", "m", "q"):
        (mo, so), e = own[k], blk[k]
        z = (e.mean - mo) / math.sqrt(so**2 + e.se**2)
        assert abs(z) < 4, (name, k, e.mean, mo, z)
