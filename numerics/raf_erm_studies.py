"""Studies built on raf-erm and raf-bayes: the (eps_gen, eps_mem) trade-off frontier as the ridge
varies, large-alpha rates, and an (alpha, eps) phase diagram. Every curve keeps only converged
points (non-converged ones are listed, never drawn through).

Run: python -m memgenkit.numerics.raf_erm_studies [frontier|rates|phase] [--out DIR]
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from . import api

LEARNERS = {  # label -> raf-erm parameters (beyond alpha, eps, lam)
    "ridge (linear, square)": dict(loss="square"),
    "linear hinge": dict(loss="hinge"),
    "linear logistic": dict(loss="logistic"),
    "kernel ridge (relu)": dict(loss="square", activation="relu"),
    "kernel SVM (relu)": dict(loss="hinge", activation="relu"),
    "kernel ridge (sign)": dict(loss="square", activation="sign"),
}


def frontier(alpha=2.0, eps=0.2, lams=None, learners=None) -> dict:
    """(eps_gen, eps_mem) along lam for each learner, and the Bayes-optimal eps_gen."""
    lams = np.logspace(-4, 2, 61) if lams is None else np.asarray(lams)
    out = {"alpha": alpha, "eps": eps, "lams": lams.tolist(),
           "bayes_eps_gen": api.solve("raf-bayes", alpha=alpha, eps=eps)["eps_gen"],
           "curves": {}}
    for label, extra in (learners or LEARNERS).items():
        rows, bad = [], []
        for lam in lams:
            r = api.solve("raf-erm", dict(extra, alpha=alpha, eps=eps, lam=float(lam)))
            if r.converged:
                rows.append([float(lam), r["eps_gen"], r["eps_mem"], r["eps_train_rule"]])
            else:
                bad.append(float(lam))
        best = min(rows, key=lambda row: row[1]) if rows else None
        out["curves"][label] = {"lam_eps_gen_eps_mem_eps_train_rule": rows,
                                "unconverged_lams": bad, "best_eps_gen": best}
    return out


def plot_frontier(data, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for label, c in data["curves"].items():
        rows = np.array(c["lam_eps_gen_eps_mem_eps_train_rule"])
        if len(rows):
            ax.plot(rows[:, 2], rows[:, 1], ".-", ms=3, label=label)
    ax.axhline(data["bayes_eps_gen"], color="k", ls="--", lw=1, label="Bayes-optimal eps_gen")
    ax.set_xlabel("eps_mem (training facts misclassified)")
    ax.set_ylabel("eps_gen (fresh rule samples)")
    ax.set_title(f"trade-off along lam, alpha={data['alpha']:g}, eps={data['eps']:g}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)


def rates(eps=0.2, alphas=None) -> dict:
    """Fitted exponent and constant of eps_gen ~ C alpha^-b at large alpha: Bayes-optimal, ridge
    at its optimal lam, and hinge / kernel ridge at lam = 1 (a fixed ridge)."""
    alphas = np.logspace(2, 3.5, 7) if alphas is None else np.asarray(alphas)
    series = {"bayes": [api.solve("raf-bayes", alpha=a, eps=eps)["eps_gen"] for a in alphas]}
    lam_opt = math.pi / (2 * (1 - eps) ** 2) - 1 if eps < 1 else 1.0  # square-loss optimum
    for label, extra in (("ridge (optimal lam)", dict(loss="square", lam=lam_opt)),
                         ("linear hinge, lam=1", dict(loss="hinge", lam=1.0)),
                         ("kernel ridge relu, lam=1", dict(loss="square", lam=1.0,
                                                          activation="relu"))):
        vals = []
        for a in alphas:
            r = api.solve("raf-erm", dict(extra, alpha=float(a), eps=eps))
            vals.append(r["eps_gen"] if r.converged else math.nan)
        series[label] = vals
    fits = {}
    for k, v in series.items():
        v = np.asarray(v)
        ok = np.isfinite(v)
        b, logc = np.polyfit(np.log(alphas[ok]), np.log(v[ok]), 1)
        fits[k] = {"exponent": float(-b), "constant": float(math.exp(logc))}
    return {"eps": eps, "alphas": alphas.tolist(), "series": series, "fits": fits}


def phase(learner=None, alphas=None, epss=None, mem_threshold=0.05, gen_gap=0.02) -> dict:
    """(alpha, eps) grid: memorized (eps_mem < threshold) and generalized (eps_gen within gen_gap
    of Bayes) for one learner at its eps_gen-optimal lam; non-converged cells are None."""
    learner = learner or dict(loss="square", activation="relu")
    alphas = np.linspace(0.5, 6, 12) if alphas is None else alphas
    epss = np.linspace(0.05, 0.6, 12) if epss is None else epss
    grid = []
    for e in epss:
        row = []
        for a in alphas:
            o = api.optimize("raf-erm", dict(learner, alpha=float(a), eps=float(e)),
                             minimize="eps_gen", over="lam")
            if not o["converged"]:
                row.append(None)
                continue
            obs = o["solution"]["observables"]
            bayes = api.solve("raf-bayes", alpha=float(a), eps=float(e))["eps_gen"]
            row.append({"lam": o["argmin"], "eps_gen": obs["eps_gen"], "eps_mem": obs["eps_mem"],
                        "memorized": obs["eps_mem"] < mem_threshold,
                        "generalized": obs["eps_gen"] - bayes < gen_gap})
        grid.append(row)
    return {"learner": learner, "alphas": list(map(float, alphas)),
            "epss": list(map(float, epss)), "mem_threshold": mem_threshold, "gen_gap": gen_gap,
            "grid": grid}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("study", choices=["frontier", "rates", "phase"])
    ap.add_argument("--out", default="memgen-out")
    a = ap.parse_args(argv)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if a.study == "frontier":
        d = frontier()
        print("figure:", plot_frontier(d, out / "raf-erm-frontier.png"))
        for k, c in d["curves"].items():
            b = c["best_eps_gen"]
            print(f"  {k:<26} best eps_gen {b[1]:.5f} at lam {b[0]:.3g} (eps_mem {b[2]:.4f})"
                  if b else f"  {k}: no converged point")
        print(f"  Bayes-optimal eps_gen {d['bayes_eps_gen']:.5f}")
    elif a.study == "rates":
        d = rates()
        for k, f in d["fits"].items():
            print(f"  {k:<26} eps_gen ~ {f['constant']:.4g} alpha^-{f['exponent']:.4f}")
    else:
        d = phase()
        for e, row in zip(d["epss"], d["grid"]):
            print(f"  eps={e:.3f} " + "".join(
                "." if c is None else ("B" if c["memorized"] and c["generalized"] else
                                       "M" if c["memorized"] else
                                       "G" if c["generalized"] else "-") for c in row))
        print("  B: both, M: facts memorized only, G: rule generalized only, -: neither")
    path = out / f"raf-erm-{a.study}.json"
    path.write_text(json.dumps(d, indent=1, allow_nan=False, default=float))
    print("data:", path)


if __name__ == "__main__":
    main()
