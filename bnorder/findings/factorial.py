"""The factorial design's findings: its contrasts per network, per block the late-epoch volatility,
the fit of the training split and the generalization gap; and the one-knob variants of its MLP
(:mod:`bnorder.analysis.robustness`)."""

from __future__ import annotations

import pandas as pd

from ..analysis import predictions, verdicts
from ..analysis.contrasts import CONTRAST_IDS, POSITION, factorial_contrasts
from ..analysis.pooling import factorial_runs, loader
from ..runs.records import completed
from .entries import describe_entry, records_of, verdict_entry


def factorial_findings(results, base: str = "factorial", load=None) -> dict[str, dict]:
    """The 2x2 design's contrasts per network (``factorial-<arch>-<contrast>``), and per block the
    late-epoch volatility, the fit of the training split and the generalization gap."""
    runs, editions = factorial_runs(results, base, load)
    out = {}
    if not len(runs):
        return out
    # The reported epoch: the last (every contrast), or the one with the best validation
    # accuracy (the position, to show whether its verdict depends on that choice).
    for metric, suffix, wanted in (("final_test_acc", "", None),
                                   ("best_val_epoch_test_acc", "-best-val", {POSITION})):
        contrasts = factorial_contrasts(runs, metric)
        for (arch, contrast), g in contrasts.groupby(["arch", "contrast"], sort=True):
            if wanted is not None and contrast not in wanted:
                continue
            seeds = sorted(int(s) for s in g["seed"])
            cells = runs[(runs["arch"] == arch) & runs["seed"].isin(seeds)
                         & runs["block"].isin(["bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn"])]
            out[f"factorial-{arch}-{CONTRAST_IDS[contrast]}{suffix}"] = {
                "kind": "factorial", "what": contrast, "metric": metric,
                "profile": editions[arch], "seeds": seeds, "records": records_of(cells, results),
                **verdict_entry(verdicts.verdict(g.sort_values("seed")["value"].to_numpy()))}
    measures = {"accuracy": "final_test_acc", "late-volatility": "late_volatility", "train-fit": "train_eval_acc",
                "generalization-gap": "generalization_gap"}
    for (arch, block), g in runs.groupby(["arch", "block"], sort=True):
        g = g.sort_values("seed")
        for name, metric in measures.items():
            values = pd.Series([predictions.METRICS[metric](r) for _, r in g.iterrows()],
                               index=g["seed"].astype(int), dtype=float).dropna()
            if len(values) < 2:
                continue
            out[f"{name}-{arch}-{block}"] = {
                "kind": "describe", "what": metric, "profile": editions[arch],
                "seeds": [int(s) for s in values.index],
                "records": records_of(g[g["seed"].isin(values.index)], results),
                **describe_entry(values.to_numpy())}
    return out


def robustness_id(variant: str, what: str) -> str:
    """The id of a one-knob variant's finding: ``what`` is ``position`` or ``change``."""
    return f"robustness-{variant}-{what}"


def robustness_findings(results, base: str = "factorial", load=None) -> dict[str, dict]:
    """Per one-knob variant of the base's MLP with at least two seeds holding all four cells,
    computed by :func:`bnorder.analysis.robustness.variant_table`: its
    position effect (BatchNorm after − before the activation, per seed;
    ``robustness-<variant>-position``) and the change of that effect from the base's, variant
    minus base on the seeds both hold, with the chapter's equivalence margin
    (``robustness-<variant>-change``, when they share two seeds)."""
    from ..analysis import robustness as rb

    load = load or loader(results)
    table = rb.variant_table(results, base)
    cells = lambda runs, seeds: runs[(runs["arch"] == rb.ARCH) & runs["seed"].isin(seeds)  # noqa: E731
                                     & runs["block"].isin(["bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn"])]
    base_runs = completed(load(base))
    out = {}
    for r in table[(table["variant"] != "(base)") & (table["status"] == "ok")].itertuples():
        runs = completed(load(r.profile))
        common = {"kind": "robustness", "metric": rb.VALUE, "profile": r.profile, "base": base,
                  "variant": r.variant}
        out[robustness_id(r.variant, "position")] = {
            **common, "what": f"BatchNorm after − before the activation; {r.what}",
            "seeds": r.seeds, "records": records_of(cells(runs, r.seeds), results),
            **verdict_entry(r.position)}
        if r.change.n >= 2:
            used = pd.concat([cells(runs, r.change_seeds), cells(base_runs, r.change_seeds)])
            out[robustness_id(r.variant, "change")] = {
                **common, "what": f"the position effect, {r.variant} − base, paired by seed",
                "seeds": r.change_seeds, "records": records_of(used, results),
                **verdict_entry(r.change)}
    return out
