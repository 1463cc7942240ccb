"""Networks have exactly `depth` blocks of the named order, and match the original code."""

import pytest
import torch
from original_code import CNNNetwork, MLPNetwork
from test_blocks import executed_ops

from bnorder.orders import ORDERS
from bnorder.runs.config import ARCHS
from bnorder.train.networks import blocks_of, build_network

CIFAR = (3, 32, 32)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
@pytest.mark.parametrize("block", list(ORDERS))
@pytest.mark.parametrize("depth", [2, 5])
def test_network_has_depth_blocks_of_the_named_order(arch, block, depth):
    net = build_network(arch, block, (1, 6, 6), 3, width=4, depth=depth)
    assert len(blocks_of(net)) == depth
    ops = executed_ops(net, torch.randn(4, 1, 6, 6))
    stem = ["layer"] if arch == "cnn" else []
    assert ops == stem + depth * ["layer", *ORDERS[block]] + ["layer"]


@pytest.mark.parametrize("case,block", [("case1", "bn-relu"), ("case2", "relu-bn"), ("case3", "lrelu-bn")])
def test_cnn_and_seed_mlp_have_the_original_parameter_counts(case, block):
    assert n_params(build_network("cnn", block, CIFAR, 10)) == n_params(CNNNetwork(case, 8))
    assert n_params(build_network("seed-mlp", block, CIFAR, 10)) == n_params(MLPNetwork(case))


@pytest.mark.parametrize("case,block", [("case1", "bn-relu"), ("case3", "lrelu-bn")])
def test_seed_mlp_runs_the_same_operations_as_the_original_mlp(case, block):
    x = torch.randn(4, *CIFAR)
    ours = executed_ops(build_network("seed-mlp", block, CIFAR, 10), x)
    theirs = executed_ops(MLPNetwork(case), x)
    assert ours == theirs
    assert ours.count("bn") == 1  # the order only in the first layer


def test_networks_output_one_logit_per_class():
    for arch in ARCHS:
        out = build_network(arch, "relu-bn", (1, 8, 8), 7, width=4, depth=2)(torch.randn(5, 1, 8, 8))
        assert out.shape == (5, 7)


def test_same_seed_gives_every_block_order_the_same_initial_weights():
    def layer_weights(block):
        torch.manual_seed(3)
        net = build_network("cnn", block, (1, 8, 8), 4, width=4, depth=3)
        return [p for n, p in net.named_parameters() if "norm_act" not in n]

    ref = layer_weights("bn-relu")
    for block in ORDERS:
        assert all(torch.equal(a, b) for a, b in zip(ref, layer_weights(block)))


def test_unknown_arch_error_names_the_valid_archs():
    with pytest.raises(ValueError, match="cnn, mlp, seed-mlp"):
        build_network("resnet", "bn-relu", CIFAR, 10)


def test_bn_linear_head_normalizes_pooled_features_for_every_order():
    for block in ORDERS:
        net = build_network("cnn", block, (1, 6, 6), 3, width=4, depth=2, head="bn-linear")
        assert executed_ops(net, torch.randn(4, 1, 6, 6))[-2:] == ["bn", "layer"]


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_first_block_order_applies_to_the_first_block_only_with_the_same_initial_weights(arch):
    torch.manual_seed(1)
    base = build_network(arch, "bn-relu", (1, 6, 6), 3, width=4, depth=3)
    torch.manual_seed(1)
    swapped = build_network(arch, "bn-relu", (1, 6, 6), 3, width=4, depth=3, first_block="relu-bn")
    assert [b.block for b in blocks_of(swapped)] == ["relu-bn", "bn-relu", "bn-relu"]
    assert all(torch.equal(a, b) for a, b in zip(base.parameters(), swapped.parameters()))


def test_every_normalization_layer_has_the_momentum_the_run_names():
    from bnorder.runs.config import make_config
    from bnorder.train.blocks import Center
    from bnorder.train.networks import build_for

    for arch, block, head in (("cnn", "relu-bn", "bn-linear"), ("mlp", "bn-relu-center", "linear"),
                              ("seed-mlp", "bn-relu", "linear")):
        cfg = make_config(dataset="synthetic", arch=arch, block=block, width=8, depth=2, head=head,
                          bn_momentum=0.01)
        norms = [m for m in build_for(cfg, (1, 8, 8), 4).modules()
                 if isinstance(m, (torch.nn.modules.batchnorm._BatchNorm, Center))]
        assert norms and all(m.momentum == 0.01 for m in norms), arch
