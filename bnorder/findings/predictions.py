"""The predictions of ``book/predictions.yml`` judged (:mod:`bnorder.analysis.predictions`), and the
registry's contrasts that are no prediction (:func:`bnorder.runs.registry.contrasts`)."""

from __future__ import annotations

import pandas as pd

from ..analysis import predictions as prediction_book
from ..analysis import verdicts
from ..analysis.pooling import loader
from ..runs import registry
from .entries import records_of, verdict_entry


def prediction_findings(results, predictions=None, load=None) -> dict[str, dict]:
    """Every prediction judged (:func:`bnorder.analysis.predictions.judge`), under its own id."""
    load = load or loader(results)
    entries = prediction_book.load_predictions(predictions or prediction_book.PREDICTIONS)
    out = {}
    for p in entries:
        judged = prediction_book.judge(p, load)
        v = verdicts.Verdict(**{k: judged[k] for k in verdicts.Verdict.__dataclass_fields__})
        out[p["id"]] = {"kind": "prediction", "family": p["family"], "what": " ".join(p["prediction"].split()),
                        "metric": p["metric"], "expect": p["expect"], "outcome": judged["outcome"],
                        "seeds": [int(s) for s in judged["seeds"]],
                        "records": _contrast_records(p, judged["seeds"], load, results),
                        **verdict_entry(v)}
    return out


def _contrast_records(spec: dict, seeds, load, results) -> dict[str, list[int]]:
    """The records a contrast (a prediction's ``arm`` and ``base``) read on ``seeds``."""
    arch = prediction_book.network_of(prediction_book.pooled(load, spec["arm"]["profile"]), spec)
    rows = [prediction_book.arm_runs(prediction_book.pooled(load, spec[side]["profile"]), spec[side], arch)
            for side in ("arm", "base")]
    used = pd.concat([r[r["seed"].isin(seeds)] for r in rows if len(r)]) \
        if any(len(r) for r in rows) else pd.DataFrame(columns=["path", "seed"])
    return records_of(used, results)


def early_findings(results, load=None) -> dict[str, dict]:
    """Each contrast of the registry (:func:`bnorder.runs.registry.contrasts`) on its seeds, paired,
    with its verdict, under its own id and kind (``early``: on the seeds a later prediction's
    reasoning was read from; ``contrast``: one the chapters cite)."""
    load = load or loader(results)
    out = {}
    for spec in registry.contrasts():
        key = spec["id"]
        _, _, seeds = prediction_book.paired(spec, load)
        if len(seeds) < 2:
            continue
        what = " − ".join(" ".join(["+".join(side["profile"]) if isinstance(side["profile"], list)
                                    else side["profile"], side["block"]]
                                   + ([f"(block 1 {side['first_block']})"] if side.get("first_block") else [])
                                   + [side.get("metric", spec["metric"])])
                          for side in (spec["arm"], spec["base"]))
        out[key] = {"kind": spec["kind"], "what": what, "metric": spec["metric"],
                    "seeds": [int(s) for s in seeds], "records": _contrast_records(spec, seeds, load, results),
                    **verdict_entry(prediction_book.contrast(spec, load))}
    return out
