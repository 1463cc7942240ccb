"""Tests of bnorder.analysis.stats against scipy and hand-computed cases."""

import warnings
from math import gamma, pi, sqrt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bnorder.analysis import stats as S

REFERENCE_CSV = Path("/work/shared/reference/original-study-runs.csv")


# --------------------------------------------------------------------------- describe

def test_describe_reports_n_mean_sample_std_and_interquartile_mean():
    x = [1.0, 2.0, 3.0, 4.0, 10.0]
    out = S.describe(x)
    assert out["n"] == 5
    assert out["mean"] == pytest.approx(4.0)
    assert out["std"] == pytest.approx(np.std(x, ddof=1))
    assert out["iqm"] == pytest.approx(sps.trim_mean(x, 0.25))
    assert out["iqm"] == pytest.approx(3.0)          # middle half of 5 values: 2, 3, 4


def test_describe_bootstrap_ci_contains_the_mean_and_matches_scipy():
    x = np.array([80.2, 81.0, 79.5, 80.7, 82.1, 80.0])
    out = S.describe(x, method="BCa")
    assert out["ci_low"] < out["mean"] < out["ci_high"]
    ref = sps.bootstrap((x,), np.mean, method="BCa", n_resamples=S.N_RESAMPLES,
                        rng=np.random.default_rng(S.SEED)).confidence_interval
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ref.low, ref.high))


def test_describe_bootstrap_ci_is_reproducible_and_depends_on_seed():
    x = [80.2, 81.0, 79.5, 80.7, 82.1]
    first, again = S.describe(x, method="BCa"), S.describe(x, method="BCa")
    assert (first["ci_low"], first["ci_high"]) == (again["ci_low"], again["ci_high"])
    other = S.describe(x, method="BCa", seed=123)
    assert (first["ci_low"], first["ci_high"]) != (other["ci_low"], other["ci_high"])


def test_few_seeds_get_the_t_interval_by_hand():
    x = np.array([80.2, 81.0, 79.5, 80.7, 82.1])
    half = sps.t.ppf(0.975, 4) * np.std(x, ddof=1) / np.sqrt(5)
    out = S.describe(x)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((x.mean() - half, x.mean() + half))
    assert S.describe(x, seed=123)["ci_low"] == out["ci_low"]          # no resampling involved


def test_t_interval_is_wider_than_the_bootstrap_with_five_seeds():
    x = [80.2, 81.0, 79.5, 80.7, 82.1]
    t, bca = S.describe(x), S.describe(x, method="BCa")
    assert t["ci_high"] - t["ci_low"] > bca["ci_high"] - bca["ci_low"]


def test_t_interval_covers_the_true_mean_and_few_seed_bootstrap_does_not():
    t = S.interval_coverage(5, "t", reps=400)
    assert 0.92 <= t <= 0.98                          # nominal 95 %, Monte Carlo sd ≈ 0.011
    assert S.interval_coverage(5, "BCa", reps=400) < t - 0.05
    assert S.interval_coverage(5, "t", reps=400) == t                 # repeatable


def test_coverage_rejects_an_unknown_population():
    with pytest.raises(ValueError, match="valid populations: normal, outliers"):
        S.interval_coverage(5, "t", population="cauchy")


def test_many_seeds_get_the_bca_bootstrap():
    x = np.random.default_rng(3).normal(80, 1, S.BOOTSTRAP_FROM)
    assert S.interval_method(x.size) == "BCa" and S.interval_method(x.size - 1) == "t"
    assert S.mean_interval(x) == S.mean_interval(x, method="BCa")
    assert S.mean_interval(x) != S.mean_interval(x, method="t")


def test_unknown_interval_method_names_the_valid_ones():
    with pytest.raises(ValueError, match="valid methods: auto, t, BCa"):
        S.describe([1.0, 2.0, 3.0], method="studentised")


def test_describe_single_value_gives_nan_std_and_ci():
    out = S.describe([75.0])
    assert out["n"] == 1 and out["mean"] == 75.0
    assert np.isnan(out["std"]) and np.isnan(out["ci_low"]) and np.isnan(out["ci_high"])


def test_describe_constant_values_give_zero_width_ci_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = S.describe([3.0, 3.0, 3.0])
    assert (out["ci_low"], out["ci_high"]) == (3.0, 3.0)


def test_describe_ignores_nan_runs():
    assert S.describe([1.0, np.nan, 3.0])["n"] == 2


# --------------------------------------------------------------------------- effect sizes

def test_hedges_correction_is_exact_gamma_form_close_to_the_usual_approximation():
    assert S.hedges_correction(2) == pytest.approx(1 / sqrt(pi))       # Γ(1) / (1·Γ(1/2))
    assert S.hedges_correction(4) == pytest.approx(sqrt(2 / pi))       # Γ(2) / (√2·Γ(3/2))
    for df in (10, 50):
        exact = gamma(df / 2) / (sqrt(df / 2) * gamma((df - 1) / 2))
        assert S.hedges_correction(df) == pytest.approx(exact)
        assert S.hedges_correction(df) == pytest.approx(1 - 3 / (4 * df - 1), abs=1e-3)


def test_paired_hedges_g_matches_hand_computation():
    # differences 1, 2, 3: mean 2, sd 1, d_z = 2, J(df=2) = 1/sqrt(pi)
    out = S.paired_difference([11.0, 12.0, 13.0], [10.0, 10.0, 10.0])
    assert out["mean_diff"] == pytest.approx(2.0)
    assert out["hedges_g"] == pytest.approx(2 / sqrt(pi))


def test_welch_interval_is_scipys_unequal_variance_interval():
    a, b = [80.1, 81.3, 79.8, 82.0, 80.6], [78.2, 81.9, 76.5, 80.0, 77.1, 79.4]
    ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert S.welch_interval(a, b) == pytest.approx((ci.low, ci.high))
    ci90 = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.90)
    assert S.welch_interval(a, b, confidence=0.90) == pytest.approx((ci90.low, ci90.high))


def test_welch_interval_by_hand_with_unequal_groups():
    # a: mean 2, var 1, n 3; b: mean 10, var 8, n 2 -> se² = 1/3 + 4, df = se⁴ / (1/18 + 16)
    a, b = [1.0, 2.0, 3.0], [8.0, 12.0]       # nothing from scipy but the t quantile
    var = 1 / 3 + 8 / 2
    df = var ** 2 / ((1 / 3) ** 2 / 2 + 4 ** 2 / 1)
    half = sps.t.ppf(0.975, df) * sqrt(var)
    assert S.welch_interval(a, b) == pytest.approx((-8 - half, -8 + half))
    # the unpaired interval does not depend on the order of the runs, a paired one would
    assert S.welch_interval(a, b[::-1]) == pytest.approx(S.welch_interval(a, b))


def test_welch_interval_edge_cases():
    assert all(np.isnan(S.welch_interval([1.0], [2.0, 3.0])))
    assert S.welch_interval([2.0, 2.0], [1.0, 1.0, 1.0]) == (1.0, 1.0)    # both constant
    assert S.welch_interval([1.0, np.nan, 3.0], [0.0, 2.0]) == pytest.approx(
        S.welch_interval([1.0, 3.0], [0.0, 2.0]))                         # NaNs dropped


def test_contrast_interval_of_one_group_against_two_by_hand():
    # group 1 minus the average of groups 2 and 3 (Welch-Satterthwaite)
    g1, g2, g3 = [1.0, 2.0, 3.0], [4.0, 6.0], [10.0, 11.0, 12.0, 13.0]
    est, low, high = S.contrast_interval([g1, g2, g3], [1, -0.5, -0.5])
    assert est == pytest.approx(2 - (5 + 11.5) / 2)
    v = [1 / 3, 0.25 * 2 / 2, 0.25 * (5 / 3) / 4]
    df = sum(v) ** 2 / (v[0] ** 2 / 2 + v[1] ** 2 / 1 + v[2] ** 2 / 3)
    half = sps.t.ppf(0.975, df) * sqrt(sum(v))
    assert (low, high) == pytest.approx((est - half, est + half))
    # with weights (1, -1) it is Welch's interval; zero-weight groups play no part
    assert S.contrast_interval([g1, g2], [1, -1])[1:] == pytest.approx(S.welch_interval(g1, g2))
    assert S.contrast_interval([g1, [7.0], g2], [1, 0, -1]) == pytest.approx(
        S.contrast_interval([g1, g2], [1, -1]))


def test_contrast_interval_rejects_mismatched_weights_and_needs_two_runs_a_group():
    with pytest.raises(ValueError, match="3 groups but 2 weights"):
        S.contrast_interval([[1.0, 2.0]] * 3, [1, -1])
    est, low, high = S.contrast_interval([[1.0, 2.0], [3.0]], [1, -1])
    assert est == pytest.approx(-1.5) and np.isnan(low) and np.isnan(high)


# --------------------------------------------------------------------------- paired difference

def test_paired_permutation_p_of_identical_samples_is_one():
    x = [80.1, 81.3, 79.8, 82.0, 80.6]
    out = S.paired_difference(x, x)
    assert out["p"] == 1.0
    assert out["mean_diff"] == 0.0 and out["hedges_g"] == 0.0
    assert (out["ci_low"], out["ci_high"]) == (0.0, 0.0)


def test_paired_permutation_p_is_exact_for_few_seeds():
    # five positive differences: only the all-plus and all-minus sign patterns are as extreme,
    # so the exact two-sided p is 2 / 2**5
    out = S.paired_difference([2.0, 3.0, 4.0, 5.0, 6.0], [1.0, 1.0, 1.0, 1.0, 1.0])
    assert out["p"] == pytest.approx(2 / 32)


def test_paired_bootstrap_ci_contains_mean_difference_and_resamples_seeds():
    a = np.array([80.1, 81.3, 79.8, 82.0, 80.6, 81.1])
    b = np.array([79.0, 80.9, 79.9, 80.5, 80.0, 80.2])
    out = S.paired_difference(a, b, method="BCa")
    assert out["n"] == 6
    assert out["ci_low"] < out["mean_diff"] < out["ci_high"]
    ref = sps.bootstrap((a, b), lambda x, y, axis: np.mean(x - y, axis=axis), paired=True,
                        n_resamples=S.N_RESAMPLES,
                        rng=np.random.default_rng(S.SEED)).confidence_interval
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((ref.low, ref.high))
    assert S.paired_difference(a, b, method="BCa") == out          # reproducible


def test_paired_interval_of_few_seeds_is_the_t_interval_of_the_differences():
    a = np.array([80.1, 81.3, 79.8, 82.0, 80.6])
    b = np.array([79.0, 80.9, 79.9, 80.5, 80.0])
    d = a - b
    half = sps.t.ppf(0.975, 4) * np.std(d, ddof=1) / np.sqrt(5)
    out = S.paired_difference(a, b)
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))


def test_paired_difference_pairs_series_by_seed_index():
    a = pd.Series([1.0, 2.0, 3.0], index=[0, 1, 2])
    b = pd.Series([2.5, 1.0, 0.0, 99.0], index=[0, 1, 2, 7])   # seed 7 has no partner
    out = S.paired_difference(a, b)
    assert out["n"] == 3
    assert out["mean_diff"] == pytest.approx(np.mean([1 - 2.5, 2 - 1, 3 - 0]))


def test_paired_difference_rejects_unequal_lengths_without_index():
    with pytest.raises(ValueError):
        S.paired_difference([1.0, 2.0], [1.0, 2.0, 3.0])


def test_paired_difference_with_one_seed_gives_nan_ci_g_and_p():
    out = S.paired_difference([1.0], [2.0])
    assert out["n"] == 1 and out["mean_diff"] == -1.0
    assert all(np.isnan(out[k]) for k in ("ci_low", "ci_high", "hedges_g", "p"))


# --------------------------------------------------------------------------- probability of improvement

def test_probability_of_improvement_of_fully_separated_samples_is_one():
    out = S.probability_of_improvement([5.0, 6.0, 7.0], [1.0, 2.0, 3.0])
    assert out["prob_improvement"] == 1.0
    assert (out["ci_low"], out["ci_high"]) == (1.0, 1.0)
    assert S.probability_of_improvement([1.0, 2.0, 3.0], [5.0, 6.0, 7.0])["prob_improvement"] == 0.0


def test_probability_of_improvement_of_identical_samples_is_one_half():
    x = [80.1, 81.3, 79.8, 82.0]
    out = S.probability_of_improvement(x, x)
    assert out["prob_improvement"] == 0.5
    assert out["ci_low"] <= 0.5 <= out["ci_high"]


def test_probability_of_improvement_counts_ties_as_half_like_hand_count():
    # pairs (1,1)=.5, (1,3)=0, (2,1)=1, (2,3)=0 -> 1.5 / 4
    out = S.probability_of_improvement([1.0, 2.0], [1.0, 3.0], ci=False)
    assert out["prob_improvement"] == pytest.approx(0.375)
    a, b = [3.0, 1.0, 4.0, 1.5], [2.0, 7.0, 1.0]
    u = sps.mannwhitneyu(a, b).statistic
    assert S.probability_of_improvement(a, b, ci=False)["prob_improvement"] == pytest.approx(u / 12)


def test_probability_of_improvement_ci_is_reproducible_and_brackets_estimate():
    a, b = [80.1, 81.3, 79.8, 82.0, 80.6], [79.0, 80.9, 79.9, 80.5, 80.0]
    out = S.probability_of_improvement(a, b)
    assert out["ci_low"] <= out["prob_improvement"] <= out["ci_high"]
    assert 0.0 <= out["ci_low"] and out["ci_high"] <= 1.0
    assert S.probability_of_improvement(a, b) == out


# --------------------------------------------------------------------------- Holm


# --------------------------------------------------------------------------- power


# --------------------------------------------------------------------------- compare

def _runs():
    rng = np.random.default_rng(1)
    rows = []
    for arch, shift in [("cnn", 1.0), ("mlp", 0.0)]:
        for seed in range(6):
            base = 80 + rng.normal()
            for block, off in [("bn-relu", 0.0), ("relu-bn", shift), ("lrelu-bn", shift / 2)]:
                rows.append({"arch": arch, "block": block, "seed": seed,
                             "final_test_acc": base + off + 0.2 * rng.normal()})
    return pd.DataFrame(rows).sample(frac=1.0, random_state=0)      # shuffled rows


# --------------------------------------------------------------------------- original study

def _original_like():
    """Two cases, two runs, epochs 1-3. case1 finishes higher, case2 peaked higher earlier."""
    rows = []
    curves = {("case1", 1): [50, 60, 70], ("case1", 2): [52, 61, 72],
              ("case2", 1): [55, 80, 65], ("case2", 2): [56, 79, 67]}
    for (case, run), accs in curves.items():
        for epoch, acc in enumerate(accs, start=1):
            rows.append({"experiment": "exp1", "arch": "cnn", "case": case, "run": run,
                         "epoch": epoch, "test_acc": float(acc)})
    rows.append({"experiment": "exp2", "arch": "mlp", "case": "case1", "run": 1, "epoch": 3,
                 "test_acc": 40.0})
    rows.append({"experiment": "exp2", "arch": "mlp", "case": "case1", "run": 2, "epoch": 3,
                 "test_acc": 44.0})
    return pd.DataFrame(rows)


def test_original_consistency_recomputes_final_epoch_mean_and_both_stds():
    out = S.original_consistency(_original_like()).set_index(["experiment", "arch", "case"])
    row = out.loc[("exp1", "cnn", "case1")]
    assert row["n_runs"] == 2 and row["mean"] == pytest.approx(71.0)
    assert row["std_ddof0"] == pytest.approx(1.0)
    assert row["std_ddof1"] == pytest.approx(sqrt(2))
    assert out.loc[("exp2", "mlp", "case1"), "mean"] == pytest.approx(42.0)


def test_original_consistency_compares_with_a_reported_table():
    reported = pd.DataFrame({"experiment": ["exp1"], "arch": ["cnn"], "case": ["case1"],
                             "mean": [71.0], "std": [1.0]})
    out = S.original_consistency(_original_like(), reported)
    row = out.set_index(["experiment", "arch", "case"]).loc[("exp1", "cnn", "case1")]
    assert row["mean_diff"] == pytest.approx(0.0)
    assert row["std_ddof0_diff"] == pytest.approx(0.0)
    assert row["std_ddof1_diff"] == pytest.approx(sqrt(2) - 1)


@pytest.mark.skipif(not REFERENCE_CSV.exists(), reason="reference CSV not available")
def test_original_consistency_reproduces_the_studys_experiment1_table_with_ddof0():
    out = S.original_consistency(pd.read_csv(REFERENCE_CSV))
    exp1 = out[out["experiment"] == "exp1"].set_index("case")
    np.testing.assert_allclose(exp1["mean"], [75.54, 80.91, 81.73], atol=0.006)
    np.testing.assert_allclose(exp1["std_ddof0"], [2.28, 0.77, 0.92], atol=0.006)
    assert (exp1["std_ddof1"] > exp1["std_ddof0"] + 0.05).all()


def test_pairing_is_one_when_the_seed_sets_every_block_and_zero_for_independent_blocks():
    import pandas as pd

    from bnorder.analysis.stats import pairing
    seed_effect = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    shared = pd.DataFrame({"a": 80 + seed_effect, "b": 79 + seed_effect, "c": 81 + seed_effect})
    assert pairing(shared)["shared"] == pytest.approx(1.0)
    assert pairing(shared)["sd_difference"] == pytest.approx(0.0)
    rng = np.random.default_rng(0)
    independent = pd.DataFrame(rng.normal(size=(20000, 2)), columns=["a", "b"])
    assert pairing(independent)["shared"] == pytest.approx(0.0, abs=0.03)
    assert np.isnan(pairing(shared.iloc[:1])["shared"])


def test_late_volatility_is_one_definition_that_skips_missing_readings_and_early_epochs():
    epochs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    values = [10, 50, 60, 61, 62, 80, None, 82, 81, 85]   # epoch 7 not read
    # epochs 6-10 with 7 missing: |82-80|, |81-82|, |85-81| -> 7/3
    assert S.late_volatility(epochs, values) == pytest.approx(7 / 3)
    assert S.late_volatility(epochs, values, late_from=9) == pytest.approx(4)
    assert np.isnan(S.late_volatility([1, 2], [50, None]))
    assert S.late_start(10) == 6 and S.late_start(5) == 3


