"""The confirmatory answer's tables say the estimate, its interval, the adjusted verdict and the
seeds landed of those planned, and mark the tuned protocol's choice."""

from bnorder.report import primary


def finding(**kw):
    return {"kind": "primary", "test": "paired", "n": 12, "seeds_planned": 30, "mean": -0.9,
            "low": -1.2, "high": -0.6, "direction": -1, "state": "resolved",
            "state_adjusted": "resolved", **kw}


def test_a_row_reads_estimate_interval_adjusted_verdict_and_seeds():
    table = primary.answer_table({"primary-mlp-accuracy": finding()})
    row = table.loc[("MLP", "original protocol", "accuracy, running statistics")]
    assert row["relu-bn − bn-relu (95% interval)"] == "-0.90 (-1.20 to -0.60)"
    assert row["verdict, Holm"] == "relu-bn lower" and row["seeds"] == "12 of 30"
    unresolved = primary.answer_table({"primary-mlp-accuracy": finding(state_adjusted="unresolved")})
    assert unresolved.iloc[0]["verdict, Holm"] == "unresolved"
    assert primary.answer_table({}).iloc[0, 0] == "not run yet"


def test_a_spread_ratio_reads_as_a_ratio_and_says_which_order_is_steadier():
    table = primary.answer_table({"primary-cnn-stability": finding(test="spread-ratio", mean=0.5, low=0.3, high=0.8)})
    row = table.loc[("CNN", "original protocol", "stability (spread ratio)")]
    assert row.iloc[0] == "0.50× (0.30 to 0.80)" and row["verdict, Holm"] == "relu-bn steadier"


def test_the_answer_table_has_a_row_per_question_and_the_interaction():
    table = primary.answer_table({})
    assert len(table) == 13 and ("CNN − MLP", "original protocol", "accuracy, running statistics") in table.index
    assert ("CNN", "each order tuned", "stability (spread ratio)") not in table.index


def test_the_selection_table_stars_each_orders_choice():
    found = {"selection-mlp": {"choice": {"bn-relu": {"lr": 1e-3, "schedule": "cosine"}, "relu-bn": None},
                               "scores": [{"block": "bn-relu", "lr": 1e-3, "schedule": "cosine", "val_acc": 90.0},
                                          {"block": "bn-relu", "lr": 3e-4, "schedule": "constant", "val_acc": 89.0}]}}
    table = primary.selection_table(found)
    assert table.loc["0.001, cosine", "MLP bn-relu"] == "90.00 *"
    assert table.loc["0.0003, constant", "MLP bn-relu"] == "89.00"
