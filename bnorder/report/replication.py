"""The Replication chapter: the original study's claims against our rerun of its protocol.

The study's numbers are data (``book/reference/``, :mod:`bnorder.analysis.original_study`). Its runs are
unpaired, so its comparisons use Welch intervals (:func:`bnorder.analysis.stats.contrast_interval`); ours
are paired by seed, so they use :func:`bnorder.analysis.verdicts.verdict` on the per-seed differences.
Both end in the three verdict states of :mod:`bnorder.analysis.verdicts`, and each comparison is a finding
of :mod:`bnorder.findings` (:func:`finding_id`), which the chapter shows with
:func:`bnorder.report.verdict_table` and reads in its own words.

The seed-mlp and the mlp come from the book's profile (``$BNORDER_BOOK_PROFILE``, default
``cpu``). The CNN comes from the strongest edition that trained the study's three cases with at
least two complete seeds (:data:`bnorder.analysis.pooling.CNN_EDITIONS`): ``factorial-gpu``, then
``cnn-converged``, and only when neither has, the book profile's own CNN (in ``cpu``: 4,000
images and 5 epochs, early training only).
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats as sps

from ..analysis import original_study
from ..analysis import verdicts
from ..analysis.pooling import loader
from ..analysis.replication import (
    ARCHS,
    CASE,
    CASES,
    COMPARISONS,
    VALUES,
    complete_seeds,
    finding_id,
    margin_for,
    original_runs,
    paired,
    spread_id,
)
from ..runs.profiles import PROFILES
from ..runs.records import completed
from .missing_runs import planned_archs, sweep_command
from .style import DATASET_NAMES, STATE_COLOURS, block_palette, fmt, ordered

SOURCES = {"exp1": "the study, Experiment 1", "exp2": "the study, Experiment 2", "here": "here"}
MARKERS = {"exp1": "s", "exp2": "D", "here": "o"}
DASH = "—"
HERE = {"final_test_acc": "here, last epoch", "best_val_epoch_test_acc": "here, best-val. epoch"}
# The study's accuracy claims, as (network, block, reference): block − reference. In its MLP
# (our seed-mlp) "the order hardly matters"; our mlp, whose every block carries the order, asks
# the same of a network the study did not have.
CLAIMS = [("cnn", "relu-bn", "bn-relu"), ("cnn", "lrelu-bn", "relu-bn"),
          ("seed-mlp", "relu-bn", "bn-relu"), ("seed-mlp", "lrelu-bn", "bn-relu"),
          ("mlp", "relu-bn", "bn-relu"), ("mlp", "lrelu-bn", "bn-relu")]


def book_profile(env=None) -> str:
    """The profile of the rerun (``$BNORDER_BOOK_PROFILE``, default ``cpu``)."""
    env = os.environ if env is None else env
    return env.get("BNORDER_BOOK_PROFILE", "cpu")


def study_facts(original=None) -> dict[str, str]:
    """The study's protocol as its data show it: runs per case and epochs, and the 95%
    interval of a standard deviation from that many runs, as multiples of the estimate."""
    final = original_study.original_final(original_runs(original))
    n = int(final.groupby(["experiment", "arch", "case"]).size().min())
    low, high = (np.sqrt((n - 1) / sps.chi2.ppf(q, n - 1)) for q in (0.975, 0.025))
    return {"study_runs": str(n), "study_epochs": str(int(original_runs(original)["epoch"].max())),
            "sd_low": fmt(low), "sd_high": fmt(high)}


def comparison_label(block: str, ref: str) -> str:
    """``"case 2 − case 1"``."""
    return f"{CASE[block]} − {CASE[ref]}"


# ------------------------------------------------------------------ which runs

def archs_of(runs: pd.DataFrame) -> list[str]:
    return ordered(runs["arch"], ARCHS) if len(runs) else []


def early(sub: pd.DataFrame) -> bool:
    """A network trained on a subset of the images or for fewer than the study's 10 epochs."""
    return bool(sub["train_subset"].max() or int(sub["epochs"].max()) < 10)


def edition_label(runs: pd.DataFrame, editions: dict[str, str], arch: str) -> str:
    """``"profile `cpu`, early training only"``: where a network's numbers come from."""
    sub = runs[runs["arch"] == arch]
    return f"profile `{editions[arch]}`" + (", early training only" if early(sub) else "")


def setting_table(runs: pd.DataFrame, editions: dict[str, str], seeds=None) -> pd.DataFrame:
    """Per network: the profile it comes from, its data, size and training, and its paired seeds
    (``seeds(runs of one network)``, default :func:`complete_seeds`)."""
    seeds = seeds or complete_seeds
    rows = []
    for arch in ordered(runs["arch"], ARCHS) if len(runs) else []:
        sub = runs[runs["arch"] == arch]
        r = sub.iloc[0]
        unit = "channels" if arch == "cnn" else "units"
        rows.append({"network": arch, "profile": editions.get(arch, r["profile"]),
                     "data": DATASET_NAMES.get(r["dataset"], r["dataset"]),
                     "size": ("the study's MLP" if arch == "seed-mlp"
                              else f"{int(r['depth'])} blocks of {int(r['width'])} {unit}"),
                     "training images": f"{int(r['train_subset']):,}" if r["train_subset"] else "all",
                     "epochs": int(sub["epochs"].max()), "paired seeds": seeds(sub),
                     "early training only": "yes" if early(sub) else "no"})
    return pd.DataFrame(rows).set_index("network") if rows else pd.DataFrame()


def run_settings(runs: pd.DataFrame) -> dict[str, str]:
    """What every network of the rerun shares, as short labels: its data, batch size, Adam's
    learning rate and the share of the training images held out for validation."""
    if not len(runs):
        return {k: DASH for k in ("rerun_data", "rerun_batch", "rerun_lr", "rerun_val")}
    def listed(values, text):
        return " or ".join(text(v) for v in sorted(values.unique()))
    return {"rerun_data": listed(runs["dataset"], lambda d: DATASET_NAMES.get(d, d)),
            "rerun_batch": listed(runs["batch_size"], lambda b: str(int(b))),
            "rerun_lr": listed(runs["lr"], lambda x: f"{x:g}"),
            "rerun_val": listed(runs["val_fraction"], lambda x: f"{x:.0%}")}


def reductions(editions: dict[str, str], base: str) -> str:
    """Markdown list: what the chapter's profiles change relative to the original protocol
    (a base profile's line about its CNN is left out when the CNN comes from elsewhere; with
    no runs yet, everything ``base`` would change)."""
    editions = editions or {arch: base for arch in planned_archs(base)} or {None: base}
    lines = []
    for arch, profile in editions.items():
        for r in PROFILES[profile].reductions if profile in PROFILES else []:
            own = r.split(":")[0] if ":" in r else None
            if own in (None, arch) and r not in lines:
                lines.append(r)
    return "\n".join(f"- {r}" for r in lines) or "- nothing"


# ------------------------------------------------------------------ status

def status_note(records: pd.DataFrame, base: str, results):
    """Markdown for the top of the chapter: no records, runs that did not complete, or records
    that mix configurations (else None)."""
    from IPython.display import Markdown

    from ..runs.records import check_poolable, load_record

    if not len(completed(records)):
        return Markdown(
            f"**No completed run records of profile `{base}` were found** under `{results}`, so "
            f"the rerun has no numbers yet; the original study's, which are data, are shown in "
            f"full. Create them with `{sweep_command(base)}` and build the book again (set "
            f"`BNORDER_RESULTS` if the records are elsewhere).")
    notes = []
    try:
        check_poolable(completed(records))
    except ValueError as e:
        notes.append(f"**These records mix configurations.** {e}. Rerun the profile into an "
                     "empty results folder.")
    for r in records[records["status"] != "ok"].sort_values(["arch", "block", "seed"]).itertuples():
        error = (load_record(r.path).get("failure") or {}).get("error")
        notes.append(f"`{r.arch}`, `{r.block}`, seed {r.seed} {r.status}"
                     + (f": `{str(error).replace('`', chr(39))}`" if error else "")
                     + "; it is left out of every number.")
    return Markdown("\n\n".join(notes)) if notes else None


# ------------------------------------------------------------------ comparisons

def comparisons(runs: pd.DataFrame, value: str = "final_test_acc", original=None) -> pd.DataFrame:
    """Every comparison behind the study's claims, per network and source: the study's two
    experiments (unpaired, Welch) and ``here`` (paired by seed; ``values``: the seeds')."""
    final = original_study.original_final(original_runs(original))
    rows = []
    for arch in ARCHS:
        for block, ref in COMPARISONS:
            for exp, g in final[final["our_arch"] == arch].groupby("experiment"):
                v = verdicts.unpaired_verdict(g.loc[g["block"] == block, "test_acc"],
                                     g.loc[g["block"] == ref, "test_acc"], margin_for(arch))
                rows.append({"arch": arch, "block": block, "ref": ref, "source": exp,
                             "values": [], **v.as_dict()})
            d = paired(runs, arch, block, ref, value)
            if d is not None and len(d):
                v = verdicts.verdict(d.to_numpy(), margin_for(arch))
                rows.append({"arch": arch, "block": block, "ref": ref, "source": "here",
                             "values": d.tolist(), **v.as_dict()})
    columns = ["arch", "block", "ref", "source", "values", *verdicts.Verdict.__dataclass_fields__]
    return pd.DataFrame(rows, columns=columns)


def _draw_comparison(ax, r, y: float) -> None:
    colour = STATE_COLOURS[r.state]
    if len(r.values):
        ax.scatter(r.values, np.full(len(r.values), y - 0.1), s=9, color=colour, alpha=0.5, lw=0)
    if np.isfinite(r.low):
        ax.errorbar(r.mean, y, xerr=[[r.mean - r.low], [r.high - r.mean]], fmt=MARKERS[r.source],
                    color=colour, capsize=2, ms=4)
    else:
        ax.plot(r.mean, y, MARKERS[r.source], color=colour, ms=4)


def claims_figure(table: pd.DataFrame):
    """One panel per network: each comparison of :data:`COMPARISONS` from the study's two
    experiments and from here, with its 95% interval coloured by verdict; the margin of
    "hardly matters" shaded in the MLPs."""
    archs = ordered(table["arch"], ARCHS) if len(table) else []
    fig, axes = plt.subplots(1, max(1, len(archs)), figsize=(2.4 * max(1, len(archs)), 3.0),
                             squeeze=False, sharey=True)
    offsets = {"exp1": 0.27, "exp2": 0.0, "here": -0.27}
    for ax, arch in zip(axes[0], archs):
        if margin_for(arch):
            ax.axvspan(-margin_for(arch), margin_for(arch), color="#e8e8e8", lw=0)
        for i, (block, ref) in enumerate(COMPARISONS):
            sub = table[(table["arch"] == arch) & (table["block"] == block) & (table["ref"] == ref)]
            for r in sub.itertuples():
                _draw_comparison(ax, r, len(COMPARISONS) - 1 - i + offsets[r.source])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(COMPARISONS)), [comparison_label(*c) for c in COMPARISONS][::-1])
        ax.set(title=arch, xlabel="difference (points)")
    handles = [plt.Line2D([], [], marker=MARKERS[s], ls="", color="black", label=label)
               for s, label in SOURCES.items()]
    handles += [plt.Line2D([], [], marker="o", ls="", color=c, label=s) for s, c in STATE_COLOURS.items()
                if s in ("resolved", "equivalent", "unresolved")]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0), handletextpad=0.2, columnspacing=1.2)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


# ------------------------------------------------------------------ the claims as findings

def study_experiments(arch: str, original=None) -> list[str]:
    """The study's experiments that trained ``arch`` (ours: ``seed-mlp`` is its MLP)."""
    final = original_study.original_final(original_runs(original))
    return sorted(final.loc[final["our_arch"] == arch, "experiment"].unique())


def spread_ids(original=None) -> list[str]:
    """Every spread finding the chapter can cite: per network and case 2 and 3, the study's
    experiments that trained the network and the rerun."""
    return [spread_id(arch, block, source) for arch in ARCHS for block in CASES[1:]
            for source in [*study_experiments(arch, original), "here"]]


def claim_rows(arch: str, original=None) -> dict[str, str]:
    """``{label: finding id}`` of one network: each comparison of :data:`COMPARISONS` from the
    study's experiments that trained it and from the rerun at its last and best-validation
    epochs."""
    rows = {}
    for block, ref in COMPARISONS:
        for exp in study_experiments(arch, original):
            rows[f"{comparison_label(block, ref)}, study, Exp. {exp[-1]}"] = finding_id(arch, block, ref, exp)
        for value, when in HERE.items():
            rows[f"{comparison_label(block, ref)}, {when}"] = finding_id(arch, block, ref, "here", value)
    return rows


def claims_table(arch: str, found: dict | None = None, original=None) -> pd.DataFrame:
    """:func:`bnorder.report.verdict_table` of :func:`claim_rows`: the study's runs and the
    rerun's seeds side by side ('not run yet' where the rerun has no such comparison)."""
    from . import verdict_table

    return verdict_table(claim_rows(arch, original), found)


def chapter_findings(results, base: str) -> dict[str, dict]:
    """The findings the chapter's tables read: the book's (:func:`bnorder.report.findings`),
    with the rerun's computed from ``results`` where the chapter reads another profile than
    the committed findings (:data:`bnorder.findings.REPLICATION_BASE`) or other records."""
    from pathlib import Path

    from .. import findings as fd
    from . import ROOT, findings

    found = findings()
    if base == fd.REPLICATION_BASE and Path(results).resolve() == (ROOT / "results").resolve():
        return found
    return {**found, **fd.replication_findings(results, base)}


# ------------------------------------------------------------------ accuracy and spread

def _mean_sd(values) -> str:
    v = pd.Series(values, dtype=float).dropna()
    if not len(v):
        return DASH
    return f"{v.iloc[0]:.2f} (1 run)" if len(v) == 1 else f"{v.mean():.2f} ± {v.std(ddof=1):.2f}"


def accuracy_table(runs: pd.DataFrame, original=None) -> pd.DataFrame:
    """Per network and case: test accuracy as mean ± sample sd (ddof=1) here at the final and
    best-validation epochs, and in the study's two experiments (CIFAR-10, final epoch)."""
    final = original_study.original_final(original_runs(original))
    rows = []
    for arch in ARCHS:
        for block in CASES:
            mine = runs[(runs["arch"] == arch) & (runs["block"] == block)] if len(runs) else runs
            study = final[(final["our_arch"] == arch) & (final["block"] == block)]
            if not len(mine) and not len(study):
                continue
            row = {"network": arch, "case": f"{CASE[block]} ({block})"}
            row.update({f"here, {label}": _mean_sd(mine[v]) if len(mine) else DASH
                        for v, label in VALUES.items()})
            row.update({f"study, Exp. {e[-1]}": _mean_sd(study.loc[study["experiment"] == e, "test_acc"])
                        for e in ("exp1", "exp2")})
            rows.append(row)
    return pd.DataFrame(rows).set_index(["network", "case"]) if rows else pd.DataFrame()


def spread_table(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`spread_rows` as a narrow table: networks and cases down, sources across."""
    if not len(rows):
        return pd.DataFrame()
    def text(r):
        if not np.isfinite(r.ratio):
            return DASH
        return f"{r.ratio:.2f} [{r.low:.2f}, {r.high:.2f}]" if np.isfinite(r.low) else f"{r.ratio:.2f}"

    cell = rows.assign(text=[text(r) for r in rows.itertuples()],
                       case=[f"{CASE[b]} ({b})" for b in rows["block"]])
    table = cell.pivot_table(index=["arch", "case"], columns="source", values="text", aggfunc="first")
    table = table.reindex(columns=[s for s in SOURCES if s in table.columns]).fillna(DASH)
    table = table.rename(columns={s: "here" if s == "here" else f"study, Exp. {s[-1]}" for s in SOURCES})
    table = table.reindex(ordered(table.index.get_level_values(0), ARCHS), level=0)
    return table.rename_axis(index=["network", "case"], columns=None)


# ------------------------------------------------------------------ provenance

def every_record(results, base: str, editions: dict[str, str]) -> pd.DataFrame:
    """Every record the chapter draws on, failed ones too: the base profile's, and the CNN
    edition's when it is another profile."""
    load = loader(results)
    other = editions.get("cnn", base)
    frames = [f for f in (load(base), load(other) if other != base else None) if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def runs_table(records: pd.DataFrame) -> pd.DataFrame:
    """Every record, one row per run: status, epochs run and its accuracies."""
    if not len(records):
        return pd.DataFrame()
    t = records.assign(epochs_run=records["history"].apply(len))
    cols = {"status": "status", "epochs_run": "epochs", "final_test_acc": "final epoch",
            "best_val_epoch": "best-val. epoch", "best_val_epoch_test_acc": "test acc. there"}
    t = t.set_index(["profile", "arch", "block", "seed"])[list(cols)].rename(columns=cols)
    return t.sort_index().round(2)


def provenance_table(records: pd.DataFrame) -> pd.DataFrame:
    """The code version, device and libraries the records ran with, and their compute time."""
    if not len(records):
        return pd.DataFrame()
    r = records.assign(commit=records["prov_git_commit"].fillna("unknown").str.slice(0, 12),
                       hours=records["prov_wall_seconds"].astype(float) / 3600)
    keys = {"profile": "profile", "commit": "commit", "prov_device_name": "device",
            "prov_torch_version": "PyTorch"}
    out = r.groupby(list(keys), dropna=False).agg(runs=("seed", "size"), hours=("hours", "sum"))
    return out.rename_axis(index=list(keys.values())).round(2)


def curves_figure(runs: pd.DataFrame):
    """Training accuracy (running, during the epoch) and test accuracy after every epoch, mean
    over seeds, by network (columns, the chapter's order) and case."""
    import seaborn as sns

    from ..runs.records import epochs_frame

    ep, archs = epochs_frame(runs), archs_of(runs)
    fig, axes = plt.subplots(2, len(archs), figsize=(2.4 * len(archs), 5), squeeze=False, sharex="col")
    for j, arch in enumerate(archs):
        for i, (metric, label) in enumerate([("train_acc", "training accuracy (%)"),
                                             ("test_acc", "test accuracy (%)")]):
            sns.lineplot(data=ep[ep["arch"] == arch], x="epoch", y=metric, hue="block",
                         hue_order=[b for b in CASES if b in set(ep.loc[ep["arch"] == arch, "block"])],
                         palette=block_palette(), errorbar=None, ax=axes[i][j], legend=(i + j == 0))
            axes[i][j].set(ylabel=label if j == 0 else "", title=arch if i == 0 else "")
    if axes[0][0].get_legend():
        axes[0][0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def glue_curves(name: str, runs: pd.DataFrame) -> None:
    """Glue :func:`curves_figure` of ``runs``, or a note when there are none."""
    from .. import report

    if len(runs):
        report.glue_figure(name, curves_figure(runs))
    else:
        report.glue_md(name, "*No runs to plot yet.*")
