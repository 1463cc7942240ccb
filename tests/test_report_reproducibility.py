"""How long each profile took is read from its records; a fused group's time counts once."""

import json

import pytest

from bnorder.report.reproducibility import edition_times


def write(root, profile, seed, wall, fused=None):
    path = root / profile / "synthetic" / "mlp" / "bn-relu" / f"seed{seed}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    prov = {"wall_seconds": wall, "device_name": "cpu X"} | ({"fused_seeds": fused} if fused else {})
    path.write_text(json.dumps({"config": {"profile": profile, "arch": "mlp", "block": "bn-relu",
                                           "seed": seed, "dataset": "synthetic"},
                                "status": "ok", "summary": {}, "epochs": [], "provenance": prov}))


def test_single_runs_add_up_and_a_fused_group_is_counted_once(tmp_path):
    for seed in range(3):
        write(tmp_path, "single", seed, 120.0)
        write(tmp_path, "fused", seed, 300.0, fused=3)   # one group of 3 seeds took 300 s
    t = edition_times(tmp_path)
    assert t.loc["single", "runs"] == 3 and t.loc["single", "minutes_per_run"] == pytest.approx(2.0)
    assert t.loc["fused", "hours"] == pytest.approx(round(300 / 3600, 1))


def test_the_committed_benchmark_is_summarized_with_the_command_that_regenerates_it(repo_root):
    from bnorder.report.reproducibility import bench_records, bench_summary, bench_table
    results = repo_root / "results"
    records = bench_records(results)
    assert records and len(bench_table(results)) == sum(len(b["results"]) for b in records)
    text = bench_summary(results)
    assert all(b["command"] in text for b in records if b["provenance"]["device"] == "cpu")
