"""The tuned protocol's choice follows the registry's rule on validation accuracy."""

import pandas as pd
import pytest

from bnorder.runs.tuning import SelectionPending, choose


def table(values):
    return pd.DataFrame([{"block": b, "candidate": i, "lr": lr, "schedule": s, "val_acc": v}
                         for b, rows in values.items() for i, (lr, s, v) in enumerate(rows)])


def test_each_order_gets_its_own_best_candidate_and_ties_go_to_the_earlier():
    got = choose(table({"bn-relu": [(3e-4, "constant", 90.0), (1e-3, "cosine", 91.0)],
                        "relu-bn": [(3e-4, "constant", 92.0), (1e-3, "cosine", 92.0)]}))
    assert got == {"bn-relu": {"lr": 1e-3, "schedule": "cosine"},
                   "relu-bn": {"lr": 3e-4, "schedule": "constant"}}


def test_no_choice_while_a_candidate_lacks_its_seeds():
    with pytest.raises(SelectionPending, match="relu-bn lr 0.001 cosine"):
        choose(table({"bn-relu": [(3e-4, "constant", 90.0)], "relu-bn": [(1e-3, "cosine", float("nan"))]}))
