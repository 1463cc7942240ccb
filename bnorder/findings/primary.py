"""The primary family's findings (:mod:`bnorder.confirmatory`), one per question, under its id."""

from __future__ import annotations

from .. import registry
from ..confirmatory import decide
from ..run_selection import loader
from .entries import records_of

import pandas as pd


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
