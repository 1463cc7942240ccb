"""The Introduction's numbers come from the original study's per-run data."""

import pytest

from bnorder.analysis.original_study import load_original_runs, original_final
from bnorder.report import intro


def test_the_repeat_of_case1_is_the_difference_of_its_two_experiment_means():
    final = original_final(load_original_runs())
    cnn1 = final[(final["arch"] == "cnn") & (final["case"] == "case1")]
    means = cnn1.groupby("experiment")["test_acc"].mean()
    assert float(intro.facts()["orig_repeat_diff"]) == pytest.approx(means["exp2"] - means["exp1"], abs=0.006)


def test_every_comparison_has_an_interval_and_a_verdict_that_follows_it():
    table = intro.differences()
    assert len(table) == len(intro.COMPARISONS)
    for _, row in table.iterrows():
        low, high = (float(x) for x in row["95% CI"].split(" to "))
        assert low <= row["mean (points)"] <= high
        assert row["verdict"] == ("resolved" if low > 0 or high < 0 else "unresolved")
