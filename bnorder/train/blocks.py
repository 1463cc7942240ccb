"""The block as torch modules: a layer, then BatchNorm and the activation in a named order.

The orders themselves (``ORDERS``, ``CAUSE_BLOCKS``, ``ALIASES`` and the functions that read
them) are defined once, in :mod:`bnorder.orders`, which needs no torch. This module builds the
blocks: ``Block`` (the layer followed by ``NormAct``), and the operations ``Center`` and ``Shift``
of the cause blocks.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..orders import LEAKY_SLOPE, RECTIFIED_NORMAL_MEAN, canonical_block, ops_of


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


BN_MOMENTUM = 0.1   # BatchNorm's running-statistics momentum unless a run names another (PyTorch's)


def _make_op(op: str, features: int, spatial: bool, leaky_slope: float,
             bn_momentum: float = BN_MOMENTUM) -> nn.Module:
    if op == "bn":
        bn = nn.BatchNorm2d if spatial else nn.BatchNorm1d
        return bn(features, momentum=bn_momentum)
    if op == "relu":
        return nn.ReLU()
    if op == "lrelu":
        return nn.LeakyReLU(leaky_slope)
    if op == "center":
        return Center(features, bn_momentum)
    if op == "shift":
        return Shift()
    raise AssertionError(f"no operation {op!r}")


class NormAct(nn.Sequential):
    """BatchNorm and an activation composed in the order named by ``block``; ``bn_momentum`` is
    the running statistics' momentum of its BatchNorm (and of ``Center``'s running mean)."""

    def __init__(self, block: str, features: int, spatial: bool, leaky_slope: float = LEAKY_SLOPE,
                 bn_momentum: float = BN_MOMENTUM):
        self.order = ops_of(block)
        super().__init__(*[_make_op(op, features, spatial, leaky_slope, bn_momentum) for op in self.order])


class Block(nn.Module):
    """``layer`` followed by :class:`NormAct`: the unit whose order the study varies.

    ``kind`` is ``"conv"`` (3x3, padding 1, keeps the resolution) or ``"linear"``.
    ``bias`` controls the layer's own bias (redundant when BatchNorm follows directly).
    """

    def __init__(self, block: str, kind: str, in_features: int, out_features: int,
                 bias: bool = True, leaky_slope: float = LEAKY_SLOPE, bn_momentum: float = BN_MOMENTUM):
        super().__init__()
        self.block = canonical_block(block)
        if kind == "conv":
            self.layer = nn.Conv2d(in_features, out_features, kernel_size=3, padding=1, bias=bias)
        elif kind == "linear":
            self.layer = nn.Linear(in_features, out_features, bias=bias)
        else:
            raise ValueError(f"unknown layer kind {kind!r}; valid kinds: conv, linear")
        self.norm_act = NormAct(self.block, out_features, spatial=kind == "conv", leaky_slope=leaky_slope,
                                bn_momentum=bn_momentum)

    def forward(self, x):
        return self.norm_act(self.layer(x))
