"""The fused path (K seeds as one stacked model) against the single path, seed by seed."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
import torch.nn as nn

import bnorder.train.fused as fused_mod
from bnorder.runs.config import make_config
from bnorder.orders import ORDERS
from bnorder.train.data import load_dataset
from bnorder.train.fused import (
    SpeedFlags,
    _autocast,
    broadcast_batch,
    build_fused,
    fuse_models,
    run_and_record_fused,
    train_fused,
    unfuse_state,
)
from bnorder.train.networks import blocks_of, build_network
from bnorder.train.single import train_run

SIZES = {"mlp": dict(width=16, depth=2), "cnn": dict(width=4, depth=2), "seed-mlp": {}}
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc")
CPU = torch.device("cpu")


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models: one thread is faster, and immune to other work on the machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data():
    return load_dataset("synthetic", val_fraction=0.1, train_subset=256)


def config(arch, block="bn-relu", **kw):
    return make_config(dataset="synthetic", arch=arch, block=block, epochs=2, batch_size=64,
                       train_subset=256, device="cpu", **{**SIZES[arch], **kw})


def assert_same_run(a: dict, b: dict, data, loss_rtol=1e-4):
    """Same status and per-epoch metrics up to float rounding (an accuracy may move by one
    image when two logits are within rounding of each other)."""
    assert a["status"] == b["status"] and a["n_params"] == b["n_params"]
    assert len(a["epochs"]) == len(b["epochs"])
    one_image = {"train_acc": 100 / len(data.train_x), "val_acc": 100 / len(data.val_x),
                 "test_acc": 100 / len(data.test_x)}
    for ea, eb in zip(a["epochs"], b["epochs"]):
        assert ea["epoch"] == eb["epoch"]
        for key in METRICS:
            if key.endswith("loss"):
                assert eb[key] == pytest.approx(ea[key], rel=loss_rtol, abs=1e-6), key
            else:
                assert abs(ea[key] - eb[key]) <= one_image[key] + 1e-9, key


@pytest.mark.parametrize("arch", ["mlp", "cnn", "seed-mlp"])
@pytest.mark.parametrize("block", ["bn-relu", "relu-bn", "lrelu-bn", "relu"])
def test_fused_matches_single_path(arch, block, data):
    # bias=False: a bias right before BatchNorm gets a gradient that is zero up to rounding,
    # which Adam scales up to full steps (see the next test), so compare without it.
    cfg = config(arch, block, bias=False)
    seeds = [0, 3]
    fused = train_fused(cfg, seeds, data=data, progress=False)
    assert len(fused) == len(seeds)
    for seed, result in zip(seeds, fused):
        single = train_run(dataclasses.replace(cfg, seed=seed), data=data, progress=False)
        assert set(single) <= set(result)
        assert_same_run(single, result, data)


def test_fused_matches_single_path_with_bias(data):
    # relu-bn: the layer's bias matters, it is compared exactly like the rest.
    cfg = config("mlp", "relu-bn")
    single = train_run(dataclasses.replace(cfg, seed=1), data=data, progress=False)
    assert_same_run(single, train_fused(cfg, [0, 1], data=data, progress=False)[1], data)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_fused_matches_single_path_with_bn_head_and_cosine_schedule(arch, data):
    cfg = config(arch, "bn-lrelu", bias=False, head="bn-linear", schedule="cosine")
    single = train_run(dataclasses.replace(cfg, seed=2), data=data, progress=False)
    result = train_fused(cfg, [2, 0], data=data, progress=False)[0]
    assert_same_run(single, result, data)
    assert [e["lr"] for e in result["epochs"]] == pytest.approx([e["lr"] for e in single["epochs"]])


def test_bias_before_batchnorm_only_moves_eval_metrics(data):
    # bn-relu with a bias: training metrics agree tightly (BatchNorm cancels the bias in
    # training mode); in eval mode the bias (a rounding-driven random walk under Adam) and the
    # running mean lag each other a little, so eval losses agree only to ~1e-3.
    cfg = config("cnn", "bn-relu")
    single = train_run(dataclasses.replace(cfg, seed=0), data=data, progress=False)
    result = train_fused(cfg, [0], data=data, progress=False)[0]
    for ea, eb in zip(single["epochs"], result["epochs"]):
        assert eb["train_loss"] == pytest.approx(ea["train_loss"], rel=1e-4)
        assert eb["train_acc"] == pytest.approx(ea["train_acc"], abs=1e-9)
        assert eb["test_loss"] == pytest.approx(ea["test_loss"], rel=1e-2)


def test_each_seed_has_its_own_init_and_data_order(data):
    cfg = config("mlp", "relu-bn")
    group = train_fused(cfg, [0, 1, 2], data=data, progress=False)
    alone = train_fused(cfg, [1], data=data, progress=False)[0]
    assert_same_run(alone, group[1], data)
    assert group[0]["epochs"][0]["train_loss"] != group[1]["epochs"][0]["train_loss"]
    assert group[1]["epochs"][-1]["test_loss"] != group[2]["epochs"][-1]["test_loss"]


@pytest.mark.parametrize("arch", ["mlp", "cnn", "seed-mlp"])
def test_fused_weights_are_each_seeds_own_initialization(arch):
    cfg = config(arch, "bn-lrelu")
    seeds = [5, 2]
    fused, _, n_params = build_fused(cfg, seeds, (1, 8, 8), 4, CPU)
    assert fused.fused_seeds == 2
    for k, seed in enumerate(seeds):
        torch.manual_seed(seed)
        single = build_network(arch, "bn-lrelu", (1, 8, 8), 4, cfg.width, cfg.depth)
        assert n_params == sum(p.numel() for p in single.parameters())
        state = unfuse_state(fused, single, k)
        for name, value in single.state_dict().items():
            assert torch.equal(state[name], value), name


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_fused_forward_equals_each_model(arch):
    torch.manual_seed(0)
    models = [build_network(arch, "relu-bn", (1, 8, 8), 4, **SIZES[arch]) for _ in range(3)]
    fused = fuse_models(models)
    x = torch.randn(10, 1, 8, 8)
    out = fused_mod.per_model_logits(fused, fused(broadcast_batch(fused, x, 3)), 3)
    for k, m in enumerate(models):
        torch.testing.assert_close(out[:, k], m(x), rtol=1e-5, atol=1e-6)
    # training-mode BatchNorm statistics (and running statistics) stay per model
    for k, m in enumerate(models):
        m(x)
    fused(broadcast_batch(fused, x, 3))
    for k, m in enumerate(models):
        for name, value in unfuse_state(fused, m, k).items():
            torch.testing.assert_close(value, m.state_dict()[name], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("block", list(ORDERS))
def test_block_order_comes_from_orders(block):
    cfg = config("cnn", block)
    fused, _, _ = build_fused(cfg, [0, 1], (1, 8, 8), 4, CPU)
    names = {"FusedBatchNorm2d": "bn", "ReLU": "relu", "LeakyReLU": "lrelu"}
    for b in blocks_of(fused):
        assert tuple(names[type(m).__name__] for m in b.norm_act) == ORDERS[block]


def test_divergence_marks_only_that_seed(data, monkeypatch):
    real = fused_mod.build_for

    def poisoned(*args, **kwargs):
        model = real(*args, **kwargs)
        if torch.initial_seed() == 1:  # seed 1's network outputs NaN from the first step
            with torch.no_grad():
                model.head.weight.fill_(float("nan"))
        return model

    monkeypatch.setattr(fused_mod, "build_for", poisoned)
    cfg = config("mlp", "relu-bn")
    results = train_fused(cfg, [0, 1, 2], data=data, progress=False)
    assert [r["status"] for r in results] == ["ok", "diverged", "ok"]
    assert results[1]["failure"]["epoch"] == 1 and results[1]["failure"]["step"] == 1
    assert results[1]["epochs"] == []
    monkeypatch.setattr(fused_mod, "build_for", real)
    clean = train_fused(cfg, [0, 2], data=data, progress=False)
    assert_same_run(clean[0], results[0], data)
    assert_same_run(clean[1], results[2], data)


def test_speed_flags_are_recorded_and_default_off(data):
    cfg = dataclasses.replace(config("mlp", "relu-bn"), epochs=1)
    plain = train_fused(cfg, [0], data=data, progress=False)[0]
    assert plain["speed"] == {"fused_seeds": 1, "amp_bf16": False, "channels_last": False,
                              "compile": False, "fused_adam": False}
    flagged = train_fused(cfg, [0, 1], data=data, progress=False, fused_adam=True)
    assert all(r["speed"]["fused_adam"] and r["speed"]["fused_seeds"] == 2 for r in flagged)
    assert_same_run(plain, flagged[0], data)  # the same update, one kernel per parameter


def test_bf16_channels_last_compile_on_cpu(data):
    cfg = dataclasses.replace(config("cnn", "relu-bn"), epochs=1)
    flags = dict(amp_bf16=True, channels_last=True, compile="eager")
    results = train_fused(cfg, [0, 1], data=data, progress=False, **flags)
    for r in results:
        assert r["status"] == "ok"
        assert r["speed"] == {"fused_seeds": 2, "fused_adam": False, **flags}
        assert all(v is not None and v == v for v in r["epochs"][0].values())
    # bf16 changes the numbers a little, not the run
    fp32 = train_fused(cfg, [0, 1], data=data, progress=False)
    assert results[0]["epochs"][0]["train_loss"] == pytest.approx(fp32[0]["epochs"][0]["train_loss"], rel=0.05)


def test_bf16_keeps_batchnorm_in_float32_and_layout_channels_last():
    cfg = config("cnn", "relu-bn")
    flags = SpeedFlags(amp_bf16=True, channels_last=True)
    fused, _, _ = build_fused(cfg, [0, 1], (1, 8, 8), 4, CPU, flags)
    assert fused.stem.weight.is_contiguous(memory_format=torch.channels_last)
    seen = {}
    for name, m in fused.named_modules():
        if not list(m.children()):
            m.register_forward_hook(lambda mod, i, o, name=name: seen.__setitem__(name, o))
    x = fused_mod._layout(broadcast_batch(fused, torch.randn(6, 1, 8, 8), 2), flags)
    with _autocast(CPU, flags):
        fused(x)
    assert seen["blocks.0.layer"].dtype == torch.bfloat16
    assert seen["blocks.0.norm_act.1"].dtype == torch.float32          # BatchNorm
    assert seen["blocks.0.layer"].is_contiguous(memory_format=torch.channels_last)


def test_run_and_record_fused_writes_one_record_per_seed(tmp_path, data):
    cfg = dataclasses.replace(config("seed-mlp", "lrelu-bn"), epochs=1, results_dir=str(tmp_path),
                              profile="t", seed=3)
    written = run_and_record_fused(cfg, 2, progress=False, data=data)
    assert [rec["config"]["seed"] for rec, _ in written] == [3, 4]
    hashes = set()
    for rec, path in written:
        assert path == tmp_path / "t" / "synthetic" / "seed-mlp" / "lrelu-bn" / f"seed{rec['config']['seed']}.json"
        on_disk = json.loads(path.read_text())
        assert on_disk["provenance"]["fused_seeds"] == 2
        assert on_disk["provenance"]["amp_bf16"] is False and on_disk["provenance"]["compile"] is False
        assert on_disk["status"] == "ok" and on_disk["summary"]["final_test_acc"] is not None
        hashes.add(on_disk["config_hash"])
    assert len(hashes) == 2


def test_bad_input_is_refused(data):
    cfg = config("mlp")
    with pytest.raises(ValueError, match="distinct"):
        train_fused(cfg, [1, 1], data=data, progress=False)
    with pytest.raises(ValueError, match="at least one"):
        train_fused(cfg, [], data=data, progress=False)
    with pytest.raises(NotImplementedError, match="Dropout"):
        fuse_models([nn.Sequential(nn.Linear(2, 2), nn.Dropout())] * 2)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
@pytest.mark.parametrize("block,first_block", [("bn-relu-center", ""), ("relu-bn-shift", ""),
                                               ("bn-relu", "relu-bn")])
def test_fused_matches_single_path_for_intervention_blocks(arch, block, first_block, data):
    cfg = config(arch, block, bias=False, first_block=first_block)
    result = train_fused(cfg, [1, 0], data=data, progress=False)[0]
    assert_same_run(train_run(dataclasses.replace(cfg, seed=1), data=data, progress=False), result, data)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_fused_bn_evaluations_match_the_single_path(arch, data):
    cfg = config(arch, "relu-bn", bias=False, probe=16)
    fused = train_fused(cfg, [0, 2], data=data, progress=False)[1]
    single = train_run(dataclasses.replace(cfg, seed=2), data=data, progress=False)
    one_image = 100 / len(data.test_x)
    for ef, es in zip(fused["epochs"], single["epochs"]):
        for key, value in es["bn_eval"].items():
            if "loss" in key:
                assert ef["bn_eval"][key] == pytest.approx(value, rel=1e-4), key
            else:
                assert abs(ef["bn_eval"][key] - value) <= one_image + 1e-9, key
    assert fused["summary"]["train_eval_acc"] == pytest.approx(single["summary"]["train_eval_acc"], abs=0.5)
