"""The networks' sizes without building them (no torch): parameters and order-carrying blocks.

:mod:`bnorder.train.networks` builds the networks; this module counts what they hold, so that the book
can state it without PyTorch. ``tests/test_sizes.py`` checks every count against a built network.
"""

from __future__ import annotations

import math

from ..orders import has_batchnorm
from ..runs.config import ARCHS, DEFAULT_DEPTH, DEFAULT_WIDTH

SEED_MLP = (512, 256, 128)  # the original study's MLPNetwork: its hidden layers


def _layer(n_in: int, n_out: int, bias: bool = True, kernel: int = 1) -> int:
    """A linear map (kernel 1) or a ``kernel``-tap convolution from ``n_in`` to ``n_out``."""
    return n_in * n_out * kernel + (n_out if bias else 0)


def _block(block: str, n_in: int, n_out: int, bias: bool, kernel: int) -> int:
    """The layer, and BatchNorm's scale and shift when the block has BatchNorm (the
    cause blocks' ``center`` and ``shift`` hold no parameters)."""
    return _layer(n_in, n_out, bias, kernel) + (2 * n_out if has_batchnorm(block) else 0)


def _head(head: str, width: int, num_classes: int) -> int:
    return _layer(width, num_classes) + (2 * width if head == "bn-linear" else 0)


def order_blocks(arch: str, depth: int = DEFAULT_DEPTH) -> int:
    """How many blocks carry the order: ``depth``, or one in the original study's MLP."""
    return 1 if arch == "seed-mlp" else depth


def n_params(arch: str, block: str, input_shape: tuple[int, int, int], num_classes: int,
             width: int | None = None, depth: int = DEFAULT_DEPTH, bias: bool = True,
             head: str = "linear", first_block: str = "") -> int:
    """The number of trainable parameters of ``bnorder.train.networks.build_network`` with the same
    arguments."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}; valid archs: {', '.join(ARCHS)}")
    orders = [first_block or block] + [block] * (order_blocks(arch, depth) - 1)
    channels, pixels = input_shape[0], math.prod(input_shape)
    if arch == "seed-mlp":
        hidden = sum(_layer(a, b) for a, b in zip(SEED_MLP[:-1], SEED_MLP[1:]))
        return _block(orders[0], pixels, SEED_MLP[0], bias, 1) + hidden + _layer(SEED_MLP[-1], num_classes)
    width = width or DEFAULT_WIDTH[arch]
    if arch == "cnn":  # a stem convolution, then 3x3 conv blocks width -> width
        body = _layer(channels, width, kernel=9) + sum(_block(o, width, width, bias, 9) for o in orders)
    else:
        sizes = [pixels] + [width] * depth
        body = sum(_block(o, a, b, bias, 1) for o, a, b in zip(orders, sizes[:-1], sizes[1:]))
    return body + _head(head, width, num_classes)
