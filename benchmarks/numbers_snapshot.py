"""Every model's numbers at fixed points, for checking that a refactor leaves them unchanged.

    python benchmarks/numbers_snapshot.py > before.json      # on the old tree
    python benchmarks/numbers_snapshot.py --compare before.json   # on the new tree

The comparison passes when every saddle point, observable and boundary agrees to 1e-10
(relative, or absolute below 1) and every status (converged, message) is the same. This is a
refactoring guard, not a test of correctness: the values it compares come from the code itself.
"""
from __future__ import annotations

import json
import math
import sys

POINTS = [
    ("solve", "raf-gardner", dict(alpha=1.5, eps=0.3)),
    ("solve", "raf-gardner", dict(alpha=0.7, eps=0.1, kappa=0.4)),
    ("boundary", "raf-gardner", dict(eps=0.5)),
    ("boundary", "raf-gardner", dict(eps=0.2, kappa=0.5)),
    ("boundary", "raf-gardner", dict(eps=1.0, kappa=0.0)),
    ("solve", "raf-erm", dict(alpha=2, eps=0.2, lam=0.1, loss="hinge")),
    ("solve", "raf-erm", dict(alpha=2, eps=0.2, lam=0.1, loss="logistic")),
    ("solve", "raf-erm", dict(alpha=3, eps=0.1, lam=0.5, loss="square", mu1=0.8, mustar=0.4)),
    ("solve", "raf-erm", dict(alpha=2, eps=0.2, lam=1e-3, loss="hinge", activation="relu")),
    ("solve", "raf-bayes", dict(alpha=2, eps=0.2)),
    ("solve", "raf-bayes", dict(alpha=0.5, eps=0.6)),
    ("solve", "raf-rf", dict(alpha=2, psi=3, eps=0.2, lam=0.1, activation="relu")),
    ("solve", "raf-rf", dict(alpha=1, psi=0.5, eps=0.4, lam=1.0)),
    ("solve", "hopfield-ags", dict(alpha=0.05)),
    ("solve", "hopfield-ags", dict(alpha=0.12)),
    ("boundary", "hopfield-ags", dict()),
    ("solve", "hopfield-snr", dict(N=2000, alpha=1)),
    ("solve", "ti-krr", dict(n=8, c=0.3, lam=0.1, exceptions="5>3")),
    ("boundary", "ti-krr", dict(n=8, lam=0, exceptions="5>3")),
    ("solve", "composition", dict(a=1.5, sigma=0.05)),
]


def _flat(prefix, obj, out):
    if isinstance(obj, dict):
        for k, v in obj.items():
            _flat(f"{prefix}.{k}", v, out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            _flat(f"{prefix}[{i}]", v, out)
    else:
        out[prefix] = obj


def snapshot():
    from memgenkit.numerics import api
    rows = {}
    for verb, model, params in POINTS:
        r = getattr(api, verb)(model, **params)
        d = r.to_dict() if hasattr(r, "to_dict") else dict(r)
        keep = {k: d.get(k) for k in ("order_params", "observables")}
        st = d.get("status", {})
        keep["status"] = {k: st.get(k) for k in ("converged", "message")}
        flat = {}
        _flat("", keep, flat)
        rows[f"{verb} {model} {json.dumps(params, sort_keys=True)}"] = flat
    return rows


def compare(old, new, tol=1e-10):
    bad = []
    for key, vals in old.items():
        if key not in new:
            bad.append(f"{key}: missing")
            continue
        for k, v in vals.items():
            w = new[key].get(k, "<missing>")
            if isinstance(v, float) and isinstance(w, (int, float)):
                if math.isnan(v) and math.isnan(w):
                    continue
                if not abs(v - w) <= tol * max(1.0, abs(v)):
                    bad.append(f"{key} {k}: {v!r} -> {w!r}")
            elif v != w:
                bad.append(f"{key} {k}: {v!r} -> {w!r}")
    return bad


if __name__ == "__main__":
    snap = snapshot()
    if len(sys.argv) > 2 and sys.argv[1] == "--compare":
        with open(sys.argv[2]) as f:
            bad = compare(json.load(f), snap)
        print("\n".join(bad) if bad else f"unchanged: {sum(map(len, snap.values()))} numbers "
              f"at {len(snap)} points agree to 1e-10")
        sys.exit(1 if bad else 0)
    json.dump(snap, sys.stdout, indent=1, sort_keys=True)
