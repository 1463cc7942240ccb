"""Every chapter prints a number, an interval and a count of seeds the same way."""

import numpy as np

from bnorder.report import missing_runs, style


def test_a_number_and_an_interval_have_one_format_and_a_dash_when_missing():
    assert style.fmt(1.234) == "1.23" and style.fmt(1.234, sign=True) == "+1.23"
    assert style.fmt(None) == style.fmt(np.nan) == "—"
    assert style.interval(-0.5, 1.25) == "-0.50 to +1.25" and style.interval(np.nan, 1) == "—"
    assert style.ci_text(-0.5, 1.25).endswith(style.interval(-0.5, 1.25))
    assert style.ci_text(np.nan, np.nan) != style.ci_text(0.0, 1.0)


def test_a_missing_interval_says_whether_there_was_one_seed_or_no_spread():
    one, same = style.ci_text(np.nan, np.nan, n=1), style.ci_text(np.nan, np.nan, n=5)
    assert one != same and "one seed" in one and "same" in same


def test_seeds_needed_text_counts_and_gives_up_past_the_limit():
    assert style.seeds_needed_text(34.0) == "34" and style.seeds_needed_text(1200.0) == "1,200"
    assert style.seeds_needed_text(np.inf).startswith("more than")
    assert style.seeds_needed_text(np.nan) == "—"


def test_order_puts_the_named_values_first_and_the_rest_sorted():
    assert style.ordered(["relu", "x", "bn-relu", "relu"], style.BLOCK_ORDER) == ["bn-relu", "relu", "x"]


def test_not_run_sentence_gives_the_command_only_for_a_defined_profile():
    text = missing_runs.not_run_sentence("factorial-nobias")
    assert "python -m bnorder sweep --profile factorial-nobias" in text
    text = missing_runs.not_run_sentence("nonsense-nobias")
    assert "not defined" in text and "sweep" not in text
