"""Test-session thread limits: BLAS, OpenMP and numba run with ``MEMGEN_TEST_THREADS`` threads
(default 1).

Why: no test may depend on the thread count (every check is a certificate or a tolerance that
holds for any summation order), so the count is free to choose, and one thread is much the
fastest on a small shared machine: OpenBLAS and numba workers spin while they wait for a core,
and on a loaded 2-core machine one cross-entropy verdict test took 64 s with the default two
threads against 2 s with one.  ``MEMGEN_TEST_THREADS=2 python -m pytest`` runs the suite
threaded (it passes that way too).  The variables are set before numpy, scipy or numba are
imported by a test module, and are inherited by the subprocesses and process pools that tests
start.
"""
import os

_N = os.environ.get("MEMGEN_TEST_THREADS", "1")
if not _N.isdigit() or int(_N) < 1:
    raise ValueError(f"MEMGEN_TEST_THREADS must be a positive integer, got {_N!r}")
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = _N

# in case a plugin imported them before this file: limit the live thread pools as well
import numba  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(int(_N))
numba.set_num_threads(min(int(_N), numba.config.NUMBA_NUM_THREADS))
