"""The Reproducibility chapter's tables: how long each profile took, and the benchmark records."""

import json
from pathlib import Path

import pytest

from bnorder.report.reproducibility import edition_times


def write(root, profile, seed, wall, fused=None, acc=None, config_hash=None):
    path = root / profile / "synthetic" / "mlp" / "bn-relu" / f"seed{seed}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    prov = {"wall_seconds": wall, "device_name": "cpu X"} | ({"fused_seeds": fused} if fused else {})
    path.write_text(json.dumps({"config": {"profile": profile, "arch": "mlp", "block": "bn-relu",
                                           "seed": seed, "dataset": "synthetic"},
                                "config_hash": config_hash or f"{profile}-{seed}",
                                "status": "ok", "summary": {} if acc is None else {"final_test_acc": acc},
                                "epochs": [], "provenance": prov}))


def test_single_runs_add_up_and_a_fused_group_is_counted_once(tmp_path):
    for seed in range(3):
        write(tmp_path, "single", seed, 120.0)
        write(tmp_path, "fused", seed, 300.0, fused=3)   # one group of 3 seeds took 300 s
    t = edition_times(tmp_path)
    assert t.loc["single", "runs"] == 3 and t.loc["single", "minutes_per_run"] == pytest.approx(2.0)
    assert t.loc["fused", "hours"] == pytest.approx(round(300 / 3600, 1))


def test_every_committed_benchmark_path_is_a_row_and_every_record_names_its_command(repo_root):
    from bnorder.report.reproducibility import bench_records, bench_settings, bench_table
    results = repo_root / "results"
    records = bench_records(results)
    table = bench_table(results)
    assert records and len(table) == sum(len(b["results"]) for b in records)
    for b in records:
        for path, r in b["results"].items():
            row = table.loc[(Path(b["path"]).stem, path)]
            assert row["images/s"] == pytest.approx(r["images_per_s"], abs=0.05)
    assert set(bench_settings(results)["command"]) == {b["command"] for b in records}


def bench(root, name, breakdown=None):
    folder = root / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    record = {"command": f"python -m bnorder bench --out {name}", "peak_tflops": None,
              "settings": {"dataset": "d", "arch": "cnn", "width": 4, "depth": 2, "seeds": 2,
                           "images_per_epoch": 10, "repeats": 3},
              "results": {"original": {"images_per_s": 10.0, "ratio_vs_original": 1.0, "achieved_tflops": 0.1}},
              "provenance": {"device": "cpu", "device_name": "cpu X", "started_utc": "2026-12-05T10:00:00"},
              "path": f"results/bench/{name}.json"}
    if breakdown:
        record["run_breakdown"] = breakdown
    (folder / f"{name}.json").write_text(json.dumps(record))


def test_a_runs_breakdown_gives_each_parts_share_of_its_paths_whole_run(tmp_path):
    from bnorder.report.reproducibility import run_breakdown_table, step_operations_table
    seconds = {"eager": {"training steps": 30.0, "diagnostics": 10.0, "whole run": 40.0},
               "fast": {"training steps": 10.0, "diagnostics": 10.0, "whole run": 20.0}}
    bench(tmp_path, "with", {"runs": {p: {"projected_seconds": s} for p, s in seconds.items()}, "speedup": 2.0,
                             "step_operations": {"convolution": 0.6, "batchnorm": 0.3, "other": 0.1}})
    bench(tmp_path, "without")                        # a record without a breakdown has no rows
    parts = run_breakdown_table(tmp_path)
    assert parts.loc[("with", "training steps"), "eager (%)"] == pytest.approx(75.0)
    assert parts.loc[("with", "training steps"), "fast (%)"] == pytest.approx(50.0)
    assert parts.loc[("with", "whole run"), "fast (s)"] == pytest.approx(20.0)
    assert set(parts.index.get_level_values("benchmark")) == {"with"}
    ops = step_operations_table(tmp_path)
    assert ops.loc["with", "convolution (%)"] == pytest.approx(60.0) and list(ops.index) == ["with"]
    assert ops.loc["with", "whole run, fast path (× eager)"] == pytest.approx(2.0)

def test_a_configuration_trained_in_two_profiles_reports_how_far_its_reruns_differ(tmp_path):
    from bnorder.report.reproducibility import rerun_differences
    for seed, (a, b) in enumerate([(80.0, 80.5), (81.0, 79.0)]):
        write(tmp_path, "base", seed, 1.0, acc=a, config_hash=f"h{seed}")
        write(tmp_path, "again", seed, 1.0, acc=b, config_hash=f"h{seed}")
    write(tmp_path, "again", 2, 1.0, acc=50.0, config_hash="only-once")
    table = rerun_differences(tmp_path)
    assert table.loc["again / base", "configurations"] == 2
    assert table.loc["again / base", "mean_abs"] == pytest.approx(1.25)
    assert table.loc["again / base", "max_abs"] == pytest.approx(2.0)


def test_the_seed_yardstick_averages_every_pair_of_seeds_within_a_block(tmp_path):
    from bnorder.report.reproducibility import seed_pair_difference
    for seed, acc in enumerate([80.0, 81.0, 83.0]):
        write(tmp_path, "base", seed, 1.0, acc=acc)
    assert seed_pair_difference(tmp_path, "base", "mlp") == pytest.approx((1 + 3 + 2) / 3)
    assert seed_pair_difference(tmp_path, "missing", "mlp") != seed_pair_difference(tmp_path, "missing", "mlp")
