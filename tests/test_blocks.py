"""A block runs its layer, then BatchNorm and the activation in exactly the named order."""

import pytest
import torch
import torch.nn as nn

from bnorder.orders import ORDERS, canonical_block
from bnorder.train.blocks import Block

OP_OF = {nn.BatchNorm1d: "bn", nn.BatchNorm2d: "bn", nn.ReLU: "relu", nn.LeakyReLU: "lrelu",
         nn.Conv2d: "layer", nn.Linear: "layer"}


def executed_ops(module: nn.Module, x: torch.Tensor) -> list[str]:
    """The leaf operations a module actually runs on x, in execution order."""
    ran = []
    hooks = [m.register_forward_hook(lambda m, i, o: ran.append(OP_OF[type(m)]))
             for m in module.modules() if type(m) in OP_OF]
    module(x)
    for h in hooks:
        h.remove()
    return ran


@pytest.mark.parametrize("name", list(ORDERS))
@pytest.mark.parametrize("kind,x", [("conv", torch.randn(4, 3, 5, 5)), ("linear", torch.randn(4, 3))])
def test_block_runs_layer_then_the_named_order(name, kind, x):
    block = Block(name, kind, 3, 6)
    assert executed_ops(block, x) == ["layer", *ORDERS[name]]


@pytest.mark.parametrize("alias,name", [("case1", "bn-relu"), ("case2", "relu-bn"), ("case3", "lrelu-bn")])
def test_study_case_names_are_aliases_of_canonical_names(alias, name):
    assert canonical_block(alias) == name
    assert Block(alias, "linear", 3, 4).block == name


def test_bn_then_relu_outputs_are_nonnegative_and_relu_then_bn_outputs_are_centred():
    torch.manual_seed(0)
    x = torch.randn(256, 8, 4, 4) + 3.0
    pos = Block("bn-relu", "conv", 8, 8).train()(x)
    assert (pos >= 0).all()
    centred = Block("relu-bn", "conv", 8, 8).train()(x)
    # BatchNorm last: every channel has batch mean beta = 0 and std gamma = 1.
    assert centred.mean(dim=(0, 2, 3)).abs().max() < 1e-5
    assert (centred.std(dim=(0, 2, 3)) - 1).abs().max() < 1e-2


def test_leaky_relu_slope_defaults_to_0_01_and_can_be_set():
    assert Block("lrelu-bn", "linear", 2, 2).norm_act[0].negative_slope == 0.01
    assert Block("lrelu-bn", "linear", 2, 2, leaky_slope=0.2).norm_act[0].negative_slope == 0.2


def test_layer_bias_can_be_switched_off():
    assert Block("bn-relu", "conv", 2, 2, bias=False).layer.bias is None


def test_intervention_blocks_run_the_study_order_then_their_one_addition():
    from bnorder.orders import CAUSE_BLOCKS
    from bnorder.train.blocks import Center, Shift
    ops = {**OP_OF, Center: "center", Shift: "shift"}
    for name, order in CAUSE_BLOCKS.items():
        for kind, x in [("conv", torch.randn(4, 3, 5, 5)), ("linear", torch.randn(4, 3))]:
            block = Block(name, kind, 3, 6)
            ran = []
            hooks = [m.register_forward_hook(lambda m, i, o: ran.append(ops[type(m)]))
                     for m in block.modules() if type(m) in ops]
            block(x)
            assert ran == ["layer", *order]


def test_center_removes_the_mean_without_batch_statistics_or_a_gradient_of_its_own():
    from bnorder.train.blocks import Center
    center = Center(3, momentum=1.0)
    x = torch.randn(64, 3) + torch.tensor([2.0, -1.0, 0.5])
    out = center.train()(x)                       # momentum 1: the estimate is this batch's mean
    assert torch.allclose(out.mean(0), torch.zeros(3), atol=1e-5)
    y = torch.randn(8, 3, requires_grad=True)
    center.eval()(y).sum().backward()             # a fixed subtraction: the gradient passes as is
    assert torch.equal(y.grad, torch.ones(8, 3))
    assert list(center.parameters()) == []


def test_bn_relu_center_has_zero_mean_output_where_bn_relu_has_the_rectified_normal_mean():
    from bnorder.orders import RECTIFIED_NORMAL_MEAN
    x = torch.randn(512, 16)
    torch.manual_seed(0)
    plain = Block("bn-relu", "linear", 16, 64)
    torch.manual_seed(0)
    centered = Block("bn-relu-center", "linear", 16, 64)
    centered.norm_act[2].momentum = 1.0
    assert plain(x).mean().item() == pytest.approx(RECTIFIED_NORMAL_MEAN, abs=0.03)
    assert centered(x).mean().item() == pytest.approx(0.0, abs=1e-5)
    torch.manual_seed(0)
    shifted = Block("relu-bn-shift", "linear", 16, 64)
    assert shifted(x).mean().item() == pytest.approx(RECTIFIED_NORMAL_MEAN, abs=1e-4)
