"""How every chapter shows things: the order and colour of blocks and networks, the names of the
data sets, and the one format of a number, an interval and a count of seeds."""

from __future__ import annotations

import math

import pandas as pd

from ..analysis import power

BLOCK_ORDER = ["bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu"]
ARCH_ORDER = ["mlp", "cnn", "seed-mlp"]
DATASET_NAMES = {"cifar10": "CIFAR-10", "fashion-mnist": "Fashion-MNIST",
                 "synthetic": "synthetic images"}
NONE = "—"   # what a table or a glued number shows where there is nothing to show


# One colour per word a verdict or an outcome uses, the same in every figure: blue a known
# direction, green an effect inside the margin, grey undecided; purple as a prediction or a design
# check said, red against it.
STATE_COLOURS = {"resolved": "#4a6fa5", "equivalent": "#2a7d3f", "unresolved": "#7f7f7f",
                 "confirmed": "#6a3d9a", "holds": "#6a3d9a", "refuted": "#b2182b", "fails": "#b2182b"}


def block_palette() -> dict:
    """One colour per block, the same in every figure (seaborn's colour-blind palette)."""
    import seaborn as sns

    cb = sns.color_palette("colorblind")
    return {"bn-relu": cb[0], "relu-bn": cb[1], "lrelu-bn": cb[2], "bn-lrelu": cb[4], "relu": cb[7]}


def ordered(values, order) -> list:
    """The distinct ``values`` in ``order``, those it does not name last, sorted."""
    values = list(dict.fromkeys(values))
    return [v for v in order if v in values] + sorted(v for v in values if v not in order)


def _missing(x) -> bool:
    return x is None or bool(pd.isna(x))


def fmt(x, digits: int = 2, sign: bool = False) -> str:
    """A number as the book prints it: ``digits`` decimals, signed if ``sign``; '—' if missing."""
    if _missing(x):
        return NONE
    return f"{float(x):+.{digits}f}" if sign else f"{float(x):.{digits}f}"


def interval(low, high, digits: int = 2, sign: bool = True) -> str:
    """An interval as the book's tables print it: 'low to high'; '—' if either end is missing."""
    if _missing(low) or _missing(high):
        return NONE
    return f"{fmt(low, digits, sign)} to {fmt(high, digits, sign)}"


def ci_text(low, high, digits: int = 2, n: int | None = None) -> str:
    """A 95% interval as glued into a sentence ('95% CI low to high'), or why there is none: a
    single seed (``n`` below 2), or every seed the same."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return "one seed, no interval" if n is not None and n < 2 else "the same on every seed, no interval"
    return f"95% CI {interval(low, high, digits)}"


def seeds_needed_text(needed: float) -> str:
    """A count of :func:`bnorder.analysis.power.seeds_needed` for a table: the number, 'more than …' past
    :data:`bnorder.analysis.power.MAX_SEEDS`, '—' where nothing can be planned."""
    if _missing(needed):
        return NONE
    if not math.isfinite(needed):
        return f"more than {power.MAX_SEEDS:,}"
    return f"{int(needed):,}"
