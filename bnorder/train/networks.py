"""The networks of the study, each a stack of :class:`bnorder.train.blocks.Block`.

    cnn       the original study's CNN: stem conv (in -> width, no norm, no activation),
              ``depth`` conv blocks width -> width at full resolution, global average pool,
              linear classifier. Defaults width 64, depth 8 (the study's code).
    mlp       ``depth`` linear blocks of ``width`` units with the order in *every* block
              (the study's stated condition "each network should have 8 blocks"), then a
              linear classifier. Defaults width 512, depth 8.
    seed-mlp  the original study's MLP exactly as its code built it: the order only in the
              first layer (Linear in -> 512), then Linear-ReLU 512 -> 256 -> 128 and Linear
              128 -> classes, no BatchNorm. Ignores width and depth.
"""

from __future__ import annotations

import math

import torch.nn as nn

from ..orders import LEAKY_SLOPE
from ..runs.config import ARCHS, DEFAULT_DEPTH, DEFAULT_WIDTH, HEADS
from .blocks import BN_MOMENTUM, Block


def make_head(head: str, width: int, num_classes: int, bn_momentum: float = BN_MOMENTUM) -> nn.Module:
    """The classifier. ``linear`` is the study's; ``bn-linear`` normalizes the pooled features
    first, so every block order hands the classifier the same kind of input."""
    if head == "linear":
        return nn.Linear(width, num_classes)
    if head == "bn-linear":
        return nn.Sequential(nn.BatchNorm1d(width, momentum=bn_momentum), nn.Linear(width, num_classes))
    raise ValueError(f"unknown head {head!r}; valid heads: {', '.join(HEADS)}")


def block_orders(block: str, depth: int, first_block: str = "") -> list[str]:
    """The order of each of ``depth`` blocks: ``block`` everywhere, or ``first_block`` in the
    first and ``block`` in the rest (the intervention that asks where the order acts)."""
    return [first_block or block] + [block] * (depth - 1)


class CNN(nn.Module):
    def __init__(self, block: str, in_channels: int, num_classes: int, width: int = 64,
                 depth: int = DEFAULT_DEPTH, bias: bool = True, leaky_slope: float = LEAKY_SLOPE,
                 head: str = "linear", first_block: str = "", bn_momentum: float = BN_MOMENTUM):
        super().__init__()
        self.stem = nn.Conv2d(in_channels, width, kernel_size=3, padding=1)
        self.blocks = nn.Sequential(*[Block(order, "conv", width, width, bias, leaky_slope, bn_momentum)
                                      for order in block_orders(block, depth, first_block)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = make_head(head, width, num_classes, bn_momentum)

    def forward(self, x):
        x = self.pool(self.blocks(self.stem(x)))
        return self.head(x.flatten(1))


class MLP(nn.Module):
    def __init__(self, block: str, in_features: int, num_classes: int, width: int = 512,
                 depth: int = DEFAULT_DEPTH, bias: bool = True, leaky_slope: float = LEAKY_SLOPE,
                 head: str = "linear", first_block: str = "", bn_momentum: float = BN_MOMENTUM):
        super().__init__()
        sizes = [in_features] + [width] * depth
        orders = block_orders(block, depth, first_block)
        self.blocks = nn.Sequential(*[Block(order, "linear", a, b, bias, leaky_slope, bn_momentum)
                                      for order, a, b in zip(orders, sizes[:-1], sizes[1:])])
        self.head = make_head(head, width, num_classes, bn_momentum)

    def forward(self, x):
        return self.head(self.blocks(x.flatten(1)))


class SeedMLP(nn.Module):
    """The original study's ``MLPNetwork``: the block order appears in layer 1 only."""

    def __init__(self, block: str, in_features: int, num_classes: int,
                 bias: bool = True, leaky_slope: float = LEAKY_SLOPE, bn_momentum: float = BN_MOMENTUM):
        super().__init__()
        self.blocks = nn.Sequential(Block(block, "linear", in_features, 512, bias, leaky_slope, bn_momentum))
        self.rest = nn.Sequential(nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU())
        self.head = nn.Linear(128, num_classes)

    def forward(self, x):
        return self.head(self.rest(self.blocks(x.flatten(1))))


def build_network(arch: str, block: str, input_shape: tuple[int, int, int], num_classes: int,
                  width: int | None = None, depth: int = DEFAULT_DEPTH, bias: bool = True,
                  leaky_slope: float = LEAKY_SLOPE, head: str = "linear",
                  first_block: str = "", bn_momentum: float = BN_MOMENTUM) -> nn.Module:
    """Build ``arch`` with blocks of order ``block`` for inputs of shape (C, H, W).

    ``head`` and ``first_block`` (another order for the first block only) apply to cnn and mlp;
    seed-mlp keeps the original classifier and has one block. ``bn_momentum`` is the
    running-statistics momentum of every normalization layer, given to each at construction (it
    changes no weight: training normalizes with each batch's own statistics)."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; valid archs: {', '.join(ARCHS)}")
    width = width or DEFAULT_WIDTH[arch]
    if arch == "cnn":
        return CNN(block, input_shape[0], num_classes, width, depth, bias, leaky_slope, head,
                   first_block, bn_momentum)
    if arch == "mlp":
        return MLP(block, math.prod(input_shape), num_classes, width, depth, bias, leaky_slope,
                   head, first_block, bn_momentum)
    return SeedMLP(first_block or block, math.prod(input_shape), num_classes, bias, leaky_slope,
                   bn_momentum)


def blocks_of(model: nn.Module) -> list[Block]:
    """The order-carrying blocks of a network, input to output."""
    return [m for m in model.modules() if isinstance(m, Block)]


def build_for(cfg, input_shape: tuple[int, int, int], num_classes: int) -> nn.Module:
    """The network a run's config (:class:`bnorder.runs.config.RunConfig`) describes."""
    return build_network(cfg.arch, cfg.block, input_shape, num_classes, cfg.width, cfg.depth,
                         cfg.bias, cfg.leaky_slope, cfg.head, cfg.first_block, cfg.bn_momentum)
