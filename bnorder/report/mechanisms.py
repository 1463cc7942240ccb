"""The Mechanisms chapter: interventions judged against predictions, and what the probe saw.

Every function returns a table, a figure or numbers; the chapter's prose reads them, and each
prediction's outcome from its finding (``book/findings.json``).
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.measures import run_measures
from ..runs.records import completed
from .missing_runs import not_run_sentence, sweep_command
from .style import ARCH_ORDER, BLOCK_ORDER, STATE_COLOURS, block_palette, ordered

def status_note(runs: pd.DataFrame, base: str):
    """A note when the factorial base has no completed runs (shown at the top), else nothing."""
    from IPython.display import Markdown

    if len(runs) and (runs["status"] == "ok").any():
        return None
    return Markdown(not_run_sentence(base, "the factorial design") +
                    " The figures below stay empty until it has.")


# ------------------------------------------------------------------ interventions

def prediction_sentence(row) -> str:
    """The prediction as written, with when (and, for a replication, on which seeds) and the
    command that trains its runs."""
    seeds = row.get("named_seeds")
    runs = "the runs" if not isinstance(seeds, list) or not seeds else \
        f"the runs of seeds {min(seeds)}–{max(seeds)}"
    profiles = row["arm"]["profile"]
    commands = ", ".join(f"`{sweep_command(p)}`" for p in ([profiles] if isinstance(profiles, str) else profiles))
    return (f"*Prediction, written {row['written']} before {runs}:* {' '.join(row['prediction'].split())}"
            f" (its runs: {commands})")


def ledger(predictions: list[dict], found: dict[str, dict] | None = None) -> pd.DataFrame:
    """Every prediction in the file's order, one row each, read from its finding
    (:func:`bnorder.report.verdict_table`): what it expected and, for an equivalence, its margin;
    the paired seeds; the difference arm − base in its unit with the 95% interval; the outcome
    ('not run yet' before its first paired seed); the seeds whose difference has the mean's sign;
    and about how many paired seeds would decide it."""
    from . import findings as committed
    from . import verdict_table

    found = committed() if found is None else found
    table = verdict_table({p["id"]: p["id"] for p in predictions}, found)
    table = table.rename(columns={"state": "outcome"}).rename_axis("prediction")
    table.insert(0, "expected", [p["expect"] for p in predictions])
    table.insert(1, "margin", ["—" if p.get("margin") is None or pd.isna(p["margin"]) else f"±{p['margin']:g}"
                               for p in predictions])
    table.insert(4, "unit", [metric_unit(p) for p in predictions])
    return table


def seed_counts(table: pd.DataFrame) -> dict[str, int]:
    """How many predictions rest on how many paired seeds: ``none`` (no runs yet), ``few``
    (2 to 5), ``many`` (10 or more), and ``between``."""
    n = table["n"] if len(table) else pd.Series(dtype=int)
    return {"none": int((n < 2).sum()), "few": int(((n >= 2) & (n <= 5)).sum()),
            "between": int(((n > 5) & (n < 10)).sum()), "many": int((n >= 10).sum())}


# The unit of each metric of bnorder.analysis.predictions ("" for a loss).
METRIC_UNITS = {"final_test_acc": "points", "final_test_acc_precise": "points",
                "final_test_acc_batch": "points", "running_statistics_cost": "points",
                "train_eval_acc": "points", "train_eval_loss": "", "generalization_gap": "points",
                "late_volatility": "points per epoch", "late_volatility_precise": "points per epoch",
                "first_block_always_negative": "percentage points"}


def metric_unit(row) -> str:
    """The unit of a judged prediction's paired difference (the arm's metric decides)."""
    arm = row.get("arm") if isinstance(row.get("arm"), dict) else {}
    return METRIC_UNITS.get(arm.get("metric", row["metric"]), "points") or "loss"


# Each prediction's row label in the forest plot, short enough for two columns of panels (the
# ledger below it names each by its id). "order": relu-bn − bn-relu; "cost": what BatchNorm's
# running statistics cost (precise − running accuracy); "cost gap": bn-relu's cost − relu-bn's;
# "X: Y": Y with the intervention X − Y without it; a comma adds the condition or the reading Y is
# measured under. A prediction not named here shows its id.
FOREST_LABELS = {
    "first-block-only": "block 1 relu-bn: bn-relu", "first-block-rest": "block 1 bn-relu: relu-bn",
    "mean-shift-removed": "mean removed: bn-relu", "mean-shift-added": "mean added: relu-bn",
    "precise-bn-mlp": "order, precise", "fit-mlp": "order, train accuracy",
    "centred-input-units": "centring: negative units", "centred-input-relu-bn": "centring: relu-bn",
    "centred-input-lrelu-bn": "centring: lrelu-bn", "centred-input-position": "order, centred",
    "centred-input-fit": "centring: relu-bn, train",
    "replicate-centred-bn-relu-running": "centring: bn-relu, running",
    "replicate-centred-bn-relu-precise": "centring: bn-relu, precise",
    "replicate-centred-relu-bn-precise": "centring: relu-bn, precise",
    "replicate-centred-position-precise": "order, centred, precise",
    "cnn-position": "order", "cnn-volatility-precise": "precise: bn-relu",
    "cnn-volatility-cosine": "cosine: bn-relu", "cnn-first-block": "block 1 relu-bn: bn-relu",
    "cnn-running-cost-bn-relu": "bn-relu cost", "cnn-running-cost-order": "cost gap",
    "cnn-position-precise": "order, precise", "cnn-centred-running-cost": "centring: bn-relu cost",
    "cnn-centred-bn-relu": "centring: bn-relu", "cnn-step-running-cost-larger": "lr 3e-3: bn-relu cost",
    "cnn-step-running-cost-smaller": "lr 3e-4: bn-relu cost", "cnn-step-position-precise": "order, lr 3e-3, precise",
    "cnn-15-position-precise": "order, precise, pooled", "cnn-15-position-running": "order, pooled",
    "cnn-15-running-cost-order": "cost gap, pooled", "cnn-momentum-weights-unchanged": "momentum 0.01: precise",
    "cnn-momentum-small-cost": "momentum 0.01: bn-relu cost", "cnn-momentum-large-cost": "momentum 0.3: bn-relu cost",
    "cnn-momentum-large-position": "order, momentum 0.3", "cnn-momentum-small-position": "order, momentum 0.01",
    "cnn-width32-position-precise": "order, 32 channels, precise", "cnn-width32-running-cost-order": "cost gap, 32 channels",
    "cnn-momentum-volatility-order": "order, momentum 0.01",
}
# A row reaching more than this many times as far as the median row of its panel gets a panel of
# its own scale below it (an axis break), so one wide effect does not flatten the others.
FOREST_BREAK = 3.0


def forest_network(row) -> str:
    """The network a judged prediction is about: its ``arch``, else ``cnn`` where its arm's
    profile is one of the CNN's (``cnn-converged*``, ``why-cnn-*``), else ``mlp``."""
    if isinstance(row.get("arch"), str) and row["arch"]:
        return row["arch"]
    arm = row.get("arm") if isinstance(row.get("arm"), dict) else {}
    profiles = arm.get("profile") or []
    profiles = [profiles] if isinstance(profiles, str) else profiles
    return "cnn" if any("cnn" in str(p) for p in profiles) else "mlp"


def _forest_extent(row) -> float:
    """How far a row reaches from zero: its seeds, its mean and its margin (not its interval,
    which two seeds make very wide)."""
    values = [abs(v) for v in [*row.differences, row.mean, row.margin]
              if v is not None and not isinstance(v, str) and np.isfinite(v)]
    return max(values, default=0.0)


def _forest_panels(rows: pd.DataFrame) -> list[pd.DataFrame]:
    """The rows of one network and unit as panels: one, or those within :data:`FOREST_BREAK`
    times the median row's reach and, below them, the rows beyond it (four rows or more only)."""
    if len(rows) < 4:
        return [rows]
    extent = pd.Series([_forest_extent(r) for r in rows.itertuples()], index=rows.index)
    wide = extent > FOREST_BREAK * max(extent.median(), 1e-9)
    return [rows[~wide], rows[wide]] if wide.any() else [rows]


def _forest_panel(ax, rows: pd.DataFrame, unit: str, wider: bool) -> None:
    spread = [_forest_extent(r) for r in rows.itertuples()]
    limit = 1.15 * max(spread, default=0.8) or 1.0
    ax.set_xlim(-limit * 1.05, limit * 1.05)
    for i, row in enumerate(rows.itertuples()):
        y = len(rows) - 1 - i
        colour = STATE_COLOURS[row.outcome]
        if row.expect == "equivalent":
            ax.fill_betweenx([y - 0.35, y + 0.35], -row.margin, row.margin, color="#dddddd", lw=0)
        if row.n >= 1:
            ax.scatter(row.differences, np.full(len(row.differences), y + 0.25), s=7,
                       color=colour, alpha=0.5, lw=0)
        if row.n >= 2:   # an interval far wider than the data (two seeds) is cut at the edge
            low, high = max(row.low, -limit), min(row.high, limit)
            ax.errorbar(row.mean, y, xerr=[[row.mean - low], [high - row.mean]], fmt="o",
                        color=colour, capsize=2.5, ms=4)
            for end, cut, marker in ((row.low, -limit, "<"), (row.high, limit, ">")):
                if (end < cut) if marker == "<" else (end > cut):
                    ax.plot(cut, y, marker=marker, color=colour, ms=5)
        else:
            ax.text(0, y, "not run yet", ha="center", va="center", fontsize=8, color="#7f7f7f")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [FOREST_LABELS.get(row.id, row.id) for row in rows.itertuples()][::-1],
                  fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.xaxis.set_major_locator(plt.MaxNLocator(5))
    ax.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    ax.set_xlabel(f"arm − base ({unit}{', wider scale' if wider else ''})", fontsize=8)


def forest_figure(table: pd.DataFrame):
    """One row per prediction: the paired differences (dots, one per seed), their mean and 95%
    interval, coloured by outcome; the margin of an equivalence prediction shaded. One column
    of panels per network; predictions measured in different units get their own panel and
    axis, and a row reaching far beyond the others of its panel gets one of its own scale
    (:data:`FOREST_BREAK`). Rows are labelled with :data:`FOREST_LABELS`."""
    table = table.reset_index(drop=True)
    records = table.to_dict("records")
    unit_of = pd.Series([metric_unit(r) for r in records], index=table.index, dtype=str)
    net_of = pd.Series([forest_network(r) for r in records], index=table.index, dtype=str)
    networks = ordered(net_of, ARCH_ORDER) or ["mlp"]
    columns = []   # per network: [(panel rows, unit, whether it is a wider scale's panel)]
    for net in networks:
        panels = []
        for unit in dict.fromkeys(unit_of[net_of == net]) or ["points"]:
            rows = table[(net_of == net) & (unit_of == unit)]
            parts = _forest_panels(rows)
            panels += [(part, unit, k > 0) for k, part in enumerate(parts)]
        columns.append(panels)
    # each panel: its rows (0.2 in each) and room for its ticks and label
    heights = [[max(len(rows), 1) + 2.6 for rows, _, _ in panels] for panels in columns]
    tallest = max(sum(h) for h in heights)
    fig = plt.figure(figsize=(7.0 if len(columns) > 1 else 6.5, 0.2 * tallest + 0.7), layout="constrained")
    subfigs = fig.subfigures(1, len(columns), squeeze=False)[0]
    for sub, net, panels, h in zip(subfigs, networks, columns, heights):
        axes = _forest_axes(sub, h, tallest)
        for ax, (rows, unit, last) in zip(axes, panels):
            _forest_panel(ax, rows, unit, last)
        if len(columns) > 1:
            sub.suptitle(net, fontsize=10)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=o) for o, c in STATE_COLOURS.items()
               if o in ("confirmed", "refuted", "unresolved")]
    fig.legend(handles=handles, loc="outside upper center", ncol=3, fontsize=8, frameon=False)
    return fig


def _forest_axes(sub, heights: list[float], tallest: float) -> list:
    """One axis per panel, as tall as its rows, from the top of the column (a shorter column
    leaves its bottom empty, so rows are the same height in both columns)."""
    spare = tallest - sum(heights)
    grid = sub.add_gridspec(len(heights) + (spare > 0), 1, height_ratios=heights + ([spare] if spare > 0 else []))
    return [sub.add_subplot(grid[i, 0]) for i in range(len(heights))]


# ------------------------------------------------------------------ dead units, per layer

def unit_states_figure(table: pd.DataFrame):
    """Small multiples, one per network: share of always-negative units per layer and block
    (solid: ReLU, dead; dashed: LeakyReLU, not dead)."""
    archs = ordered(table["arch"], ARCH_ORDER)
    fig, axes = plt.subplots(1, max(1, len(archs)), figsize=(3.5 * max(1, len(archs)), 3), squeeze=False)
    palette = block_palette()
    for ax, arch in zip(axes[0], archs):
        sub = table[table["arch"] == arch]
        for block in ordered(sub["block"], BLOCK_ORDER):
            b = sub[sub["block"] == block]
            ax.plot(b["layer"], 100 * b["always_negative"], marker="o", ms=3, color=palette[block],
                    ls="--" if "lrelu" in block else "-", label=block)
        ax.set(title=arch, xlabel="block (input → output)", ylabel="always-negative units (%)")
    if archs:
        axes[0][0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def first_block_arms(base: str) -> dict[str, tuple[str, str]]:
    """The arms of the first-block figure (label -> (profile, block)): the factorial base's three
    orders and the two orders trained on centred inputs."""
    return {"relu-bn": (base, "relu-bn"), "lrelu-bn": (base, "lrelu-bn"), "bn-relu": (base, "bn-relu"),
            "relu-bn, centred inputs": ("why-centred-input", "relu-bn"),
            "lrelu-bn, centred inputs": ("why-centred-input", "lrelu-bn")}


def first_block_figure(table: pd.DataFrame, arms: dict[str, tuple[str, str]]):
    """First-block always-negative units against the epoch, one line per arm (band: range over
    seeds); arms with centred inputs dashed."""
    fig, ax = plt.subplots(figsize=(6.5, 3))
    palette = block_palette()
    for label, (profile, block) in arms.items():
        t = table[table["arm"] == label]
        if not len(t):
            continue
        colour = palette.get(block, "#555555")
        ls = "--" if "centred" in profile else "-"
        ax.plot(t["epoch"], t["mean"], ls=ls, marker="o", ms=3, color=colour,
                label=f"{label} ({int(t['seeds'].max())} seeds)")
        ax.fill_between(t["epoch"], t["low"], t["high"], color=colour, alpha=0.12, lw=0)
    ax.set(xlabel="epoch", ylabel="first-block units negative\nfor every probe image (%)")
    ax.legend(fontsize=8, frameon=False, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ step size

def _dose_points(ax, ax_cos, table: pd.DataFrame, cosine: pd.DataFrame, colour: str, label: str,
                 dx: float, limit: float):
    """Means with their 95% intervals; an interval reaching past ±``limit`` (few seeds) is cut
    there and marked with an arrowhead, so it does not flatten the other curve."""
    def draw(axis, xs, rows, fmt, **kw):
        low = rows["position_lo"].clip(lower=-limit)
        high = rows["position_hi"].clip(upper=limit)
        axis.errorbar(xs, rows["position_mean"], yerr=[rows["position_mean"] - low, high - rows["position_mean"]],
                      fmt=fmt, capsize=3, color=colour, **kw)
        for x, r in zip(xs, rows.itertuples()):
            if r.position_lo < -limit:
                axis.plot(x, -limit, marker="v", color=colour, ms=6)
            if r.position_hi > limit:
                axis.plot(x, limit, marker="^", color=colour, ms=6)

    const = table[table["lr"].notna()].sort_values("lr")
    if len(const):
        draw(ax, list(const["lr"] * dx), const, "o-", label=label)
    if len(cosine):
        draw(ax_cos, [dx - 1], cosine.iloc[:1], "o")


def _dose_limit(tables) -> float:
    """The y range that shows every mean and the MLP's intervals (many seeds), plus a margin."""
    values = [abs(v) for t in tables for v in t["position_mean"] if np.isfinite(v)]
    values += [abs(v) for v in [*tables[0]["position_lo"], *tables[0]["position_hi"]] if np.isfinite(v)]
    return 1.25 * max(values, default=0.8) or 1.0


def dose_figure(table: pd.DataFrame, cnn: pd.DataFrame | None = None):
    """Position effect against the learning rate (log axis), constant schedule; cosine beside.
    ``table``: the MLP (:func:`bnorder.analysis.mechanisms.dose_response`); ``cnn``: the converged CNN
    (:func:`bnorder.analysis.mechanisms.cnn_dose_response`),
    drawn beside it when it has points; its few-seed intervals are cut at the MLP's range."""
    fig, (ax, ax_cos) = plt.subplots(1, 2, figsize=(7.2, 3), gridspec_kw={"width_ratios": [4, 1]},
                                     sharey=True)
    has_cnn = cnn is not None and len(cnn) > 0
    limit = _dose_limit([table, cnn] if has_cnn else [table])
    _dose_points(ax, ax_cos, table, table[table["variant"] == "cosine"], "#4a6fa5",
                 "MLP: BN after − before, both activations", 1.0, limit)
    if has_cnn:
        _dose_points(ax, ax_cos, cnn, cnn[cnn["lr"].isna()], "#c9731c",
                     "CNN (converged): relu-bn − bn-relu", 1.12, limit)
        ax.legend(fontsize=8, frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    ax.set_xscale("log")
    ax.set_ylim(-limit * 1.05, limit * 1.05)
    ax.axhline(0, color="black", lw=0.8)
    ax.set(xlabel="Adam learning rate (constant)", ylabel="BN after − BN before (points)")
    ax_cos.axhline(0, color="black", lw=0.8)
    ax_cos.set_xlim(-0.6, 0.72)
    ax_cos.set_xticks([0.06], ["cosine\n1e-3 → 0"])
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ stability

PROBE_MEASURES = {
    "out_mean": "mean of a block's output",
    "eff_step": "effective step (last epoch)",
    "hessian_top_eig": "top Hessian eigenvalue",
    "test_volatility": "test accuracy change per epoch",
}


def probe_figure(runs: pd.DataFrame):
    """Small multiples: each probe measurement (columns) per network (rows), one dot per seed
    and block."""
    m = run_measures(completed(runs)) if len(completed(runs)) else pd.DataFrame(columns=["arch"])
    archs = ordered(m["arch"], ARCH_ORDER)
    fig, axes = plt.subplots(max(1, len(archs)), len(PROBE_MEASURES),
                             figsize=(1.75 * len(PROBE_MEASURES), 2.4 * max(1, len(archs))), squeeze=False)
    palette = block_palette()
    for row, arch in zip(axes, archs):
        sub = m[m["arch"] == arch]
        blocks = ordered(sub["block"], BLOCK_ORDER)
        for ax, (col, title) in zip(row, PROBE_MEASURES.items()):
            for i, block in enumerate(blocks):
                vals = sub[sub["block"] == block][col].dropna()
                ax.scatter(np.full(len(vals), i), vals, s=10, color=palette[block], alpha=0.7)
            ax.set_xticks(range(len(blocks)), blocks, rotation=60, fontsize=8)
            ax.set_title(textwrap.fill(f"{arch}: {title}", 22), fontsize=8)
            ax.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    return fig
