"""The three readings of BatchNorm at evaluation measure the same weights and change nothing."""

import pytest
import torch

from bnorder.runs.config import make_config
from bnorder.train import bn_eval
from bnorder.train.networks import build_network
from bnorder.train.single import train_run


def trained_cnn(block="bn-relu"):
    torch.manual_seed(0)
    net = build_network("cnn", block, (1, 6, 6), 3, width=8, depth=2)
    with torch.no_grad():  # a few train-mode passes so the running statistics mean something
        for _ in range(3):
            net(torch.randn(32, 1, 6, 6) * 2 + 1)
    return net.eval()


def test_precise_statistics_are_the_average_of_the_batch_statistics_of_frozen_weights():
    net = trained_cnn()
    x = torch.randn(64, 1, 6, 6)
    twin = bn_eval.with_precise_statistics(net, x, batch_size=64, images=64)
    # One batch of all 64 images: the precise mean of the first BatchNorm is that batch's mean.
    layer_out = twin.blocks[0].layer(twin.stem(x))
    assert torch.allclose(twin.blocks[0].norm_act[0].running_mean, layer_out.mean((0, 2, 3)), atol=1e-5)
    assert not twin.training


def test_readings_leave_the_model_untouched():
    net = trained_cnn("lrelu-bn")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = torch.randn(50, 1, 6, 6), torch.randint(0, 3, (50,))
    out = bn_eval.bn_evaluations(net, x, x, y, batch_size=16)
    bn_eval.training_fit(net, x, y)
    assert set(out) == {"test_loss_precise", "test_acc_precise", "test_loss_batch", "test_acc_batch"}
    assert not net.training
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_batch_statistics_reading_equals_a_train_mode_forward():
    net = trained_cnn()
    x, y = torch.randn(40, 1, 6, 6), torch.randint(0, 3, (40,))
    loss, acc = bn_eval.batch_statistics_evaluation(net, x, y, batch_size=40)
    import copy
    expected = torch.nn.functional.cross_entropy(copy.deepcopy(net).train()(x), y).item()
    assert loss == pytest.approx(expected, rel=1e-5)


def test_a_network_without_batchnorm_has_no_second_reading():
    torch.manual_seed(0)
    net = build_network("mlp", "relu", (1, 6, 6), 3, width=8, depth=2)
    x, y = torch.randn(20, 1, 6, 6), torch.randint(0, 3, (20,))
    assert bn_eval.bn_evaluations(net, x, x, y, batch_size=8) == {}


def test_runs_record_the_readings_every_epoch_and_the_training_fit_at_the_end():
    cfg = make_config(dataset="synthetic", arch="cnn", width=4, depth=2, epochs=2, probe=16)
    result = train_run(cfg, progress=False)
    assert all("test_acc_precise" in e["bn_eval"] for e in result["epochs"])
    assert 0 <= result["summary"]["train_eval_acc"] <= 100
    plain = train_run(make_config(dataset="synthetic", arch="cnn", width=4, depth=2, epochs=2),
                      progress=False)
    assert "bn_eval" not in plain["epochs"][0]
    # The extra readings do not change training: the same test accuracy with and without them.
    assert [e["test_acc"] for e in plain["epochs"]] == [e["test_acc"] for e in result["epochs"]]


def test_final_readings_read_both_splits_with_precise_statistics_on_both_paths():
    from bnorder.runs.config import make_config
    from bnorder.train.fused import train_fused
    from bnorder.train.single import train_run

    cfg = make_config(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=1,
                      final_readings=True, device="cpu")
    single = train_run(cfg, progress=False)["summary"]
    fused = train_fused(cfg, [0], progress=False)[0]["summary"]
    for key in ("test_acc_precise", "train_eval_acc_precise"):
        assert 0 <= single[key] <= 100
        assert fused[key] == pytest.approx(single[key], abs=1.0)
    assert "test_acc_precise" not in train_run(make_config(**{**cfg.as_dict(), "final_readings": False}),
                                               progress=False)["summary"]
