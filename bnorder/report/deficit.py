"""Where an order's deficit lies (the Mechanisms chapter): in the weights or in BatchNorm's
running statistics, and in fitting the training split or in generalizing from it.

The same final weights are read with the running statistics, with precise ones and with batch
statistics (:mod:`bnorder.bn_eval`); an effect that survives every reading is in the weights.

The training split is measured at the end of training in eval mode, exactly as the test split
is (``train_eval_loss``, ``train_eval_acc``; :mod:`bnorder.bn_eval`), so the gap compares like
with like. Only runs that recorded it count.
"""

from __future__ import annotations

import pandas as pd

from .style import BLOCK_ORDER, ordered
from .. import predictions, stats, verdicts
from ..findings import loader

# Network label -> (profile whose runs measured the training split, arch).
NETWORKS = {"MLP": ("why-bn-eval", "mlp"), "CNN": ("cnn-converged", "cnn")}

# Column -> (metric of bnorder.predictions.METRICS, digits).
MEASURES = {
    "training loss": ("train_eval_loss", 3),
    "training accuracy": ("train_eval_acc", 2),
    "test accuracy": ("final_test_acc", 2),
    "gap (training − test)": ("generalization_gap", 2),
}


def _per_seed(runs: pd.DataFrame, block: str, arch: str, metric: str) -> pd.Series:
    return predictions.arm_values(runs, {"block": block}, metric, arch).dropna()


def _with_interval(values: pd.Series, digits: int) -> str:
    """Mean (95% interval); the mean alone below three seeds, whose t interval is uselessly wide."""
    if len(values) < 3:
        return f"{values.mean():.{digits}f}" if len(values) else "—"
    low, high = stats.mean_interval(values)
    return f"{values.mean():.{digits}f} ({low:.{digits}f} to {high:.{digits}f})"


def fit_table(results) -> pd.DataFrame:
    """One row per network and block: the seeds that measured the training split, and each
    measure's mean over them with its 95% interval."""
    rows = []
    for network, (profile, arch) in NETWORKS.items():
        runs = loader(results)(profile)
        if not len(runs):
            continue
        for block in ordered(runs[runs["arch"] == arch]["block"], BLOCK_ORDER):
            fit = _per_seed(runs, block, arch, "train_eval_acc")
            if not len(fit):
                continue
            row = {"network": f"{network} ({profile})", "block": block, "seeds": len(fit)}
            for column, (metric, digits) in MEASURES.items():
                values = _per_seed(runs, block, arch, metric).reindex(fit.index).dropna()
                row[column] = _with_interval(values, digits)
            rows.append(row)
    columns = ["network", "block", "seeds", *MEASURES]
    return pd.DataFrame(rows, columns=columns).set_index(["network", "block"])


READINGS = {"running statistics": "final_test_acc", "precise statistics": "final_test_acc_precise",
            "batch statistics": "final_test_acc_batch"}


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
    """``arm`` − ``base`` on ``metric``, paired by seed (:func:`bnorder.predictions.contrast`),
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
