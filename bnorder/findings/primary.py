"""The primary family's findings (:mod:`bnorder.analysis.confirmatory`), one per question, under its id."""

from __future__ import annotations

import pandas as pd

from ..analysis.confirmatory import decide
from ..analysis.pooling import loader
from ..runs import registry
from ..runs import tuning
from ..runs.records import load_records
from .entries import records_of


def primary_findings(results, load=None, questions=None) -> dict[str, dict]:
    load = load or loader(results)
    questions = registry.primary() if questions is None else questions
    decided = decide(load, questions)
    out = {}
    for q in questions:
        e = dict(decided[q["id"]])
        paths = e.pop("paths")
        rows = pd.DataFrame({"path": paths, "seed": [_seed(p) for p in paths]})
        out[q["id"]] = {"kind": "primary", "what": q["prediction"], "question": q["question"],
                        "protocol": q["protocol"], "test": q["test"], "metric": q.get("metric"),
                        "expect": q["expect"], "seeds_planned": len(q["seeds"] or []) or None,
                        "records": records_of(rows, results) if len(rows) else {}, **e}
    return out


def _seed(path: str) -> int:
    return int(path.rsplit("seed", 1)[1].split(".")[0])


def selection_findings(results, every=None) -> dict[str, dict]:
    """The tuned protocol's choice per network (:mod:`bnorder.runs.tuning`): every candidate's
    validation score per order, and the choice (None while a candidate lacks a selection seed)."""
    from ..runs.profiles import CONFIRM_NETWORKS

    every = load_records(results) if every is None else every
    out = {}
    for network, arm in CONFIRM_NETWORKS.items():
        table = tuning.scores(network, arm, results, every)
        try:
            choice = tuning.choose(table)
        except tuning.SelectionPending:
            choice = None
        out[f"selection-{network}"] = {
            "kind": "selection", "what": f"the tuned protocol's step size and schedule per order ({network})",
            "seeds": list(registry.selection()["seeds"]), "choice": choice,
            "records": records_of(pd.DataFrame({"path": [p for ps in table["paths"] for p in ps],
                                                "seed": [_seed(p) for ps in table["paths"] for p in ps]}),
                                  results),
            "scores": [{k: r[k] for k in ("block", "lr", "schedule", "val_acc", "seeds")}
                       for r in table.to_dict("records")]}
    return out
