"""Records are complete, written atomically, and load into one table."""

import json

import pytest

from bnorder.runs.config import make_config
from bnorder.runs.records import load_record, load_records, record_path, write_json_atomic
from bnorder.train.run import run_and_record


@pytest.fixture
def record(tmp_path):
    cfg = make_config(dataset="synthetic", arch="mlp", block="case3", width=8, depth=2, epochs=2,
                      profile="t", results_dir=str(tmp_path), device="cpu")
    return run_and_record(cfg, progress=False)


def test_record_lands_under_profile_dataset_arch_canonical_block_seed(record, tmp_path):
    rec, path = record
    assert path == tmp_path / "t" / "synthetic" / "mlp" / "lrelu-bn" / "seed0.json"
    assert json.loads(path.read_text()) == rec


def test_record_has_config_epochs_summary_and_provenance(record):
    rec, _ = record
    assert rec["config"]["block"] == "lrelu-bn" and len(rec["epochs"]) == 2
    assert {"final_test_acc", "best_val_epoch_test_acc"} <= set(rec["summary"])
    prov = rec["provenance"]
    for key in ("bnorder_version", "git_commit", "torch_version", "device", "device_name",
                "started_utc", "wall_seconds", "cpu_capability"):
        assert key in prov
    assert len(rec["config_hash"]) == 16


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    write_json_atomic(tmp_path / "a" / "r.json", {"x": 1})
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["r.json"]


def test_a_write_that_fails_keeps_the_previous_record(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"x": 1})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"x": float("nan")})  # NaN is not valid JSON
    assert json.loads(path.read_text()) == {"x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_load_records_gives_one_row_per_run(record, tmp_path):
    df = load_records(tmp_path)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["block"] == "lrelu-bn" and row["status"] == "ok" and row["seed"] == 0
    assert row["final_test_acc"] == record[0]["summary"]["final_test_acc"]
    assert row["prov_torch_version"]


def test_malformed_record_is_reported_with_its_path(tmp_path):
    bad = tmp_path / "p" / "seed0.json"
    bad.parent.mkdir()
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="malformed record .*seed0.json"):
        load_record(bad)


def test_record_path_uses_the_canonical_block_name():
    cfg = make_config(block="case2", profile="p", dataset="synthetic", arch="cnn", seed=4)
    assert record_path(cfg).as_posix() == "results/p/synthetic/cnn/relu-bn/seed4.json"


def test_runs_that_differ_in_more_than_the_seed_are_not_pooled(tmp_path):
    from bnorder.runs.records import check_poolable

    base = dict(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=1, profile="t",
                results_dir=str(tmp_path), device="cpu")
    run_and_record(make_config(**base, seed=0), progress=False)
    run_and_record(make_config(**base, seed=1), progress=False)
    check_poolable(load_records(tmp_path))  # seeds only: fine
    run_and_record(make_config(**{**base, "lr": 3e-4}, seed=2), progress=False)
    with pytest.raises(ValueError, match=r"differ in lr"):
        check_poolable(load_records(tmp_path))


def test_records_written_before_a_knob_existed_load_with_its_default(record, tmp_path):
    rec, path = record
    del rec["config"]["head"]
    write_json_atomic(path, rec)
    assert load_records(tmp_path).iloc[0]["head"] == "linear"


# The book reads records with the base install (no torch): a kernel that imports torch pays
# ~20 s, and installing it ~4 GB. This script runs where torch cannot be imported.
WITHOUT_TORCH = """

from bnorder.runs import config, profiles, records

from bnorder.analysis import contrasts, predictions, original_study, parameter_counts, stats, verdicts

from bnorder import orders
from bnorder.report import conclusion, factorial, intro, mechanisms, replication, reproducibility
from bnorder.report import robustness, statistics

path = records.find_records("results", "factorial")[0]
assert records.load_record(path)["config"]["profile"] == "factorial"
runs = records.load_records("results", "factorial")
ok = runs[runs["status"] == "ok"]
print(len(runs), contrasts.factorial_contrasts(ok[ok["arch"] == "mlp"], "final_test_acc").shape)
print(stats.mean_interval([1.0, 2.0, 4.0]))
print(len(original_study.load_original_runs()), len(profiles.PROFILES), orders.ORDERS["relu-bn"])
print(config.make_config(block="case3").block, parameter_counts.n_params("cnn", "bn-relu", (3, 32, 32), 10))
try:
    from bnorder import require_torch
    require_torch()
except ImportError as e:
    print("require_torch:", e)
assert not [m for m in sys.modules if m.split(".")[0] == "torch"]
"""


def test_the_analysis_side_loads_committed_records_without_torch(repo_root):
    from without_torch import run_without_torch

    out = run_without_torch(repo_root, WITHOUT_TORCH)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "require_torch: training needs PyTorch" in out.stdout and "pip install -e '.[train]'" in out.stdout


def test_provenance_says_whether_a_gpu_run_used_tf32_and_a_cpu_run_has_no_such_claim(monkeypatch):
    import datetime as dt

    import torch

    from bnorder.runs.records import provenance
    now = dt.datetime.now(dt.timezone.utc)
    assert "tf32_convolutions" not in provenance("cpu", 1.0, now)
    monkeypatch.setattr("bnorder.runs.records.device_name", lambda d: "a GPU")
    prov = provenance("cuda", 1.0, now)
    assert prov["tf32_convolutions"] == torch.backends.cudnn.allow_tf32
    assert prov["tf32_matmul"] == torch.backends.cuda.matmul.allow_tf32
