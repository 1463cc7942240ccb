"""How long each profile took is read from its records; a fused group's time counts once."""

import json

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


def test_the_committed_benchmark_is_summarized_with_the_command_that_regenerates_it(repo_root):
    from bnorder.report.reproducibility import bench_records, bench_summary, bench_table
    results = repo_root / "results"
    records = bench_records(results)
    assert records and len(bench_table(results)) == sum(len(b["results"]) for b in records)
    text = bench_summary(results)
    assert all(b["command"] in text for b in records if b["provenance"]["device"] == "cpu")


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
