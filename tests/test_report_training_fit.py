"""Fitting or generalizing: per network and block, the training split against the test split."""

import pandas as pd

from bnorder.report import training_fit
from test_order_readings import mlp, run  # the records both readings tables are built from


def use(monkeypatch, profiles):
    monkeypatch.setattr(training_fit, "loader", lambda results: lambda p: profiles.get(p, pd.DataFrame()))


def test_table_has_one_row_per_network_and_block_with_the_gap_between_the_splits(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([2.0, 2.1, 1.9], [1.0, 1.1, 0.9])})
    table = training_fit.fit_table("results")
    assert list(table.index) == [("MLP (why-bn-eval)", "bn-relu"), ("MLP (why-bn-eval)", "relu-bn")]
    assert table.loc[("MLP (why-bn-eval)", "bn-relu"), "seeds"] == 3
    assert table.loc[("MLP (why-bn-eval)", "bn-relu"), "gap (training − test)"].startswith("4.00 (")


def test_runs_without_a_measured_training_split_are_left_out_and_two_seeds_show_no_interval(monkeypatch):
    old = {k: v for k, v in run("bn-relu", 2, 0.0, 87.0).items() if not k.startswith("train_eval")}
    use(monkeypatch, {"why-bn-eval": pd.concat([mlp([2.0, 2.1], [1.0, 1.1]), pd.DataFrame([old])])})
    row = training_fit.fit_table("results").loc[("MLP (why-bn-eval)", "bn-relu")]
    assert row["seeds"] == 2 and "(" not in row["test accuracy"]


def test_missing_profiles_give_an_empty_table(monkeypatch):
    use(monkeypatch, {})
    assert training_fit.fit_table("results").empty
