"""Where the order of BatchNorm and the activation is defined.

A block is one layer (a 3x3 convolution with padding 1, or a linear map) followed by
BatchNorm and an activation in a named order. ``ORDERS`` below is the single source of
truth: every network, test and chapter reads the order from here.

    name        what the block computes              the original study's name
    bn-relu     layer -> BatchNorm -> ReLU            case1
    relu-bn     layer -> ReLU -> BatchNorm            case2
    lrelu-bn    layer -> LeakyReLU -> BatchNorm       case3
    bn-lrelu    layer -> BatchNorm -> LeakyReLU       (the missing cell of the 2x2 design)
    relu        layer -> ReLU (no BatchNorm)          (baseline)
"""

from __future__ import annotations

import torch.nn as nn

# Block name -> the operations that follow the layer, in the order they run.
ORDERS: dict[str, tuple[str, ...]] = {
    "bn-relu": ("bn", "relu"),
    "relu-bn": ("relu", "bn"),
    "lrelu-bn": ("lrelu", "bn"),
    "bn-lrelu": ("bn", "lrelu"),
    "relu": ("relu",),
}

# The original study's names, accepted everywhere a block name is.
ALIASES: dict[str, str] = {"case1": "bn-relu", "case2": "relu-bn", "case3": "lrelu-bn"}

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope for LeakyReLU


def canonical_block(name: str) -> str:
    """Return the canonical block name for ``name`` (an alias such as ``case3`` included)."""
    name = ALIASES.get(name, name)
    if name not in ORDERS:
        valid = ", ".join([*ORDERS, *ALIASES])
        raise ValueError(f"unknown block {name!r}; valid blocks: {valid}")
    return name


def has_batchnorm(block: str) -> bool:
    return "bn" in ORDERS[canonical_block(block)]


def activation_then_bn(block: str) -> bool:
    """True when BatchNorm follows the activation (the study's cases 2 and 3)."""
    ops = ORDERS[canonical_block(block)]
    return "bn" in ops and ops.index("bn") > 0


def _make_op(op: str, features: int, spatial: bool, leaky_slope: float) -> nn.Module:
    if op == "bn":
        return nn.BatchNorm2d(features) if spatial else nn.BatchNorm1d(features)
    if op == "relu":
        return nn.ReLU()
    if op == "lrelu":
        return nn.LeakyReLU(leaky_slope)
    raise AssertionError(f"no operation {op!r}")


class NormAct(nn.Sequential):
    """BatchNorm and an activation composed in the order named by ``block``."""

    def __init__(self, block: str, features: int, spatial: bool, leaky_slope: float = LEAKY_SLOPE):
        self.order = ORDERS[canonical_block(block)]
        super().__init__(*[_make_op(op, features, spatial, leaky_slope) for op in self.order])


class Block(nn.Module):
    """``layer`` followed by :class:`NormAct`: the unit whose order the study varies.

    ``kind`` is ``"conv"`` (3x3, padding 1, keeps the resolution) or ``"linear"``.
    ``bias`` controls the layer's own bias (redundant when BatchNorm follows directly).
    """

    def __init__(self, block: str, kind: str, in_features: int, out_features: int,
                 bias: bool = True, leaky_slope: float = LEAKY_SLOPE):
        super().__init__()
        self.block = canonical_block(block)
        if kind == "conv":
            self.layer = nn.Conv2d(in_features, out_features, kernel_size=3, padding=1, bias=bias)
        elif kind == "linear":
            self.layer = nn.Linear(in_features, out_features, bias=bias)
        else:
            raise ValueError(f"unknown layer kind {kind!r}; valid kinds: conv, linear")
        self.norm_act = NormAct(self.block, out_features, spatial=kind == "conv", leaky_slope=leaky_slope)

    def forward(self, x):
        return self.norm_act(self.layer(x))
