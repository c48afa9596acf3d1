"""numerics.pool's start window: a Ctrl-C that comes while workers are being created is held
and acted on right after (not lost), and what is created meanwhile starts with SIGINT blocked."""
import os
import signal
import subprocess
import sys
import threading

import pytest

from memgenkit.numerics.pool import _spawning

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals and masks")

_PROBE = "import signal; print(int(signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])))"


def _sigint_blocked_here():
    return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_a_ctrl_c_inside_the_window_is_held_then_raised_and_children_start_blocked():
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set from the main thread only")
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("this process does not take Ctrl-C (started with SIGINT ignored)")
    before = _sigint_blocked_here()
    reached = False
    with pytest.raises(KeyboardInterrupt):
        with _spawning():
            child = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True,
                                   text=True, check=True)
            os.kill(os.getpid(), signal.SIGINT)
            reached = True  # not interrupted inside: the creation of a worker is never cut
    assert reached
    assert child.stdout.strip() == "1"  # inherited blocked: a worker importing does not act
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert _sigint_blocked_here() == before
