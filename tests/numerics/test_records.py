"""numerics/records.py: the record constructor and the atomic writer."""
import json
import math
import os

import numpy as np
import pytest

from memgenkit.numerics import kernels
from memgenkit.numerics.errors import InputError
from memgenkit.numerics.records import clean, make_record, write_record


class _Model:
    name = "toy"
    derivation_hash = "abc123"


def test_make_record_has_the_provenance_keys_in_order():
    rec = make_record(_Model(), {"alpha": 0.5}, {"verdict": "PASS"}, Ns=[10, 20], seed=3)
    assert list(rec) == ["model", "params", "Ns", "seed", "status", "derivation_hash",
                         "versions"]
    assert rec["model"] == "toy" and rec["params"] == {"alpha": 0.5}
    assert rec["derivation_hash"] == "abc123" and rec["versions"] == kernels.versions()
    with pytest.raises(TypeError):
        make_record(_Model(), {}, {}, model="other")


def test_clean_makes_strict_json():
    rec = clean({"a": math.nan, "b": math.inf, "c": -math.inf, "d": np.float64(1.5),
                 "e": np.arange(3), "f": (np.int64(2), np.bool_(True)), 4: "key",
                 "g": np.array([1.0, math.nan])})
    assert rec == {"a": None, "b": "inf", "c": "-inf", "d": 1.5, "e": [0, 1, 2],
                   "f": [2, True], "4": "key", "g": [1.0, None]}
    json.dumps(rec, allow_nan=False)


def test_round_trip(tmp_path):
    rec = make_record(_Model(), {"x": np.float64(0.25)}, {"converged": True},
                      values=np.array([1.0, 2.0]), missing=math.nan)
    path = write_record(rec, tmp_path / "out", "verify-toy")
    assert path == tmp_path / "out" / "verify-toy.json"
    back = json.loads(path.read_text())
    assert back == rec and back["missing"] is None and back["values"] == [1.0, 2.0]
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["verify-toy.json"]  # no temp file


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = write_record({"v": 1}, tmp_path, "r")
    def fail(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InputError, match="cannot write r.json: No space left on device"):
        write_record({"v": 2}, tmp_path, "r")
    assert json.loads(path.read_text()) == {"v": 1}      # the old record, whole
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_nan_is_written_as_null_never_as_NaN(tmp_path):
    path = write_record({"x": float("nan"), "y": [float("inf")]}, tmp_path, "n")
    assert path.read_text().replace(" ", "").replace("\n", "") == '{"x":null,"y":["inf"]}'


def test_unwritable_or_missing_folders_are_one_line_input_errors(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="does not exist") as e:
        write_record({}, tmp_path / "no" / "such", "r")
    assert "\n" not in str(e.value) and not (tmp_path / "no").exists()
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        write_record({}, tmp_path / "f", "r")
    # the permission check of numerics.params (root can write anywhere, so it is simulated)
    from memgenkit.numerics import params
    monkeypatch.setattr(params, "_writable_dir", lambda d: False)
    with pytest.raises(InputError, match="--out-dir .* is not writable"):
        write_record({}, tmp_path, "r")
    with pytest.raises(InputError, match="not a file name"):
        write_record({}, tmp_path, "a/b")


def test_open_failure_is_an_input_error(tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(InputError, match="cannot write r.json: Permission denied"):
        write_record({}, tmp_path, "r")
    assert list(tmp_path.iterdir()) == []
