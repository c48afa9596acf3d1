"""Sweeps: grid parsing, resumability after an interruption, workers."""
import json

import numpy as np
import pytest

from memgenkit.numerics import api
from memgenkit.numerics.errors import InputError


def test_parse_grid():
    assert api.parse_grid("alpha=0:1:3") == ("alpha", [0.0, 0.5, 1.0])
    assert api.parse_grid("eps=0.1,0.2") == ("eps", [0.1, 0.2])
    for bad in ("alpha", "alpha=1:2", "alpha=1:2:0", "alpha=a:b:c", "=1:2:3", "alpha=", "x=1:inf:3"):
        with pytest.raises(InputError):
            api.parse_grid(bad)


def test_sweep_resumes_without_recomputing(tmp_path):
    out = tmp_path / "s.jsonl"
    grid = ["eps=0.1,0.3", "alpha=0.5:1.5:4"]
    first = api.sweep("raf-gardner", grid, out=out)
    assert len(first) == 8 and all(r["status"]["converged"] for r in first)
    lines = out.read_text().splitlines()
    # Simulate an interruption: drop the last three points and leave a half-written record.
    out.write_text("\n".join(lines[:-3]) + "\n" + lines[-3][: len(lines[-3]) // 2])
    calls = []
    again = api.sweep("raf-gardner", grid, out=out, progress=lambda *a: calls.append(a))
    assert len(again) == 8
    assert len(calls) == 1 + 3  # the total, then exactly the three missing points
    for a, b in zip(first, again):
        # recomputed points start from a different warm start: equal to solver precision
        assert a["params"] == b["params"]
        assert a["order_params"] == pytest.approx(b["order_params"], abs=1e-11)
    third = api.sweep("raf-gardner", grid, out=out)
    assert third == again
    header = json.loads(out.read_text().splitlines()[0])
    assert header["derivation_hash"] and header["versions"]["numba"]


def test_sweep_refuses_a_foreign_file(tmp_path):
    out = tmp_path / "s.jsonl"
    api.sweep("raf-gardner", ["alpha=0.5:1:2"], {"eps": 0.1}, out=out)
    with pytest.raises(InputError, match="different sweep"):
        api.sweep("raf-gardner", ["alpha=0.5:1:2"], {"eps": 0.2}, out=out)


def test_sweep_workers_give_the_same_results(tmp_path):
    grid = ["eps=0.0,0.5", "alpha=0.4:1.2:3"]
    serial = api.sweep("raf-gardner", grid, kappa=0.2)
    par = api.sweep("raf-gardner", grid, kappa=0.2, workers=2)
    for a, b in zip(serial, par):
        assert a["params"] == b["params"]
        assert a["order_params"] == pytest.approx(b["order_params"], abs=1e-11)


def test_boundary_sweep():
    recs = api.sweep("raf-gardner", ["eps=0.2:1:5"], task="boundary")
    ac = [r["observables"]["alpha_c"] for r in recs]
    assert ac == sorted(ac, reverse=True) and ac[-1] == pytest.approx(2.0)


def test_sweep_with_a_categorical_parameter_resumes(tmp_path):
    """ti-krr carries its exceptions as a string; sweep keys and resumption must handle it."""
    out = tmp_path / "ti.jsonl"
    first = api.sweep("ti-krr", ["c=0:0.9:4"], {"n": 8, "lam": 0.1, "exceptions": "5>3"}, out=out)
    assert len(first) == 4 and all(r["status"]["converged"] for r in first)
    calls = []
    again = api.sweep("ti-krr", ["c=0:0.9:4"], {"n": 8, "lam": 0.1, "exceptions": "5>3"},
                      out=out, progress=lambda *a: calls.append(a))
    assert len(calls) == 1 and len(again) == 4  # nothing recomputed


# -- resuming a file cut by an interruption ------------------------------------------------------

GRID = ["eps=0.1,0.3", "alpha=0.5:1.5:4"]


def _grid_points():
    return sorted((e, a) for e in (0.1, 0.3) for a in np.linspace(0.5, 1.5, 4).tolist())


def _check_file(out, fresh):
    """Every line whole, every grid point exactly once, values those of an uninterrupted run."""
    text = out.read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert json.loads(lines[0])["kind"] == "header"
    recs = [json.loads(x) for x in lines[1:]]  # raises if a record was glued to a cut one
    assert sorted((r["params"]["eps"], r["params"]["alpha"]) for r in recs) == _grid_points()
    by_key = {r["key"]: r for r in recs}
    for f in fresh:
        r = by_key[f["key"]]
        assert r["params"] == f["params"]
        assert r["status"]["converged"] and f["status"]["converged"]
        # a recomputed point may start from another warm start: equal to solver precision
        assert r["order_params"] == pytest.approx(f["order_params"], abs=1e-11)


@pytest.mark.parametrize("damage,missing", [
    ("cut mid-record", 1),            # the cut record is dropped and recomputed
    ("record without its newline", 0),  # a whole record: kept, and the line terminated
    ("header only", 8),
    ("cut header", 8),                # no complete header: the file is started again
    ("cut header, no brace", 8),
])
def test_resume_after_a_cut_last_line(tmp_path, damage, missing):
    ref = tmp_path / "ref.jsonl"
    fresh = api.sweep("raf-gardner", GRID, out=ref)
    lines = ref.read_text().splitlines()
    out = tmp_path / "s.jsonl"
    if damage == "cut mid-record":
        out.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    elif damage == "record without its newline":
        out.write_text("\n".join(lines))
    elif damage == "header only":
        out.write_text(lines[0] + "\n")
    elif damage == "cut header":
        out.write_text(lines[0][:40])
    else:
        out.write_text(lines[0][:1])
    calls = []
    again = api.sweep("raf-gardner", GRID, out=out, progress=lambda *a: calls.append(a))
    assert calls[0] == (0, missing) and len(calls) == 1 + missing
    assert len(again) == 8
    _check_file(out, fresh)
    # and once more: nothing left to do, nothing appended
    before = out.read_bytes()
    api.sweep("raf-gardner", GRID, out=out)
    assert out.read_bytes() == before


def test_a_one_line_file_that_is_not_a_sweep_is_refused_untouched(tmp_path):
    out = tmp_path / "notes.txt"
    out.write_text("my notes, no newline")
    with pytest.raises(InputError, match="not a memgen sweep file"):
        api.sweep("raf-gardner", GRID, out=out)
    assert out.read_text() == "my notes, no newline"


# -- large grids ---------------------------------------------------------------------------------

class _Stop(Exception):
    pass


def test_a_million_point_grid_is_streamed_not_materialised(tmp_path, monkeypatch):
    """1000 x 1000 points: validation per axis and at the corners (not per point), and the first
    line is written before the rest of the grid is ever listed. Counted, not timed."""
    from memgenkit.numerics import models
    cls = type(models.get("raf-gardner"))
    calls = [0]
    orig = cls.validate

    def counting(self, params):
        calls[0] += 1
        return orig(self, params)
    monkeypatch.setattr(cls, "validate", counting)
    seen = []

    def progress(*a):
        seen.append(a)
        if len(seen) > 1:
            raise _Stop  # stop after the first finished point
    out = tmp_path / "big.jsonl"
    with pytest.raises(_Stop):
        api.sweep("raf-gardner", ["eps=0:1:1000", "alpha=0.5:2:1000"], out=out, collect=False,
                  progress=progress)
    assert seen[0] == (0, 10 ** 6)
    # two axes of 1000, a few corners, and the first line of 1000 points (solved as one task,
    # each solve validating its point): thousands, where checking the product costs a million
    assert calls[0] <= 2 * 1000 + 16 + 2 * 1000
    lines = out.read_text().splitlines()
    assert len(lines) == 2  # the header and the first point (progress stopped the rest)
    assert json.loads(lines[1])["params"] == {"eps": 0.0, "alpha": 0.5, "kappa": 0.0}


def test_a_grid_whose_records_do_not_fit_is_refused_before_any_work(tmp_path):
    from memgenkit.numerics import resources
    out = tmp_path / "big.jsonl"
    resources.set_max_memory(64e6)
    try:
        with pytest.raises(resources.ResourceError) as e:
            api.sweep("raf-gardner", ["eps=0:1:1000", "alpha=0.5:2:1000"], out=out)
        msg = str(e.value)
        assert "1000000 grid points" in msg and "exceeds the limit" in msg and "record" in msg
        assert "\n" not in msg
        assert not out.exists()
        # without the records in memory the same grid fits (2 bytes of state a point)
        with pytest.raises(_Stop):
            api.sweep("raf-gardner", ["eps=0:1:1000", "alpha=0.5:2:1000"], out=out,
                      collect=False, progress=lambda *a: (_ for _ in ()).throw(_Stop))
    finally:
        resources.set_max_memory(None)


def test_the_record_memory_estimate_bounds_what_records_take(tmp_path):
    """The estimate (from a trial record's JSON size) against tracemalloc of real records."""
    import tracemalloc

    from memgenkit.numerics import models
    from memgenkit.numerics import sweep as sw
    for name, fixed, grid in [("raf-gardner", {}, GRID),
                              ("raf-erm", {"loss": "square"}, ["alpha=0.5:2:4"]),
                              ("ti-krr", {"n": 8, "lam": 0.1}, ["c=0:0.9:4"])]:
        recs = api.sweep(name, grid, fixed)
        text = [json.dumps(r) for r in recs]
        tracemalloc.start()
        held = [json.loads(t) for t in text]
        measured = tracemalloc.get_traced_memory()[0] / len(held)
        tracemalloc.stop()
        first = {**fixed, **{n: v[0] for n, v in map(api.parse_grid, grid)}}
        est = sw._record_bytes(models.get(name), "solve", first, {})
        assert measured <= est <= 3 * measured, (name, measured, est)


# -- grid validation -----------------------------------------------------------------------------

def test_a_rule_across_parameters_is_caught_before_any_work(tmp_path, monkeypatch):
    """hopfield-snr needs round(alpha_D N) >= L. Each value below is valid with the other axis
    at its first value; only the corner alpha_D = 0.05, N = 40 (D = 2 < L = 3) is not."""
    from memgenkit.numerics import sweep as sw
    grid = ["alpha_D=0.5,0.05", "N=100,40"]
    for full in (True, False):  # every point checked, or (large grids) the corners
        monkeypatch.setattr(sw, "FULL_VALIDATION_POINTS", 10 ** 6 if full else 0)
        out = tmp_path / f"h{full}.jsonl"
        with pytest.raises(InputError, match="alpha_D"):
            api.sweep("hopfield-snr", grid, {"L": 3}, out=out)
        assert not out.exists()


def test_grid_and_worker_checks():
    with pytest.raises(InputError, match="repeats the value"):
        api.sweep("raf-gardner", ["alpha=0.5,1,0.5"])
    for bad in (0, -1, 1.5):
        with pytest.raises(InputError, match="workers"):
            api.sweep("raf-gardner", ["alpha=0.5,1"], workers=bad)
    with pytest.raises(InputError, match="collect=False needs out"):
        api.sweep("raf-gardner", ["alpha=0.5,1"], collect=False)


def test_no_more_workers_than_tasks(monkeypatch):
    """--workers 8 on one line of 3 points: three chunks, so three processes, not eight."""
    from memgenkit.numerics import params, pool
    monkeypatch.setattr(params, "_cores", lambda: 8)  # the cap under test is tasks, not cores
    asked = []

    def fake(n, *a, **k):
        asked.append(n)
        raise _Stop
    monkeypatch.setattr(pool, "worker_pool", fake)
    with pytest.raises(_Stop):
        api.sweep("raf-gardner", ["alpha=0.5:1.5:3"], workers=8)
    with pytest.raises(_Stop):
        api.sweep("raf-gardner", ["eps=0.1,0.2,0.3", "alpha=0.5:1.5:2"], workers=8)
    assert asked == [3, 6]  # 3 lines of 2 < 8 workers: cut into 6 chunks of 1


def test_collect_false_returns_a_summary_and_the_file_holds_everything(tmp_path):
    out = tmp_path / "s.jsonl"
    fresh = api.sweep("raf-gardner", GRID)
    s = api.sweep("raf-gardner", GRID, out=out, collect=False)
    assert s == {"points": 8, "computed": 8, "converged": 8, "out": str(out)}
    _check_file(out, fresh)
    assert api.sweep("raf-gardner", GRID, out=out, collect=False)["computed"] == 0
