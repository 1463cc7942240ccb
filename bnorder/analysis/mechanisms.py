"""What the Mechanisms chapter measures, as tables: dead units per layer, the centred-input
arms, and late-epoch volatility per profile (per run: :func:`bnorder.analysis.measures.volatility`;
its one definition: :func:`bnorder.analysis.stats.late_volatility`). :mod:`bnorder.report.mechanisms` draws them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..runs.profiles import CNN_CONVERGED_PROFILE, match_profiles
from ..runs.records import completed
from . import predictions
from .measures import volatility
from .pooling import loader


def unit_states(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (arch, block, layer), over seeds: the share of units whose activation input is
    negative for every probe image at the last epoch. For ReLU these units are dead (zero
    output, zero gradient); LeakyReLU units in that state still pass 1% of the gradient, so
    they are reported as ``always_negative`` and never as dead."""
    rows = []
    for _, r in completed(runs).iterrows():
        diags = [e["diagnostics"] for e in r["history"] if e.get("diagnostics")]
        if not diags:
            continue
        act = "lrelu" if "lrelu" in r["block"] else "relu"
        for i, b in enumerate(diags[-1]["blocks"]):
            rows.append({"arch": r["arch"], "block": r["block"], "seed": r["seed"], "layer": i + 1,
                         "activation": act, "always_negative": b["dead_frac"],
                         "dead": b["dead_frac"] if act == "relu" else 0.0})
    frame = pd.DataFrame(rows, columns=["arch", "block", "seed", "layer", "activation",
                                        "always_negative", "dead"])
    return frame.groupby(["arch", "block", "layer", "activation"], as_index=False)[
        ["always_negative", "dead"]].mean()


CENTRING_ARMS = {"study's scaling": "why-bn-eval", "centred inputs": "why-centred-input"}


READINGS = {"running statistics": "final_test_acc", "precise statistics": "final_test_acc_precise"}


def centring_table(results, seeds=range(10), blocks=("bn-relu", "relu-bn")) -> pd.DataFrame:
    """Test accuracy (mean over ``seeds``) of ``blocks`` with the study's input scaling and with
    centred inputs, read with BatchNorm's running and with precise statistics: rows input x
    reading, columns block, and the order effect (relu-bn − bn-relu)."""
    rows = []
    for inputs, profile in CENTRING_ARMS.items():
        runs = completed(loader(results)(profile))
        for reading, metric in READINGS.items():
            row = {"inputs": inputs, "reading": reading}
            for block in blocks:
                values = predictions.arm_values(runs, {"block": block}, metric, "mlp") if len(runs) else pd.Series(dtype=float)
                values = values[values.index.isin(list(seeds))]
                row[block] = values.mean() if len(values) else np.nan
                row[f"{block} seeds"] = int(values.notna().sum())
            rows.append(row)
    table = pd.DataFrame(rows).set_index(["inputs", "reading"])
    if {"bn-relu", "relu-bn"} <= set(blocks):
        table["relu-bn − bn-relu"] = table["relu-bn"] - table["bn-relu"]
    return table


# The profiles that read every epoch with running and precise statistics and change no block:
# the MLP of why-bn-eval, and the converged CNN with each of its one-knob arms.
STABILITY_PROFILES = ("why-bn-eval", *match_profiles(f"{CNN_CONVERGED_PROFILE}*"))


def stability_table(results) -> pd.DataFrame:
    """Per profile (the runs that recorded BatchNorm's readings every epoch) and block: the
    late-epoch volatility of test accuracy with running and with precise statistics (points
    per epoch, means over seeds)."""
    parts = []
    for profile in STABILITY_PROFILES:
        runs = loader(results)(profile)
        if not len(completed(runs)):
            continue
        vol = volatility(completed(runs))
        parts.append(vol.groupby(["arch", "block"], as_index=False).agg(
            seeds=("seed", "nunique"), running=("test_volatility", "mean"),
            precise=("test_volatility_precise", "mean")).assign(profile=profile))
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out.set_index(["profile", "arch", "block"]).round(2)
