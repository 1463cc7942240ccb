"""The setup every chapter shares (bnorder.report): what a reader sees of a table."""

import pandas as pd

import bnorder.report  # noqa: F401  (importing it sets how the book's tables display)


def test_a_table_in_the_book_shows_every_row_and_the_whole_of_every_cell():
    verdict = "unresolved, leans before; 4 of 5 agree; ~34 needed for ±0.35 (a long cell)"
    table = pd.DataFrame({"run": [f"seed{k}" for k in range(150)], "verdict": verdict})
    html = table._repr_html_()
    assert "seed0<" in html and "seed75<" in html and "seed149<" in html
    assert verdict in html and "...</td>" not in html


def test_chapters_glue_findings_from_the_committed_file_or_from_records_elsewhere(monkeypatch, tmp_path):
    from bnorder import findings, report

    glued = {}
    monkeypatch.setattr(report, "glue_text", lambda name, value: glued.__setitem__(name, value))
    monkeypatch.delenv("BNORDER_RESULTS", raising=False)
    report.glue_findings("cnn-order")
    committed = findings.read()["cnn-order"]
    assert glued["cnn-order_n"] == str(committed["n"])
    assert glued["cnn-order_mean"] == f"{committed['mean']:+.2f}"
    assert glued["cnn-order_ci"] == f"95% CI {committed['low']:+.2f} to {committed['high']:+.2f}"
    monkeypatch.setenv("BNORDER_RESULTS", str(tmp_path))      # records elsewhere: none here
    report.glue_findings("cnn-order")
    assert glued["cnn-order_n"] == "—" and glued["cnn-order_mean"] == "—"


def test_a_verdict_table_reads_a_count_too_large_to_plan_as_the_findings_file_writes_it():
    from bnorder import report

    entry = {"n": 10, "mean": -0.3, "low": -0.9, "high": 0.2, "state": "unresolved", "direction": -1,
             "agree": 7, "seeds_needed": "inf"}     # book/findings.json writes an infinite count "inf"
    row = report.verdict_table({"x": "f"}, {"f": entry}).loc["x"]
    assert row["seeds to decide"].startswith("more than") and row["state"] == "unresolved"
