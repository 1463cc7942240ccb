"""The order effect read several ways: the same final weights under each BatchNorm reading
(running, precise and batch statistics, :mod:`bnorder.train.bn_eval`), where an effect that survives
every reading is in the weights; and the converged CNN at a constant learning rate against the
cosine schedule on the same seeds, where an effect that stays once the step size goes to zero is
one of where training ends (a worse optimum), and one that goes with the volatility was made of it.

At a constant learning rate Adam keeps moving the weights until the last step, so the final
epoch's accuracy carries epoch-to-epoch noise; the cosine schedule takes that noise away. Each
contrast pairs seeds as a prediction does (:func:`bnorder.analysis.predictions.contrast`).
"""

from __future__ import annotations

import pandas as pd

from ..runs.profiles import CNN_CONVERGED_PROFILE
from . import predictions, verdicts
from ..runs.records import load_records
from .pooling import loader, pooled_runs

# Network label -> (profile whose runs measured the training split, arch).
NETWORKS = {"MLP": ("why-bn-eval", "mlp"), "CNN": (CNN_CONVERGED_PROFILE, "cnn")}

READINGS = {"running statistics": "final_test_acc", "precise statistics": "final_test_acc_precise",
            "batch statistics": "final_test_acc_batch"}
# Schedule -> profile of the converged CNN trained with it (same network, data, epochs, seeds).
SCHEDULES = {"constant": CNN_CONVERGED_PROFILE, "cosine": f"{CNN_CONVERGED_PROFILE}-cosine"}
VOLATILITY = {"running statistics": "late_volatility", "precise statistics": "late_volatility_precise"}


def per_seed(runs: pd.DataFrame, block: str, arch: str, metric: str) -> pd.Series:
    """``metric`` (:data:`bnorder.analysis.predictions.METRICS`) of each seed's run of ``block``."""
    return predictions.arm_values(runs, {"block": block}, metric, arch).dropna()


def readings_table(results, arm: str = "relu-bn", base: str = "bn-relu") -> pd.DataFrame:
    """``arm`` − ``base`` test accuracy per network and BatchNorm reading, paired by seed: the
    seeds, the mean difference, its 95% interval and the verdict's state."""
    rows = []
    for network in NETWORKS:
        for reading, metric in READINGS.items():
            v = order_contrast(results, network, metric, arm, base)
            if v.n >= 2:
                rows.append({"network": network, "reading": reading, "seeds": v.n, "difference": v.mean,
                             "low": v.low, "high": v.high, "verdict": v.state})
    return pd.DataFrame(rows, columns=["network", "reading", "seeds", "difference", "low", "high",
                                       "verdict"]).set_index(["network", "reading"])


def order_contrast(results, network: str, metric: str, arm: str = "relu-bn",
                   base: str = "bn-relu") -> verdicts.Verdict:
    """``arm`` − ``base`` on ``metric``, paired by seed (:func:`bnorder.analysis.predictions.contrast`),
    in ``network``'s profile."""
    profile, arch = NETWORKS[network]
    return predictions.contrast({"metric": metric, "arch": arch, "arm": {"profile": profile, "block": arm},
                                   "base": {"profile": profile, "block": base}}, load=loader(results))


def arms_by_reading(results, arms: dict[str, tuple[dict, dict]], arch: str) -> pd.DataFrame:
    """Each named arm − base (``arms``: label -> (arm spec, base spec), as in a prediction),
    paired by seed, under each BatchNorm reading: the seeds and the mean difference with its
    95% interval, in points, once three seeds have both. Shows whether an intervention's effect
    is in the weights (it survives precise statistics) or in the running statistics."""
    rows = []
    for label, (arm, base) in arms.items():
        for reading, metric in READINGS.items():
            v = predictions.contrast({"id": label, "metric": metric, "arch": arch, "arm": arm, "base": base},
                                       load=loader(results))
            if v.n >= 3:   # as in fit_table: below three seeds a t interval is uselessly wide
                rows.append({"arm − base": label, "reading": reading, "seeds": v.n, "difference": round(v.mean, 2),
                             "low": round(v.low, 2), "high": round(v.high, 2), "verdict": v.state})
    return pd.DataFrame(rows, columns=["arm − base", "reading", "seeds", "difference", "low", "high",
                                       "verdict"]).set_index(["arm − base", "reading"])


# ------------------------------------------------------------------ per schedule

def common_seeds(results, blocks=("bn-relu", "relu-bn")) -> list[int]:
    """The seeds for which every schedule has a completed run of every block in ``blocks``."""
    seeds = None
    for profile in SCHEDULES.values():
        runs = loader(results)(profile)
        for block in blocks:
            have = set(predictions.arm_values(runs, {"block": block}, "final_test_acc", "cnn").dropna().index)
            seeds = have if seeds is None else seeds & have
    return sorted(seeds or [])


def schedule_spec(profile: str, metric: str, seeds: list[int], arm: str, base: str) -> dict:
    """``arm`` − ``base`` within one profile on the given seeds, as :mod:`bnorder.analysis.predictions` reads it."""
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
            v = predictions.contrast(schedule_spec(profile, READINGS[reading], seeds, arm, base), load)
            row = {"schedule": schedule, "reading": reading, "seeds": v.n,
                   f"{arm} − {base}": round(v.mean, 2), "low": round(v.low, 2), "high": round(v.high, 2),
                   "verdict": v.state}
            for block in (base, arm):
                vol = predictions.arm_values(runs, {"block": block}, volatility, "cnn")
                row[f"{block} volatility"] = round(vol[vol.index.isin(seeds)].mean(), 2)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["schedule", "reading"])


def epoch_readings(results, profile: str = CNN_CONVERGED_PROFILE, arch: str = "cnn",
                   blocks=("bn-relu", "relu-bn")) -> pd.DataFrame:
    """The converged CNN's test accuracy epoch by epoch, read with BatchNorm's running statistics
    (``running``) and with statistics re-estimated for that epoch's weights (``precise``): one row
    per (block, seed, epoch, reading), every seed of the configuration wherever it was filed
    (:func:`bnorder.analysis.pooling.pooled_runs`)."""
    every = load_records(results)
    rows = []
    for block in blocks:
        runs = pooled_runs(every, profile, arch, block) if len(every) else every
        for seed, run in runs.iterrows():
            for e in run["history"]:
                values = {"running": e["test_acc"], "precise": (e.get("bn_eval") or {}).get("test_acc_precise")}
                rows += [{"block": block, "seed": int(seed), "epoch": e["epoch"], "reading": name,
                          "test_acc": value} for name, value in values.items() if value is not None]
    return pd.DataFrame(rows, columns=["block", "seed", "epoch", "reading", "test_acc"])
