"""The tuned protocol's choice: each order's step size and schedule, read on the validation split.

The rule is the registry's (``selection`` in ``book/predictions.yml``), written before the
tuned protocol's seeds ran: for each network and order, every candidate (a step size and a
schedule replacing the original protocol's) is scored by its mean final validation accuracy,
read with the running statistics, over the selection seeds; the highest wins, ties to the
earlier candidate. A candidate's records are found by configuration wherever they were filed
(:func:`bnorder.analysis.pooling.configuration_key`). The test split is never read.
"""

from __future__ import annotations

import pandas as pd

from . import registry
from .config import make_config
from .records import completed, configuration_key, load_records


class SelectionPending(ValueError):
    """The records a choice reads are not all there yet."""


def candidate_config(network_arm: dict, block: str, candidate: dict, seed: int = 0) -> dict:
    """The run configuration of one candidate: the primary family's protocol for that network
    with the candidate's step size and schedule."""
    from .profiles import FASHION

    return make_config(**{**FASHION, **network_arm, **candidate, "block": block, "seed": seed}).as_dict()


def scores(network: str, network_arm: dict, results="results", every: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per order and candidate: ``lr``, ``schedule``, the selection seeds found
    (``seeds``) and their records (``paths``), and ``val_acc``, their mean final validation accuracy (NaN until every selection
    seed has a record)."""
    every = load_records(results) if every is None else every
    ok = completed(every)
    keys = pd.Series([configuration_key(dict(r)) for _, r in ok.iterrows()], index=ok.index, dtype=object) \
        if len(ok) else pd.Series(dtype=object)
    rule = registry.selection()
    rows = []
    for block in ("bn-relu", "relu-bn"):
        for i, candidate in enumerate(rule["candidates"]):
            key = configuration_key(candidate_config(network_arm, block, candidate))
            found = ok[(keys == key) & ok["seed"].isin(rule["seeds"])].drop_duplicates("seed") \
                if len(ok) else ok
            complete = len(found) == len(rule["seeds"])
            rows.append({"network": network, "block": block, "candidate": i, "lr": float(candidate["lr"]),
                         "schedule": candidate["schedule"], "seeds": sorted(int(s) for s in found["seed"]) if len(found) else [],
                         "paths": list(found["path"]) if len(found) else [],
                         "val_acc": float(found["final_val_acc"].mean()) if complete else float("nan")})
    return pd.DataFrame(rows)


def choose(table: pd.DataFrame) -> dict[str, dict]:
    """Per order, the winning candidate of a :func:`scores` table: ``{block: {lr, schedule}}``.
    Raises :class:`SelectionPending` while a candidate lacks a selection seed."""
    missing = table[table["val_acc"].isna()]
    if len(missing):
        names = ", ".join(f"{r.block} lr {r.lr:g} {r.schedule}" for r in missing.itertuples())
        raise SelectionPending(f"the tuned protocol's choice needs every candidate on the selection seeds; "
                               f"missing: {names} (python -m bnorder sweep --profile 'select-*')")
    out = {}
    for block, rows in table.groupby("block", sort=False):
        best = rows.sort_values(["val_acc", "candidate"], ascending=[False, True]).iloc[0]
        out[block] = {"lr": float(best["lr"]), "schedule": str(best["schedule"])}
    return out


def choice(network: str, network_arm: dict, results="results") -> dict[str, dict]:
    """The tuned protocol's step size and schedule per order for ``network`` (:func:`choose`)."""
    return choose(scores(network, network_arm, results))
