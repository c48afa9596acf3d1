"""`memgen plot`: theory curves drawn only through converged points; sweep files."""
from memgenkit.numerics import api
from memgenkit.numerics.cli import main
from memgenkit.numerics.plotting import _segments


def test_segments_break_at_unconverged_points():
    segs = _segments([0, 1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0, 5.0], [True, True, False, True, True])
    assert segs == [[(0, 1.0), (1, 2.0)], [(3, 4.0), (4, 5.0)]]


def test_plot_theory_and_sweep(tmp_path):
    fig = tmp_path / "curve.png"
    assert main(["plot", "raf-gardner", "--set", "eps=0.3", "--x", "alpha=0.1:3:12",
                 "--out", str(fig)]) == 0
    assert fig.stat().st_size > 10_000
    sw = tmp_path / "s.jsonl"
    api.sweep("raf-gardner", ["alpha=0.2:1:4"], {"eps": 0.1}, out=sw)
    fig2 = tmp_path / "sweep.png"
    assert main(["plot", "--sweep", str(sw), "--y", "q,R", "--out", str(fig2)]) == 0
    assert fig2.stat().st_size > 10_000


def test_zero_values_are_drawn():
    """An observable that is exactly 0 (eps_mem past interpolation) is a value, not a gap."""
    from memgenkit.numerics.plotting import _value
    rec = {"order_params": {"m": 0.0}, "observables": {"eps_mem": 0.0}}
    assert _value(rec, "eps_mem") == 0.0 and _value(rec, "m") == 0.0
    assert _value(rec, "missing") != _value(rec, "missing")  # NaN


def test_pyplot_is_matplotlib_on_agg():
    """numerics.plotting.pyplot(): the one configured matplotlib (files only, no display)."""
    import matplotlib
    from memgenkit.numerics.plotting import pyplot
    plt = pyplot()
    import matplotlib.pyplot
    assert plt is matplotlib.pyplot and matplotlib.get_backend().lower() == "agg"
