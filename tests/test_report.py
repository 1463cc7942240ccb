"""The setup every chapter shares (bnorder.report): what a reader sees of a table."""

import pandas as pd

import bnorder.report  # noqa: F401  (importing it sets how the book's tables display)


def test_a_table_in_the_book_shows_every_row_and_the_whole_of_every_cell():
    verdict = "unresolved, leans before; 4 of 5 agree; ~34 needed for ±0.35 (a long cell)"
    table = pd.DataFrame({"run": [f"seed{k}" for k in range(150)], "verdict": verdict})
    html = table._repr_html_()
    assert "seed0<" in html and "seed75<" in html and "seed149<" in html
    assert verdict in html and "...</td>" not in html
