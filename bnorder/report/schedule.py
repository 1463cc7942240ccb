"""A worse optimum or volatility? The converged CNN's order effect at a constant learning rate
and with the cosine schedule, on the same seeds.

At a constant learning rate Adam keeps moving the weights until the last step, so the final
epoch's accuracy carries epoch-to-epoch noise; the cosine schedule takes the step size to zero,
and that noise with it. An order effect that stays under the cosine schedule is one of where the
training ends (a worse optimum); one that goes with the volatility was made of it.
"""

from __future__ import annotations

import pandas as pd

from .. import interventions, verdicts
from .deficit import READINGS
from ..findings import loader

# Schedule -> profile of the converged CNN trained with it (same network, data, epochs, seeds).
SCHEDULES = {"constant": "cnn-converged", "cosine": "cnn-converged-cosine"}
VOLATILITY = {"running statistics": "late_volatility", "precise statistics": "late_volatility_precise"}


def common_seeds(results, blocks=("bn-relu", "relu-bn")) -> list[int]:
    """The seeds for which every schedule has a completed run of every block in ``blocks``."""
    seeds = None
    for profile in SCHEDULES.values():
        runs = loader(results)(profile)
        for block in blocks:
            have = set(interventions.arm_values(runs, {"block": block}, "final_test_acc", "cnn").dropna().index)
            seeds = have if seeds is None else seeds & have
    return sorted(seeds or [])


def _spec(profile: str, metric: str, seeds: list[int], arm: str, base: str) -> dict:
    """``arm`` − ``base`` within one profile on the given seeds, as :mod:`bnorder.interventions` reads it."""
    return {"id": f"{profile}-{arm}-{base}", "arch": "cnn", "metric": metric, "seeds": seeds,
            "arm": {"profile": profile, "block": arm}, "base": {"profile": profile, "block": base}}


def schedule_table(results, arm: str = "relu-bn", base: str = "bn-relu") -> pd.DataFrame:
    """Per schedule and BatchNorm reading, on the seeds both schedules share: ``arm`` − ``base``
    final test accuracy (mean, 95% interval, verdict) and each order's late-epoch volatility
    (points per epoch, mean over the seeds)."""
    seeds = common_seeds(results, (arm, base))
    if len(seeds) < 2:
        return pd.DataFrame()
    load = loader(results)
    rows = []
    for schedule, profile in SCHEDULES.items():
        runs = load(profile)
        for reading, volatility in VOLATILITY.items():
            v = interventions.contrast(_spec(profile, READINGS[reading], seeds, arm, base), load)
            row = {"schedule": schedule, "reading": reading, "seeds": v.n,
                   f"{arm} − {base}": round(v.mean, 2), "low": round(v.low, 2), "high": round(v.high, 2),
                   "verdict": v.state}
            for block in (base, arm):
                vol = interventions.arm_values(runs, {"block": block}, volatility, "cnn")
                row[f"{block} volatility"] = round(vol[vol.index.isin(seeds)].mean(), 2)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["schedule", "reading"])


def schedule_change(results, reading: str = "running statistics", arm: str = "relu-bn",
                    base: str = "bn-relu"):
    """The order effect with the cosine schedule minus at a constant learning rate, paired by
    seed (:class:`bnorder.verdicts.Verdict`): negative when the schedule shrinks a positive
    effect."""
    seeds = common_seeds(results, (arm, base))
    load = loader(results)
    metric = READINGS[reading]
    arm_cos, base_cos, _ = interventions.paired(_spec(SCHEDULES["cosine"], metric, seeds, arm, base), load)
    arm_con, base_con, _ = interventions.paired(_spec(SCHEDULES["constant"], metric, seeds, arm, base), load)
    diffs = ((arm_cos - base_cos) - (arm_con - base_con)).reindex(seeds).dropna().to_numpy()
    return verdicts.verdict(diffs)


def schedule_sentence(results, arm: str = "relu-bn", base: str = "bn-relu") -> str:
    """Markdown: how the order effect read with running statistics moves from the constant
    learning rate to the cosine schedule, on the seeds both share."""
    seeds = common_seeds(results, (arm, base))
    if len(seeds) < 2:
        return ("The cosine arm has fewer than two seeds with both orders in both schedules; "
                "the comparison waits for them.")
    v = schedule_change(results, "running statistics", arm, base)
    words = verdicts.describe(v, "the effect is larger with the cosine schedule",
                              "the effect is smaller with the cosine schedule")
    text = (f"On the {len(seeds)} seeds with both orders under both schedules (seeds "
            f"{', '.join(map(str, seeds))}), `{arm}` − `{base}` read with running statistics, "
            f"cosine schedule − constant learning rate: {words}.")
    table = schedule_table(results, arm, base)
    resolved = table[table["verdict"] == "resolved"]
    if not len(resolved):
        return text + " No cell of the table resolves the order."
    cells = "; ".join(f"{schedule} schedule with {reading}, {r[f'{arm} − {base}']:+.2f} points "
                      f"({r['low']:+.2f} to {r['high']:+.2f})"
                      for (schedule, reading), r in resolved.iterrows())
    return (text + f" The table resolves the order in: {cells}. No prediction was written for "
            f"these cells before their runs, so each is a lead for one, not a result.")
