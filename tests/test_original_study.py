"""The original study's numbers load from the repository and reproduce its tables; read epoch by
epoch, its runs give the scores, rankings and case 1 deficit the Replication chapter reports."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bnorder.analysis import original_study as R
from bnorder.analysis.original_study import (
    ORIGINAL_RUNS_CSV,
    load_original_runs,
    original_final,
    original_summary,
)


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
    from bnorder.analysis.original_study import load_original_printed

    printed = load_original_printed()
    assert len(printed) == 9 and printed.loc[0, "mean"] == "75.5"  # printed with one decimal
    exp1 = printed[printed["experiment"] == "exp1"]
    assert set(exp1["case"]) == {"case1", "case2", "case3"}


# --------------------------------------------------------------------------- epoch by epoch
#
# A hand-made table: three cases, two runs each, six epochs (second half: epochs 4-6; last three:
# epochs 4-6). Every expected number below is worked out by hand from these curves.

CURVES = {("case1", 1): [50, 60, 70, 72, 78, 72],   # final 72, best 78 @5, last3 74, vol 6
          ("case1", 2): [50, 60, 70, 74, 74, 74],   # final 74, best 74 @4 (first), last3 74, vol 0
          ("case2", 1): [50, 60, 70, 84, 77, 79],   # final 79, best 84 @4, last3 80, vol 4.5
          ("case2", 2): [50, 60, 70, 77, 79, 81],   # final 81, best 81 @6, last3 79, vol 2
          ("case3", 1): [50, 60, 70, 79, 80, 78],   # final 78, best 80 @5, last3 79, vol 1.5
          ("case3", 2): [50, 60, 70, 81, 82, 83]}   # final 83, best 83 @6, last3 82, vol 1
TINY_EXP2 = {"case1": [76, 78], "case2": [79, 81], "case3": [80, 82]}


def _tiny():
    rows = [{"experiment": "exp1", "arch": "cnn", "case": case, "run": run, "epoch": e,
             "test_acc": float(acc)}
            for (case, run), accs in CURVES.items() for e, acc in enumerate(accs, start=1)]
    rows += [{"experiment": "exp2", "arch": "cnn", "case": case, "run": run, "epoch": 6,
              "test_acc": float(acc)}
             for case, accs in TINY_EXP2.items() for run, acc in enumerate(accs, start=1)]
    return pd.DataFrame(rows)


def _by_run(frame):
    return frame.set_index(["case", "run"])


def test_run_scores_final_best_and_last_three_by_hand():
    s = _by_run(R.run_scores(_tiny()))
    assert list(s.loc["case1", "final"]) == [72, 74]
    assert list(s.loc["case2", "best"]) == [84, 81]
    assert list(s.loc["case1", "last3"]) == pytest.approx([74, 74])
    assert list(s.loc["case2", "last3"]) == pytest.approx([80, 79])
    assert (s["dip"] == s["final"] - s["last3"]).all()
    assert s.loc[("case1", 1), "block"] == "bn-relu" and (s["epochs"] == 6).all()


def test_best_epoch_is_the_first_epoch_that_reaches_the_maximum():
    s = _by_run(R.run_scores(_tiny()))
    assert s.loc[("case1", 2), "best_epoch"] == 4        # 74 at epochs 4, 5 and 6: the first
    assert s.loc[("case2", 1), "best_epoch"] == 4        # a peak before the end
    assert s.loc[("case3", 2), "best_epoch"] == 6


def test_late_volatility_is_the_mean_absolute_change_within_the_second_half():
    s = _by_run(R.run_scores(_tiny()))
    # six epochs: the second half is epochs 4-6, two changes (4→5, 5→6)
    assert s.loc[("case1", 1), "late_volatility"] == pytest.approx((6 + 6) / 2)
    assert s.loc[("case1", 2), "late_volatility"] == 0
    assert s.loc[("case2", 1), "late_volatility"] == pytest.approx((7 + 2) / 2)
    # the jump from epoch 3 into epoch 4 is in the first half and does not count ...
    assert s.loc[("case2", 1), "late_volatility"] < 14 / 3
    # ... unless late_from says so: all five changes from epoch 1
    all_changes = _by_run(R.run_scores(_tiny(), late_from=1)).loc[("case2", 1), "late_volatility"]
    assert all_changes == pytest.approx((10 + 10 + 14 + 7 + 2) / 5)


def test_late_volatility_of_ten_epochs_uses_the_four_changes_from_epoch_six():
    accs = [10, 20, 30, 40, 50, 90, 91, 89, 92, 88]         # a jump of 40 into epoch 6, ignored
    runs = pd.DataFrame({"experiment": "exp1", "arch": "cnn", "case": "case1", "run": 1,
                         "epoch": range(1, 11), "test_acc": np.array(accs, float)})
    s = R.run_scores(runs).iloc[0]
    assert s["late_volatility"] == pytest.approx((1 + 2 + 3 + 4) / 4)
    assert s["last3"] == pytest.approx((89 + 92 + 88) / 3)
    assert (s["best"], s["best_epoch"]) == (92, 9)


def test_a_run_with_only_its_final_epoch_has_no_other_score():
    s = R.run_scores(_tiny(), "exp2")
    assert list(s["final"]) == [76, 78, 79, 81, 80, 82]
    assert s[["best", "best_epoch", "last3", "dip", "late_volatility"]].isna().all().all()
    assert set(R.case_scores(_tiny(), "exp2")["score"]) == {"final"}
    with pytest.raises(ValueError, match="exp9"):
        R.run_scores(_tiny(), "exp9")


def test_case_scores_give_the_mean_t_interval_and_rank_of_every_score():
    from bnorder.analysis.stats import mean_interval

    c = R.case_scores(_tiny()).set_index(["case", "score"])
    assert c.loc[("case1", "final"), "mean"] == 73
    assert c.loc[("case2", "best"), "mean"] == 82.5
    assert c.loc[("case1", "late_volatility"), "mean"] == 3
    assert c.loc[("case2", "best_epoch"), "mean"] == 5
    assert c.loc[("case3", "final"), "sd"] == pytest.approx(np.std([78, 83], ddof=1))
    assert (c.loc[("case3", "final"), ["ci_low", "ci_high"]].tolist()
            == pytest.approx(mean_interval([78, 83], method="t")))
    # rank 1 = best: highest accuracy, lowest volatility; no rank for the epoch of the best
    assert [c.loc[(k, "final"), "rank"] for k in ("case1", "case2", "case3")] == [3, 2, 1]
    assert [c.loc[(k, "best"), "rank"] for k in ("case1", "case2", "case3")] == [3, 1, 2]
    assert [c.loc[(k, "late_volatility"), "rank"] for k in ("case1", "case2", "case3")] == [2, 3, 1]
    assert pd.isna(c.loc[("case1", "best_epoch"), "rank"])


def test_the_ranking_is_checked_under_each_score():
    r = R.case_ranking(_tiny()).set_index("score")
    assert r.loc["final", "ranking"] == "case3 > case2 > case1"
    assert r.loc["best", "ranking"] == "case2 > case3 > case1"       # case2's early peak
    assert r.loc["last3", "ranking"] == "case3 > case2 > case1"
    assert r.loc["late_volatility", "ranking"] == "case3 < case1 < case2"   # steadiest first
    assert r["same_as_final"].to_dict() == {"final": True, "best": False, "last3": True,
                                            "late_volatility": False}
    # two runs a case: only the final epoch's case2 > case1 (79, 81 against 72, 74) is resolved
    assert (r["n_steps"] == 2).all()
    assert r["n_resolved"].to_dict() == {"final": 1, "best": 0, "last3": 0, "late_volatility": 0}
    assert r.loc["final", "unresolved"] == "case3 > case2"
    assert r.loc["best", "unresolved"] == "case2 > case3, case3 > case1"


def test_a_ranking_step_is_resolved_only_when_its_welch_interval_excludes_zero():
    runs = pd.DataFrame([{"experiment": "exp1", "arch": "cnn", "case": c, "run": k, "epoch": 1,
                          "test_acc": acc}
                         for c, accs in {"case1": [60.0, 61.0, 60.5], "case2": [80.0, 81.0, 80.5],
                                         "case3": [80.6, 81.3, 80.2]}.items()
                         for k, acc in enumerate(accs, start=1)])
    r = R.case_ranking(runs, scores=("final",)).iloc[0]
    assert r["ranking"] == "case3 > case2 > case1"
    assert (r["n_resolved"], r["unresolved"]) == (1, "case3 > case2")


def _welch_satterthwaite(groups, weights):
    """By hand: estimate, standard error and df of a contrast of independent means."""
    v = [w ** 2 * np.var(g, ddof=1) / len(g) for g, w in zip(groups, weights)]
    df = sum(v) ** 2 / sum(x ** 2 / (len(g) - 1) for x, g in zip(v, groups))
    return sum(w * np.mean(g) for g, w in zip(groups, weights)), np.sqrt(sum(v)), df


def test_case1_deficit_is_case1_minus_the_mean_of_the_others_with_a_welch_interval():
    con = R.case_contrasts(_tiny()).set_index(["score", "contrast"])
    row = con.loc[("final", "case1 − mean(case2, case3)")]
    est, se, df = _welch_satterthwaite([[72, 74], [79, 81], [78, 83]], [1, -0.5, -0.5])
    assert est == pytest.approx(73 - (80 + 80.5) / 2) == row["estimate"]
    half = sps.t.ppf(0.975, df) * se
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((est - half, est + half))
    assert row["resolved"] == (-1 if est + half < 0 else 0)
    assert (row["runs_agree"], row["n_runs"]) == (2, 2)    # 72 and 74 both below 80.25
    # a difference of two cases is Welch's interval, as scipy computes it
    pair = con.loc[("final", "case1 − case2")]
    ci = sps.ttest_ind([72, 74], [79, 81], equal_var=False).confidence_interval(0.95)
    assert (pair["ci_low"], pair["ci_high"]) == pytest.approx((ci.low, ci.high))
    # for late volatility a positive difference means case1 is less steady
    assert con.loc[("late_volatility", "case1 − case3"), "estimate"] == pytest.approx(3 - 1.25)


def test_runs_agree_counts_the_leading_cases_runs_beyond_the_others_mean():
    con = R.case_contrasts(_tiny()).set_index(["score", "contrast"])
    # case3 − case2 at the final epoch: +0.5; case3's 78 is below case2's mean 80, its 83 above
    assert con.loc[("final", "case3 − case2"), "estimate"] == pytest.approx(0.5)
    assert con.loc[("final", "case3 − case2"), "runs_agree"] == 1


def test_final_deficit_is_its_level_plus_its_dip():
    d = R.deficit_decomposition(_tiny())
    d = d[d["contrast"] == "case1 − mean(case2, case3)"].set_index("part")
    assert d.loc["final", "estimate"] == pytest.approx(-7.25)
    assert d.loc["level", "estimate"] == pytest.approx(74 - (79.5 + 80.5) / 2)   # -6
    assert d.loc["dip", "estimate"] == pytest.approx(-1 - (0.5 + 0) / 2)         # -1.25
    assert d.loc["level", "estimate"] + d.loc["dip", "estimate"] == pytest.approx(-7.25)
    assert d.loc["dip", "share"] == pytest.approx(1.25 / 7.25)
    assert d.loc["final", "share"] == pytest.approx(1.0)
    assert set(R.deficit_decomposition(_tiny())["contrast"]) == set(R.DEFICIT)


def test_the_two_tables_of_one_network_are_compared_with_welch_intervals():
    t = R.table_consistency(_tiny()).set_index(["exp1_score", "quantity"])
    row = t.loc[("final", "case1")]
    assert (row["exp1"], row["exp2"], row["difference"]) == pytest.approx((73, 77, 4))
    ci = sps.ttest_ind([76, 78], [72, 74], equal_var=False).confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high))
    # the case1 deficit in each table, and its change: a contrast of six groups of runs
    deficit = t.loc[("final", "case1 − mean(case2, case3)")]
    assert (deficit["exp1"], deficit["exp2"]) == pytest.approx((-7.25, 77 - 80.5))
    est, se, df = _welch_satterthwaite([[76, 78], [79, 81], [80, 82], [72, 74], [79, 81], [78, 83]],
                                       [1, -0.5, -0.5, -1, 0.5, 0.5])
    half = sps.t.ppf(0.975, df) * se
    assert deficit["difference"] == pytest.approx(est) == pytest.approx(3.75)
    assert (deficit["ci_low"], deficit["ci_high"]) == pytest.approx((est - half, est + half))
    # Experiment 1 scored by its last three epochs instead
    assert t.loc[("last3", "case1"), "difference"] == pytest.approx(77 - 74)
    assert set(t.index.get_level_values("exp1_score")) == {"final", "last3", "best"}


def test_the_studys_final_deficit_splits_exactly_into_level_and_dip():
    d = R.deficit_decomposition().pivot(index="contrast", columns="part", values="estimate")
    np.testing.assert_allclose(d["final"], d["level"] + d["dip"])
    assert (d["final"] < 0).all()


def test_the_case_scores_of_the_studys_runs_match_its_table():
    runs = load_original_runs()
    c = R.case_scores(runs).pivot(index="case", columns="score", values="mean")
    np.testing.assert_allclose(c["final"], [75.54, 80.91, 81.73], atol=0.005)   # its table
    assert (c["best"] >= c["final"]).all()
