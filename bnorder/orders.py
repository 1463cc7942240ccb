"""Where the order of BatchNorm and the activation is defined (no torch needed).

A block is one layer (a 3x3 convolution with padding 1, or a linear map) followed by
BatchNorm and an activation in a named order. ``ORDERS`` below is the single source of
truth: every network, test and chapter reads the order from here. The blocks themselves, as
torch modules built from these names, are in :mod:`bnorder.train.blocks`.

    name        what the block computes              the original study's name
    bn-relu     layer -> BatchNorm -> ReLU            case1
    relu-bn     layer -> ReLU -> BatchNorm            case2
    lrelu-bn    layer -> LeakyReLU -> BatchNorm       case3
    bn-lrelu    layer -> BatchNorm -> LeakyReLU       (the missing cell of the 2x2 design)
    relu        layer -> ReLU (no BatchNorm)          (baseline)

``CAUSE_BLOCKS`` adds blocks that take one suspected cause out of (or into) a study block; the
experiments that train them are interventions (:mod:`bnorder.runs.profiles`).
"""

from __future__ import annotations

# Block name -> the operations that follow the layer, in the order they run.
ORDERS: dict[str, tuple[str, ...]] = {
    "bn-relu": ("bn", "relu"),
    "relu-bn": ("relu", "bn"),
    "lrelu-bn": ("lrelu", "bn"),
    "bn-lrelu": ("bn", "lrelu"),
    "relu": ("relu",),
}

# Cause blocks (the mechanisms chapter's interventions train them): a block above with one operation appended that
# removes or adds a suspected cause and, by design, nothing else.
#   center  subtract a running estimate of the per-unit mean (no gradient, no batch statistics):
#           BN->ReLU's output without its positive mean
#   shift   add the mean of a rectified standard normal, 1/sqrt(2 pi) = 0.399: ReLU->BN's output
#           given the positive mean that BN->ReLU's output has at initialization
CAUSE_BLOCKS: dict[str, tuple[str, ...]] = {
    "bn-relu-center": ("bn", "relu", "center"),
    "relu-bn-shift": ("relu", "bn", "shift"),
}

# The original study's names, accepted everywhere a block name is.
ALIASES: dict[str, str] = {"case1": "bn-relu", "case2": "relu-bn", "case3": "lrelu-bn"}

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope for LeakyReLU
RECTIFIED_NORMAL_MEAN = 0.3989422804014327  # E[max(0, z)], z ~ N(0, 1): 1 / sqrt(2 pi)


# The 2x2 design, read off ORDERS: {BatchNorm before, after} x {each activation}.
BEFORE: dict[str, str] = {ops[1]: name for name, ops in ORDERS.items() if len(ops) == 2 and ops[0] == "bn"}
AFTER: dict[str, str] = {ops[0]: name for name, ops in ORDERS.items() if len(ops) == 2 and ops[1] == "bn"}
FACTORIAL: tuple[str, ...] = (BEFORE["relu"], AFTER["relu"], BEFORE["lrelu"], AFTER["lrelu"])


def canonical_block(name: str) -> str:
    """Return the canonical block name for ``name`` (an alias such as ``case3`` included)."""
    name = ALIASES.get(name, name)
    if name not in ORDERS and name not in CAUSE_BLOCKS:
        valid = ", ".join([*ORDERS, *ALIASES, *CAUSE_BLOCKS])
        raise ValueError(f"unknown block {name!r}; valid blocks: {valid}")
    return name


def ops_of(block: str) -> tuple[str, ...]:
    """The operations that follow the layer in ``block``, in the order they run."""
    name = canonical_block(block)
    return ORDERS[name] if name in ORDERS else CAUSE_BLOCKS[name]


def has_batchnorm(block: str) -> bool:
    return "bn" in ops_of(block)


def activation_then_bn(block: str) -> bool:
    """True when BatchNorm follows the activation (the study's cases 2 and 3)."""
    ops = ops_of(block)
    return "bn" in ops and ops.index("bn") > 0
