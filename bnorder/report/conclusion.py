"""The Conclusion's figures and tables (and the Introduction's): the position effect per network
and per variant of the MLP, the converged CNN read with running and precise BatchNorm statistics,
and the full-size editions. The argument is the chapter's prose; its numbers are glued from
``book/findings.json``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis import verdicts
from ..analysis.contrasts import POSITION
from ..analysis.robustness import robustness_table
from ..findings import factorial_runs, loader
from ..findings.order_effects import CNN_BLOCKS
from ..runs.profiles import PROFILES
from . import factorial as fx
from .replication import edition_label
from .style import ARCH_ORDER, STATE_COLOURS


def answer_rows(results, base: str) -> pd.DataFrame:
    """The position effect (BatchNorm after − before) for each network of the factorial chapter
    and for each one-knob variant of the MLP: one row each, with its interval and verdict."""
    runs, editions = factorial_runs(results, base)
    eff = fx.effects(runs)
    rows = [{"label": f"{r.arch} ({edition_label(runs, editions, r.arch).replace('`', '')})",
             "group": "networks", "n": r.n,
             "mean": r.mean, "low": r.low, "high": r.high, "state": r.state}
            for r in eff[eff["contrast"] == POSITION].itertuples()]
    rows.sort(key=lambda row: ARCH_ORDER.index(row["label"].split(" ")[0]))
    rob = robustness_table(results, base, "final_test_acc", "mlp")
    for r in rob[(rob["variant"] != "(base)") & (rob["status"] == "ok")].itertuples():
        state = verdicts.interval_state(r.position_lo, r.position_hi)
        rows.append({"label": f"mlp, {r.variant}", "group": "mlp variants", "n": r.n,
                     "mean": r.position_mean, "low": r.position_lo, "high": r.position_hi, "state": state})
    return pd.DataFrame(rows, columns=["label", "group", "n", "mean", "low", "high", "state"])


def answer_figure(rows: pd.DataFrame):
    """One figure, the book's answer: the position effect with its 95% interval per network
    and per variant of the MLP (blue: interval excludes zero)."""
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.3))
    for i, r in enumerate(rows.itertuples()):
        y = len(rows) - 1 - i
        colour = STATE_COLOURS[r.state]
        ax.errorbar(r.mean, y, xerr=[[r.mean - r.low], [r.high - r.mean]], fmt="o", color=colour,
                    capsize=3, ms=4)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [f"{r.label} · {r.n} seeds" for r in rows.itertuples()][::-1], fontsize=8)
    ax.set_xlabel("BatchNorm after − before the activation (points of test accuracy)")
    fig.tight_layout()
    return fig


def cnn_readings_figure(table: pd.DataFrame):
    """Each seed's final test accuracy per block, read with running statistics (open circles)
    and precise ones (filled), a line joining the two readings of one run."""
    fig, ax = plt.subplots(figsize=(7, 3.4))
    blocks = [b for b in CNN_BLOCKS if b in set(table["block"])]
    for i, block in enumerate(blocks):
        g = table[table["block"] == block].pivot(index="seed", columns="reading", values="test_acc")
        for k, (seed, r) in enumerate(g.iterrows()):
            x = i + (k - (len(g) - 1) / 2) * 0.06
            ax.plot([x - 0.12, x + 0.12], [r.get("running", np.nan), r.get("precise", np.nan)],
                    color="#bbbbbb", lw=0.7, zorder=1)
            ax.scatter([x - 0.12], [r.get("running", np.nan)], facecolors="none", edgecolors="#7f7f7f",
                       s=18, zorder=2, label="running statistics" if i == k == 0 else None)
            ax.scatter([x + 0.12], [r.get("precise", np.nan)], color="#4a6fa5", s=18, zorder=2,
                       label="precise statistics" if i == k == 0 else None)
    ax.set_xticks(range(len(blocks)),
                  [f"{b}\n{table.loc[table['block'] == b, 'seed'].nunique()} seeds" for b in blocks])
    ax.set_ylabel("final test accuracy (%)")
    if blocks:
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def rerun_table(results) -> pd.DataFrame:
    """The full-size editions: what each trains, the command, and whether its records exist."""
    rows = []
    for name in ("factorial-gpu", "factorial-gpu-cosine", "cifar10-factorial"):
        rows.append({"profile": name, "what it trains": PROFILES[name].description,
                     "command": f"python -m bnorder sweep --profile {name} --fuse-seeds",
                     "records": "present" if len(loader(results)(name)) else "not run yet"})
    return pd.DataFrame(rows).set_index("profile")
