"""The Conclusion's "Why": each suspected cause with the predictions that test it and what the
interventions made of it."""

import pandas as pd

from bnorder import interventions
from bnorder.report import explanations as ex


def row(id_, outcome, n, mean=0.0, metric="final_test_acc"):
    return {"id": id_, "prediction": f"prediction {id_}\n  in two lines.", "outcome": outcome, "n": n,
            "mean": mean, "low": mean - 0.5, "high": mean + 0.5, "metric": metric,
            "arm": {"profile": f"why-{id_}", "block": "relu-bn"}, "base": {"profile": "f", "block": "bn-relu"}}


def test_every_prediction_of_the_book_tests_exactly_one_explanation():
    ids = [p["id"] for p in interventions.load_predictions()]
    tested = [i for e in ex.EXPLANATIONS for i in e.tests]
    assert sorted(ids) == sorted(tested)


def test_an_explanation_is_confirmed_only_when_every_test_speaks_for_it():
    assert ex.verdict([1, 1], 2) == "confirmed by every test"
    assert ex.verdict([1], 2).startswith("supported by 1 of 2 tests")
    assert ex.verdict([1, 0], 2).startswith("supported by 1 of 2 tests")
    assert ex.verdict([-1, -1], 2) == "ruled out by every test"
    assert ex.verdict([-1, 0], 2).startswith("contradicted by 1 of 2 tests, none for it")
    assert ex.verdict([1, -1], 2).startswith("mixed")
    assert ex.verdict([0, 0], 3).startswith("not decided by these seeds (2 of 3")
    assert ex.verdict([], 2) == "not tested yet"


def test_a_refuted_prediction_speaks_against_the_cause_its_confirmation_would_support():
    assert ex.side("confirmed", +1) == 1 and ex.side("refuted", +1) == -1
    assert ex.side("confirmed", -1) == -1 and ex.side("refuted", -1) == 1
    assert ex.side("unresolved", +1) == 0


def test_the_why_lists_each_cause_with_its_verdict_its_tests_and_those_not_run():
    judged = pd.DataFrame([row("mean-shift-removed", "confirmed", 10, 0.1),
                           row("mean-shift-added", "confirmed", 10, -0.1),
                           row("fit-mlp", "refuted", 4, 1.2, "train_eval_acc"),
                           row("first-block-only", "confirmed", 1)])
    text = ex.markdown(judged)
    lines = text.splitlines()
    mean_shift = next(i for i, line in enumerate(lines) if "positive mean" in line)
    assert "ruled out by every test" in lines[mean_shift]
    assert lines[mean_shift + 1].startswith("  - confirmed: prediction mean-shift-removed in two lines: +0.10 points")
    assert next(line for line in lines if "one of fitting the training data" in line).endswith("ruled out by every test.")
    first = next(i for i, line in enumerate(lines) if "first block**" in line or "first block:" in line)
    assert "not tested yet" in lines[first]                      # one seed is not a test
    assert "`first-block-only`, `first-block-rest`" in lines[first + 1]
    assert "prediction first-block-only" not in text


def test_the_summary_names_every_cause_once_with_its_standing():
    judged = pd.DataFrame([row("precise-bn-mlp", "confirmed", 20, -0.7)])
    summary = ex.summary(judged)
    assert len(summary) == len(ex.EXPLANATIONS)
    rows = summary.set_index("tested by")
    assert rows.loc["precise-bn-mlp", "standing"] == "ruled out by every test"
    assert rows.loc["fit-mlp", "standing"] == "not tested yet"


def test_a_test_whose_seeds_all_differ_by_the_same_amount_shows_no_interval():
    judged = pd.DataFrame([{**row("fit-mlp", "unresolved", 2, 1.0, "train_eval_acc"),
                            "low": float("nan"), "high": float("nan")}])
    line = next(x for x in ex.markdown(judged).splitlines() if "prediction fit-mlp" in x)
    assert "the same on every seed, no interval; 2 seeds" in line and "nan" not in line


def test_undecided_tests_that_point_one_way_are_said_to_lean_that_way():
    assert ex.verdict([0, 0], 2, [-1, -1]) == "not decided by these seeds (2 of 2 tests run; 2 leaning against it)"
    assert ex.verdict([0, 0], 2, [1, -1]).endswith("run; 1 leaning towards it and 1 leaning against it)")
    assert ex.verdict([1, 0], 2, [-1]).endswith("the rest not decided (1 leaning against it)")
    assert ex.verdict([0, 0], 2, [0, 0]) == "not decided by these seeds (2 of 2 tests run)"
    up = {**row("x", "unresolved", 5, -1.4), "expect": "positive"}
    assert ex.lean(up, +1) == -1 and ex.lean(up, -1) == 1        # predicted up, measured down
    assert ex.lean({**up, "expect": "equivalent"}, +1) == 0       # no direction to lean from
    judged = pd.DataFrame([{**row("cnn-centred-bn-relu", "unresolved", 5, -1.4), "expect": "positive"},
                           {**row("cnn-centred-running-cost", "unresolved", 5, 0.4), "expect": "negative"}])
    standing = ex.summary(judged).set_index("tested by")["standing"]
    assert standing["cnn-centred-running-cost, cnn-centred-bn-relu"].endswith("2 leaning against it)")
