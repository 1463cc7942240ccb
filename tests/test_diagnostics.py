"""Mechanism diagnostics measure what they claim and leave training untouched."""

import pytest
import torch
import torch.nn.functional as F
from torch.func import functional_call

from bnorder.runs.config import make_config
from bnorder.train import diagnostics as diag
from bnorder.train.networks import blocks_of, build_network
from bnorder.train.single import train_run


def cnn(block, width=8, depth=3):
    torch.manual_seed(0)
    return build_network("cnn", block, (1, 6, 6), 3, width=width, depth=depth)


def test_dead_channels_are_counted_exactly():
    net = cnn("bn-relu")
    with torch.no_grad():
        blocks_of(net)[1].norm_act[0].bias[:3] = -100.0  # BN shift: ReLU input always negative
    stats = diag.block_stats(net, torch.randn(64, 1, 6, 6))
    assert stats[1]["dead_frac"] == pytest.approx(3 / 8)
    assert stats[0]["dead_frac"] == 0.0


def test_dead_channels_before_batchnorm_are_counted_too():
    net = cnn("relu-bn")
    with torch.no_grad():
        layer = blocks_of(net)[0].layer
        layer.weight[:2] = 0.0
        layer.bias[:2] = -1.0  # conv output -1 everywhere: ReLU dead, BN output constant
    assert diag.block_stats(net, torch.randn(64, 1, 6, 6))[0]["dead_frac"] == pytest.approx(2 / 8)


def test_mean_shift_after_bn_relu_is_that_of_a_rectified_normal():
    net = cnn("bn-relu", width=32)
    stats = diag.block_stats(net, torch.randn(256, 1, 6, 6))
    # E[max(0, z)] for z ~ N(0, 1) is 1/sqrt(2 pi) = 0.399
    assert stats[0]["mean"] == pytest.approx(0.399, abs=0.02)
    assert diag.block_stats(cnn("relu-bn", width=32), torch.randn(256, 1, 6, 6))[0]["mean"] == \
        pytest.approx(0.0, abs=1e-4)


def test_probes_leave_batchnorm_running_statistics_and_mode_unchanged():
    net = cnn("lrelu-bn").eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = torch.randn(32, 1, 6, 6), torch.randint(0, 3, (32,))
    diag.block_stats(net, x)
    diag.layer_stats(net, x, y, diag.weight_snapshot(net))
    diag.bn_mode_gap(net, x, y, batch_size=8)
    diag.top_hessian_eigenvalue(net, x, y, iters=3)
    assert not net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_effective_step_is_zero_without_an_update_and_grows_with_one():
    net = cnn("bn-relu")
    x, y = torch.randn(16, 1, 6, 6), torch.randint(0, 3, (16,))
    start = diag.weight_snapshot(net)
    assert all(s["eff_step"] == 0 for s in diag.layer_stats(net, x, y, start))
    with torch.no_grad():
        blocks_of(net)[0].layer.weight.mul_(1.1)
    assert diag.layer_stats(net, x, y, start)[0]["eff_step"] == pytest.approx(0.1, rel=1e-4)


def test_top_hessian_eigenvalue_matches_the_full_hessian_of_a_small_network():
    torch.manual_seed(0)
    net = build_network("mlp", "relu-bn", (1, 2, 2), 3, width=3, depth=1)
    x, y = torch.randn(16, 1, 2, 2), torch.randint(0, 3, (16,))
    names = [n for n, _ in net.named_parameters()]
    shapes = [p.shape for _, p in net.named_parameters()]
    flat = torch.cat([p.detach().flatten() for _, p in net.named_parameters()])

    def loss_of(theta):
        params, i = {}, 0
        for n, s in zip(names, shapes):
            params[n] = theta[i:i + s.numel()].view(s)
            i += s.numel()
        return F.cross_entropy(functional_call(net, params, (x,)), y)

    net.train()
    eigs = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, flat))
    expected = eigs[eigs.abs().argmax()].item()
    assert diag.top_hessian_eigenvalue(net, x, y, iters=300) == pytest.approx(expected, rel=1e-3)


def test_probe_records_diagnostics_every_epoch_without_changing_the_numbers():
    base = dict(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=2, device="cpu")
    plain = train_run(make_config(**base), progress=False)
    probed = train_run(make_config(**base, probe=64), progress=False)
    strip = lambda r: [{k: v for k, v in e.items() if k not in ("seconds", "diagnostics", "bn_eval")} for e in r["epochs"]]
    assert strip(plain) == strip(probed)
    d = probed["epochs"][-1]["diagnostics"]
    assert len(d["blocks"]) == 2 and len(d["layers"]) == 2
    assert {"acc_batch_stats", "acc_running_stats", "gap"} <= set(d["bn_mode"])
    assert isinstance(probed["summary"]["hessian_top_eig"], float)
