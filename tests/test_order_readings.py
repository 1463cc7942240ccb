"""The order effect read several ways: the same weights under each BatchNorm reading, and the
converged CNN at a constant learning rate against the cosine schedule, on the seeds both share."""

import pandas as pd
import pytest

from bnorder.analysis import order_readings


def run(block, seed, train_acc, test_acc, arch="mlp", precise=None):
    reading = {"test_acc_precise": precise, "test_acc_batch": precise} if precise is not None else {}
    return {"arch": arch, "block": block, "seed": seed, "status": "ok",
            "history": [{"epoch": 1, "bn_eval": reading}],
            "train_eval_acc": train_acc, "train_eval_loss": (100 - train_acc) / 100,
            "final_test_acc": test_acc}


def use(monkeypatch, profiles):
    monkeypatch.setattr(order_readings, "loader", lambda results: lambda p: profiles.get(p, pd.DataFrame()))


def mlp(deficits_train, deficits_test):
    rows = []
    for seed, (dt, ds) in enumerate(zip(deficits_train, deficits_test)):
        rows += [run("bn-relu", seed, 92.0 + 0.1 * seed, 88.0 + 0.1 * seed),
                 run("relu-bn", seed, 92.0 + 0.1 * seed - dt, 88.0 + 0.1 * seed - ds)]
    return pd.DataFrame(rows)


def test_the_order_contrast_pairs_relu_bn_with_bn_relu_by_seed(monkeypatch):
    use(monkeypatch, {"why-bn-eval": mlp([2.0, 2.3, 1.8, 2.1], [1.0, 1.2, 0.8, 1.2])})
    assert order_readings.order_contrast("results", "MLP", "generalization_gap").mean == pytest.approx(-1.0)
    assert order_readings.order_contrast("results", "MLP", "train_eval_acc").state == "resolved"


def cnn(leads_running, leads_precise):
    """relu-bn's lead over bn-relu per seed, read with running and with precise statistics."""
    rows = []
    for seed, (running, precise) in enumerate(zip(leads_running, leads_precise)):
        rows += [run("bn-relu", seed, 90.0, 87.0 + 0.3 * seed, "cnn", precise=89.0 + 0.3 * seed),
                 run("relu-bn", seed, 90.0, 87.0 + 0.3 * seed + running, "cnn", precise=89.0 + 0.3 * seed + precise)]
    return pd.DataFrame(rows)


def test_an_effect_only_the_running_statistics_show_is_said_to_be_removed_by_precise_ones(monkeypatch):
    use(monkeypatch, {"cnn-converged": cnn([1.8, 2.2, 1.5, 2.0], [0.2, -0.1, 0.0, -0.2])})
    table = order_readings.readings_table("results").loc["CNN"]
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
    table = order_readings.arms_by_reading("results", arms, "cnn")
    assert table.loc[("swapped − base", "running statistics"), "difference"] == pytest.approx(1.01)
    assert table.loc[("swapped − base", "running statistics"), "verdict"] == "resolved"
    assert table.loc[("swapped − base", "precise statistics"), "difference"] == pytest.approx(0.0)
    assert order_readings.arms_by_reading("results", {"x": ({"profile": "none", "block": "a"},
                                                     {"profile": "none", "block": "b"})}, "cnn").empty
    use(monkeypatch, {"base": pd.DataFrame(base[:2]), "arm": pd.DataFrame(swapped[:2])})
    assert order_readings.arms_by_reading("results", arms, "cnn").empty      # two seeds: no interval shown yet


# ------------------------------------------------------------------ per schedule

def schedule_run(block, seed, final, wobble, precise_gain=1.0):
    """A CNN run whose test accuracy alternates by ``wobble`` over 4 epochs and ends at ``final``;
    precise statistics read ``precise_gain`` points higher and do not wobble."""
    accs = [final - wobble, final, final - wobble, final]
    history = [{"epoch": e + 1, "test_acc": a, "bn_eval": {"test_acc_precise": final + precise_gain}}
               for e, a in enumerate(accs)]
    return {"arch": "cnn", "block": block, "seed": seed, "status": "ok", "history": history,
            "final_test_acc": final}


def use_schedules(monkeypatch, constant, cosine):
    profiles = {"cnn-converged": pd.DataFrame(constant), "cnn-converged-cosine": pd.DataFrame(cosine)}
    monkeypatch.setattr(order_readings, "loader", lambda results: lambda p: profiles.get(p, pd.DataFrame()))


def test_only_seeds_with_both_orders_in_both_schedules_are_compared(monkeypatch):
    constant = [schedule_run(b, s, 90.0 + (b == "relu-bn") * (1.0 + 0.05 * s) + 0.1 * s, 2.0)
                for s in range(4) for b in ("bn-relu", "relu-bn")]
    cosine = [schedule_run(b, s, 91.0 + 0.1 * s + 0.05 * s * (b == "relu-bn"), 0.2)
              for s in (0, 1, 2) for b in ("bn-relu", "relu-bn") if (s, b) != (1, "relu-bn")]
    use_schedules(monkeypatch, constant, cosine)
    assert order_readings.common_seeds("results") == [0, 2]
    table = order_readings.schedule_table("results")
    assert table.loc[("constant", "running statistics"), "relu-bn − bn-relu"] == pytest.approx(1.05)
    assert table.loc[("cosine", "running statistics"), "seeds"] == 2
    assert table.loc[("constant", "running statistics"), "bn-relu volatility"] == pytest.approx(2.0)
    assert table.loc[("constant", "precise statistics"), "bn-relu volatility"] == pytest.approx(0.0)


def test_without_two_shared_seeds_the_comparison_waits(monkeypatch):
    use_schedules(monkeypatch, [schedule_run("bn-relu", 0, 90.0, 1.0), schedule_run("relu-bn", 0, 91.0, 1.0)], [schedule_run("bn-relu", 0, 90.0, 0.1)])
    assert order_readings.schedule_table("results").empty
