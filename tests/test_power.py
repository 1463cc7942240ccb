"""Planning: power, the smallest detectable effect and the seeds an effect needs."""

from math import sqrt

import numpy as np
import pytest
from scipy import stats as sps

from bnorder.analysis import power as S


def test_seeds_for_power_paired_medium_effect_needs_34_pairs():
    assert S.seeds_for_power(0.5, alpha=0.05, power=0.8, paired=True) == 34


def test_seeds_for_power_two_sample_medium_effect_needs_64_per_group():
    assert S.seeds_for_power(0.5, alpha=0.05, power=0.8, paired=False) == 64


def test_seeds_for_power_returns_the_smallest_sufficient_n():
    for d, paired in [(0.8, True), (1.2, False), (2.0, True), (-0.5, True)]:
        n = S.seeds_for_power(d, paired=paired)
        assert S.power(n, d, paired=paired) >= 0.8
        assert n == 2 or S.power(n - 1, d, paired=paired) < 0.8


def test_power_equals_alpha_for_no_effect_and_grows_with_seeds():
    assert S.power(10, 0.0) == pytest.approx(0.05)
    powers = [S.power(n, 0.5) for n in range(2, 40)]
    assert np.all(np.diff(powers) > 0)


def test_power_matches_noncentral_t_by_hand():
    n, d = 10, 0.7
    tcrit = sps.t.ppf(0.975, n - 1)
    expected = sps.nct.sf(tcrit, n - 1, d * sqrt(n)) + sps.nct.cdf(-tcrit, n - 1, d * sqrt(n))
    assert S.power(n, d) == pytest.approx(expected)


def test_seeds_for_power_rejects_zero_effect():
    with pytest.raises(ValueError):
        S.seeds_for_power(0.0)


def test_seeds_needed_is_the_smallest_count_whose_t_test_reaches_the_power_at_the_observed_size():
    from scipy import stats as sps

    def power(n, d, paired):   # two-sided t-test at 5% from scipy's noncentral t, written out
        dof, ncp = (n - 1, d * sqrt(n)) if paired else (2 * n - 2, d * sqrt(n / 2))
        t = sps.t.ppf(0.975, dof)
        return sps.nct.sf(t, dof, ncp) + sps.nct.cdf(-t, dof, ncp)

    diffs = np.array([0.9, -0.2, 1.4, 0.3, 0.6])
    d_z = diffs.mean() / diffs.std(ddof=1)
    n = S.seeds_needed(diffs)
    assert S.standardized_difference(diffs) == pytest.approx(d_z)
    assert power(n, d_z, True) >= 0.8 > power(n - 1, d_z, True)
    a, b = np.array([80.1, 81.3, 79.8, 80.9]), np.array([79.0, 80.2, 80.0, 79.1, 79.6, 80.4])
    pooled = sqrt((3 * a.var(ddof=1) + 5 * b.var(ddof=1)) / 8)
    d = (a.mean() - b.mean()) / pooled
    assert S.standardized_difference(a, b) == pytest.approx(d)
    m = S.seeds_needed(a, b)
    assert power(m, d, False) >= 0.8 > power(m - 1, d, False)
    assert S.seeds_needed(b, a) == m                         # the sign of the effect does not matter


def test_seeds_needed_says_when_nothing_can_be_planned():
    assert np.isnan(S.seeds_needed([0.5, 0.5, 0.5]))        # no spread
    assert np.isnan(S.seeds_needed([1.0, -1.0]))            # a mean of exactly zero
    assert S.seeds_needed([1e-4, -1.0, 1.0]) == np.inf       # past MAX_SEEDS


def test_detectable_effect_inverts_power():
    d = S.detectable_effect(10)
    assert S.power(10, d) == pytest.approx(0.8, abs=1e-6)
    assert S.detectable_effect(5, paired=False) > S.detectable_effect(5)
    assert np.isnan(S.detectable_effect(1))
