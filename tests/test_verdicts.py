"""Verdict words follow the interval: resolved, equivalent or unresolved, never more."""


import numpy as np
import pytest
from scipy import stats as sps

from bnorder.analysis import verdicts


def test_an_interval_that_excludes_zero_is_resolved_with_its_direction():
    v = verdicts.verdict([-0.8, -0.6, -0.7, -0.9, -0.5])
    t = sps.t.ppf(0.975, 4) * np.std([-0.8, -0.6, -0.7, -0.9, -0.5], ddof=1) / np.sqrt(5)
    assert v.state == "resolved" and v.direction == -1 and v.agree == 5
    assert (v.low, v.high) == pytest.approx((-0.7 - t, -0.7 + t))


def test_a_narrow_interval_around_zero_is_equivalent_only_with_a_margin():
    d = [0.05, -0.04, 0.02, -0.03, 0.01, 0.0, -0.02, 0.03]
    assert verdicts.verdict(d).state == "unresolved"
    v = verdicts.verdict(d, margin=0.2)
    assert v.state == "equivalent"
    assert v.margin == 0.2 and v.low > -0.2 and v.high < 0.2


def test_a_wide_interval_is_unresolved_with_the_lean_the_seeds_and_the_seeds_needed():
    v = verdicts.verdict([2.0, -1.0, 3.0, 1.0, -0.5], margin=0.5)
    assert v.state == "unresolved" and v.direction == 1 and v.agree == 3
    d_z = np.mean([2.0, -1.0, 3.0, 1.0, -0.5]) / np.std([2.0, -1.0, 3.0, 1.0, -0.5], ddof=1)
    assert v.seeds_needed > 5
    from bnorder.analysis.power import power
    assert power(int(v.seeds_needed), d_z) >= 0.8 > power(int(v.seeds_needed) - 1, d_z)
    assert verdicts.seeds_to_decide(v) == (v.seeds_needed, False)   # the estimate lies outside ±0.5


def test_an_unresolved_verdict_never_says_that_fewer_seeds_than_it_has_would_resolve_it():
    v = verdicts.verdict([-0.27, -0.32])      # two seeds that agree: the t interval still spans zero
    assert v.state == "unresolved" and v.seeds_needed <= v.n


@pytest.mark.parametrize("diffs,expect,margin,outcome", [
    ([-1, -0.8, -1.2, -0.9], "negative", None, "confirmed"),
    ([1, 0.8, 1.2, 0.9], "negative", None, "refuted"),
    ([1, -0.8, 1.2, -0.9], "negative", None, "unresolved"),
    ([0.01, -0.02, 0.015, -0.01], "equivalent", 0.1, "confirmed"),
    ([1, 0.8, 1.2, 0.9], "equivalent", 0.1, "refuted"),
    ([0.3, -0.2, 0.25, -0.1], "equivalent", 0.1, "unresolved"),
])
def test_a_prediction_is_confirmed_refuted_or_unresolved_by_the_interval(diffs, expect, margin, outcome):
    v = verdicts.verdict(diffs, margin)
    assert verdicts.prediction_outcome(v, expect, margin) == outcome


def test_one_seed_is_never_a_verdict():
    v = verdicts.verdict([1.0])
    assert v.state == "unresolved" and verdicts.prediction_outcome(v, "positive") == "unresolved"


def test_seeds_that_all_differ_by_the_same_amount_are_not_a_resolved_effect():
    v = verdicts.verdict([0.5, 0.5])           # two seeds agreeing to the last digit: no spread
    assert v.state == "unresolved" and v.direction == 1 and v.agree == 2
    assert np.isnan(v.low) and np.isnan(v.high)
    assert verdicts.prediction_outcome(v, "positive") == "unresolved"
    assert verdicts.verdict([0.5, 0.51]).state == "resolved"   # any spread gives an interval


def test_an_unresolved_equivalence_question_says_how_many_seeds_would_fit_its_interval_in_the_margin():
    d = np.array([0.3, -0.9, 0.6, -0.2])
    v = verdicts.verdict(d, margin=0.75)
    assert v.state == "unresolved"
    n, room, sd = int(v.seeds_for_margin), 0.75 - abs(d.mean()), d.std(ddof=1)
    half = lambda k: sps.t.ppf(0.975, k - 1) * sd / np.sqrt(k)  # noqa: E731
    assert half(n) < room <= half(n - 1)
    assert verdicts.seeds_to_decide(v) == (v.seeds_for_margin, True)
    assert np.isnan(verdicts.verdict(d).seeds_for_margin)        # no margin: no such count


def test_an_estimate_close_to_zero_never_asks_for_an_implausible_number_of_seeds():
    v = verdicts.verdict([1.58, 0.35, -1.85])   # mean +0.03, spread 1.7: tens of thousands of seeds
    assert v.seeds_needed > verdicts.PLANNABLE
    assert verdicts.seeds_to_decide(v) == (v.seeds_needed, False)
    assert verdicts.verdict([1.58, 0.35, -1.85, 0.4]).seeds_needed < v.seeds_needed  # a lean: fewer


def interval(low, high):
    """A verdict with the given 95% interval (its mean in the middle)."""
    mean = (low + high) / 2
    return verdicts.Verdict(5, mean, low, high, verdicts.interval_state(low, high), int(np.sign(mean)),
                            5, np.nan)


@pytest.mark.parametrize("low,high,outcome", [
    (-0.20, 0.25, "confirmed"),    # inside +-0.35
    (-0.30, -0.05, "confirmed"),   # inside and excluding zero: still an effect below the margin
    (-0.39, -0.01, "unresolved"),  # across the margin's lower edge (replicate-centred-bn-relu-precise)
    (-0.61, -0.09, "unresolved"),  # across it, centred-input-position
    (0.10, 0.60, "unresolved"),    # across the upper edge
    (-0.50, 0.50, "unresolved"),   # across both edges
    (-0.90, -0.40, "refuted"),     # wholly below -margin
    (0.36, 0.80, "refuted"),       # wholly above +margin
])
def test_an_equivalence_is_refuted_only_by_an_interval_wholly_outside_its_margin(low, high, outcome):
    assert verdicts.prediction_outcome(interval(low, high), "equivalent", 0.35) == outcome


@pytest.mark.parametrize("low,high,margin,state", [
    (0.1, 0.5, None, "resolved"), (-0.5, -0.1, 1.0, "resolved"), (-0.1, 0.2, 0.3, "equivalent"),
    (-0.1, 0.2, None, "unresolved"), (-0.4, 0.2, 0.3, "unresolved"), (np.nan, np.nan, 1.0, "unresolved"),
])
def test_one_rule_turns_an_interval_into_a_state(low, high, margin, state):
    assert verdicts.interval_state(low, high, margin) == state
