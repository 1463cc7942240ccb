"""Fitting or generalizing: the per-order table and the sentences that place a deficit."""

import pandas as pd
import pytest

from bnorder.report import fit


def run(block, seed, train_acc, test_acc, arch="mlp"):
    return {"arch": arch, "block": block, "seed": seed, "status": "ok", "history": [],
            "train_eval_acc": train_acc, "train_eval_loss": (100 - train_acc) / 100,
            "final_test_acc": test_acc}


def use(monkeypatch, profiles):
    monkeypatch.setattr(fit, "loader", lambda results: lambda p: profiles.get(p, pd.DataFrame()))


def mlp(deficits_train, deficits_test):
    rows = []
    for seed, (dt, ds) in enumerate(zip(deficits_train, deficits_test)):
        rows += [run("bn-relu", seed, 92.0 + 0.1 * seed, 88.0 + 0.1 * seed),
                 run("relu-bn", seed, 92.0 + 0.1 * seed - dt, 88.0 + 0.1 * seed - ds)]
    return pd.DataFrame(rows)


def test_table_has_one_row_per_network_and_block_with_the_gap_between_the_splits(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([2.0, 2.1, 1.9], [1.0, 1.1, 0.9])})
    table = fit.fit_table("results")
    assert list(table.index) == [("MLP (why-bn-eval)", "bn-relu"), ("MLP (why-bn-eval)", "relu-bn")]
    assert table.loc[("MLP (why-bn-eval)", "bn-relu"), "seeds"] == 3
    assert table.loc[("MLP (why-bn-eval)", "bn-relu"), "gap (training − test)"].startswith("4.00 (")


def test_runs_without_a_measured_training_split_are_left_out_and_two_seeds_show_no_interval(monkeypatch):
    old = {k: v for k, v in run("bn-relu", 2, 0.0, 87.0).items() if not k.startswith("train_eval")}
    use(monkeypatch, {"why-bn-eval": pd.concat([mlp([2.0, 2.1], [1.0, 1.1]), pd.DataFrame([old])])})
    row = fit.fit_table("results").loc[("MLP (why-bn-eval)", "bn-relu")]
    assert row["seeds"] == 2 and "(" not in row["test accuracy"]


def test_a_deficit_larger_on_the_training_split_is_read_as_fitting(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([2.0, 2.2, 1.8, 2.1], [1.0, 1.2, 0.8, 1.1])})
    text = fit.fit_reading("results", "MLP")
    assert "deficit is one of fitting" in text and "generalizes slightly better" in text
    assert fit.order_contrast("results", "MLP", "generalization_gap").mean == pytest.approx(-1.0)


def test_a_deficit_only_on_the_test_split_is_read_as_generalization(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([0.1, -0.1, 0.0, 0.05], [1.0, 1.2, 0.8, 1.1])})
    assert "part of it is generalization" in fit.fit_reading("results", "MLP")


def test_no_resolved_deficit_is_not_placed_and_missing_profiles_say_so(monkeypatch):
    use(monkeypatch, {})
    assert "no deficit to place" in fit.fit_reading("results", "CNN")
    assert fit.fit_summary("results") == "No run has measured the training split yet."
    assert fit.fit_table("results").empty
