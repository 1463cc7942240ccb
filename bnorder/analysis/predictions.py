"""Predictions about the interventions, judged against the records.

``book/predictions.yml`` holds each prediction as it was written before its runs: the question,
the reasoning, the prediction, and a contrast that decides it — an ``arm`` and a ``base`` (each a
profile and a block, and ``first_block`` for the arms that change block 1 only, and its own
``metric`` where the two sides read different measurements of the same runs), a ``metric``,
and what the paired difference arm - base was expected to be (``negative``, ``positive``, or
``equivalent`` within a ``margin``); ``seeds`` restricts a prediction to the seeds it names (a
replication on seeds nobody had seen when it was written). :func:`judge` pairs the two by seed and returns the verdict
(:mod:`bnorder.analysis.verdicts`) and the outcome: confirmed, refuted or unresolved.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..runs import registry
from ..runs.records import check_poolable, load_records
from . import stats, verdicts

PREDICTIONS = registry.REGISTRY


def last_bn_reading(key: str):
    """The final epoch's BatchNorm reading ``key`` (see :mod:`bnorder.train.bn_eval`) of a run."""
    def get(row) -> float:
        history = row["history"] or []
        reading = history[-1].get("bn_eval", {}) if history else {}
        return reading.get(key, np.nan)
    return get


def final_precise(key: str):
    """A final reading with precise statistics: the run's own end-of-run reading
    (``final_readings``: both splits) where it has one, else the last epoch's BatchNorm reading."""
    last = last_bn_reading(key)

    def get(row) -> float:
        value = row.get(key, np.nan)
        return value if value is not None and np.isfinite(value) else last(row)
    return get


def generalization_gap_precise(row) -> float:
    """Training-split accuracy minus test accuracy, both read with precise statistics (the
    weights' gap, free of the running statistics' lag; runs with ``final_readings``)."""
    return row.get("train_eval_acc_precise", np.nan) - final_precise("test_acc_precise")(row)


def generalization_gap(row) -> float:
    """Training-split accuracy (eval mode) minus test accuracy at the end of training."""
    return row.get("train_eval_acc", np.nan) - row["final_test_acc"]


def running_statistics_cost(row) -> float:
    """What BatchNorm's running statistics cost the final weights: test accuracy with precise
    statistics minus test accuracy with the running ones (points)."""
    return last_bn_reading("test_acc_precise")(row) - row["final_test_acc"]


def volatility_reader(reading: str | None = None):
    """Late-epoch volatility of test accuracy (:func:`bnorder.analysis.stats.late_volatility`), with the running statistics (``reading`` None) or a BatchNorm reading such as
    ``test_acc_precise`` (see :mod:`bnorder.train.bn_eval`)."""
    def get(row) -> float:
        history = row["history"] or []
        values = [e["test_acc"] if reading is None else e.get("bn_eval", {}).get(reading) for e in history]
        return stats.late_volatility([e["epoch"] for e in history], values)
    return get


def first_block_always_negative(row) -> float:
    """Percent of the first block's units whose activation input is negative for every probe
    image at the last diagnosed epoch (dead for ReLU, linear for LeakyReLU before BatchNorm)."""
    diagnosed = [e["diagnostics"] for e in row["history"] or [] if e.get("diagnostics")]
    return 100 * diagnosed[-1]["blocks"][0]["dead_frac"] if diagnosed else np.nan


# Metric name -> how it is read off one run (a row of bnorder.runs.records.load_records).
METRICS = {
    "final_test_acc": lambda row: row["final_test_acc"],
    "train_eval_acc": lambda row: row.get("train_eval_acc", np.nan),
    "train_eval_loss": lambda row: row.get("train_eval_loss", np.nan),
    "generalization_gap": generalization_gap,
    "final_test_acc_precise": final_precise("test_acc_precise"),
    "train_eval_acc_precise": lambda row: row.get("train_eval_acc_precise", np.nan),
    "generalization_gap_precise": generalization_gap_precise,
    "final_test_acc_batch": last_bn_reading("test_acc_batch"),
    "running_statistics_cost": running_statistics_cost,
    "late_volatility": volatility_reader(),
    "late_volatility_precise": volatility_reader("test_acc_precise"),
    "first_block_always_negative": first_block_always_negative,
}


def load_predictions(path: str | Path = PREDICTIONS) -> list[dict]:
    """The registry's predictions judged one contrast at a time: every question but the primary
    family (:mod:`bnorder.analysis.confirmatory` decides that one together)."""
    entries = [q for q in registry.questions(path) if q["family"] != "primary"]
    for p in entries:
        for metric in (p["metric"], p["arm"].get("metric"), p["base"].get("metric")):
            if metric is not None and metric not in METRICS:
                raise ValueError(f"prediction {p['id']}: unknown metric {metric!r}; "
                                 f"valid metrics: {', '.join(METRICS)}")
    return entries


def arm_runs(runs: pd.DataFrame, spec: dict, arch: str | None = None) -> pd.DataFrame:
    """The completed runs that ``spec`` names (profile, block, first_block; records written
    before ``first_block`` existed count as the plain block), of network ``arch`` when given (a
    profile may hold several networks)."""
    if runs.empty:
        return runs
    first = runs["first_block"].fillna("") if "first_block" in runs else ""
    keep = (runs["status"] == "ok") & (runs["block"] == spec["block"]) & \
        (first == spec.get("first_block", ""))
    if arch is not None:
        keep &= runs["arch"] == arch
    return runs[keep]


def arm_values(runs: pd.DataFrame, spec: dict, metric: str, arch: str | None = None) -> pd.Series:
    """``metric`` per seed of the runs :func:`arm_runs` chooses."""
    if runs.empty:
        return pd.Series(dtype=float)
    chosen = arm_runs(runs, spec, arch)
    return pd.Series([METRICS[metric](row) for _, row in chosen.iterrows()],
                     index=chosen["seed"].astype(int).to_numpy(), dtype=float).sort_index()


def network_of(arm_runs: pd.DataFrame, prediction: dict) -> str | None:
    """The network a prediction is about: its ``arch`` if it names one, else the arm profile's
    only network (the base is then read for that network alone)."""
    if prediction.get("arch"):
        return prediction["arch"]
    archs = sorted(arm_runs["arch"].unique()) if len(arm_runs) else []
    if len(archs) > 1:
        raise ValueError(f"prediction {prediction['id']}: profile {prediction['arm']['profile']} "
                         f"holds several networks ({', '.join(archs)}); name one with arch:")
    return archs[0] if archs else None


def pooled(load, profile: str | list[str]) -> pd.DataFrame:
    """The runs of ``profile``, or of several profiles holding runs of one configuration (a
    list, e.g. seeds filed in two profiles): a seed filed twice, or runs of one block that
    differ in anything but the seed, raise ``ValueError``.

    A prediction reads the profiles it names, and only those. The order findings pool the other
    way (:func:`bnorder.analysis.pooling.pooled_runs`): every run of one configuration wherever it
    was filed, the first record of a seed filed twice. The two rules are kept apart because they
    differ on the records: pooled by configuration, ``why-bn-eval``'s MLP would take seeds 0-9
    from ``factorial`` (which did not measure the training split or read precise statistics),
    ``why-centred-input`` and ``cnn-converged`` would take seeds filed by other profiles, and 12
    findings would change (``fit-mlp``, ``precise-bn-mlp``, ``centred-input-*``, ``cnn-position``,
    ``cnn-volatility-precise``, ...)."""
    if isinstance(profile, str):
        return load(profile)
    runs = pd.concat([load(p) for p in profile], ignore_index=True)
    if runs.empty:
        return runs
    runs = runs.assign(first_block=runs["first_block"].fillna("") if "first_block" in runs else "")
    check_poolable(runs, by=("dataset", "arch", "block", "first_block"))
    twice = runs[runs["status"] == "ok"].duplicated(["arch", "block", "first_block", "seed"])
    if twice.any():
        raise ValueError(f"profiles {profile} hold the same seed twice: pool profiles whose seeds differ")
    return runs


def paired(prediction: dict, load=None) -> tuple[pd.Series, pd.Series, list[int]]:
    """The arm's and the base's values per seed (restricted to the prediction's named
    ``seeds``, if any) and the seeds both have. ``load(profile)`` returns that profile's runs
    (default :func:`bnorder.runs.records.load_records` under ``results/``)."""
    load = load or (lambda profile: load_records("results", profile))
    metric = prediction["metric"]   # an arm or base may read its own metric (e.g. another reading)
    arm_runs = pooled(load, prediction["arm"]["profile"])
    arch = network_of(arm_runs, prediction)
    arm = arm_values(arm_runs, prediction["arm"], prediction["arm"].get("metric", metric), arch)
    base = arm_values(pooled(load, prediction["base"]["profile"]), prediction["base"],
                      prediction["base"].get("metric", metric), arch)
    if prediction.get("seeds") is not None:   # a replication judged on fresh seeds only
        named = list(prediction["seeds"])
        arm, base = arm[arm.index.isin(named)], base[base.index.isin(named)]
    seeds = sorted(set(arm.dropna().index) & set(base.dropna().index))
    return arm, base, seeds


def contrast(prediction: dict, load=None) -> verdicts.Verdict:
    """The verdict on arm − base paired by seed (:func:`paired`), for a contrast that need not
    be a written prediction (no ``expect``)."""
    arm, base, seeds = paired(prediction, load)
    return verdicts.verdict((arm.loc[seeds] - base.loc[seeds]).to_numpy(), prediction.get("margin"))


def judge(prediction: dict, load=None) -> dict:
    """One prediction against the records: its fields, the paired verdict, the outcome and the
    seeds found in each arm (:func:`paired`)."""
    arm, base, seeds = paired(prediction, load)
    diffs = (arm.loc[seeds] - base.loc[seeds]).to_numpy()
    v = verdicts.verdict(diffs, prediction.get("margin"))
    return {**prediction, **v.as_dict(), "named_seeds": prediction.get("seeds"), "seeds": seeds,
            "arm_seeds": len(arm), "base_seeds": len(base), "differences": diffs.tolist(),
            "outcome": (design_check_outcome(diffs, prediction["margin"])
                        if prediction.get("family") == "design-check"
                        else verdicts.prediction_outcome(v, prediction["expect"], prediction.get("margin")))}


def design_check_outcome(differences, margin: float) -> str:
    """A design check is no estimate: it ``holds`` when every seed's difference lies within
    ±``margin`` (exactly zero included, where a verdict has no interval), and ``fails`` when one
    does not; ``unresolved`` without a seed."""
    d = np.asarray(differences, dtype=float)
    if not d.size:
        return "unresolved"
    return "holds" if bool(np.all(np.abs(d) <= margin)) else "fails"


def judge_all(predictions: list[dict] | None = None, load=None) -> pd.DataFrame:
    """Every prediction judged (:func:`judge`), one row each, in the file's order."""
    predictions = load_predictions() if predictions is None else predictions
    return pd.DataFrame([judge(p, load) for p in predictions])
