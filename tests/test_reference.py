"""The original study's numbers load from the repository and reproduce its tables."""

import pandas as pd
import pytest

from bnorder.reference import (ORIGINAL_RUNS_CSV, load_original_runs, original_final,
                               original_summary)


def test_csv_is_in_the_repository():
    assert ORIGINAL_RUNS_CSV.exists()


def test_load_maps_cases_and_archs():
    runs = load_original_runs()
    assert set(runs["experiment"]) == {"exp1", "exp2"}
    assert dict(zip(runs["case"], runs["block"])) == {
        "case1": "bn-relu", "case2": "relu-bn", "case3": "lrelu-bn"}
    assert set(runs["our_arch"]) == {"cnn", "seed-mlp"}
    # exp1: 3 cases x 5 runs x 10 epochs; exp2: 2 archs x 3 cases x 5 runs at epoch 10
    assert (runs["experiment"] == "exp1").sum() == 150
    assert (runs["experiment"] == "exp2").sum() == 30


def test_final_is_epoch_ten_one_row_per_run():
    final = original_final()
    assert (final["epoch"] == 10).all()
    assert not final.duplicated(["experiment", "arch", "case", "run"]).any()
    assert len(final) == 45


# The study's tables: Experiment 1 (mean, ± as printed) and Experiment 2 (mean, std).
EXP1 = {"case1": (75.54, 2.28), "case2": (80.91, 0.77), "case3": (81.73, 0.92)}
EXP2 = {("cnn", "case1"): (78.74, 1.64), ("cnn", "case2"): (80.71, 0.65),
        ("cnn", "case3"): (80.83, 0.64), ("mlp", "case1"): (55.78, 0.48),
        ("mlp", "case2"): (55.67, 0.26), ("mlp", "case3"): (55.71, 0.49)}


def test_summary_reproduces_the_reported_tables_with_population_std():
    s = original_summary().set_index(["experiment", "arch", "case"])
    for case, (mean, std) in EXP1.items():
        row = s.loc[("exp1", "cnn", case)]
        assert row["n"] == 5
        assert row["mean"] == pytest.approx(mean, abs=0.005)
        assert row["std_ddof0"] == pytest.approx(std, abs=0.005)
        assert row["std_ddof1"] > row["std_ddof0"]
    for (arch, case), (mean, std) in EXP2.items():
        row = s.loc[("exp2", arch, case)]
        assert row["mean"] == pytest.approx(mean, abs=0.005)
        assert row["std_ddof0"] == pytest.approx(std, abs=0.005)


def test_sample_std_is_population_std_times_bessel():
    s = original_summary()
    ratio = (5 / 4) ** 0.5
    assert (s["std_ddof1"] - ratio * s["std_ddof0"]).abs().max() < 1e-9


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        load_original_runs(tmp_path / "nowhere.csv")


def test_malformed_file_names_the_problem(tmp_path):
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"experiment": ["exp1"], "arch": ["cnn"], "case": ["case9"], "run": [1],
                  "epoch": [1], "test_acc": [50.0]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="case9"):
        load_original_runs(bad)
    pd.DataFrame({"experiment": ["exp1"]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="missing column"):
        load_original_runs(bad)


def test_printed_tables_keep_the_studys_rounding_and_match_its_runs():
    from bnorder.reference import load_original_printed

    printed = load_original_printed()
    assert len(printed) == 9 and printed.loc[0, "mean"] == "75.5"  # printed with one decimal
    exp1 = printed[printed["experiment"] == "exp1"]
    assert set(exp1["case"]) == {"case1", "case2", "case3"}
