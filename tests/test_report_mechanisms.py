"""The Mechanisms chapter's tables and sentences, computed without building the book."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from bnorder.analysis import mechanisms  # noqa: E402
from bnorder.report import mechanisms as mech  # noqa: E402








def test_the_forest_plot_draws_judged_and_unjudged_predictions():
    rows = [{"id": "a", "metric": "m", "expect": "equivalent", "margin": 0.3, "n": 3, "mean": 0.1,
             "low": -0.1, "high": 0.2, "differences": [0.0, 0.1, 0.2], "outcome": "confirmed"},
            {"id": "b", "metric": "m", "expect": "negative", "margin": None, "n": 0, "mean": np.nan,
             "low": np.nan, "high": np.nan, "differences": [], "outcome": "unresolved"}]
    fig = mech.forest_figure(pd.DataFrame(rows))
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["b", "a"]   # no label: the id


def test_the_cnn_dose_response_pairs_seeds_per_learning_rate_and_skips_profiles_without_two(monkeypatch):
    def cnn(block, seed, acc):
        return {"arch": "cnn", "block": block, "seed": seed, "status": "ok", "final_test_acc": acc}
    data = {"cnn-converged": pd.DataFrame([cnn("bn-relu", 0, 90.0), cnn("relu-bn", 0, 91.0),
                                           cnn("bn-relu", 1, 89.0), cnn("relu-bn", 1, 89.5),
                                           cnn("relu-bn", 2, 99.0)]),
            "cnn-converged-lr3e-3": pd.DataFrame([cnn("bn-relu", 0, 80.0), cnn("relu-bn", 0, 85.0)])}
    monkeypatch.setattr(mechanisms, "loader", lambda results: lambda p: data.get(p, pd.DataFrame()))
    table = mechanisms.cnn_dose_response("results")
    assert table["profile"].tolist() == ["cnn-converged"]
    row = table.iloc[0]
    assert row["lr"] == 1e-3 and row["n"] == 2 and row["position_mean"] == pytest.approx(0.75)
    fig = mech.dose_figure(pd.DataFrame(columns=["variant", "lr", "n", "position_mean", "position_lo",
                                                 "position_hi"]), table)
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][-1].startswith("CNN")


def test_a_few_seed_cnn_interval_is_cut_at_the_mlp_range_with_an_arrowhead_not_stretching_the_axis():
    mlp = pd.DataFrame([{"variant": "base", "lr": 1e-3, "n": 10, "position_mean": 1.0, "position_lo": 0.6,
                         "position_hi": 1.4}])
    cnn = pd.DataFrame([{"profile": "cnn-converged", "lr": 1e-3, "n": 2, "position_mean": 0.8,
                         "position_lo": -30.0, "position_hi": 31.6}])
    ax = mech.dose_figure(mlp, cnn).axes[0]
    low, high = ax.get_ylim()
    assert 1.4 < high < 3 and -3 < low < 0
    heads = {line.get_marker() for line in ax.get_lines()}
    assert {"^", "v"} <= heads


def test_predictions_in_other_units_get_their_own_panel_of_the_forest_plot():
    rows = [{"id": id_, "metric": metric, "arm": {"profile": "p", "block": "relu-bn"}, "expect": "negative",
             "margin": None, "n": 2, "mean": mean, "low": mean - 1, "high": mean + 1,
             "differences": [mean, mean], "outcome": "confirmed"}
            for id_, metric, mean in [("acc", "final_test_acc", -0.5), ("units", "first_block_always_negative", -30.0),
                                      ("acc2", "train_eval_acc", -1.0)]]
    fig = mech.forest_figure(pd.DataFrame(rows))
    labels = [[t.get_text() for t in ax.get_yticklabels()] for ax in fig.axes]
    assert labels == [["acc2", "acc"], ["units"]]
    assert "percentage points" in fig.axes[1].get_xlabel()




def test_a_prediction_says_when_it_was_written_on_which_seeds_and_how_to_run_it():
    base = {"written": "2026-11-24", "prediction": "relu-bn\n  is worse.",
            "arm": {"profile": ["why-a", "why-b"]}}
    text = mech.prediction_sentence({**base, "named_seeds": None, "seeds": [0, 1]})
    assert text.startswith("*Prediction, written 2026-11-24 before the runs:* relu-bn is worse.")
    assert "`python -m bnorder sweep --profile why-a`" in text and "--profile why-b" in text
    assert "before the runs of seeds 10–19:*" in mech.prediction_sentence(
        {**base, "named_seeds": list(range(10, 20)), "seeds": []})


def test_the_forest_plot_draws_when_no_prediction_has_a_seed_or_a_margin():
    rows = [{"id": "b", "metric": "final_test_acc", "expect": "negative", "margin": np.nan, "n": 0,
             "mean": np.nan, "low": np.nan, "high": np.nan, "differences": [], "outcome": "unresolved"}]
    fig = mech.forest_figure(pd.DataFrame(rows))
    assert all(np.isfinite(fig.axes[0].get_xlim()))


def test_an_equivalence_interval_across_its_margin_is_not_drawn_as_refuted():
    from matplotlib.colors import to_hex

    from bnorder.analysis import predictions

    # seed differences whose 95% interval (about -0.39 to -0.01) crosses the -0.35 edge
    diffs = [-0.05, -0.35, -0.10, -0.30, -0.20]
    runs = {"arm": pd.DataFrame([{"arch": "mlp", "block": "x", "seed": s, "status": "ok",
                                  "final_test_acc": 90 + d} for s, d in enumerate(diffs)]),
            "base": pd.DataFrame([{"arch": "mlp", "block": "x", "seed": s, "status": "ok",
                                   "final_test_acc": 90.0} for s in range(5)])}
    p = {"id": "p", "metric": "final_test_acc", "expect": "equivalent", "margin": 0.35,
         "arm": {"profile": "arm", "block": "x"}, "base": {"profile": "base", "block": "x"}}
    row = predictions.judge(p, load=runs.get)
    assert row["low"] < -0.35 < row["high"] < 0 and row["outcome"] == "unresolved"
    fig = mech.forest_figure(pd.DataFrame([row]))
    drawn = {to_hex(c) for line in fig.axes[0].get_lines() for c in [line.get_color()]}
    assert mech.STATE_COLOURS["refuted"] not in drawn
    assert mech.STATE_COLOURS["unresolved"] in drawn


def test_the_ledger_lists_every_prediction_with_its_finding_and_an_unrun_one_as_not_run_yet():
    from bnorder.analysis import predictions
    from bnorder.report import findings

    predictions, found = predictions.load_predictions(), findings()
    ledger = mech.ledger(predictions, found)
    assert list(ledger.index) == [p["id"] for p in predictions]
    for p in predictions:
        row, f = ledger.loc[p["id"]], found[p["id"]]
        assert row["seeds"] == f["n"]
        assert row["outcome"] == (f["outcome"] if f["n"] else "not run yet")
        assert (row["margin"] == "—") == (p["expect"] != "equivalent")
        # no interval below two seeds, nor when every seed differs by the same amount (no spread)
        assert (row["95% interval"] == "—") == (f["n"] < 2 or f["low"] is None)
    unrun = {"n": 0, "mean": None, "low": None, "high": None, "agree": 0, "state": "unresolved",
             "outcome": "unresolved", "seeds_needed": None}
    # an equivalence whose difference is resolved but crosses the margin still says what would decide it
    across = {"n": 20, "mean": -0.35, "low": -0.6, "high": -0.1, "agree": 16, "state": "resolved",
              "direction": -1, "outcome": "unresolved", "seeds_needed": "inf"}
    two = [{**predictions[0], "id": "a", "expect": "equivalent", "margin": 0.35},
           {**predictions[0], "id": "b", "margin": float("nan")}]   # a judged table writes no margin as NaN
    table = mech.ledger(two, {"a": across, "b": unrun})
    assert table.loc["b", ["outcome", "agree", "difference"]].tolist() == ["not run yet", "—", "—"]
    assert table.loc["a", "outcome"] == "unresolved" and table.loc["a", "seeds to decide"] != "—"
    assert table.loc["a", "margin"] == "±0.35" and table.loc["a", "agree"] == "16 of 20"


def test_seed_counts_put_every_prediction_in_one_group():
    table = pd.DataFrame({"n": [0, 1, 2, 5, 6, 9, 10, 20]})
    assert mech.seed_counts(table) == {"none": 2, "few": 2, "between": 2, "many": 2}
