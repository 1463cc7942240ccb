"""The confirmatory answer's tables say the estimate, its interval, the adjusted verdict and the
seeds landed of those planned, and mark the tuned protocol's choice."""

from bnorder.report import primary


def finding(**kw):
    return {"kind": "primary", "test": "paired", "n": 12, "seeds_planned": 30, "mean": -0.9,
            "low": -1.2, "high": -0.6, "direction": -1, "state": "resolved",
            "state_adjusted": "resolved", **kw}


def test_a_cell_reads_estimate_interval_adjusted_verdict_and_seeds():
    text = primary.cell(finding())
    assert "-0.90 (-1.20 to -0.60)" in text and "relu-bn lower" in text and "12 of 30 seeds" in text
    assert "unresolved" in primary.cell(finding(state_adjusted="unresolved"))
    assert "not run yet" in primary.cell(finding(n=0))


def test_a_spread_ratio_reads_as_a_ratio_and_says_which_order_is_steadier():
    text = primary.cell(finding(test="spread-ratio", mean=0.5, low=0.3, high=0.8))
    assert "0.50× (0.30 to 0.80)" in text and "relu-bn steadier" in text


def test_the_answer_table_has_a_row_per_network_and_protocol_and_the_interaction():
    table = primary.answer_table({"primary-mlp-accuracy": finding()})
    assert len(table) == 5 and "relu-bn lower" in table.iloc[0, 0]
    assert table.loc[("CNN", "each order tuned"), "stability (spread ratio)"] == "not asked"


def test_the_selection_table_stars_each_orders_choice():
    found = {"selection-mlp": {"choice": {"bn-relu": {"lr": 1e-3, "schedule": "cosine"}, "relu-bn": None},
                               "scores": [{"block": "bn-relu", "lr": 1e-3, "schedule": "cosine", "val_acc": 90.0},
                                          {"block": "bn-relu", "lr": 3e-4, "schedule": "constant", "val_acc": 89.0}]}}
    table = primary.selection_table(found)
    assert table.loc["0.001, cosine", "MLP bn-relu"] == "90.00 *"
    assert table.loc["0.0003, constant", "MLP bn-relu"] == "89.00"
