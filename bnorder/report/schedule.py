"""A worse optimum or volatility? The converged CNN's order effect at a constant learning rate
and with the cosine schedule, on the same seeds.

At a constant learning rate Adam keeps moving the weights until the last step, so the final
epoch's accuracy carries epoch-to-epoch noise; the cosine schedule takes the step size to zero,
and that noise with it. An order effect that stays under the cosine schedule is one of where the
training ends (a worse optimum); one that goes with the volatility was made of it.
"""

from __future__ import annotations

import pandas as pd

from .. import predictions
from .deficit import READINGS
from ..findings import loader

# Schedule -> profile of the converged CNN trained with it (same network, data, epochs, seeds).
SCHEDULES = {"constant": "cnn-converged", "cosine": "cnn-converged-cosine"}
VOLATILITY = {"running statistics": "late_volatility", "precise statistics": "late_volatility_precise"}


def common_seeds(results, blocks=("bn-relu", "relu-bn")) -> list[int]:
    """The seeds for which every schedule has a completed run of every block in ``blocks``."""
    seeds = None
    for profile in SCHEDULES.values():
        runs = loader(results)(profile)
        for block in blocks:
            have = set(predictions.arm_values(runs, {"block": block}, "final_test_acc", "cnn").dropna().index)
            seeds = have if seeds is None else seeds & have
    return sorted(seeds or [])


def _spec(profile: str, metric: str, seeds: list[int], arm: str, base: str) -> dict:
    """``arm`` − ``base`` within one profile on the given seeds, as :mod:`bnorder.predictions` reads it."""
    return {"id": f"{profile}-{arm}-{base}", "arch": "cnn", "metric": metric, "seeds": seeds,
            "arm": {"profile": profile, "block": arm}, "base": {"profile": profile, "block": base}}


def schedule_table(results, arm: str = "relu-bn", base: str = "bn-relu") -> pd.DataFrame:
    """Per schedule and BatchNorm reading, on the seeds both schedules share: ``arm`` − ``base``
    final test accuracy (mean, 95% interval, verdict) and each order's late-epoch volatility
    (points per epoch, mean over the seeds)."""
    seeds = common_seeds(results, (arm, base))
    if len(seeds) < 2:
        return pd.DataFrame()
    load = loader(results)
    rows = []
    for schedule, profile in SCHEDULES.items():
        runs = load(profile)
        for reading, volatility in VOLATILITY.items():
            v = predictions.contrast(_spec(profile, READINGS[reading], seeds, arm, base), load)
            row = {"schedule": schedule, "reading": reading, "seeds": v.n,
                   f"{arm} − {base}": round(v.mean, 2), "low": round(v.low, 2), "high": round(v.high, 2),
                   "verdict": v.state}
            for block in (base, arm):
                vol = predictions.arm_values(runs, {"block": block}, volatility, "cnn")
                row[f"{block} volatility"] = round(vol[vol.index.isin(seeds)].mean(), 2)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["schedule", "reading"])
