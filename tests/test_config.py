"""Every bad parameter fails fast with a message that names the valid values."""

import pytest

from bnorder.runs.config import config_hash, make_config


@pytest.mark.parametrize("params,message", [
    (dict(block="case9"), "valid blocks: bn-relu, relu-bn, lrelu-bn, bn-lrelu, relu, case1, case2, case3"),
    (dict(arch="resnet"), "valid archs: cnn, mlp, seed-mlp"),
    (dict(dataset="mnist"), "valid datasets: cifar10, fashion-mnist, synthetic"),
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(lr=-1), "lr must be positive"),
    (dict(batch_size=0), "batch_size must be a positive integer"),
    (dict(val_fraction=1.0), r"val_fraction must be in \[0, 1\)"),
    (dict(epochs="10"), "epochs must be of type int"),
    (dict(lr="fast"), "lr must be of type float"),
    (dict(bias="yes"), "bias must be of type bool"),
    (dict(device="tpu"), "valid devices: auto, cpu, cuda, mps"),
    (dict(colour="red"), "unknown parameter"),
    (dict(head="mlp"), "valid heads: linear, bn-linear"),
    (dict(schedule="step"), "valid schedules: constant, cosine"),
    (dict(probe=-5), "probe must be 0"),
])
def test_bad_parameter_is_rejected_with_the_valid_values(params, message):
    with pytest.raises(ValueError, match=message):
        make_config(**params)


def test_defaults_are_the_original_case1_cnn_on_cifar10():
    cfg = make_config()
    assert (cfg.dataset, cfg.arch, cfg.block, cfg.epochs, cfg.batch_size, cfg.lr, cfg.width, cfg.depth) == \
        ("cifar10", "cnn", "bn-relu", 10, 128, 1e-3, 64, 8)


def test_alias_is_stored_under_its_canonical_name():
    assert make_config(block="case3").block == "lrelu-bn"


def test_width_defaults_per_arch():
    assert make_config(arch="mlp").width == 512


def test_config_hash_depends_on_what_changes_numbers_only():
    a = make_config(seed=1)
    assert config_hash(a) == config_hash(make_config(seed=1, results_dir="elsewhere", device="cpu"))
    assert config_hash(a) != config_hash(make_config(seed=2))
    assert config_hash(a) != config_hash(make_config(seed=1, lr=3e-4))


def test_a_knob_added_later_keeps_old_records_hashes_at_its_default(repo_root):
    import json

    from bnorder.runs.config import config_hash
    path = next((repo_root / "results" / "factorial").rglob("seed0.json"))
    record = json.loads(path.read_text())
    params = {k: v for k, v in record["config"].items() if k not in ("first_block", "center_inputs")}
    assert config_hash(make_config(**params)) == record["config_hash"]
    assert config_hash(make_config(**params, first_block="relu-bn")) != record["config_hash"]
    assert config_hash(make_config(**params, center_inputs=True)) != record["config_hash"]
