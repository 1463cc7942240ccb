"""The Reproducibility chapter: how long each profile took, read from its records."""

from __future__ import annotations

import pandas as pd

from ..records import load_records


def edition_times(results) -> pd.DataFrame:
    """Per profile with records: runs, the machine they ran on, the total training time and
    the median time of one run (minutes). A fused group's wall time is shared by its seeds."""
    runs = load_records(results)
    if not len(runs):
        return pd.DataFrame()
    runs = runs[runs["status"] == "ok"].copy()
    group = runs["prov_fused_seeds"].fillna(1) if "prov_fused_seeds" in runs else 1
    runs["minutes"] = runs["prov_wall_seconds"] / group / 60
    out = runs.groupby("profile").agg(
        runs=("seed", "size"), machine=("prov_device_name", lambda d: ", ".join(sorted(set(d)))),
        hours=("minutes", lambda m: m.sum() / 60), minutes_per_run=("minutes", "median"))
    return out.round({"hours": 1, "minutes_per_run": 1})
