"""Sweeps under real signals: `memgen sweep --workers 2` interrupted by SIGINT (sent to the whole
process group, as a terminal's Ctrl-C is), SIGTERM and SIGKILL of the parent.

What must hold: the run ends (bounded wait, no hang), with exactly one line on stderr and no
traceback; no worker outlives the parent; and running the same command again finishes the grid
with every point in the file exactly once.

The sweep is made slow on purpose and deterministically: a damped fixed-point iteration with
mixing 0.001 reaches max_iter (2000 iterations, a fraction of a second) at every point without
converging, so there is time to interrupt it and no point depends on a warm start.
"""
import glob
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = [pytest.mark.skipif(not sys.platform.startswith("linux"),
                                 reason="reads /proc for the worker processes"),
              pytest.mark.skipif((os.cpu_count() or 1) < 2,
                                 reason="--workers 2 is refused on a machine with one core")]

EPS = np.linspace(0.05, 0.6, 6)
ALPHA = [0.8, 1.2]
N_POINTS = len(EPS) * len(ALPHA)
START_BOUND = 180.0  # generous: a loaded machine takes seconds to import numba in 3 processes
END_BOUND = 20.0     # after the signal; a hang (the old behaviour) runs far past it


# A terminal starts its foreground job with SIGINT at its default. A job that a non-interactive
# shell starts in the background (`pytest ... &`, nohup) inherits SIGINT ignored, and then Python,
# like every POSIX program, keeps ignoring it: a sweep started so finishes despite Ctrl-C, rightly
# (that is what the runs of the full suite in the background saw). So start the sweep the way a
# terminal would, whatever disposition and mask the test runner inherited; exec keeps the pid.
_AS_FOREGROUND_JOB = [
    sys.executable, "-c",
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGINT]); "
    "os.execv(sys.executable, [sys.executable] + sys.argv[1:])"]


def _cmd(out):
    return [sys.executable, "-m", "memgenkit.numerics.cli", "sweep", "raf-gardner",
            "--grid", "eps=0.05:0.6:6", "--grid", "alpha=0.8,1.2",
            "--method", "fixed-point", "--mixing", "0.001", "--workers", "2", "--out", str(out)]


def _children(pid):
    kids = set()
    for f in glob.glob(f"/proc/{pid}/task/*/children"):
        try:
            with open(f) as fh:
                kids |= {int(x) for x in fh.read().split()}
        except OSError:
            pass
    return kids


def _alive(pid):
    """Running (a zombie has ended: it only waits to be reaped, by whoever adopted it)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _records(out):
    if not out.exists():
        return 0
    return max(0, len(out.read_bytes().split(b"\n")) - 2)  # header, trailing newline


def _start(out, min_records):
    """Start the sweep in a new process group; return it and its children once ``out`` holds
    ``min_records`` records and both workers run."""
    p = subprocess.Popen(_AS_FOREGROUND_JOB + _cmd(out)[1:], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    kids = set()
    t0 = time.monotonic()
    while time.monotonic() - t0 < START_BOUND:
        assert p.poll() is None, p.communicate()
        kids |= _children(p.pid)
        if _records(out) >= min_records and len(kids) >= 2:
            assert _records(out) < N_POINTS, "the sweep finished before it could be interrupted"
            return p, kids
        time.sleep(0.02)
    os.killpg(p.pid, signal.SIGKILL)
    pytest.fail(f"no {min_records} records within {START_BOUND} s")


def _sigint_state(pid):
    """Which threads of ``pid`` ignore / block SIGINT, from /proc (for failure messages)."""
    bit = 1 << (signal.SIGINT - 1)
    ign, blk = [], []
    for t in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(t) as fh:
                st = dict(x.split(":", 1) for x in fh.read().splitlines() if ":" in x)
        except OSError:
            continue
        tid = t.split("/")[-2]
        if int(st["SigIgn"], 16) & bit:
            ign.append(tid)
        if int(st["SigBlk"], 16) & bit:
            blk.append(tid)
    return f"SIGINT ignored in threads {ign}, blocked in {blk}"


def _wait_gone(pids, bound):
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound:
        left = {k for k in pids if _alive(k)}
        if not left:
            return set()
        time.sleep(0.05)
    return left


def _finish(p, bound=END_BOUND):
    try:
        return p.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        pytest.fail(f"the sweep did not end within {bound} s of the signal")


def _resume_and_check(out):
    r = subprocess.run(_cmd(out), capture_output=True, text=True, timeout=600)
    # every point reaches max_iter unconverged by design: exit status 1, not 2 or a crash
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    lines = out.read_text().split("\n")
    assert lines[-1] == ""  # ends in a newline
    header = json.loads(lines[0])
    assert header["kind"] == "header"
    recs = [json.loads(x) for x in lines[1:-1]]  # every line whole: none glued to a partial one
    got = sorted((r["params"]["eps"], r["params"]["alpha"]) for r in recs)
    want = sorted((e, a) for e in EPS.tolist() for a in ALPHA)
    assert len(got) == N_POINTS  # each point exactly once: nothing lost, nothing duplicated
    assert np.allclose(got, want, rtol=0, atol=1e-15)
    assert all(r["status"]["iterations"] == 2000 for r in recs)


def test_ctrl_c_ends_promptly_with_one_line_and_resumes(tmp_path):
    out = tmp_path / "s.jsonl"
    p, kids = _start(out, min_records=2)
    state, n = _sigint_state(p.pid), _records(out)
    os.killpg(p.pid, signal.SIGINT)  # what a terminal does: parent and workers all get it
    _, err = _finish(p)
    assert p.returncode == 130, (f"{err!r}; at the signal the file held {n} records, at the end "
                                 f"{_records(out)} of {N_POINTS}; parent: {state}")
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1 and err.startswith("memgen: interrupted"), err
    assert not _wait_gone(kids, 5.0)
    _resume_and_check(out)


def test_sigterm_ends_like_ctrl_c(tmp_path):
    out = tmp_path / "s.jsonl"
    p, kids = _start(out, min_records=0)  # workers started; maybe still importing
    os.kill(p.pid, signal.SIGTERM)  # the parent only
    _, err = _finish(p)
    assert p.returncode == 130, err
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert not _wait_gone(kids, 5.0)


def test_sigkill_of_the_parent_takes_the_workers_and_the_file_resumes(tmp_path):
    out = tmp_path / "s.jsonl"
    p, kids = _start(out, min_records=1)
    os.kill(p.pid, signal.SIGKILL)
    _finish(p)
    left = _wait_gone(kids, 10.0)
    for k in left:  # do not leave them running if the test fails
        os.kill(k, signal.SIGKILL)
    assert not left, f"workers {left} outlived their killed parent"
    _resume_and_check(out)


def test_an_exception_in_a_pool_kills_its_workers_instead_of_draining_the_queue():
    """numerics.pool for every pool (sweep, derive --check, the raf-gardner ladder): leaving the
    block by an exception must not wait for the queued tasks (each would take 10 minutes)."""
    from memgenkit.numerics.pool import worker_pool

    class Boom(Exception):
        pass
    t0 = time.monotonic()
    with pytest.raises(Boom):
        with worker_pool(2) as pool:
            futs = [pool.submit(time.sleep, 600) for _ in range(4)]
            pids = set(pool._processes)
            while not any(f.running() for f in futs):
                time.sleep(0.02)
            raise Boom
    assert time.monotonic() - t0 < 300  # generous: the tasks alone would take 20 minutes
    assert len(pids) == 2 and not _wait_gone(pids, 5.0)
    assert all(f.cancelled() or f.done() for f in futs)
