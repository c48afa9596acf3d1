"""The on-disk kernel cache: keyed, concurrent-safe, clearable."""
import os
import subprocess
import sys

from memgenkit.numerics import kernels

CODE = ("from memgenkit.numerics import api; r = api.solve('raf-gardner', alpha=1.0, eps=0.2); "
        "print(r.order_params['q'])")


def test_concurrent_cold_start_and_clear(tmp_path):
    env = dict(os.environ, MEMGEN_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([sys.executable, "-c", CODE], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    values = {o[0].strip() for o in outs}
    assert len(values) == 1  # identical results from every process
    dirs = list((tmp_path / "cache").iterdir())
    assert len(dirs) == 1 and (dirs[0] / "COMPILED").exists()
    assert any((dirs[0] / "__pycache__").glob("*.nbi"))  # numba index files were written
    p = subprocess.run([sys.executable, "-m", "memgenkit.numerics.cli", "cache", "clear"],
                       env=env, capture_output=True, text=True)
    assert p.returncode == 0 and not (tmp_path / "cache").exists()


def test_cache_key_names_the_toolchain():
    v = kernels.versions()
    assert set(v) == {"memgenkit", "numba", "numpy", "python"}
    assert len(kernels.cache_key("raf_gardner")) == 16
