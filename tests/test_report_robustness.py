"""The Robustness chapter's tables and figure, computed without building the book."""

import matplotlib

matplotlib.use("Agg")

from test_robustness import write_variant_records as write_records  # noqa: E402

from bnorder.analysis import robustness
from bnorder.report import robustness as rb  # noqa: E402
from bnorder.runs.profiles import VARIANTS  # noqa: E402


def test_a_variant_with_no_runs_shows_not_run_yet_in_the_tables(tmp_path):
    from bnorder import findings, report

    write_records(tmp_path, "factorial", -1.0, seeds=range(5), jitter=0.1)
    write_records(tmp_path, "factorial-nobias", -1.0, jitter=0.1, bias=False)
    found = {**findings.factorial_findings(tmp_path), **findings.robustness_findings(tmp_path)}
    position = report.verdict_table(rb.verdict_rows("position"), found)
    change = report.verdict_table(rb.verdict_rows("change"), found)
    assert list(position.index) == ["base", *VARIANTS] and list(change.index) == list(VARIANTS)
    assert position.loc["base", "seeds"] == 5 and position.loc["nobias", "seeds"] == 5
    assert change.loc["nobias", "state"] != "not run yet"
    for table in (position, change):
        assert table.loc["depth2", "state"] == "not run yet" and table.loc["depth2", "seeds"] == "—"


def test_the_waiting_note_gives_the_command_for_each_variant_not_run(tmp_path):
    write_records(tmp_path, "factorial", -1.0, seeds=range(5), jitter=0.1)
    table = robustness.variant_table(tmp_path, "factorial")
    waiting = rb.waiting_text(table, "factorial")
    for name in VARIANTS:
        assert f"`python -m bnorder sweep --profile factorial-{name}`" in waiting
    assert "python -m bnorder sweep --profile factorial-head-bn,factorial-nobias" in waiting
    # variants of a base with no defined variants: named, and said to be undefined
    smoke = rb.waiting_text(robustness.variant_table(tmp_path, "smoke-factorial"), "smoke-factorial")
    assert "not defined in `bnorder.runs.profiles`" in smoke and "`smoke-factorial-depth16`" in smoke


def test_a_missing_base_is_said_plainly(tmp_path):
    table = robustness.variant_table(tmp_path, "factorial")
    rob = robustness.robustness_table(tmp_path, "factorial")
    note = rb.status_note(table, rob, "factorial").data
    assert "The profile `factorial` (the base of the comparison, its mlp) has not been run yet" in note
    assert rb.ranking_table(rob).empty and rb.ranking_counts(rob)["run"] == 0
    assert rb.setting(table, tmp_path, "factorial") == ""


def test_ranking_table_and_counts_compare_with_the_base(tmp_path):
    write_records(tmp_path, "factorial", 1.0)
    write_records(tmp_path, "factorial-nobias", -1.0, bias=False)
    rob = robustness.robustness_table(tmp_path, "factorial")
    table = rb.ranking_table(rob).set_index("variant")
    assert table.loc["(base)", "Kendall's τ"] == "—"
    assert table.loc["nobias", "same best cell"] == "no"
    assert table.loc["nobias", "reversed with confidence"] != "none"
    assert rb.ranking_counts(rob) == {"run": 1, "same": 0, "top_same": 0, "reversed": 1}


def test_setting_states_the_base_and_the_variants_seeds(tmp_path):
    write_records(tmp_path, "factorial", -1.0, seeds=range(6), jitter=0.1)
    write_records(tmp_path, "factorial-nobias", -1.0, jitter=0.1, bias=False)
    write_records(tmp_path, "factorial-depth2", -1.0, seeds=range(3), jitter=0.1, depth=2)
    text = rb.setting(robustness.variant_table(tmp_path, "factorial"), tmp_path, "factorial")
    assert text.startswith("The base is the mlp of profile `factorial`:") and "6 paired seeds" in text
    assert text.endswith("they have 5 (nobias) and 3 (depth2) paired seeds.")


def test_answer_figure_shows_the_base_and_every_variant_run(tmp_path):
    write_records(tmp_path, "factorial", -1.0, seeds=range(5), jitter=0.1)
    write_records(tmp_path, "factorial-nobias", -1.0, jitter=0.1, bias=False)
    fig = rb.answer_figure(robustness.variant_table(tmp_path, "factorial"))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["nobias · 5 seeds", "base · 5 seeds"]
    empty = rb.answer_figure(robustness.variant_table(tmp_path / "none", "factorial"))
    assert "no runs yet" in [t.get_text() for t in empty.axes[0].texts]
