"""The original study's runs, epoch by epoch: facts, the comparisons under each score, the figure."""

import matplotlib

matplotlib.use("Agg")

from bnorder import findings
from bnorder.analysis import replication
from bnorder.report import original_epochs  # noqa: E402


def test_epoch_facts_of_the_studys_runs():
    facts = original_epochs.epoch_facts()
    assert facts["ep_rank_final"] == "case3 > case2 > case1" and facts["ep_n"] == "5"
    assert set(facts) >= {"ep_last3_epochs", "ep_rank_exp2", "ep_change_dip_share", "ep_c1_exp1"}


def test_each_step_of_the_ranking_is_a_finding_under_each_score():
    table = original_epochs.scores_table(findings.original_epoch_findings() | findings.original_findings())
    assert len(table) == len(replication.COMPARISONS) * len(original_epochs.EP_SCORES)
    assert "not run yet" not in set(table["state"])
    assert table.loc["case 2 − case 1, final epoch", "state"] == "positive"


def test_the_figure_draws():
    assert len(original_epochs.epochs_figure().axes) == 3
