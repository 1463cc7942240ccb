"""The sizes the book states without torch are those of the networks as built."""

import pytest

from bnorder.analysis.parameter_counts import n_params, order_blocks
from bnorder.orders import CAUSE_BLOCKS, ORDERS
from bnorder.runs.config import ARCHS
from bnorder.train.networks import blocks_of, build_network


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("block", [*ORDERS, *CAUSE_BLOCKS])
@pytest.mark.parametrize("shape", [(1, 6, 6), (3, 4, 5)])
def test_parameter_count_matches_the_built_network(arch, block, shape):
    for kw in (dict(), dict(width=4, depth=3), dict(width=5, depth=1, bias=False, head="bn-linear"),
               dict(width=4, depth=2, first_block="relu")):
        net = build_network(arch, block, shape, 7, **kw)
        assert n_params(arch, block, shape, 7, **kw) == count(net), kw
        assert order_blocks(arch, kw.get("depth", 8)) == len(blocks_of(net)), kw


def test_default_sizes_on_cifar10():
    """The original study's CNN and MLP (tests/test_networks.py checks them against its code)."""
    for arch in ARCHS:
        assert n_params(arch, "bn-relu", (3, 32, 32), 10) == count(build_network(arch, "bn-relu", (3, 32, 32), 10))


def test_unknown_arch_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid archs: cnn, mlp, seed-mlp"):
        n_params("resnet", "bn-relu", (1, 8, 8), 10)
