"""Result records of simulate and verify: one constructor, one writer.

A record is a JSON-able dict that says what produced it: the model, its parameters, the body
(what was measured), the status (a verify's verdict under ``status["verdict"]``), the derivation
hash of the equations the theory side solved, and the versions of the toolchain.

Conventions (those of numerics/results.py): NaN becomes null, +-inf the strings "inf" / "-inf",
numpy scalars and arrays plain Python numbers and lists, tuples lists; the file is written with
``allow_nan=False``, so a record that is not strict JSON cannot be written.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from . import kernels
from .errors import InputError
from .results import _clean as _clean_scalar


def clean(v):
    """``v`` as strict JSON values (see the module docstring); dict keys become strings."""
    if isinstance(v, dict):
        return {str(k): clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [clean(x) for x in v]
    if hasattr(v, "tolist") and getattr(v, "ndim", 0) > 0:  # numpy arrays (.item() needs size 1)
        return clean(v.tolist())
    if isinstance(v, Path):
        return str(v)
    return _clean_scalar(v)


def make_record(model, params: dict, status: dict, **body) -> dict:
    """The record of ``model`` at ``params``: {"model", "params", **body, "status",
    "derivation_hash", "versions"} (in that order), cleaned to strict JSON. ``body`` holds what
    was measured (sizes, seeds, per-N rows, fits, ...); its keys must not be the five above."""
    clash = {"model", "params", "status", "derivation_hash", "versions"} & set(body)
    if clash:
        raise TypeError(f"make_record: body keys {sorted(clash)} are set by make_record itself")
    return clean({"model": model.name, "params": dict(params), **body, "status": dict(status),
                  "derivation_hash": model.derivation_hash, "versions": kernels.versions()})


def write_record(record: dict, out_dir, tag: str, *, option: str = "--out-dir") -> Path:
    """Write ``record`` to ``out_dir/tag.json`` and return the path.

    ``out_dir`` is created when its parent exists (numerics.params.check_output_dir: a typo must
    not grow a tree of folders); a missing parent or an unwritable folder raises InputError
    naming ``option``. The file is replaced atomically (written to a temporary file in the same
    folder, then os.replace), so a reader never sees half a record and an interrupted write
    leaves the old file."""
    from .params import check_output_dir
    if not tag or "/" in tag or os.sep in tag or tag in (".", ".."):
        raise InputError(f"record tag {tag!r} is not a file name")
    out = check_output_dir(out_dir, option)
    # strict JSON before anything touches the disk (ValueError on NaN: a bug, not bad input)
    text = json.dumps(clean(record), indent=1, allow_nan=False)
    path = out / f"{tag}.json"
    tmp = None
    try:
        out.mkdir(exist_ok=True)
        # os.open with 0o666 (not mkstemp's 0o600): the record gets the umask's usual mode
        tmp = out / f".{tag}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise InputError(f"{option} '{out_dir}': cannot write {path.name}: "
                         f"{e.strerror or e}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return path
