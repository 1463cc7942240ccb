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

``INTERVENTIONS`` adds blocks that take one suspected cause out of (or into) a study block.
"""

from __future__ import annotations

import torch
import torch.nn as nn

# Block name -> the operations that follow the layer, in the order they run.
ORDERS: dict[str, tuple[str, ...]] = {
    "bn-relu": ("bn", "relu"),
    "relu-bn": ("relu", "bn"),
    "lrelu-bn": ("lrelu", "bn"),
    "bn-lrelu": ("bn", "lrelu"),
    "relu": ("relu",),
}

# Intervention blocks (the mechanisms chapter): a block above with one operation appended that
# removes or adds a suspected cause and, by design, nothing else.
#   center  subtract a running estimate of the per-unit mean (no gradient, no batch statistics):
#           BN->ReLU's output without its positive mean
#   shift   add the mean of a rectified standard normal, 1/sqrt(2 pi) = 0.399: ReLU->BN's output
#           given the positive mean that BN->ReLU's output has at initialization
INTERVENTIONS: dict[str, tuple[str, ...]] = {
    "bn-relu-center": ("bn", "relu", "center"),
    "relu-bn-shift": ("relu", "bn", "shift"),
}

# The original study's names, accepted everywhere a block name is.
ALIASES: dict[str, str] = {"case1": "bn-relu", "case2": "relu-bn", "case3": "lrelu-bn"}

LEAKY_SLOPE = 0.01  # PyTorch's default negative slope for LeakyReLU


def canonical_block(name: str) -> str:
    """Return the canonical block name for ``name`` (an alias such as ``case3`` included)."""
    name = ALIASES.get(name, name)
    if name not in ORDERS and name not in INTERVENTIONS:
        valid = ", ".join([*ORDERS, *ALIASES, *INTERVENTIONS])
        raise ValueError(f"unknown block {name!r}; valid blocks: {valid}")
    return name


def ops_of(block: str) -> tuple[str, ...]:
    """The operations that follow the layer in ``block``, in the order they run."""
    name = canonical_block(block)
    return ORDERS[name] if name in ORDERS else INTERVENTIONS[name]


def has_batchnorm(block: str) -> bool:
    return "bn" in ops_of(block)


def activation_then_bn(block: str) -> bool:
    """True when BatchNorm follows the activation (the study's cases 2 and 3)."""
    ops = ops_of(block)
    return "bn" in ops and ops.index("bn") > 0


RECTIFIED_NORMAL_MEAN = 0.3989422804014327  # E[max(0, z)], z ~ N(0, 1): 1 / sqrt(2 pi)


class Center(nn.Module):
    """Subtract a running estimate of each unit's (channel's) mean.

    The estimate is updated in training from the batch mean without a gradient, like
    BatchNorm's running mean; the output is ``x - running_mean`` in training and evaluation
    alike, so it removes the mean and adds no batch noise and no rescaling. ``feature_major``:
    input ``(features, batch)`` (the fused MLP's layout) instead of ``(batch, features, ...)``.
    """

    def __init__(self, features: int, momentum: float = 0.1):
        super().__init__()
        self.momentum = momentum
        self.feature_major = False
        self.register_buffer("running_mean", torch.zeros(features))

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                dims = [d for d in range(x.dim()) if d != (0 if self.feature_major else 1)]
                self.running_mean.lerp_(x.detach().float().mean(dims), self.momentum)
        mean = self.running_mean.to(x.dtype)
        if self.feature_major:
            return x - mean[:, None]
        return x - mean.view(1, -1, *([1] * (x.dim() - 2)))


class Shift(nn.Module):
    """Add a constant to every unit (``RECTIFIED_NORMAL_MEAN``)."""

    def __init__(self, value: float = RECTIFIED_NORMAL_MEAN):
        super().__init__()
        self.value = value

    def forward(self, x):
        return x + self.value

    def extra_repr(self):
        return f"value={self.value:.4f}"


def _make_op(op: str, features: int, spatial: bool, leaky_slope: float) -> nn.Module:
    if op == "bn":
        return nn.BatchNorm2d(features) if spatial else nn.BatchNorm1d(features)
    if op == "relu":
        return nn.ReLU()
    if op == "lrelu":
        return nn.LeakyReLU(leaky_slope)
    if op == "center":
        return Center(features)
    if op == "shift":
        return Shift()
    raise AssertionError(f"no operation {op!r}")


class NormAct(nn.Sequential):
    """BatchNorm and an activation composed in the order named by ``block``."""

    def __init__(self, block: str, features: int, spatial: bool, leaky_slope: float = LEAKY_SLOPE):
        self.order = ops_of(block)
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
