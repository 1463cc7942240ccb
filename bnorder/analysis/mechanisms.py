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
from .robustness import robustness_table
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


def first_block_over_training(load, arms: dict[str, tuple[str, str]], arch: str = "mlp") -> pd.DataFrame:
    """Per arm (label -> (profile, block)) and epoch: the share of first-block units whose
    activation input is negative for every probe image, mean and range over seeds (percent)."""
    rows = []
    for label, (profile, block) in arms.items():
        runs = completed(load(profile))
        if not len(runs):
            continue
        plain = runs["first_block"].fillna("") == "" if "first_block" in runs else True
        for _, r in runs[(runs["arch"] == arch) & (runs["block"] == block) & plain].iterrows():
            for e in r["history"] or []:
                if e.get("diagnostics"):
                    rows.append({"arm": label, "seed": r["seed"], "epoch": e["epoch"],
                                 "percent": 100 * e["diagnostics"]["blocks"][0]["dead_frac"]})
    frame = pd.DataFrame(rows, columns=["arm", "seed", "epoch", "percent"])
    return frame.groupby(["arm", "epoch"], as_index=False).agg(
        seeds=("seed", "nunique"), mean=("percent", "mean"), low=("percent", "min"),
        high=("percent", "max"))


LR_VARIANTS = {"lr1e-4": 1e-4, "lr3e-4": 3e-4, "(base)": 1e-3, "lr3e-3": 3e-3}


def dose_response(results, base: str) -> pd.DataFrame:
    """The position effect (BatchNorm after − before, mlp) at each learning rate, and with the
    cosine schedule, from the base profile and its one-knob variants."""
    table = robustness_table(results, base, "final_test_acc", "mlp")
    columns = ["variant", "lr", "n", "position_mean", "position_lo", "position_hi"]
    keep = table[table["variant"].isin([*LR_VARIANTS, "cosine"]) & (table["status"] == "ok")].copy()
    keep["lr"] = keep["variant"].map(LR_VARIANTS)
    return keep.reindex(columns=columns)


CNN_STEP_PROFILES = {f"{CNN_CONVERGED_PROFILE}-lr3e-4": 3e-4, CNN_CONVERGED_PROFILE: 1e-3, f"{CNN_CONVERGED_PROFILE}-lr3e-3": 3e-3,
                     f"{CNN_CONVERGED_PROFILE}-cosine": None}


def cnn_dose_response(results) -> pd.DataFrame:
    """The converged CNN's order effect (relu-bn − bn-relu, paired by seed as every prediction
    is, :func:`bnorder.analysis.predictions.contrast`) per learning rate (``lr`` None: the cosine schedule
    from 10⁻³); profiles without two paired seeds are left out."""
    rows = []
    for profile, lr in CNN_STEP_PROFILES.items():
        v = predictions.contrast({"metric": "final_test_acc", "arch": "cnn",
                                    "arm": {"profile": profile, "block": "relu-bn"},
                                    "base": {"profile": profile, "block": "bn-relu"}}, load=loader(results))
        if v.n >= 2:
            rows.append({"profile": profile, "lr": lr, "n": v.n, "position_mean": v.mean,
                         "position_lo": v.low, "position_hi": v.high})
    return pd.DataFrame(rows, columns=["profile", "lr", "n", "position_mean", "position_lo", "position_hi"])


# ------------------------------------------------------------------ predictions

def outcome_changes(results, table: pd.DataFrame, first=range(10)) -> list[str]:
    """The predictions without named seeds whose outcome on seeds ``first`` alone differs from
    their outcome on every paired seed (the replication added seeds to some of their arms)."""
    changed = []
    for p in predictions.load_predictions():
        if p.get("seeds") is not None:
            continue
        alone = predictions.judge({**p, "seeds": list(first)}, load=loader(results))
        row = table[table["id"] == p["id"]]
        if len(row) and alone["n"] >= 2 and alone["outcome"] != row.iloc[0]["outcome"]:
            changed.append(p["id"])
    return changed


def judged(results) -> pd.DataFrame:
    """Every prediction of ``book/predictions.yml`` judged on the records under ``results``."""
    return predictions.judge_all(load=loader(results))
