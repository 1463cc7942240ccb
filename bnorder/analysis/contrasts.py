"""The factorial's effects per seed.

The 2x2 design crosses the position of BatchNorm (before or after the activation) with the
activation (ReLU or LeakyReLU); its four cells are read off :data:`bnorder.orders.ORDERS`. Per
seed with all four cells, :func:`factorial_contrasts` gives

    position      BatchNorm after minus before, averaged over ReLU and LeakyReLU
    activation    LeakyReLU minus ReLU, averaged over both positions
    interaction   the position effect with LeakyReLU minus the one with ReLU
    mixed         the original study's case 3 − case 1, which changes both at once
"""

from __future__ import annotations

import pandas as pd

from ..orders import AFTER, BEFORE, FACTORIAL  # the 2x2 cells, read off ORDERS
from . import verdicts

FACTORIAL_CELLS = list(FACTORIAL)


def _position(v):   # BatchNorm after minus before, averaged over the two activations
    return sum(v[AFTER[act]] - v[BEFORE[act]] for act in ("relu", "lrelu")) / 2


def _activation(v):  # LeakyReLU minus ReLU, averaged over the two positions
    return sum(v[cells["lrelu"]] - v[cells["relu"]] for cells in (BEFORE, AFTER)) / 2


CONTRASTS = {
    "position (BN after − BN before)": _position,
    "activation (LeakyReLU − ReLU)": _activation,
    "interaction":
        lambda v: (v[AFTER["lrelu"]] - v[BEFORE["lrelu"]]) - (v[AFTER["relu"]] - v[BEFORE["relu"]]),
    "original case 3 − case 1 (both changed)":
        lambda v: v[AFTER["lrelu"]] - v[BEFORE["relu"]],
}
POSITION, ACTIVATION, INTERACTION, MIXED = CONTRASTS
CONTRAST_IDS = {POSITION: "position", ACTIVATION: "activation", INTERACTION: "interaction",
                MIXED: "case3-vs-case1"}   # in the findings' ids: factorial-<arch>-<id>


def by_seed(runs: pd.DataFrame, value: str, arch: str) -> pd.DataFrame:
    """One row per seed, one column per block: the paired layout of the design."""
    ok = runs[(runs["arch"] == arch) & (runs["status"] == "ok")]
    return ok.pivot_table(index="seed", columns="block", values=value, aggfunc="first")


def factorial_contrasts(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per (arch, seed) the four contrasts of :data:`CONTRASTS` (seeds with all four cells)."""
    rows = []
    for arch in sorted(runs["arch"].unique()):
        wide = by_seed(runs, value, arch)
        if not set(BEFORE.values()) | set(AFTER.values()) <= set(wide.columns):
            continue
        wide = wide.dropna(subset=[*BEFORE.values(), *AFTER.values()])
        for name, contrast in CONTRASTS.items():
            for seed, c in contrast(wide).items():
                rows.append({"arch": arch, "contrast": name, "seed": seed, "value": c})
    return pd.DataFrame(rows, columns=["arch", "contrast", "seed", "value"])


def contrast_verdicts(runs: pd.DataFrame, value: str = "final_test_acc") -> pd.DataFrame:
    """Per network and contrast: the verdict on the per-seed contrast values
    (:func:`bnorder.analysis.verdicts.verdict`, its fields as columns) and the ``values`` themselves."""
    c = factorial_contrasts(runs, value) if len(runs) else pd.DataFrame(columns=["arch", "contrast", "seed", "value"])
    rows = []
    for (arch, contrast), g in c.groupby(["arch", "contrast"], sort=False):
        v = verdicts.verdict(g["value"].to_numpy())
        rows.append({"arch": arch, "contrast": contrast, "values": g["value"].tolist(), **v.as_dict()})
    return pd.DataFrame(rows, columns=["arch", "contrast", "values", *verdicts.Verdict.__dataclass_fields__])
