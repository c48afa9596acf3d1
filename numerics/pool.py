"""Worker processes that leave Ctrl-C to their parent and never outlive it.

Every process pool in memgenkit comes from :func:`worker_pool`. Its guarantees:

* Ctrl-C (SIGINT, sent by a terminal to the whole process group) is handled by the parent only:
  workers ignore it, so no worker prints a traceback, and the parent sees one
  KeyboardInterrupt. The workers are started together, at once, with SIGINT blocked, which
  they inherit, so a Ctrl-C while a worker is still importing is not acted on by it either
  (it stays pending until the worker ignores SIGINT, which discards it). A Ctrl-C or SIGTERM
  in the few milliseconds the parent takes to start them is held back and acted on right
  after, never lost.
  A process that starts with SIGINT ignored (a background job of a non-interactive shell,
  ``nohup``) keeps ignoring it, as Python and every POSIX program do, and so do its workers:
  such a run is ended by SIGTERM (``kill``), not Ctrl-C.
* Leaving the ``with`` block by an exception (KeyboardInterrupt included) cancels what has not
  started and kills the workers at once, instead of ``shutdown(wait=True)``, which runs every
  queued task first and so "hangs" for as long as the rest of the work takes.
* A worker dies with its parent even when the parent is killed with SIGKILL: on Linux the
  kernel sends it SIGKILL (``prctl(PR_SET_PDEATHSIG)``); elsewhere a watchdog thread in the
  worker exits when its parent process changes. (The kernel ties the signal to the thread that
  started the worker; a pool lives inside one call of that thread, so this is the parent's
  lifetime.)
* While the pool is open, SIGTERM in the parent raises KeyboardInterrupt in the main thread, so
  ``kill`` ends a run the way Ctrl-C does (finished work kept, workers killed).

Start method: ``spawn``. Forking copies a parent that already runs threads (numba's threading
layer once a parallel kernel ran, OpenBLAS's, the executor's own manager thread), and a lock
held by one of them at fork time stays locked forever in the child: the classic fork deadlock,
which Python 3.12 warns about. ``spawn`` starts clean interpreters; the price is an import of
numpy, numba and the cached kernels in each worker (about a second), paid once per pool. It is
also the only start method on Windows and the default on macOS, so every platform runs the same
code. ``spawn`` also keeps the worker a direct child of the process that created it, which is
what the parent-death signal is tied to (with ``forkserver`` the parent would be the server).
"""
from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import ProcessPoolExecutor

START_METHOD = "spawn"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _arm_parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); False elsewhere."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int, interval: float = 0.5) -> None:
    def run():
        while os.getppid() == parent_pid:
            threading.Event().wait(interval)
        os._exit(1)
    threading.Thread(target=run, name="memgen-parent-watchdog", daemon=True).start()


def _init_worker(parent_pid: int, initializer, initargs) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # discards a Ctrl-C pending since the start
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by _spawning
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    armed = _arm_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        _watch_parent(parent_pid)
    if initializer is not None:
        initializer(*initargs)


@contextlib.contextmanager
def _spawning():
    """Processes started inside inherit SIGINT blocked (a signal mask survives exec, and Python
    keeps it), so a Ctrl-C while a worker imports stays pending in it until _init_worker
    ignores SIGINT, which discards it. In the parent meanwhile SIGINT and SIGTERM are held
    back (a handler records them; the main thread also blocks SIGINT, which is what the
    children inherit) and re-raised on exit, so neither interrupts the creation of a worker
    half way (which would leave a child that was started but never told what to run, and dies
    on a traceback), and neither is lost. Ignoring SIGINT in the parent instead would discard
    a Ctrl-C that came meanwhile. Blocking alone is not enough: a thread the parent did not
    create (OpenBLAS) may receive the signal, and Python then runs the handler in the main
    thread regardless of its mask. A SIGINT the process inherited ignored stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []

    def hold(signum, frame):
        held.append(signum)
    old_int = signal.getsignal(signal.SIGINT)
    catch_int = old_int not in (signal.SIG_IGN, None)  # None: a handler not set from Python
    masks = hasattr(signal, "pthread_sigmask")  # not on Windows
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masks else None
    if catch_int:
        signal.signal(signal.SIGINT, hold)
    old_term = signal.signal(signal.SIGTERM, hold)
    try:
        yield
    finally:
        if catch_int:
            signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
        if masks:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)  # a pending SIGINT acts here
        for signum in dict.fromkeys(held):
            signal.raise_signal(signum)


class WorkerPool(ProcessPoolExecutor):
    """A ProcessPoolExecutor with the guarantees of this module; create it with worker_pool()."""

    def __init__(self, max_workers: int, initializer=None, initargs=()):
        if os.name == "posix":
            # Started now, not lazily inside the first submit: starting it unblocks SIGINT and
            # SIGTERM (multiprocessing.resource_tracker), which would let a signal interrupt
            # the creation of a worker half way and leave it to die on a traceback.
            from multiprocessing import resource_tracker
            resource_tracker.ensure_running()
        super().__init__(max_workers=max_workers,
                         mp_context=multiprocessing.get_context(START_METHOD),
                         initializer=_init_worker,
                         initargs=(os.getpid(), initializer, tuple(initargs)))

    def start(self) -> None:
        """Start every worker now, in one short window (see _spawning) rather than one
        inside each of the first submits. Uses the executor's private launcher when present;
        otherwise the workers start lazily in submit, each in the same window."""
        launch = getattr(self, "_launch_processes", None)
        if launch is not None and getattr(self, "_executor_manager_thread", 1) is None:
            with _spawning():
                launch()

    def submit(self, fn, /, *args, **kwargs):
        procs = getattr(self, "_processes", None)
        if procs is not None and len(procs) >= self._max_workers:
            return super().submit(fn, *args, **kwargs)
        with _spawning():  # this submit may start a worker
            return super().submit(fn, *args, **kwargs)

    def kill(self, timeout: float = 5.0) -> None:
        """Cancel queued work, kill every worker, and wait (bounded) for them and the
        executor's manager thread to end. Uses the executor's private fields; each use is
        guarded so a change in them degrades to a plain shutdown(wait=False)."""
        procs = list((getattr(self, "_processes", None) or {}).values())
        thread = getattr(self, "_executor_manager_thread", None)  # shutdown() drops it
        call_queue = getattr(self, "_call_queue", None)
        if call_queue is not None:
            # Its feeder thread may be blocked writing to a pipe no worker will read again;
            # joining it at exit would hang.
            with contextlib.suppress(Exception):
                call_queue.cancel_join_thread()
        for p in procs:
            with contextlib.suppress(Exception):
                p.kill()
        self.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            with contextlib.suppress(Exception):
                p.join(timeout)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_interrupts():
    """While active (main thread only), SIGTERM raises KeyboardInterrupt like Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextlib.contextmanager
def worker_pool(workers: int, initializer=None, initargs=()):
    """``with worker_pool(n) as pool:`` a WorkerPool of ``n`` processes. A normal exit waits for
    submitted work (as ProcessPoolExecutor does); an exception kills the workers at once."""
    pool = WorkerPool(int(workers), initializer, initargs)
    try:
        with sigterm_interrupts():
            pool.start()
            yield pool
    except BaseException:
        pool.kill()
        raise
    if getattr(pool, "_executor_manager_thread", 1) is None:
        # Nothing was submitted: shutdown() would not even wait for the started workers, which
        # would then fail on their first read of the executor's (gone) queues.
        pool.kill()
    else:
        pool.shutdown(wait=True)
