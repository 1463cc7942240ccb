"""The Conclusion: the literature comparison and the advice follow the records."""

import numpy as np
import pandas as pd

from bnorder.report import conclusion as cc


def row(id_, outcome, n, mean=np.nan, metric="final_test_acc"):
    return {"id": id_, "prediction": f"prediction {id_}\n  in two lines.", "outcome": outcome, "n": n,
            "mean": mean, "low": mean - 0.5, "high": mean + 0.5, "metric": metric,
            "arm": {"profile": f"why-{id_}", "block": "relu-bn"}, "base": {"profile": "f", "block": "bn-relu"}}


def test_the_literature_comparison_follows_the_directions_in_the_records(monkeypatch):
    fit = {**row("fit-mlp", "confirmed", 8, -1.5), "state": "resolved", "direction": -1}
    monkeypatch.setattr(cc, "judged", lambda results: pd.DataFrame([fit]))
    monkeypatch.setattr(cc, "position_sides", lambda results, base: {"mlp": -1})
    before = cc.literature_comparison("results", "base")
    assert "before the activation ahead too" in before["kaifabi"]
    assert "fits the training split worse" in before["kaifabi"] and before["chen"] == "our MLP shows the opposite"
    monkeypatch.setattr(cc, "position_sides", lambda results, base: {"mlp": 0})
    assert "does not resolve" in cc.literature_comparison("results", "base")["kaifabi"]


def readings(difference, low, high, verdict):
    return pd.DataFrame([{"network": "CNN", "reading": "precise statistics", "seeds": 5, "difference": difference,
                          "low": low, "high": high, "verdict": verdict}]).set_index(["network", "reading"])


def test_advice_warns_when_precise_statistics_do_not_show_the_lead(monkeypatch):
    monkeypatch.setattr(cc, "position_sides", lambda results, base: {"cnn": 1, "mlp": -1})
    monkeypatch.setattr(cc.deficit, "readings_table", lambda results: readings(0.1, -0.4, 0.6, "unresolved"))
    lines = cc.advice("results", "base").splitlines()
    assert lines[0].startswith("- **cnn**: try BatchNorm after") and "may live in the running statistics" in lines[0]
    assert "running statistics" not in lines[1]   # no precise reading of the MLP here: no caveat
    monkeypatch.setattr(cc.deficit, "readings_table", lambda results: readings(1.0, 0.5, 1.5, "resolved"))
    assert "running statistics" not in cc.advice("results", "base")

