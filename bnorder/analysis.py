"""From run records to the tables the analysis chapters show.

    factorial_contrasts   per seed: the effect of the *position* of BatchNorm (after minus
                          before the activation, averaged over ReLU and LeakyReLU), the effect of
                          the *activation* (LeakyReLU minus ReLU, averaged over both positions),
                          and their interaction; the original study's case 3 vs case 1 mixes the
                          first two
    effects_table         those contrasts summarized with CIs and Holm-corrected p-values
    diagnostics_frame     the per-epoch mechanism measurements as one long table
    volatility            epoch-to-epoch movement of validation and test accuracy per run
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats

BEFORE = {"relu": "bn-relu", "lrelu": "bn-lrelu"}   # BatchNorm before the activation
AFTER = {"relu": "relu-bn", "lrelu": "lrelu-bn"}    # BatchNorm after the activation

CONTRASTS = {
    "position (BN after − BN before)":
        lambda v: ((v["relu-bn"] - v["bn-relu"]) + (v["lrelu-bn"] - v["bn-lrelu"])) / 2,
    "activation (LeakyReLU − ReLU)":
        lambda v: ((v["bn-lrelu"] - v["bn-relu"]) + (v["lrelu-bn"] - v["relu-bn"])) / 2,
    "interaction":
        lambda v: (v["lrelu-bn"] - v["bn-lrelu"]) - (v["relu-bn"] - v["bn-relu"]),
    "original case 3 − case 1 (both changed)":
        lambda v: v["lrelu-bn"] - v["bn-relu"],
}


def by_seed(runs: pd.DataFrame, value: str, arch: str) -> pd.DataFrame:
    """One row per seed, one column per block: the paired layout of the design."""
    ok = runs[(runs["arch"] == arch) & (runs["status"] == "ok")]
    return ok.pivot_table(index="seed", columns="block", values=value, aggfunc="first")


def factorial_contrasts(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per (arch, seed) the four contrasts of :data:`CONTRASTS` (seeds with all four cells)."""
    rows = []
    for arch in sorted(runs["arch"].unique()):
        wide = by_seed(runs, value, arch)
        if not set(BEFORE.values()) | set(AFTER.values()) <= set(wide.columns):
            continue
        wide = wide.dropna(subset=[*BEFORE.values(), *AFTER.values()])
        for name, contrast in CONTRASTS.items():
            for seed, c in contrast(wide).items():
                rows.append({"arch": arch, "contrast": name, "seed": seed, "value": c})
    return pd.DataFrame(rows, columns=["arch", "contrast", "seed", "value"])


def effects_table(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Each contrast per arch: mean over seeds, 95% bootstrap CI, Hedges' g, exact paired
    permutation p-value, and Holm-adjusted p across every contrast in the table."""
    contrasts = factorial_contrasts(runs, value)
    rows = []
    for (arch, name), g in contrasts.groupby(["arch", "contrast"], sort=False):
        d = stats.paired_difference(g["value"].to_numpy(), np.zeros(len(g)))
        rows.append({"arch": arch, "contrast": name, **d})
    out = pd.DataFrame(rows)
    if len(out):
        out["p_holm"] = stats.holm(out["p"].to_numpy())
    return out


def diagnostics_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per (run, epoch, layer index, metric) of the probe diagnostics."""
    rows = []
    keys = ["profile", "dataset", "arch", "block", "seed"]
    for _, r in runs.iterrows():
        for e in r["history"]:
            d = e.get("diagnostics")
            if not d:
                continue
            base = {**{k: r[k] for k in keys}, "epoch": e["epoch"]}
            for i, b in enumerate(d["blocks"]):
                rows += [{**base, "layer": i + 1, "metric": m, "value": v} for m, v in b.items()]
            for i, l in enumerate(d["layers"]):
                rows += [{**base, "layer": i + 1, "metric": m, "value": v} for m, v in l.items()]
            rows += [{**base, "layer": 0, "metric": f"bn_{m}", "value": v} for m, v in d["bn_mode"].items()]
    return pd.DataFrame(rows, columns=[*keys, "epoch", "layer", "metric", "value"])


def volatility(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run: mean absolute epoch-to-epoch change of validation and test accuracy (points)."""
    rows = []
    for _, r in runs[runs["status"] == "ok"].iterrows():
        h = pd.DataFrame(r["history"])
        row = {k: r[k] for k in ("arch", "block", "seed")}
        for split in ("val", "test"):
            acc = h[f"{split}_acc"].dropna()
            row[f"{split}_volatility"] = acc.diff().abs().mean() if len(acc) > 1 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
