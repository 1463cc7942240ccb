"""Where an order's deficit lies: the readings of the same weights, and fitting or generalizing."""

import pandas as pd
import pytest

from bnorder.report import deficit


def run(block, seed, train_acc, test_acc, arch="mlp", precise=None):
    reading = {"test_acc_precise": precise, "test_acc_batch": precise} if precise is not None else {}
    return {"arch": arch, "block": block, "seed": seed, "status": "ok",
            "history": [{"epoch": 1, "bn_eval": reading}],
            "train_eval_acc": train_acc, "train_eval_loss": (100 - train_acc) / 100,
            "final_test_acc": test_acc}


def use(monkeypatch, profiles):
    monkeypatch.setattr(deficit, "loader", lambda results: lambda p: profiles.get(p, pd.DataFrame()))


def mlp(deficits_train, deficits_test):
    rows = []
    for seed, (dt, ds) in enumerate(zip(deficits_train, deficits_test)):
        rows += [run("bn-relu", seed, 92.0 + 0.1 * seed, 88.0 + 0.1 * seed),
                 run("relu-bn", seed, 92.0 + 0.1 * seed - dt, 88.0 + 0.1 * seed - ds)]
    return pd.DataFrame(rows)


def test_table_has_one_row_per_network_and_block_with_the_gap_between_the_splits(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([2.0, 2.1, 1.9], [1.0, 1.1, 0.9])})
    table = deficit.fit_table("results")
    assert list(table.index) == [("MLP (why-bn-eval)", "bn-relu"), ("MLP (why-bn-eval)", "relu-bn")]
    assert table.loc[("MLP (why-bn-eval)", "bn-relu"), "seeds"] == 3
    assert table.loc[("MLP (why-bn-eval)", "bn-relu"), "gap (training − test)"].startswith("4.00 (")


def test_runs_without_a_measured_training_split_are_left_out_and_two_seeds_show_no_interval(monkeypatch):
    old = {k: v for k, v in run("bn-relu", 2, 0.0, 87.0).items() if not k.startswith("train_eval")}
    use(monkeypatch, {"why-bn-eval": pd.concat([mlp([2.0, 2.1], [1.0, 1.1]), pd.DataFrame([old])])})
    row = deficit.fit_table("results").loc[("MLP (why-bn-eval)", "bn-relu")]
    assert row["seeds"] == 2 and "(" not in row["test accuracy"]


def test_the_order_contrast_pairs_relu_bn_with_bn_relu_by_seed(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([2.0, 2.3, 1.8, 2.1], [1.0, 1.2, 0.8, 1.2])})
    assert deficit.order_contrast("results", "MLP", "generalization_gap").mean == pytest.approx(-1.0)
    assert deficit.order_contrast("results", "MLP", "train_eval_acc").state == "resolved"


def test_missing_profiles_give_an_empty_table(monkeypatch):
    use(monkeypatch, {})
    assert deficit.fit_table("results").empty


def cnn(leads_running, leads_precise):
    """relu-bn's lead over bn-relu per seed, read with running and with precise statistics."""
    rows = []
    for seed, (running, precise) in enumerate(zip(leads_running, leads_precise)):
        rows += [run("bn-relu", seed, 90.0, 87.0 + 0.3 * seed, "cnn", precise=89.0 + 0.3 * seed),
                 run("relu-bn", seed, 90.0, 87.0 + 0.3 * seed + running, "cnn", precise=89.0 + 0.3 * seed + precise)]
    return pd.DataFrame(rows)


def test_an_effect_only_the_running_statistics_show_is_said_to_be_removed_by_precise_ones(monkeypatch):
    use(monkeypatch, {"cnn-converged": cnn([1.8, 2.2, 1.5, 2.0], [0.2, -0.1, 0.0, -0.2])})
    table = deficit.readings_table("results").loc["CNN"]
    assert list(table.index) == ["running statistics", "precise statistics", "batch statistics"]
    assert table.loc["running statistics", "verdict"] == "resolved"
    assert table.loc["precise statistics", "verdict"] == "unresolved"


def test_an_intervention_is_read_with_each_bn_statistic_so_a_running_statistics_effect_shows(monkeypatch):
    base = [run("bn-relu", s, 95.0, 89.0 + 0.1 * s, "cnn", precise=90.0 + 0.1 * s) for s in range(3)]
    swapped = [{**run("bn-relu", s, 95.0, 90.0 + 0.1 * s + 0.01 * s, "cnn", precise=90.0 + 0.1 * s),
                "first_block": "relu-bn"} for s in range(3)]
    use(monkeypatch, {"base": pd.DataFrame(base), "arm": pd.DataFrame(swapped)})
    arms = {"swapped − base": ({"profile": "arm", "block": "bn-relu", "first_block": "relu-bn"},
                               {"profile": "base", "block": "bn-relu"})}
    table = deficit.arms_by_reading("results", arms, "cnn")
    assert table.loc[("swapped − base", "running statistics"), "difference"] == pytest.approx(1.01)
    assert table.loc[("swapped − base", "running statistics"), "verdict"] == "resolved"
    assert table.loc[("swapped − base", "precise statistics"), "difference"] == pytest.approx(0.0)
    assert deficit.arms_by_reading("results", {"x": ({"profile": "none", "block": "a"},
                                                     {"profile": "none", "block": "b"})}, "cnn").empty
    use(monkeypatch, {"base": pd.DataFrame(base[:2]), "arm": pd.DataFrame(swapped[:2])})
    assert deficit.arms_by_reading("results", arms, "cnn").empty      # two seeds: no interval shown yet
