"""What the Mechanisms chapter measures: dead units per layer, the centred-input arms, late-epoch
volatility with both readings."""

import pandas as pd
import pytest

from bnorder.analysis import mechanisms
from bnorder.analysis.measures import volatility


def run(block, seed, dead_by_layer, test_accs, arch="mlp"):
    history = []
    for epoch, acc in enumerate(test_accs, 1):
        blocks = [{"mean": 0.0, "std": 1.0, "dead_frac": d} for d in dead_by_layer]
        history.append({"epoch": epoch, "test_acc": acc, "diagnostics": {"blocks": blocks},
                        "bn_eval": {"test_acc_precise": acc + 1}})
    return {"arch": arch, "block": block, "seed": seed, "status": "ok", "history": history}


def test_leaky_relu_units_are_never_counted_as_dead():
    runs = pd.DataFrame([run("relu-bn", 0, [0.4, 0.0], [80]), run("lrelu-bn", 0, [0.3, 0.0], [80])])
    table = mechanisms.unit_states(runs).set_index(["block", "layer"])
    assert table.loc[("relu-bn", 1), "dead"] == pytest.approx(0.4)
    assert table.loc[("lrelu-bn", 1), "dead"] == 0.0
    assert table.loc[("lrelu-bn", 1), "always_negative"] == pytest.approx(0.3)


def test_unit_states_are_reported_per_layer_and_averaged_over_seeds_only():
    runs = pd.DataFrame([run("relu-bn", 0, [0.4, 0.0], [80]), run("relu-bn", 1, [0.2, 0.0], [80])])
    table = mechanisms.unit_states(runs).set_index("layer")
    assert table.loc[1, "dead"] == pytest.approx(0.3) and table.loc[2, "dead"] == 0.0


def test_volatility_counts_the_second_half_of_training_only():
    # Big learning jumps in epochs 1-3, then +-1 point: late volatility is 1, not the jumps.
    runs = pd.DataFrame([run("bn-relu", 0, [0.0], [10, 40, 70, 80, 81, 80, 81, 80])])
    vol = volatility(runs).iloc[0]
    assert vol["test_volatility"] == pytest.approx(1.0)
    assert vol["test_volatility_precise"] == pytest.approx(1.0)


def test_the_centring_table_reads_both_inputs_both_readings_and_only_the_seeds_asked_for(monkeypatch):
    def runs(offset):
        rows = []
        for seed in (0, 1, 12):
            for block, acc in (("bn-relu", 88.0), ("relu-bn", 87.0)):
                rows.append({"arch": "mlp", "block": block, "seed": seed, "status": "ok", "first_block": None,
                             "final_test_acc": acc + offset + (50 if seed == 12 else 0),
                             "history": [{"epoch": 1, "bn_eval": {"test_acc_precise": acc + 2 * offset}}]})
        return pd.DataFrame(rows)
    data = {"why-bn-eval": runs(0.0), "why-centred-input": runs(0.5)}
    monkeypatch.setattr(mechanisms, "loader", lambda results: data.__getitem__)
    table = mechanisms.centring_table("results", seeds=range(10))
    assert table.loc[("study's scaling", "running statistics"), "bn-relu"] == pytest.approx(88.0)
    assert table.loc[("centred inputs", "running statistics"), "relu-bn"] == pytest.approx(87.5)
    assert table.loc[("centred inputs", "precise statistics"), "bn-relu"] == pytest.approx(89.0)
    assert table.loc[("centred inputs", "precise statistics"), "relu-bn − bn-relu"] == pytest.approx(-1.0)
    assert table["bn-relu seeds"].tolist() == [2, 2, 2, 2]


def test_an_outcome_that_fresh_seeds_changed_is_named(monkeypatch):
    def frame(block, values):
        return pd.DataFrame([{"arch": "mlp", "block": block, "seed": s, "status": "ok", "first_block": None,
                              "final_test_acc": v, "history": []} for s, v in values.items()])
    early = {s: 80.0 - 0.1 * s for s in range(10)}            # seeds 0-9: arm lower, resolved
    late = {s: 80.0 + 3.0 + 0.1 * s for s in range(10, 20)}   # seeds 10-19 pull it up
    data = {"a": frame("relu-bn", {**early, **late}), "b": frame("bn-relu", {s: 80.2 for s in range(20)})}
    prediction = {"id": "p", "metric": "final_test_acc", "expect": "negative",
                  "arm": {"profile": "a", "block": "relu-bn"}, "base": {"profile": "b", "block": "bn-relu"}}
    monkeypatch.setattr(mechanisms, "loader", lambda results: data.__getitem__)
    monkeypatch.setattr(mechanisms.predictions, "load_predictions", lambda: [prediction])
    table = mechanisms.predictions.judge_all([prediction], load=data.__getitem__)
    assert table.iloc[0]["outcome"] != "confirmed"
    assert mechanisms.outcome_changes("results", table) == ["p"]
