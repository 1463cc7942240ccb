"""What the probe measured in each run, one row per run: the mechanism measurements the book
tests (:func:`run_measures`) and the late-epoch volatility of its accuracy (:func:`volatility`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats


def volatility(runs: pd.DataFrame) -> pd.DataFrame:
    """Per completed run: late-epoch volatility (:func:`bnorder.analysis.stats.late_volatility`)
    of validation and test accuracy read with BatchNorm's running statistics, and of test
    accuracy read with precise statistics where the run recorded them (points per epoch)."""
    rows = []
    for _, r in runs[runs["status"] == "ok"].iterrows():
        history = r["history"] or []
        epochs = [e["epoch"] for e in history]
        row = {k: r[k] for k in ("arch", "block", "seed")}
        for split in ("val", "test"):
            row[f"{split}_volatility"] = stats.late_volatility(epochs, [e.get(f"{split}_acc") for e in history])
        row["test_volatility_precise"] = stats.late_volatility(
            epochs, [e.get("bn_eval", {}).get("test_acc_precise") for e in history])
        rows.append(row)
    return pd.DataFrame(rows, columns=["arch", "block", "seed", "val_volatility", "test_volatility",
                                       "test_volatility_precise"])


def run_measures(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per completed run with the mechanism measurements the book tests, each averaged
    over the run's order-carrying layers:

    ``out_mean_first``/``out_mean`` (mean of what the next layer receives, first/last epoch),
    ``dead_frac`` (last epoch), ``grad_norm``, ``weight_norm``, ``eff_step`` (last epoch),
    ``weight_growth`` (weight norm last epoch / first epoch), ``bn_gap`` (train-mode minus
    eval-mode accuracy on the held-out probe, last epoch), ``bn_gap_abs_mean`` (mean absolute gap
    over epochs), ``hessian_top_eig``, ``train_loss_first``, ``final_train_loss``,
    ``val_volatility`` and ``test_volatility`` (:func:`volatility`). Runs without diagnostics
    get NaN for the diagnostic columns."""
    ok = runs[runs["status"] == "ok"]
    vol = volatility(ok).set_index(["arch", "block", "seed"]) if len(ok) else None
    rows = []
    for _, r in ok.iterrows():
        h = r["history"]
        row = {k: r[k] for k in ("profile", "dataset", "arch", "block", "seed", "epochs")}
        row["train_loss_first"] = h[0]["train_loss"] if h else np.nan
        row["final_train_loss"] = h[-1]["train_loss"] if h else np.nan
        row["hessian_top_eig"] = r.get("hessian_top_eig", np.nan)
        diags = [e["diagnostics"] for e in h if e.get("diagnostics")]
        if diags:
            first, last = diags[0], diags[-1]
            row["out_mean_first"] = np.mean([b["mean"] for b in first["blocks"]])
            row["out_mean"] = np.mean([b["mean"] for b in last["blocks"]])
            row["dead_frac"] = np.mean([b["dead_frac"] for b in last["blocks"]])
            for m in ("grad_norm", "weight_norm", "eff_step"):
                row[m] = np.mean([layer[m] for layer in last["layers"]])
            row["weight_growth"] = (np.mean([l["weight_norm"] for l in last["layers"]])
                                    / np.mean([l["weight_norm"] for l in first["layers"]]))
            row["bn_gap"] = last["bn_mode"]["gap"]
            row["bn_gap_abs_mean"] = np.mean([abs(d["bn_mode"]["gap"]) for d in diags])
        key = (r["arch"], r["block"], r["seed"])
        if vol is not None and key in vol.index:
            row.update(vol.loc[key, ["val_volatility", "test_volatility"]].to_dict())
        rows.append(row)
    cols = ["profile", "dataset", "arch", "block", "seed", "epochs", "out_mean_first", "out_mean",
            "dead_frac", "grad_norm", "weight_norm", "eff_step", "weight_growth", "bn_gap",
            "bn_gap_abs_mean", "hessian_top_eig", "train_loss_first", "final_train_loss",
            "val_volatility", "test_volatility"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["status"] = "ok"
    return out
