"""What BatchNorm's running statistics cost the converged CNN at each momentum, per order.

The cost of a run is its final test accuracy read with statistics re-estimated for its final
weights minus the one read with the running statistics training left
(:func:`bnorder.analysis.predictions.running_statistics_cost`). The momentum sets how far back the running
statistics remember and enters no training step, so a seed's weights are the same at every
momentum and only this cost can move. The runs are the ones the findings read
(:func:`bnorder.findings.order_effects.momentum_costs`), so the figure's means are the glued numbers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis import stats
from ..findings.order_effects import MOMENTUM_BLOCKS
from .style import block_palette


def momentum_figure(frame: pd.DataFrame):
    """The cost against the momentum (log scale), one panel: a dot per seed, the mean with its
    95% interval per block, and a thin line joining a seed's runs of one block across momenta."""
    fig, ax = plt.subplots(figsize=(6, 3.4))
    palette = block_palette()
    for i, block in enumerate(MOMENTUM_BLOCKS):
        sub = frame[frame["block"] == block]
        shift = 1.06 ** (i - 0.5)                       # side by side on the log axis
        for _, seed in sub.groupby("seed"):
            if len(seed) > 1:
                seed = seed.sort_values("momentum")
                ax.plot(seed["momentum"] * shift, seed["cost"], color=palette[block], lw=0.5, alpha=0.25)
        ax.scatter(sub["momentum"] * shift, sub["cost"], s=9, color=palette[block], alpha=0.5)
        means = {}
        for momentum, g in sub.groupby("momentum"):
            d = stats.describe(g["cost"].to_numpy())
            means[momentum] = d["mean"]
            low, high = d["ci_low"], d["ci_high"]
            if np.isfinite(low) and np.isfinite(high):
                ax.errorbar(momentum * shift, d["mean"], yerr=[[d["mean"] - low], [high - d["mean"]]],
                            fmt="none", capsize=3, color=palette[block])
        counts = sub.groupby("momentum")["seed"].nunique()
        ax.plot([m * shift for m in means], list(means.values()), marker="o", ms=6, color=palette[block],
                label=f"{block} ({', '.join(str(n) for n in counts)} seeds)")
    ax.axhline(0, color="#999999", lw=0.6)
    ax.set_xscale("log")
    ax.set_xticks([0.01, 0.1, 0.3], ["0.01", "0.1", "0.3"])
    ax.minorticks_off()
    ax.set(xlabel="BatchNorm momentum (larger: shorter memory)",
           ylabel="precise − running test\naccuracy (points)")
    if len(frame):
        ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig
