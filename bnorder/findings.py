"""The contract between the records and the prose: every finding the book's chapters cite.

:func:`compute` reads the run records (``results/``), the predictions (``book/predictions.yml``)
and the original study's data (``book/reference/``) and returns one entry per finding, keyed by a
stable id; ``python -m bnorder findings`` writes them to ``book/findings.json`` (sorted keys,
floats rounded to :data:`DIGITS` decimals, no dates and no absolute paths, so the same records
always give the same bytes). The kinds of finding:

    factorial         a contrast of the 2x2 design per network (position, activation,
                      interaction, case3-vs-case1), paired by seed, from the network's edition
                      (:func:`factorial_runs`): ``factorial-<arch>-<contrast>``; the position
                      at the best-validation epoch: ``factorial-<arch>-position-best-val``
    order             relu-bn − bn-relu of one configuration, pooling every record of that
                      configuration wherever it was filed (:func:`pooled_runs`), for the
                      converged CNN and the MLP of ``why-bn-eval`` (:data:`HEADLINES`):
                      ``<arch>-order`` (running statistics), ``<arch>-order-precise``, and the
                      same for the training split's fit, the generalization gap and late-epoch
                      volatility (``<arch>-order-fit``, ``-gap``, ``-volatility``, ...); per
                      block the same measures' means and seed spread
                      (``<arch>-pooled-<measure>-<block>``); the converged CNN with the cosine
                      schedule: ``cnn-cosine-order``, ``-precise``, ``cnn-order-cosine-change``
    robustness        the factorial MLP with one knob changed (the one-knob variants
                      ``<base>-<variant>`` of :data:`bnorder.profiles.VARIANTS`, the Robustness
                      chapter's :func:`bnorder.robustness.variant_table`): the position
                      effect within the variant, ``robustness-<variant>-position``, and its
                      change from the base's, variant minus base paired by seed with the
                      chapter's equivalence margin, ``robustness-<variant>-change``
    prediction        a prediction of ``book/predictions.yml`` judged, under its own id
    early             a contrast on the seeds a later prediction's reasoning was read from
                      (:data:`EARLY_CONTRASTS`): ``<what>-seeds-0-3``
    original          the original study's differences (Welch, unpaired runs):
                      ``original-<exp>-<arch>-<a>-vs-<b>``, ``original-cnn-case1-exp2-vs-exp1``,
                      and Experiment 1's case1 deficit per score: ``original-exp1-cnn-deficit-<score>``;
                      Experiment 1's differences per score, ``original-exp1-cnn-<a>-vs-<b>-<score>``,
                      and its two tables of the CNN against each other (:func:`original_epoch_findings`)
    replication       the Replication chapter's rerun of the study's comparisons, paired by seed,
                      at the last and the best-validation epoch (``replication-<arch>-<a>-vs-<b>``,
                      ``…-best-val``), and each case's spread over seeds relative to case 1's, here
                      and in the study (``replication-<arch>-<case>-vs-case1-spread``,
                      ``original-<exp>-<arch>-<case>-vs-case1-spread``; :func:`replication_findings`)
    describe          a mean over seeds (or runs) with its 95% interval: late-epoch volatility
                      (``late-volatility-<arch>-<block>``), fit of the training split
                      (``train-fit-<arch>-<block>``), generalization gap
                      (``generalization-gap-<arch>-<block>``), the original's per-case late
                      volatility, best-minus-last shortfall, best and final accuracy
                      (``original-exp1-cnn-<case>-late-volatility``, ``…-shortfall``, ``…-best``,
                      ``…-final``)

Every entry with a verdict has ``n``, ``mean``, ``low``, ``high`` (:func:`bnorder.stats.
mean_interval` for paired seeds, Welch for unpaired runs), ``margin``, ``state``
(:func:`bnorder.verdicts.interval_state`), ``direction``, ``agree``, ``seeds_needed`` (what would
decide it: :func:`bnorder.verdicts.seeds_to_decide`), and a prediction its ``expect`` and
``outcome``; every entry names what it was computed from in ``records`` (``{folder under the
results root: [seeds]}``, each record being ``<folder>/seed<k>.json``) or ``data``.

**Claims.** A sentence of a chapter that asserts a finding's state names it with the role
``{claim}`<id>:<state>```, where the state is what :func:`claim_state` gives: ``positive`` or
``negative`` (a resolved difference and its sign), ``equivalent`` or ``unresolved``; for a
prediction its outcome, ``confirmed``, ``refuted`` or ``unresolved``. :func:`check` (``python -m
bnorder findings --check``) lists every claim the records no longer support.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import interventions, reference, stats, verdicts
from .contrasts import CONTRAST_IDS, POSITION, factorial_contrasts
from .run_selection import (  # noqa: F401  (the public names other modules read from findings)
    CNN_EDITIONS, completed, configuration_key, edition_runs, factorial_complete_seeds, factorial_runs,
    loader, pooled_runs)
from .records import load_records

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
FINDINGS = BOOK / "findings.json"
ORIGINAL_DATA = "book/reference/original-study-runs.csv"
DIGITS = 4
SCHEMA = 1

# The configurations whose order the book's answer reports, and the two blocks it compares: the
# converged CNN, and the MLP of the profile that reads every run three ways and fits the training
# split (why-bn-eval).
HEADLINES = [{"profile": "cnn-converged", "arch": "cnn", "arm": "relu-bn", "base": "bn-relu"},
             {"profile": "why-bn-eval", "arch": "mlp", "arm": "relu-bn", "base": "bn-relu", "pool": False}]
# pool False: that profile's runs only. The MLP's seeds 0-9 were also filed by `factorial`, whose
# runs read neither the precise statistics nor the training split, and a rerun of a seed does not
# reproduce its record exactly (Reproducibility), so the two are not mixed.
# The original study's differences: (experiment, arch, a, b) as a − b of the final epoch.
ORIGINAL_DIFFERENCES = [("exp1", "cnn", "case2", "case1"), ("exp1", "cnn", "case3", "case2"),
                        ("exp1", "cnn", "case3", "case1"),
                        ("exp2", "cnn", "case2", "case1"), ("exp2", "cnn", "case3", "case2"),
                        ("exp2", "cnn", "case3", "case1"),
                        ("exp2", "mlp", "case2", "case1"), ("exp2", "mlp", "case3", "case2"),
                        ("exp2", "mlp", "case3", "case1")]
CLAIM = re.compile(r"\{claim\}`([^`]*)`")
_CODE_SPAN = re.compile(r"``.*?``")
CLAIM_STATES = ("positive", "negative", "equivalent", "unresolved", "confirmed", "refuted")


# ------------------------------------------------------------------ the entries

def _records(rows: pd.DataFrame, results) -> dict[str, list[int]]:
    """``{folder relative to the results root: [seeds]}`` of ``rows`` (records)."""
    root = Path(results).resolve()
    out: dict[str, list[int]] = {}
    for path, seed in zip(rows["path"], rows["seed"]):
        folder = Path(path).resolve().parent
        name = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.as_posix()
        out.setdefault(name, []).append(int(seed))
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


def _verdict_entry(v: verdicts.Verdict) -> dict:
    needed, within = verdicts.seeds_to_decide(v)
    return {"n": v.n, "mean": v.mean, "low": v.low, "high": v.high, "margin": v.margin,
            "state": v.state, "direction": v.direction, "agree": v.agree,
            "seeds_needed": needed, "seeds_needed_for": "margin" if within else "sign"}


def _describe_entry(values) -> dict:
    d = stats.describe(values)
    return {"n": int(d["n"]), "mean": d["mean"], "sd": d["std"], "low": d["ci_low"],
            "high": d["ci_high"]}


def claim_state(entry: dict) -> str | None:
    """The state a claim may assert of a finding: a prediction's outcome; ``positive`` or
    ``negative`` for a resolved difference; ``equivalent`` or ``unresolved``; None for a finding
    without a verdict (a mean with its interval)."""
    if "outcome" in entry:
        return entry["outcome"]
    if "state" not in entry:
        return None
    if entry["state"] == "resolved":
        return "positive" if entry["direction"] > 0 else "negative"
    return entry["state"]


def factorial_findings(results, base: str = "factorial", load=None) -> dict[str, dict]:
    """The 2x2 design's contrasts per network (``factorial-<arch>-<contrast>``), and per block the
    late-epoch volatility, the fit of the training split and the generalization gap."""
    runs, editions = factorial_runs(results, base, load)
    out = {}
    if not len(runs):
        return out
    # The reported epoch: the last (every contrast), or the one with the best validation
    # accuracy (the position, to show whether its verdict depends on that choice).
    for metric, suffix, wanted in (("final_test_acc", "", None),
                                   ("best_val_epoch_test_acc", "-best-val", {POSITION})):
        contrasts = factorial_contrasts(runs, metric)
        for (arch, contrast), g in contrasts.groupby(["arch", "contrast"], sort=True):
            if wanted is not None and contrast not in wanted:
                continue
            seeds = sorted(int(s) for s in g["seed"])
            cells = runs[(runs["arch"] == arch) & runs["seed"].isin(seeds)
                         & runs["block"].isin(["bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn"])]
            out[f"factorial-{arch}-{CONTRAST_IDS[contrast]}{suffix}"] = {
                "kind": "factorial", "what": contrast, "metric": metric,
                "profile": editions[arch], "seeds": seeds, "records": _records(cells, results),
                **_verdict_entry(verdicts.verdict(g.sort_values("seed")["value"].to_numpy()))}
    measures = {"accuracy": "final_test_acc", "late-volatility": "late_volatility", "train-fit": "train_eval_acc",
                "generalization-gap": "generalization_gap"}
    for (arch, block), g in runs.groupby(["arch", "block"], sort=True):
        g = g.sort_values("seed")
        for name, metric in measures.items():
            values = pd.Series([interventions.METRICS[metric](r) for _, r in g.iterrows()],
                               index=g["seed"].astype(int), dtype=float).dropna()
            if len(values) < 2:
                continue
            out[f"{name}-{arch}-{block}"] = {
                "kind": "describe", "what": metric, "profile": editions[arch],
                "seeds": [int(s) for s in values.index],
                "records": _records(g[g["seed"].isin(values.index)], results),
                **_describe_entry(values.to_numpy())}
    return out


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
                   "train-gain-last-epoch": "train_acc_last_epoch_gain"}


def measure_reader(metric: str):
    """``read(run)``: a run's value of ``metric`` (:data:`bnorder.interventions.METRICS`)."""
    return last_epoch_train_gain if metric == "train_acc_last_epoch_gain" else interventions.METRICS[metric]


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


def order_findings(results, every: pd.DataFrame | None = None) -> dict[str, dict]:
    """Per network of :data:`HEADLINES`, pooling every record of each block's configuration
    (:func:`pooled_runs`):

    - ``<arch>-order`` (final test accuracy with BatchNorm's running statistics) and
      ``<arch>-order-<measure>`` for the other :data:`POOLED_MEASURES`: relu-bn − bn-relu,
      paired by seed, with its verdict;
    - ``<arch>-pooled-<measure>-<block>``: each measure's mean over seeds with its 95% interval
      and standard deviation (the seed spread), and for ``train-gain-last-epoch`` a verdict
      (positive: still rising when training stopped)."""
    every = load_records(results) if every is None else every
    out = {}
    for h in HEADLINES:
        runs = {b: pooled_runs(every, h["profile"], h["arch"], b) if h.get("pool", True)
                else _own_runs(every, h["profile"], h["arch"], b) for b in POOLED_BLOCKS}
        arm, base = runs[h["arm"]], runs[h["base"]]
        for measure, metric in {"": "final_test_acc", **POOLED_MEASURES}.items():
            if measure == "accuracy" or not len(arm) or not len(base):
                continue
            a, b = _per_seed(arm, measure_reader(metric)), _per_seed(base, measure_reader(metric))
            seeds = sorted(set(a.dropna().index) & set(b.dropna().index))
            if not seeds:
                continue
            used = pd.concat([arm.loc[seeds], base.loc[seeds]])
            key = f"{h['arch']}-order" + (f"-{measure.replace('accuracy-', '')}" if measure else "")
            out[key] = {"kind": "order", "what": f"{h['arm']} − {h['base']}",
                        "metric": metric, "profile": h["profile"],
                        "seeds": [int(s) for s in seeds], "records": _records(used, results),
                        **_verdict_entry(verdicts.verdict((a.loc[seeds] - b.loc[seeds]).to_numpy()))}
        for block, g in runs.items():
            for measure, metric in POOLED_MEASURES.items():
                values = _per_seed(g, measure_reader(metric)).dropna() if len(g) else pd.Series(dtype=float)
                if len(values) < 2:
                    continue
                entry = {"kind": "describe", "what": metric, "profile": h["profile"],
                         "seeds": [int(s) for s in values.index],
                         "records": _records(g.loc[values.index], results),
                         **_describe_entry(values.to_numpy())}
                if measure == "train-gain-last-epoch":
                    entry = {**entry, **_verdict_entry(verdicts.verdict(values.to_numpy()))}
                out[f"{h['arch']}-pooled-{measure}-{block}"] = entry
    return out


# The converged CNN at a constant learning rate and with the cosine schedule, on the seeds both hold.
SCHEDULES = {"constant": "cnn-converged", "cosine": "cnn-converged-cosine"}


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
                  "records": _records(used, results), **_verdict_entry(verdicts.verdict(d.to_numpy()))}
            for key, d in entries.items()}


def robustness_id(variant: str, what: str) -> str:
    """The id of a one-knob variant's finding: ``what`` is ``position`` or ``change``."""
    return f"robustness-{variant}-{what}"


def robustness_findings(results, base: str = "factorial", load=None) -> dict[str, dict]:
    """Per one-knob variant of the base's MLP with at least two seeds holding all four cells,
    computed by :func:`bnorder.robustness.variant_table`: its
    position effect (BatchNorm after − before the activation, per seed;
    ``robustness-<variant>-position``) and the change of that effect from the base's, variant
    minus base on the seeds both hold, with the chapter's equivalence margin
    (``robustness-<variant>-change``, when they share two seeds)."""
    from . import robustness as rb

    load = load or loader(results)
    table = rb.variant_table(results, base)
    cells = lambda runs, seeds: runs[(runs["arch"] == rb.ARCH) & runs["seed"].isin(seeds)  # noqa: E731
                                     & runs["block"].isin(["bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn"])]
    base_runs = completed(load(base))
    out = {}
    for r in table[(table["variant"] != "(base)") & (table["status"] == "ok")].itertuples():
        runs = completed(load(r.profile))
        common = {"kind": "robustness", "metric": rb.VALUE, "profile": r.profile, "base": base,
                  "variant": r.variant}
        out[robustness_id(r.variant, "position")] = {
            **common, "what": f"BatchNorm after − before the activation; {r.what}",
            "seeds": r.seeds, "records": _records(cells(runs, r.seeds), results),
            **_verdict_entry(r.position)}
        if r.change.n >= 2:
            used = pd.concat([cells(runs, r.change_seeds), cells(base_runs, r.change_seeds)])
            out[robustness_id(r.variant, "change")] = {
                **common, "what": f"the position effect, {r.variant} − base, paired by seed",
                "seeds": r.change_seeds, "records": _records(used, results),
                **_verdict_entry(r.change)}
    return out


def prediction_findings(results, predictions=None, load=None) -> dict[str, dict]:
    """Every prediction judged (:func:`bnorder.interventions.judge`), under its own id."""
    load = load or loader(results)
    entries = interventions.load_predictions(predictions or interventions.PREDICTIONS)
    out = {}
    for p in entries:
        judged = interventions.judge(p, load)
        v = verdicts.Verdict(**{k: judged[k] for k in verdicts.Verdict.__dataclass_fields__})
        out[p["id"]] = {"kind": "prediction", "what": " ".join(p["prediction"].split()),
                        "metric": p["metric"], "expect": p["expect"], "outcome": judged["outcome"],
                        "seeds": [int(s) for s in judged["seeds"]],
                        "records": _contrast_records(p, judged["seeds"], load, results),
                        **_verdict_entry(v)}
    return out


def _contrast_records(spec: dict, seeds, load, results) -> dict[str, list[int]]:
    """The records a contrast (a prediction's ``arm`` and ``base``) read on ``seeds``."""
    arch = interventions.network_of(interventions.pooled(load, spec["arm"]["profile"]), spec)
    rows = [interventions.arm_runs(interventions.pooled(load, spec[side]["profile"]), spec[side], arch)
            for side in ("arm", "base")]
    used = pd.concat([r[r["seed"].isin(seeds)] for r in rows if len(r)]) \
        if any(len(r) for r in rows) else pd.DataFrame(columns=["path", "seed"])
    return _records(used, results)


# The numbers a later prediction's reasoning was read from: a contrast (arm − base, as a
# prediction states one, :func:`bnorder.interventions.contrast`) on the seeds that had landed when
# that prediction was written. The chapter sets them beside the same contrast on every seed now.
_CNN_FIRST_BLOCK_SWAP = {"arch": "cnn", "seeds": [0, 1, 2, 3],
                         "arm": {"profile": "why-cnn-first-block", "block": "bn-relu", "first_block": "relu-bn"},
                         "base": {"profile": "cnn-converged", "block": "bn-relu"}}
EARLY_CONTRASTS = {
    # what the running statistics cost each order (precise − running), read before why-cnn-bn-eval
    **{f"cnn-running-cost-{block}-seeds-0-3": {
        "arch": "cnn", "seeds": [0, 1, 2, 3], "metric": "final_test_acc",
        "arm": {"profile": "cnn-converged", "block": block, "metric": "final_test_acc_precise"},
        "base": {"profile": "cnn-converged", "block": block}} for block in ("bn-relu", "relu-bn")},
    # relu-bn in block 1 of bn-relu, read before why-cnn-centred-input
    "cnn-first-block-seeds-0-3": {**_CNN_FIRST_BLOCK_SWAP, "metric": "final_test_acc"},
    "cnn-first-block-precise-seeds-0-3": {**_CNN_FIRST_BLOCK_SWAP, "metric": "final_test_acc_precise"},
}


def early_findings(results, load=None) -> dict[str, dict]:
    """Each of :data:`EARLY_CONTRASTS` on its seeds, paired, with its verdict (kind ``early``)."""
    load = load or loader(results)
    out = {}
    for key, spec in EARLY_CONTRASTS.items():
        _, _, seeds = interventions.paired(spec, load)
        if len(seeds) < 2:
            continue
        what = " − ".join(" ".join([side["profile"], side["block"]]
                                   + ([f"(block 1 {side['first_block']})"] if side.get("first_block") else [])
                                   + [side.get("metric", spec["metric"])])
                          for side in (spec["arm"], spec["base"]))
        out[key] = {"kind": "early", "what": what, "metric": spec["metric"],
                    "seeds": [int(s) for s in seeds], "records": _contrast_records(spec, seeds, load, results),
                    **_verdict_entry(interventions.contrast(spec, load))}
    return out


def original_findings(original=None) -> dict[str, dict]:
    """The original study re-read: its differences at the final epoch (Welch over unpaired
    runs), the two runs of case 1 of its CNN against each other, Experiment 1's case1 deficit
    under each score, and per case of Experiment 1 its late volatility and the shortfall of its
    last epoch below its best."""
    runs = reference.load_original_runs() if original is None else original
    final = reference.original_final(runs)
    data = {"data": [ORIGINAL_DATA]}

    def group(exp, arch, case):
        return final.loc[(final["experiment"] == exp) & (final["arch"] == arch)
                         & (final["case"] == case), "test_acc"].to_numpy(float)

    out = {}
    pairs = [(f"original-{e}-{a}-{x}-vs-{y}", (e, a, x), (e, a, y)) for e, a, x, y in ORIGINAL_DIFFERENCES]
    pairs.append(("original-cnn-case1-exp2-vs-exp1", ("exp2", "cnn", "case1"), ("exp1", "cnn", "case1")))
    for key, x, y in pairs:
        a, b = group(*x), group(*y)
        if len(a) < 2 or len(b) < 2:
            continue
        v = verdicts.unpaired_verdict(a, b)
        out[key] = {"kind": "original", "what": f"{' '.join(x)} − {' '.join(y)}",
                    "metric": "final_test_acc", "runs": [len(a), len(b)], **data, **_verdict_entry(v)}
    if (runs["experiment"] == "exp1").any():
        con = reference.case_contrasts(runs, "exp1", contrasts={"deficit": reference.CONTRASTS[reference.DEFICIT[0]]})
        for r in con.itertuples():
            v = verdicts.Verdict(r.n_runs, r.estimate, r.ci_low, r.ci_high,
                                 verdicts.interval_state(r.ci_low, r.ci_high),
                                 int(np.sign(r.estimate)), r.runs_agree, np.nan)
            out[f"original-exp1-{r.arch}-deficit-{r.score.replace('_', '-')}"] = {
                "kind": "original", "what": reference.DEFICIT[0], "metric": r.score, **data,
                **_verdict_entry(v)}
        scores = reference.run_scores(runs, "exp1")
        scores["shortfall"] = scores["best"] - scores["final"]
        for (arch, case), g in scores.groupby(["arch", "case"], sort=True):
            for name, col in (("late-volatility", "late_volatility"), ("shortfall", "shortfall"),
                              ("best", "best"), ("final", "final")):
                out[f"original-exp1-{arch}-{case}-{name}"] = {
                    "kind": "describe", "what": col, **data, **_describe_entry(g[col].to_numpy(float))}
    return out


def rerun_findings(results, every: pd.DataFrame) -> dict[str, dict]:
    """``rerun-noise-<arch>``: one configuration and seed trained twice, in two sessions
    (:mod:`bnorder.reruns`): the later run's final test accuracy minus the earlier's, its mean
    with a 95% interval, ``sd`` the spread of such differences, ``sd_run`` that of one run."""
    from . import reruns

    pairs = reruns.rerun_pairs(every) if len(every) else pd.DataFrame()
    out = {}
    for arch, sub in (pairs.groupby("arch") if len(pairs) else []):
        noise = reruns.rerun_noise(sub)
        used = every[every["config_hash"].isin(sub["config_hash"]) & (every["status"] == "ok")]
        out[f"rerun-noise-{arch}"] = {
            "kind": "describe", "metric": "final_test_acc",
            "what": f"{arch}: a rerun of the same configuration and seed minus the first run",
            "n": noise["n"], "mean": noise["mean"], "low": noise["low"], "high": noise["high"],
            "sd": noise["sd_difference"], "sd_run": noise["sd_run"], "records": _records(used, results)}
    return out


# The Replication chapter's rerun: the book profile it reads unless $BNORDER_BOOK_PROFILE says otherwise.
REPLICATION_BASE = "cpu"


def _ratio_entry(ratio: float, low: float, high: float, n: int) -> dict:
    """A ratio of standard deviations as a finding: ``mean`` the ratio, ``low``/``high`` its 95%
    interval; resolved when the interval excludes one, ``direction`` the sign of the log ratio
    (negative: the first spreads less). No seeds count agrees or would decide a ratio."""
    state = verdicts.interval_state(np.log(low), np.log(high)) if low > 0 else "unresolved"
    return {"n": int(n), "mean": ratio, "low": low, "high": high, "margin": None, "state": state,
            "direction": int(np.sign(np.log(ratio))), "agree": None, "seeds_needed": None,
            "seeds_needed_for": None}


def replication_findings(results, base: str = REPLICATION_BASE, load=None, original=None) -> dict[str, dict]:
    """The Replication chapter's rerun of the original study's comparisons
    (:mod:`bnorder.replication`), from the book profile ``base`` and its CNN edition:

    - ``replication-<arch>-<a>-vs-<b>`` and ``…-best-val``: case a − case b at the last and at
      the best-validation epoch, paired by seed, with the chapter's margin in the MLPs
      (:func:`~bnorder.replication.paired`, :func:`~bnorder.replication.margin_for`);
    - ``replication-<arch>-<case>-vs-case1-spread`` and, from the study's unpaired runs,
      ``original-<exp>-<arch>-<case>-vs-case1-spread``: the ratio of that case's standard
      deviation over seeds (runs) to case 1's, with its 95% interval
      (:func:`~bnorder.replication.spread_rows`); negative: less spread than case 1."""
    from . import replication as rp

    runs, editions = rp.replication_runs(results, base, load)
    out = {}
    for arch in rp.ARCHS:
        for block, ref in rp.COMPARISONS:
            for value in rp.VALUES:
                d = rp.paired(runs, arch, block, ref, value)
                if d is None or not len(d):
                    continue
                d = d.sort_index()
                used = runs[(runs["arch"] == arch) & runs["block"].isin([block, ref])
                            & runs["seed"].isin(d.index)]
                out[rp.finding_id(arch, block, ref, "here", value)] = {
                    "kind": "replication", "what": f"{block} − {ref}", "metric": value,
                    "profile": editions[arch], "seeds": [int(s) for s in d.index],
                    "records": _records(used, results),
                    **_verdict_entry(verdicts.verdict(d.to_numpy(), rp.margin_for(arch)))}
    for r in rp.spread_rows(runs, original).itertuples():
        if not (np.isfinite(r.low) and np.isfinite(r.high)):
            continue
        entry = {"what": f"sd({r.block}) / sd(bn-relu)", "metric": "final_test_acc",
                 **_ratio_entry(r.ratio, r.low, r.high, r.n)}
        if r.source == "here":
            used = runs[(runs["arch"] == r.arch) & runs["block"].isin([r.block, "bn-relu"])
                        & runs["seed"].isin(r.seeds)]
            entry = {"kind": "replication", "profile": editions[r.arch],
                     "seeds": [int(s) for s in r.seeds], "records": _records(used, results), **entry}
        else:
            entry = {"kind": "original", "data": [ORIGINAL_DATA], **entry}
        out[rp.spread_id(r.arch, r.block, r.source)] = entry
    return out


def original_epoch_findings(original=None) -> dict[str, dict]:
    """The original study's CNN read beyond its reported number (Welch, unpaired runs):

    - ``original-exp1-cnn-<a>-vs-<b>-<score>``: the differences of
      :data:`ORIGINAL_DIFFERENCES` in Experiment 1 with every run scored by its best epoch, the
      mean of its last three epochs, or its late volatility (:func:`bnorder.reference.run_scores`;
      the final epoch is ``original-exp1-cnn-<a>-vs-<b>``);
    - ``original-exp2-<arch>-deficit-final``: case 1 − mean(case 2, case 3) in Experiment 2;
    - ``original-cnn-<case>-exp2-vs-exp1``: a case's mean in Experiment 2 − in Experiment 1,
      for cases 2 and 3 (case 1: :func:`original_findings`);
    - ``original-cnn-deficit-exp2-vs-exp1`` and ``…-<score>``: the case 1 deficit of
      Experiment 2 − that of Experiment 1, scored at its final epoch, its last three epochs
      or its best epoch (:func:`bnorder.reference.table_consistency`)."""
    runs = reference.load_original_runs() if original is None else original
    data = {"data": [ORIGINAL_DATA]}
    out = {}
    if not (runs["experiment"] == "exp1").any():
        return out
    scores = reference.run_scores(runs, "exp1")
    for exp, arch, x, y in ORIGINAL_DIFFERENCES:
        for score in ("best", "last3", "late_volatility") if exp == "exp1" else ():
            a, b = (scores.loc[(scores["arch"] == arch) & (scores["case"] == c), score].dropna()
                    for c in (x, y))
            if len(a) < 2 or len(b) < 2:
                continue
            out[f"original-exp1-{arch}-{x}-vs-{y}-{score.replace('_', '-')}"] = {
                "kind": "original", "what": f"exp1 {arch} {x} − exp1 {arch} {y}", "metric": score,
                "runs": [len(a), len(b)], **data, **_verdict_entry(verdicts.unpaired_verdict(a, b))}
    if not (runs["experiment"] == "exp2").any():
        return out
    final = reference.original_final(runs)
    for case in ("case2", "case3"):
        a, b = (final.loc[(final["experiment"] == e) & (final["arch"] == "cnn") & (final["case"] == case),
                          "test_acc"].to_numpy(float) for e in ("exp2", "exp1"))
        if len(a) >= 2 and len(b) >= 2:
            out[f"original-cnn-{case}-exp2-vs-exp1"] = {
                "kind": "original", "what": f"exp2 cnn {case} − exp1 cnn {case}",
                "metric": "final_test_acc", "runs": [len(a), len(b)], **data,
                **_verdict_entry(verdicts.unpaired_verdict(a, b))}
    deficit = reference.DEFICIT[0]
    con = reference.case_contrasts(runs, "exp2", scores=("final",),
                                   contrasts={"deficit": reference.CONTRASTS[deficit]})
    for r in con.itertuples():
        v = verdicts.Verdict(r.n_runs, r.estimate, r.ci_low, r.ci_high,
                             verdicts.interval_state(r.ci_low, r.ci_high), int(np.sign(r.estimate)),
                             r.runs_agree, np.nan)
        out[f"original-exp2-{r.arch}-deficit-final"] = {
            "kind": "original", "what": deficit, "metric": "final", **data, **_verdict_entry(v)}
    n = int(final.groupby(["experiment", "arch", "case"]).size().min())
    tab = reference.table_consistency(runs)
    for r in tab[tab["quantity"] == deficit].itertuples():
        v = verdicts.Verdict(n, r.difference, r.ci_low, r.ci_high,
                             verdicts.interval_state(r.ci_low, r.ci_high), int(np.sign(r.difference)),
                             None, np.nan)
        suffix = "" if r.exp1_score == "final" else f"-{r.exp1_score}"
        out[f"original-{r.arch}-deficit-exp2-vs-exp1{suffix}"] = {
            "kind": "original", "what": f"{deficit}: exp2 (final) − exp1 ({r.exp1_score})",
            "metric": r.exp1_score, **data, **_verdict_entry(v)}
    return out


def compute(results="results", base: str = "factorial", predictions=None, original=None,
            book: str = REPLICATION_BASE) -> dict:
    """Every finding from the records under ``results``, the predictions and the original data;
    ``base`` is the factorial design's profile, ``book`` the Replication chapter's."""
    load = loader(results)
    every = load_records(results) if Path(results).is_dir() else pd.DataFrame()
    parts = [factorial_findings(results, base, load), order_findings(results, every),
             schedule_findings(results, every) if len(every) else {},
             robustness_findings(results, base, load),
             prediction_findings(results, predictions, load), early_findings(results, load),
             original_findings(original),
             rerun_findings(results, every), replication_findings(results, book, load, original),
             original_epoch_findings(original)]
    findings: dict[str, dict] = {}
    for part in parts:
        clash = set(findings) & set(part)
        if clash:
            raise ValueError(f"two findings share the id(s) {', '.join(sorted(clash))}")
        findings.update(part)
    for entry in findings.values():
        entry["claim"] = claim_state(entry)
    return findings


# ------------------------------------------------------------------ the file

def _clean(x):
    """JSON-ready and rounded: floats to :data:`DIGITS` decimals, NaN to null, inf to "inf"."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_clean(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        r = round(x, DIGITS)
        return 0.0 if r == 0 else r
    return x


_FLAT_LIST = re.compile(r"\[\s*([^\[\]{}]*?)\s*\]", re.S)


def dumps(findings: dict) -> str:
    """``book/findings.json``'s text: sorted keys, two-space indent, short lists on one line."""
    text = json.dumps({"schema": SCHEMA, "findings": _clean(findings)}, indent=2, sort_keys=True,
                      ensure_ascii=False)
    return _FLAT_LIST.sub(lambda m: "[" + ", ".join(s.strip() for s in m.group(1).split(",")) + "]"
                          if m.group(1).strip() else "[]", text) + "\n"


def write(results="results", out=FINDINGS, **kw) -> Path:
    out = Path(out)
    out.write_text(dumps(compute(results, **kw)), encoding="utf-8")
    return out


def read(path=FINDINGS) -> dict[str, dict]:
    """The findings as committed."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["findings"]


# ------------------------------------------------------------------ claims

def parse_claim(text: str) -> tuple[str, str]:
    """``"<id>:<state>"`` of a ``{claim}`` role as (id, state); ValueError when malformed."""
    finding, sep, state = text.strip().rpartition(":")
    if not sep or not finding or state not in CLAIM_STATES:
        raise ValueError(f"a claim reads {{claim}}`<finding id>:<state>` with a state among "
                         f"{', '.join(CLAIM_STATES)}; got {text!r}")
    return finding, state


def claims(book=BOOK) -> list[tuple[str, int, str]]:
    """Every ``{claim}`` role in the chapters' text: (chapter file, line, role text). Code cells,
    fenced blocks and ````...```` code spans (a role shown as an example) are not text."""
    found = []
    for path in sorted(Path(book).glob("*.md")):
        fenced = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("```", "~~~")):   # a fence opens, or a bare one closes
                fenced = True if not fenced else bool(line.strip().strip("`~"))
                continue
            if not fenced:
                found += [(path.name, number, m.group(1))
                          for m in CLAIM.finditer(_CODE_SPAN.sub("", line))]
    return found


def check(findings: dict[str, dict], book=BOOK) -> list[str]:
    """One line per claim the findings no longer support (empty: every claim holds), naming the
    chapter and line, the finding, the state asserted and the state the records now give."""
    problems = []
    for chapter, line, text in claims(book):
        where = f"{chapter}:{line}"
        try:
            finding, asserted = parse_claim(text)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if finding not in findings:
            problems.append(f"{where}: claim {finding}:{asserted} names no finding")
            continue
        now = claim_state(findings[finding])
        if now != asserted:
            problems.append(f"{where}: {finding} was claimed {asserted}; the records now give {now}")
    return problems


def main(results="results", out=FINDINGS, check_only: bool = False, book=BOOK, **kw) -> int:
    """``python -m bnorder findings``: write ``out``; with ``check_only``, write nothing and
    exit 1 when a claim is no longer supported or ``out`` is not what the records give."""
    text = dumps(compute(results, **kw))
    if not check_only:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}")
        return 0
    problems = check(json.loads(text)["findings"], book)
    for p in problems:
        print(p)
    stale = not Path(out).exists() or Path(out).read_text(encoding="utf-8") != text
    if stale:
        print(f"{out} is not what the records give: run python -m bnorder findings and commit it")
    n = len(claims(book))
    print(f"{len(problems)} of {n} claims no longer hold" if problems else f"all {n} claims hold")
    return 1 if problems or stale else 0
