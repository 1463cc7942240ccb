"""The converged CNN's test accuracy epoch by epoch, read two ways, one line per seed.

    running   BatchNorm's running statistics as training left them (what the original read)
    precise   statistics re-estimated for that epoch's weights (:mod:`bnorder.train.bn_eval`)

The frame is :func:`bnorder.analysis.order_readings.epoch_readings` (every seed of the
configuration, wherever it was filed): the same weights read two ways show whether an order's jumps
and its deficit sit in the weights or in the statistics.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from .style import block_palette

READINGS = {"running": "test_acc", "precise": "test_acc_precise"}


def readings_figure(frame: pd.DataFrame):
    """Two panels (running, precise) with a thin line per seed, coloured by block."""
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 3.2), sharey=True, squeeze=False)
    palette = block_palette()
    for ax, reading in zip(axes[0], READINGS):
        sub = frame[frame["reading"] == reading]
        for (block, _), run in sub.groupby(["block", "seed"]):
            ax.plot(run["epoch"], run["test_acc"], color=palette[block], lw=0.8, alpha=0.7)
        seeds = sub.groupby("block")["seed"].nunique()
        for block, n in seeds.items():
            ax.plot([], [], color=palette[block], label=f"{block} ({n} seeds)")
        ax.set(title=f"{reading} statistics", xlabel="epoch")
        if len(seeds):
            ax.legend(fontsize=8, frameon=False, loc="lower right")
    axes[0][0].set_ylabel("test accuracy (%)")
    fig.tight_layout()
    return fig
