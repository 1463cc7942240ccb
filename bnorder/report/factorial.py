"""The Factorial chapter: the 2x2 design's effects per network, from the strongest edition.

The MLP comes from the factorial base profile. The CNN comes from the largest completed
edition: the full-size GPU profile when it has runs, else the converged CPU CNN
(``cnn-converged``), else the base profile's early-training CNN (4,000 images, 5 epochs),
labelled as such.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..analysis import pooling
from ..analysis import stats, verdicts
from ..analysis.contrasts import (
    ACTIVATION,
    CONTRAST_IDS,
    FACTORIAL_CELLS,
    INTERACTION,
    MIXED,
    POSITION,
    by_seed,
    contrast_verdicts,
)
from ..analysis.pooling import factorial_complete_seeds, loader
from ..runs.records import epochs_frame
from .missing_runs import not_run_sentence
from .style import (
    ARCH_ORDER,
    BLOCK_ORDER,
    DATASET_NAMES,
    STATE_COLOURS,
    block_palette,
    interval,
    ordered,
)

CONTRAST_LABELS = {POSITION: "position", ACTIVATION: "activation",
                   INTERACTION: "interaction", MIXED: "case 3 − case 1"}


def factorial_runs(results, base: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """The completed runs the chapter analyses and, per network, the profile they come from."""
    return pooling.factorial_runs(results, base, loader(results))


def archs_of(runs: pd.DataFrame) -> list[str]:
    return ordered(runs["arch"], ARCH_ORDER) if len(runs) else []


def size_text(sub: pd.DataFrame) -> str:
    """A network's size and training as a phrase, from its runs' configs."""
    r = sub.iloc[0]
    unit = "channels" if r["arch"] == "cnn" else "units"
    images = f"{int(r['train_subset']):,} training images" if r["train_subset"] else "the full training split"
    early = " (early training only)" if r["train_subset"] or int(sub["epochs"].max()) < 10 else ""
    return (f"{int(r['depth'])} blocks of {int(r['width'])} {unit}, {images}, "
            f"{int(sub['epochs'].max())} epochs{early}")


def setting(runs: pd.DataFrame, editions: dict[str, str]) -> str:
    """One sentence per network: profile, size, training, seeds (stated once per chapter)."""
    parts = []
    for arch in archs_of(runs):
        sub = runs[runs["arch"] == arch]
        complete, begun = factorial_complete_seeds(sub), sub["seed"].nunique()
        seeds = (f"{complete} paired seeds" if complete == begun else
                 f"{complete} paired seeds with every block of the design ({begun} with some)")
        parts.append(f"the {arch} comes from profile `{editions[arch]}`: {size_text(sub)}, "
                     f"{seeds}, {DATASET_NAMES.get(sub['dataset'].iloc[0], sub['dataset'].iloc[0])}")
    return ("In this chapter " + "; ".join(parts) + ".") if parts else ""


# ------------------------------------------------------------------ effects

def effects(runs: pd.DataFrame, value: str = "final_test_acc") -> pd.DataFrame:
    """:func:`bnorder.analysis.contrasts.contrast_verdicts` with each contrast's ``label`` in the tables."""
    eff = contrast_verdicts(runs, value)
    eff.insert(2, "label", eff["contrast"].map(CONTRAST_LABELS))
    return eff


def status_note(runs: pd.DataFrame, base: str):
    """Markdown shown at the top when the base profile has no completed runs (else None)."""
    from IPython.display import Markdown

    if len(runs):
        return None
    return Markdown(not_run_sentence(base, "the factorial design") + " Set `BNORDER_RESULTS` "
                    "if the records are elsewhere, or `BNORDER_FACTORIAL_PROFILE` to analyse "
                    "another profile.")


def forest_figure(table: pd.DataFrame):
    """Each effect per network: seeds as dots, mean and 95% interval as a bar."""
    archs = ordered(table["arch"], ARCH_ORDER) if len(table) else []
    fig, axes = plt.subplots(1, max(1, len(archs)), figsize=(3.5 * max(1, len(archs)), 2.8),
                             squeeze=False, sharey=True)
    labels = list(CONTRAST_LABELS.values())
    for ax, arch in zip(axes[0], archs):
        sub = table[table["arch"] == arch].set_index("label")
        for i, label in enumerate(labels):
            if label not in sub.index:
                continue
            r, y = sub.loc[label], len(labels) - 1 - i
            colour = STATE_COLOURS[r["state"]]
            ax.scatter(r["values"], np.full(len(r["values"]), y + 0.2), s=9, color=colour, alpha=0.5, lw=0)
            ax.errorbar(r["mean"], y, xerr=[[r["mean"] - r["low"]], [r["high"] - r["mean"]]],
                        fmt="o", color=colour, capsize=3, ms=5)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(labels)), labels[::-1])
        ax.set(title=arch, xlabel="difference in test accuracy (points)")
    fig.tight_layout()
    return fig


def verdict_rows(arch: str) -> dict[str, str]:
    """``{label: finding id}`` for :func:`bnorder.report.verdict_table`: the network's four
    contrasts at the last epoch (``factorial-<arch>-<contrast>``) and its position at the
    best-validation epoch (``factorial-<arch>-position-best-val``)."""
    rows = {CONTRAST_LABELS[c]: f"factorial-{arch}-{key}" for c, key in CONTRAST_IDS.items()}
    return {**rows, "position (best-validation epoch)": f"factorial-{arch}-position-best-val"}


# ------------------------------------------------------------------ tables

def accuracy_table(runs: pd.DataFrame, value: str = "final_test_acc") -> pd.DataFrame:
    """Blocks (rows) × networks (columns): mean test accuracy and its 95% interval."""
    cells = {}
    for arch in archs_of(runs):
        sub = runs[runs["arch"] == arch]
        for block in ordered(sub["block"], BLOCK_ORDER):
            d = stats.describe(sub.loc[sub["block"] == block, value])
            cells[(block, arch)] = f"{d['mean']:.2f} [{d['ci_low']:.2f}, {d['ci_high']:.2f}]"
    if not cells:
        return pd.DataFrame()
    out = pd.Series(cells).unstack()
    return out.reindex(index=ordered(out.index, BLOCK_ORDER), columns=archs_of(runs))


def pairing_table(runs: pd.DataFrame, value: str = "final_test_acc") -> pd.DataFrame:
    """How much the seeds share across blocks, per network (:func:`bnorder.analysis.stats.pairing`)."""
    rows = []
    for arch in archs_of(runs):
        wide = by_seed(runs, value, arch)[[b for b in FACTORIAL_CELLS if b in set(runs["block"])]]
        rows.append({"network": arch, **stats.pairing(wide.dropna())})
    return pd.DataFrame(rows)


def batchnorm_table(runs: pd.DataFrame, value: str = "final_test_acc") -> pd.DataFrame:
    """Each BatchNorm block minus the no-BatchNorm baseline, paired by seed, per network."""
    rows = []
    for arch in archs_of(runs):
        wide = by_seed(runs, value, arch)
        if "relu" not in wide:
            continue
        for block in [b for b in FACTORIAL_CELLS if b in wide]:
            v = verdicts.verdict((wide[block] - wide["relu"]).dropna().to_numpy())
            rows.append({"network": arch, "block": block, "mean": round(v.mean, 2),
                         "95% CI": interval(v.low, v.high), "verdict": v.state})
    return pd.DataFrame(rows)


def epoch_rules(runs: pd.DataFrame) -> pd.DataFrame:
    """The position effect under each rule for the reported epoch: the last epoch, the epoch
    with the best validation accuracy, and (optimistic) the best test epoch."""
    rules = {"last epoch": "final_test_acc", "best validation epoch": "best_val_epoch_test_acc",
             "best test epoch (peeks)": "max_test_acc"}
    rows = []
    for rule, value in rules.items():
        t = effects(runs, value)
        for r in t[t["contrast"] == POSITION].itertuples():
            rows.append({"network": r.arch, "rule": rule, "position effect": round(r.mean, 2),
                         "95% CI": interval(r.low, r.high), "verdict": r.state})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ curves

def curves_figure(runs: pd.DataFrame):
    """Training accuracy (running, during the epoch) and test accuracy per epoch, mean over
    seeds, by network (columns) and block."""
    ep = epochs_frame(runs) if len(runs) else pd.DataFrame()
    archs = archs_of(runs)
    fig, axes = plt.subplots(2, max(1, len(archs)), figsize=(3.5 * max(1, len(archs)), 5.2),
                             squeeze=False, sharex="col")
    palette = block_palette()
    for j, arch in enumerate(archs):
        sub = ep[ep["arch"] == arch]
        hue = ordered(sub["block"], BLOCK_ORDER)
        for i, (metric, label) in enumerate([("train_acc", "training accuracy (%)"),
                                             ("test_acc", "test accuracy (%)")]):
            sns.lineplot(data=sub, x="epoch", y=metric, hue="block", hue_order=hue, palette=palette,
                         errorbar=None, ax=axes[i][j], legend=(i == 0 and j == 0))
            axes[i][j].set(ylabel=label if j == 0 else "", title=arch if i == 0 else "")
    if archs and axes[0][0].get_legend():
        axes[0][0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
