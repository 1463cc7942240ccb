"""Rerun noise: the same configuration and seed trained more than once.

On one machine a configuration and seed reproduce their numbers bit for bit (the paired seeding
of :mod:`bnorder.train.single`; ``tests/test_train.py``). Two machines whose CPUs sum floats in another
order (another vector width, another kernel) start to differ in the last bit, and training
amplifies that: Adam's first steps turn gradients of pure rounding noise (a layer's bias right
before BatchNorm, which BatchNorm removes again) into steps of the full learning rate, and a
network's path through training is chaotic. A rerun elsewhere is then close to another draw of
the finer randomness, with the same initial weights and data order.

Records of one configuration hash (seed included) filed more than once measure it: every such
pair, the later minus the earlier, gives one rerun difference. Their standard deviation is the
rerun noise of a *difference between two runs*; it enters every pairing of runs that were trained
on different machines (a profile paired by seed with another profile trained in another session).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import stats


def rerun_pairs(runs: pd.DataFrame, metric: str = "final_test_acc") -> pd.DataFrame:
    """One row per configuration hash filed at least twice (completed runs): its arch, block,
    seed, the two profiles and the later run's ``metric`` minus the earlier's (by start time)."""
    cols = ["arch", "block", "seed", "earlier", "later", "difference", "config_hash"]
    if runs.empty:
        return pd.DataFrame(columns=cols)
    ok = runs[runs["status"] == "ok"].copy()
    started = ok["prov_started_utc"] if "prov_started_utc" in ok else pd.Series("", index=ok.index)
    ok["started"] = started.fillna("")
    rows = []
    for _, group in ok.groupby("config_hash"):
        if len(group) < 2:
            continue
        group = group.sort_values(["started", "profile"])
        first, second = group.iloc[0], group.iloc[1]
        rows.append({"arch": first["arch"], "block": first["block"], "seed": int(first["seed"]),
                     "earlier": first["profile"], "later": second["profile"],
                     "difference": float(second[metric] - first[metric]),
                     "config_hash": first["config_hash"]})
    return pd.DataFrame(rows, columns=cols)


def rerun_noise(pairs: pd.DataFrame) -> dict:
    """Of the rerun differences: how many, their mean with its 95% interval, their standard
    deviation (the noise of a difference between two runs) and that of one run (SD / sqrt 2)."""
    d = pairs["difference"].to_numpy(float)
    if d.size < 2:
        return {"n": int(d.size), "mean": float(d.mean()) if d.size else math.nan,
                "low": math.nan, "high": math.nan, "sd_difference": math.nan, "sd_run": math.nan}
    low, high = stats.mean_interval(d, method="t")
    sd = float(np.std(d, ddof=1))
    return {"n": int(d.size), "mean": float(d.mean()), "low": low, "high": high,
            "sd_difference": sd, "sd_run": sd / math.sqrt(2)}
