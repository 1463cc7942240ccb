"""python -m bnorder bench: runs, prints every path and a ratio, writes a valid JSON record.
Timings are never asserted on."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from bnorder.__main__ import main
from bnorder.runs.config import make_config
from bnorder.train.bench import (
    OriginalStyleDataset,
    original_transform,
    raw_train_arrays,
    train_flops_per_image,
)
from bnorder.train.data import load_dataset


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_bench_runs_on_synthetic_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench" / "smoke.json"
    rc = main(["bench", "--dataset", "synthetic", "--arch", "mlp", "--width", "8", "--depth", "2",
               "--seeds", "2", "--max-batches", "2", "--batch-size", "32", "--warmup-batches", "1",
               "--data-root", str(tmp_path), "--out", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    for path in ("original", "single", "fused"):
        assert path in printed
    assert "vs original" in printed and "1.00x" in printed
    rec = json.loads(out.read_text())
    assert rec["command"].startswith("python -m bnorder bench --dataset synthetic --arch mlp")
    assert "--out" in rec["command"] and "--max-batches 2" in rec["command"]
    assert set(rec["results"]) == {"original", "single", "fused"}
    for r in rec["results"].values():
        assert r["images"] == 2 * 2 * 32 and r["images_per_s"] > 0 and r["seconds"] > 0
        assert r["ratio_vs_original"] > 0
    assert rec["results"]["original"]["ratio_vs_original"] == pytest.approx(1.0)
    assert rec["settings"]["fused_seeds"] == 2 and rec["settings"]["num_workers"] == 2
    assert rec["settings"]["fused_flags"] == {"amp_bf16": False, "channels_last": False,
                                              "compile": False, "fused_adam": False}
    assert rec["train_flops_per_image"] > 0
    prov = rec["provenance"]
    for key in ("git_commit", "device", "device_name", "started_utc", "torch_version"):
        assert key in prov


def test_bench_subset_of_paths_and_flags(tmp_path, capsys):
    out = tmp_path / "b.json"
    rc = main(["bench", "--dataset", "synthetic", "--arch", "cnn", "--width", "4", "--depth", "1",
               "--seeds", "2", "--max-batches", "1", "--batch-size", "16", "--paths", "single,fused",
               "--repeats", "2", "--compile", "eager",
               "--fused-adam", "--channels-last", "--no-breakdown", "--data-root", str(tmp_path),
               "--out", str(out)])
    assert rc == 0
    rec = json.loads(out.read_text())
    assert set(rec["results"]) == {"single", "fused"}
    assert all(len(r["seconds_each"]) == 2 for r in rec["results"].values())
    assert rec["results"]["fused"]["ratio_vs_original"] is None
    assert rec["settings"]["fused_flags"]["fused_adam"] is True
    assert rec["settings"]["fused_flags"]["compile"] == "eager"
    assert "--fused-adam" in rec["command"] and "--channels-last" in rec["command"]


def test_bench_refuses_unknown_path(tmp_path, capsys):
    rc = main(["bench", "--dataset", "synthetic", "--paths", "original,warp", "--out",
               str(tmp_path / "x.json"), "--data-root", str(tmp_path)])
    assert rc == 2
    assert "warp" in capsys.readouterr().err


def test_original_style_dataset_gives_bnorder_images():
    """The original loop's per-sample PIL transforms and bnorder's one-off normalization agree,
    so both paths train on the same inputs."""
    images, labels = raw_train_arrays("synthetic")
    ds = OriginalStyleDataset(images, labels, original_transform(1))
    data = load_dataset("synthetic", val_fraction=0.0)
    for i in (0, 7, len(ds) - 1):
        x, y = ds[i]
        assert x.shape == data.train_x[i].shape and y == int(data.train_y[i])
        torch.testing.assert_close(x, data.train_x[i], rtol=0, atol=1e-6)
    rgb = OriginalStyleDataset(np.zeros((1, 3, 4, 5), np.uint8), np.zeros(1), original_transform(3))
    assert rgb[0][0].shape == (3, 4, 5) and float(rgb[0][0].min()) == -1.0


def test_flop_count_of_an_mlp_training_image():
    cfg = make_config(dataset="synthetic", arch="mlp", width=8, depth=2)
    macs_forward = 64 * 8 + 8 * 8 + 8 * 4
    # forward + weight gradients + input gradients (none for the first layer's input)
    expected = 2 * macs_forward + 2 * macs_forward + 2 * (macs_forward - 64 * 8)
    assert train_flops_per_image(cfg, (1, 8, 8), 4) == pytest.approx(expected)


def parsed(argv):
    import argparse

    from bnorder.train.bench import add_arguments, resolve_defaults

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return resolve_defaults(parser.parse_args(argv))


def test_full_is_the_measurement_of_the_committed_record(repo_root):
    """``bench --full`` spells out to the command that wrote results/bench/ (the README's
    measurement); without it only the number of timings differs (3 instead of 7)."""
    from bnorder.train.bench import command_of

    rec = json.loads((repo_root / "results" / "bench" / "mlp-fashion-mnist-cpu.json").read_text())
    assert command_of(parsed(["--full", "--out", rec["path"]])) == rec["command"]
    quick = command_of(parsed(["--out", rec["path"]]))
    assert quick == rec["command"].replace("--repeats 7", "--repeats 3")


def test_options_given_override_the_defaults():
    args = parsed(["--full", "--repeats", "2", "--max-batches", "0", "--arch", "cnn"])
    assert (args.repeats, args.max_batches, args.width, args.seeds) == (2, 0, 16, 2)
    assert parsed(["--arch", "cnn", "--width", "64", "--seeds", "3"]).width == 64


def test_the_cnn_bench_breaks_a_whole_run_down_for_the_eager_and_the_fast_path(tmp_path, capsys):
    out = tmp_path / "cnn.json"
    rc = main(["bench", "--dataset", "synthetic", "--arch", "cnn", "--width", "4", "--depth", "2",
               "--seeds", "1", "--max-batches", "2", "--batch-size", "16", "--paths", "single",
               "--repeats", "1", "--data-root", str(tmp_path), "--out", str(out)])
    assert rc == 0
    assert "whole run" in capsys.readouterr().out
    run = json.loads(out.read_text())["run_breakdown"]
    assert set(run["runs"]) == {"eager", "fast"} and run["paths"]["fast"]["compile"] is True
    for path in run["runs"].values():
        parts = dict(path["projected_seconds"])
        whole = parts.pop("whole run")
        assert whole == pytest.approx(sum(parts.values())) and min(parts.values()) >= 0
    eager, fast = (run["runs"][p]["projected_seconds"]["whole run"] for p in ("eager", "fast"))
    assert run["speedup"] == pytest.approx(eager / fast)
    assert sum(run["step_operations"].values()) == pytest.approx(1.0)


def test_a_confirmatory_run_is_projected_without_the_per_epoch_readings_and_the_hessian():
    from types import SimpleNamespace

    from bnorder.runs.config import make_config
    from bnorder.train.breakdown import projected

    unit = {"train_step": 0.1, "eval_image": 1e-4, "precise_pass": 2.0, "precise_image": 1e-4,
            "batch_image": 2e-4, "diagnostics": 1.0, "hessian": 50.0}
    data = SimpleNamespace(train_x=range(1000), val_x=range(100), test_x=range(200))
    probe = projected(make_config(dataset="synthetic", arch="cnn", probe=64), data, unit)
    confirm = projected(make_config(dataset="synthetic", arch="cnn", final_readings=True), data, unit)
    assert confirm["training steps"] == probe["training steps"]
    assert "diagnostics" not in confirm and "batch statistics" not in confirm
    # one precise pass and both splits read once, instead of ten passes and the Hessian
    assert confirm["final fit, running and precise statistics"] == pytest.approx(1000 * 1e-4 + 2.0 + 1200 * 1e-4)
    assert confirm["whole run"] < probe["whole run"] - 50
