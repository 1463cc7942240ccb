"""Predictions are judged on the seeds both arms share, with the metric they name."""

import pandas as pd
import pytest

from bnorder.analysis import predictions


def runs(profile, block, values, first_block=None, bn=None, arch="mlp"):
    rows = []
    for seed, value in values.items():
        history = [{"epoch": 1, "bn_eval": {"test_acc_precise": bn[seed]}}] if bn else [{"epoch": 1}]
        rows.append({"profile": profile, "arch": arch, "block": block, "seed": seed, "status": "ok",
                     "final_test_acc": value, "first_block": first_block, "history": history})
    return pd.DataFrame(rows)


PREDICTION = {"id": "p", "arm": {"profile": "why", "block": "bn-relu", "first_block": "relu-bn"},
              "base": {"profile": "base", "block": "bn-relu"}, "metric": "final_test_acc",
              "expect": "negative"}


def test_arms_are_paired_by_seed_and_only_shared_seeds_count():
    data = {"why": runs("why", "bn-relu", {0: 80.0, 1: 81.0, 2: 79.5}, first_block="relu-bn"),
            "base": pd.concat([runs("base", "bn-relu", {0: 81.0, 1: 82.5, 3: 90.0}),
                               runs("base", "relu-bn", {0: 10.0, 1: 10.0})])}
    out = predictions.judge(PREDICTION, load=data.__getitem__)
    assert out["seeds"] == [0, 1] and out["differences"] == [-1.0, -1.5]
    assert out["mean"] == pytest.approx(-1.25)
    assert out["arm_seeds"] == 3 and out["base_seeds"] == 3


def test_runs_without_first_block_count_as_the_plain_block_and_not_as_the_arm():
    plain = runs("why", "bn-relu", {0: 70.0})
    assert predictions.arm_values(plain, PREDICTION["arm"], "final_test_acc").empty
    assert predictions.arm_values(plain, PREDICTION["base"], "final_test_acc").tolist() == [70.0]


def test_a_metric_read_from_the_last_epochs_batchnorm_reading():
    frame = runs("b", "relu-bn", {0: 50.0, 1: 60.0}, bn={0: 55.0, 1: 66.0})
    got = predictions.arm_values(frame, {"block": "relu-bn"}, "final_test_acc_precise")
    assert got.tolist() == [55.0, 66.0]


def test_the_cost_of_running_statistics_is_precise_minus_running_accuracy_of_the_same_weights():
    frame = runs("b", "bn-relu", {0: 85.0, 1: 88.0}, bn={0: 89.5, 1: 88.5})
    got = predictions.arm_values(frame, {"block": "bn-relu"}, "running_statistics_cost")
    assert got.tolist() == [4.5, 0.5]


def test_the_committed_predictions_name_known_metrics_and_expectations():
    for p in predictions.load_predictions():
        assert p["metric"] in predictions.METRICS
        assert p["expect"] in ("negative", "positive", "equivalent")
        assert p["expect"] != "equivalent" or p["margin"] > 0
        assert p["written"] and p["prediction"] and p["question"]


def test_late_volatility_reads_the_second_half_and_a_side_may_read_its_own_metric():
    history = [{"epoch": e, "test_acc": a, "bn_eval": {"test_acc_precise": 70.0}}
               for e, a in enumerate([10, 50, 70, 72, 70, 72], 1)]
    frame = pd.DataFrame([{"profile": "p", "arch": "cnn", "block": "bn-relu", "seed": s, "status": "ok",
                           "final_test_acc": 72.0, "first_block": None, "history": history}
                          for s in (0, 1)])
    assert predictions.arm_values(frame, {"block": "bn-relu"}, "late_volatility").tolist() == [2.0, 2.0]
    p = {"id": "v", "metric": "late_volatility", "expect": "negative",
         "arm": {"profile": "p", "block": "bn-relu", "metric": "late_volatility_precise"},
         "base": {"profile": "p", "block": "bn-relu"}}
    assert predictions.judge(p, load=lambda profile: frame)["differences"] == [-2.0, -2.0]


def test_a_base_profile_with_two_networks_is_read_for_the_arms_network_only():
    data = {"why": runs("why", "bn-relu", {0: 80.0, 1: 81.0}, first_block="relu-bn"),
            "base": pd.concat([runs("base", "bn-relu", {0: 81.0, 1: 82.5}),
                               runs("base", "bn-relu", {0: 50.0, 1: 60.0}, arch="cnn")])}
    out = predictions.judge(PREDICTION, load=data.__getitem__)
    assert out["seeds"] == [0, 1] and out["differences"] == [-1.0, -1.5]


def test_first_block_units_are_read_from_the_last_diagnosed_epoch_in_percent():
    history = [{"epoch": 1, "diagnostics": {"blocks": [{"dead_frac": 0.5}, {"dead_frac": 0.0}]}},
               {"epoch": 2, "diagnostics": {"blocks": [{"dead_frac": 0.25}, {"dead_frac": 0.9}]}},
               {"epoch": 3}]
    frame = pd.DataFrame([{"profile": "p", "arch": "mlp", "block": "relu-bn", "seed": 0, "status": "ok",
                           "final_test_acc": 80.0, "first_block": None, "history": history}])
    got = predictions.arm_values(frame, {"block": "relu-bn"}, "first_block_always_negative")
    assert got.tolist() == [25.0]


def test_a_prediction_naming_its_seeds_is_judged_on_those_seeds_only():
    data = {"why": runs("why", "bn-relu", {0: 80.0, 1: 81.0, 10: 70.0, 11: 71.0}, first_block="relu-bn"),
            "base": runs("base", "bn-relu", {0: 81.0, 1: 82.0, 10: 72.0, 11: 74.0})}
    out = predictions.judge({**PREDICTION, "seeds": [10, 11, 12]}, load=data.__getitem__)
    assert out["seeds"] == [10, 11] and out["differences"] == [-2.0, -3.0]
    assert out["arm_seeds"] == 2 and out["base_seeds"] == 2 and out["named_seeds"] == [10, 11, 12]


def configured(profile, block, values, **knobs):
    """Runs as bnorder.runs.records.load_records gives them: every knob of the configuration."""
    from bnorder.runs.config import RunConfig

    frame = runs(profile, block, values)
    for knob, default in {**RunConfig(dataset="fashion-mnist").as_dict(), **knobs}.items():
        if knob not in ("profile", "block", "seed", "first_block"):
            frame[knob] = default
    return frame


POOLED = {"id": "pooled", "arm": {"profile": ["a", "b"], "block": "relu-bn"},
          "base": {"profile": ["a", "b"], "block": "bn-relu"}, "metric": "final_test_acc",
          "expect": "positive"}


def test_seeds_of_one_configuration_filed_in_several_profiles_are_pooled():
    data = {"a": pd.concat([configured("a", "relu-bn", {0: 81.0, 1: 82.0}),
                            configured("a", "bn-relu", {0: 80.0, 1: 80.5})]),
            "b": pd.concat([configured("b", "relu-bn", {5: 83.0}), configured("b", "bn-relu", {5: 82.0})])}
    out = predictions.judge(POOLED, load=data.__getitem__)
    assert out["seeds"] == [0, 1, 5] and out["differences"] == [1.0, 1.5, 1.0]


def test_pooling_refuses_a_seed_filed_twice_or_configurations_that_differ():
    twice = {"a": configured("a", "relu-bn", {0: 81.0}), "b": configured("b", "relu-bn", {0: 82.0})}
    with pytest.raises(ValueError, match="same seed"):
        predictions.pooled(twice.__getitem__, ["a", "b"])
    other = {"a": configured("a", "relu-bn", {0: 81.0}), "b": configured("b", "relu-bn", {1: 82.0}, lr=3e-3)}
    with pytest.raises(ValueError, match="lr"):
        predictions.pooled(other.__getitem__, ["a", "b"])
