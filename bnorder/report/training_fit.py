"""Fitting or generalizing (the Mechanisms chapter): per network and block, the training split
measured at the end of training in eval mode, exactly as the test split is (``train_eval_loss``,
``train_eval_acc``; :mod:`bnorder.train.bn_eval`), so the gap compares like with like. Only runs that
recorded it count.
"""

from __future__ import annotations

import pandas as pd

from ..analysis import stats
from ..analysis.order_readings import NETWORKS, per_seed
from ..analysis.pooling import loader
from .style import BLOCK_ORDER, NONE, fmt, interval, ordered

# Column -> (metric of bnorder.analysis.predictions.METRICS, digits).
MEASURES = {
    "training loss": ("train_eval_loss", 3),
    "training accuracy": ("train_eval_acc", 2),
    "test accuracy": ("final_test_acc", 2),
    "gap (training − test)": ("generalization_gap", 2),
}


def _with_interval(values: pd.Series, digits: int) -> str:
    """Mean (95% interval); the mean alone below three seeds, whose t interval is uselessly wide."""
    if len(values) < 3:
        return fmt(values.mean(), digits) if len(values) else NONE
    low, high = stats.mean_interval(values)
    return f"{fmt(values.mean(), digits)} ({interval(low, high, digits, sign=False)})"


def fit_table(results) -> pd.DataFrame:
    """One row per network and block: the seeds that measured the training split, and each
    measure's mean over them with its 95% interval."""
    rows = []
    for network, (profile, arch) in NETWORKS.items():
        runs = loader(results)(profile)
        if not len(runs):
            continue
        for block in ordered(runs[runs["arch"] == arch]["block"], BLOCK_ORDER):
            fit = per_seed(runs, block, arch, "train_eval_acc")
            if not len(fit):
                continue
            row = {"network": f"{network} ({profile})", "block": block, "seeds": len(fit)}
            for column, (metric, digits) in MEASURES.items():
                values = per_seed(runs, block, arch, metric).reindex(fit.index).dropna()
                row[column] = _with_interval(values, digits)
            rows.append(row)
    columns = ["network", "block", "seeds", *MEASURES]
    return pd.DataFrame(rows, columns=columns).set_index(["network", "block"])
