"""The order of one configuration, relu-bn − bn-relu, pooling every record of it wherever it was
filed (:func:`bnorder.analysis.pooling.pooled_runs`): the book's headline configurations
(:data:`HEADLINES`), each measure per block, the cosine schedule against the constant one, and
how much a rerun of the same seed differs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import predictions, verdicts
from ..analysis.order_readings import SCHEDULES
from ..analysis.pooling import pooled_runs
from ..runs.config import LATER_KNOBS
from ..runs.profiles import CNN_CONVERGED_PROFILE
from ..runs.records import completed, load_records
from .entries import describe_entry, records_of, verdict_entry

# The configurations whose order the book's answer reports, and the two blocks it compares: the
# converged CNN, and the MLP of the profile that reads every run three ways and fits the training
# split (why-bn-eval).
HEADLINES = [{"profile": CNN_CONVERGED_PROFILE, "arch": "cnn", "arm": "relu-bn", "base": "bn-relu"},
             {"profile": "why-bn-eval", "arch": "mlp", "arm": "relu-bn", "base": "bn-relu", "pool": False},
             # The converged CNN's arms that change one knob (the momentum, the width), read the
             # same way under their own id: their runs are their profile's only.
             {"id": "cnn-momentum0.01", "profile": f"{CNN_CONVERGED_PROFILE}-momentum0.01", "arch": "cnn",
              "arm": "relu-bn", "base": "bn-relu", "pool": False},
             {"id": "cnn-momentum0.3", "profile": f"{CNN_CONVERGED_PROFILE}-momentum0.3", "arch": "cnn",
              "arm": "relu-bn", "base": "bn-relu", "pool": False},
             {"id": "cnn-width32", "profile": f"{CNN_CONVERGED_PROFILE}-width32", "arch": "cnn",
              "arm": "relu-bn", "base": "bn-relu", "pool": False}]
# pool False: that profile's runs only. The MLP's seeds 0-9 were also filed by `factorial`, whose
# runs read neither the precise statistics nor the training split, and a rerun of a seed does not
# reproduce its record exactly (Reproducibility), so the two are not mixed.


def last_epoch_train_gain(row) -> float:
    """How much the training accuracy (training mode, averaged over the epoch) rose in the last
    epoch: epoch N minus epoch N-1, in points. Positive: the run was still fitting its training
    split when it stopped."""
    history = sorted(row["history"] or [], key=lambda e: e["epoch"])
    values = [e.get("train_acc") for e in history[-2:]]
    return float(values[1] - values[0]) if len(values) == 2 and None not in values else np.nan


# Measures read per run for the pooled order findings: name in the id -> the metric it reads.
POOLED_MEASURES = {"accuracy": "final_test_acc", "accuracy-precise": "final_test_acc_precise",
                   "fit": "train_eval_acc", "gap": "generalization_gap",
                   "volatility": "late_volatility", "volatility-precise": "late_volatility_precise",
                   "train-gain-last-epoch": "train_acc_last_epoch_gain",
                   "running-cost": "running_statistics_cost"}


def measure_reader(metric: str):
    """``read(run)``: a run's value of ``metric`` (:data:`bnorder.analysis.predictions.METRICS`)."""
    return last_epoch_train_gain if metric == "train_acc_last_epoch_gain" else predictions.METRICS[metric]


POOLED_BLOCKS = ("bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu")


def _per_seed(runs: pd.DataFrame, read) -> pd.Series:
    return pd.Series([read(r) for _, r in runs.iterrows()], index=runs.index, dtype=float)


def _own_runs(every: pd.DataFrame, profile: str, arch: str, block: str) -> pd.DataFrame:
    """The completed runs ``profile`` filed of ``arch`` and ``block``, indexed by seed."""
    ok = completed(every)
    if not len(ok):
        return ok
    own = ok[(ok["profile"] == profile) & (ok["arch"] == arch) & (ok["block"] == block)]
    if "first_block" in own:
        own = own[own["first_block"].fillna("") == ""]
    return own.sort_values("seed").set_index(own.sort_values("seed")["seed"].astype(int))


def headline_runs(every: pd.DataFrame, headline: dict, block: str) -> pd.DataFrame:
    """The runs of ``block`` that the findings of a :data:`HEADLINES` entry read, indexed by
    seed: every record of the configuration (:func:`pooled_runs`), or with ``pool`` False the
    profile's own."""
    read = pooled_runs if headline.get("pool", True) else _own_runs
    return read(every, headline["profile"], headline["arch"], block)


def order_findings(results, every: pd.DataFrame | None = None) -> dict[str, dict]:
    """Per network of :data:`HEADLINES`, pooling every record of each block's configuration
    (:func:`pooled_runs`), under the entry's ``id`` where it has one instead of ``<arch>``:

    - ``<arch>-order`` (final test accuracy with BatchNorm's running statistics) and
      ``<arch>-order-<measure>`` for the other :data:`POOLED_MEASURES`: relu-bn − bn-relu,
      paired by seed, with its verdict;
    - ``<arch>-pooled-<measure>-<block>``: each measure's mean over seeds with its 95% interval
      and standard deviation (the seed spread), and for ``train-gain-last-epoch`` a verdict
      (positive: still rising when training stopped)."""
    every = load_records(results) if every is None else every
    out = {}
    for h in HEADLINES:
        runs = {b: headline_runs(every, h, b) for b in POOLED_BLOCKS}
        arm, base = runs[h["arm"]], runs[h["base"]]
        for measure, metric in {"": "final_test_acc", **POOLED_MEASURES}.items():
            if measure == "accuracy" or not len(arm) or not len(base):
                continue
            a, b = _per_seed(arm, measure_reader(metric)), _per_seed(base, measure_reader(metric))
            seeds = sorted(set(a.dropna().index) & set(b.dropna().index))
            if not seeds:
                continue
            used = pd.concat([arm.loc[seeds], base.loc[seeds]])
            key = f"{h.get('id', h['arch'])}-order" + (f"-{measure.replace('accuracy-', '')}" if measure else "")
            out[key] = {"kind": "order", "what": f"{h['arm']} − {h['base']}",
                        "metric": metric, "profile": h["profile"],
                        "seeds": [int(s) for s in seeds], "records": records_of(used, results),
                        **verdict_entry(verdicts.verdict((a.loc[seeds] - b.loc[seeds]).to_numpy()))}
        for block, g in runs.items():
            for measure, metric in POOLED_MEASURES.items():
                values = _per_seed(g, measure_reader(metric)).dropna() if len(g) else pd.Series(dtype=float)
                if len(values) < 2:
                    continue
                entry = {"kind": "describe", "what": metric, "profile": h["profile"],
                         "seeds": [int(s) for s in values.index],
                         "records": records_of(g.loc[values.index], results),
                         **describe_entry(values.to_numpy())}
                if measure == "train-gain-last-epoch":
                    entry = {**entry, **verdict_entry(verdicts.verdict(values.to_numpy()))}
                out[f"{h.get('id', h['arch'])}-pooled-{measure}-{block}"] = entry
    return out


def schedule_findings(results, every: pd.DataFrame | None = None) -> dict[str, dict]:
    """The converged CNN's relu-bn − bn-relu with the cosine schedule, read with running and
    precise statistics (``cnn-cosine-order``, ``cnn-cosine-order-precise``), and how the running
    reading's difference changes from the constant learning rate to the cosine schedule
    (``cnn-order-cosine-change``), on the seeds with both orders under both schedules, each
    profile's own runs."""
    every = load_records(results) if every is None else every
    runs = {(sched, b): _own_runs(every, profile, "cnn", b)
            for sched, profile in SCHEDULES.items() for b in ("relu-bn", "bn-relu")}
    if any(not len(r) for r in runs.values()):
        return {}
    seeds = sorted(set.intersection(*(set(r.index) for r in runs.values())))
    if len(seeds) < 2:
        return {}

    def diff(sched, metric):
        read = measure_reader(metric)
        return (_per_seed(runs[(sched, "relu-bn")].loc[seeds], read)
                - _per_seed(runs[(sched, "bn-relu")].loc[seeds], read))

    used = pd.concat([r.loc[seeds] for r in runs.values()])
    entries = {"cnn-cosine-order": diff("cosine", "final_test_acc"),
               "cnn-cosine-order-precise": diff("cosine", "final_test_acc_precise"),
               "cnn-order-cosine-change": diff("cosine", "final_test_acc") - diff("constant", "final_test_acc")}
    return {key: {"kind": "order", "what": "relu-bn − bn-relu" + (", cosine − constant" if "change" in key else ""),
                  "metric": "final_test_acc_precise" if key.endswith("precise") else "final_test_acc",
                  "profile": SCHEDULES["cosine"], "seeds": [int(x) for x in seeds],
                  "records": records_of(used, results), **verdict_entry(verdicts.verdict(d.to_numpy()))}
            for key, d in entries.items()}


def rerun_findings(results, every: pd.DataFrame) -> dict[str, dict]:
    """``rerun-noise-<arch>``: one configuration and seed trained twice, in two sessions
    (:mod:`bnorder.analysis.reruns`): the later run's final test accuracy minus the earlier's, its mean
    with a 95% interval, ``sd`` the spread of such differences, ``sd_run`` that of one run."""
    from ..analysis import reruns

    pairs = reruns.rerun_pairs(every) if len(every) else pd.DataFrame()
    out = {}
    for arch, sub in (pairs.groupby("arch") if len(pairs) else []):
        noise = reruns.rerun_noise(sub)
        used = every[every["config_hash"].isin(sub["config_hash"]) & (every["status"] == "ok")]
        out[f"rerun-noise-{arch}"] = {
            "kind": "describe", "metric": "final_test_acc",
            "what": f"{arch}: a rerun of the same configuration and seed minus the first run",
            "n": noise["n"], "mean": noise["mean"], "low": noise["low"], "high": noise["high"],
            "sd": noise["sd_difference"], "sd_run": noise["sd_run"], "records": records_of(used, results)}
    return out


# The converged CNN's blocks in the figure's order, BatchNorm before the activation first.
CNN_BLOCKS = ("bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu")


def cnn_readings(results, headline: str = "cnn") -> pd.DataFrame:
    """The converged CNN's final test accuracy per block and seed, read with BatchNorm's running
    statistics and with precise ones, from the runs the findings of ``headline`` read (an id of
    :data:`HEADLINES`: ``cnn`` pools every record of each block's configuration,
    as ``cnn-pooled-*`` do; ``cnn-width32`` and the momentum arms read their profile's own)."""
    h = next(x for x in HEADLINES if x.get("id", x["arch"]) == headline)
    every = load_records(results) if Path(results).is_dir() else pd.DataFrame()
    rows = []
    for block in CNN_BLOCKS:
        runs = headline_runs(every, h, block) if len(every) else every
        for reading, measure in (("running", "accuracy"), ("precise", "accuracy-precise")):
            read = measure_reader(POOLED_MEASURES[measure])
            rows += [{"block": block, "seed": int(seed), "reading": reading, "test_acc": read(r)}
                     for seed, r in runs.iterrows()]
    return pd.DataFrame(rows, columns=["block", "seed", "reading", "test_acc"]).dropna()


# The converged CNN's profiles that differ in BatchNorm's momentum only.
MOMENTUM_PROFILES = (f"{CNN_CONVERGED_PROFILE}-momentum0.01", CNN_CONVERGED_PROFILE,
                     f"{CNN_CONVERGED_PROFILE}-momentum0.3")


MOMENTUM_BLOCKS = ("bn-relu", "relu-bn")


def momentum_costs(results) -> pd.DataFrame:
    """One row per (momentum, block, seed): what BatchNorm's running statistics cost the converged
    CNN's final test accuracy, in points (:func:`bnorder.analysis.predictions.running_statistics_cost`),
    from the runs its momentum arms' findings read (:func:`headline_runs`)."""
    every = load_records(results)
    rows = []
    for profile in MOMENTUM_PROFILES:
        headline = next(h for h in HEADLINES if h["profile"] == profile)
        for block in MOMENTUM_BLOCKS:
            runs = headline_runs(every, headline, block) if len(every) else every
            for seed, run in runs.iterrows():
                momentum = run.get("bn_momentum")
                rows.append({"momentum": LATER_KNOBS["bn_momentum"] if pd.isna(momentum) else float(momentum),
                             "block": block, "seed": int(seed),
                             "cost": predictions.running_statistics_cost(run)})
    return pd.DataFrame(rows, columns=["momentum", "block", "seed", "cost"]).dropna()
