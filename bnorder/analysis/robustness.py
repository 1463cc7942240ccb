"""The factorial MLP with one knob changed at a time, against its base.

Each one-knob variant ``<base>-<name>`` (:data:`bnorder.runs.profiles.VARIANTS`) is judged twice with
:func:`bnorder.analysis.verdicts.verdict`: its own position effect (BatchNorm after − before the
activation, per seed), and the change of that effect from the base's, paired by seed (a variant
starts each seed from the base's initial weights where the network is the same).

    variant_table      both verdicts per variant: the findings ``robustness-<variant>-position``
                       and ``-change`` (:func:`bnorder.findings.robustness_findings`) and the
                       Robustness chapter's figure
    robustness_table   per variant the ranking of the four cells and whether it agrees with the
                       base's (:func:`ranking`, :func:`ranking_agreement`)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..runs import registry
from ..runs.profiles import VARIANTS
from ..runs.records import completed
from . import stats, verdicts
from .contrasts import ACTIVATION, FACTORIAL_CELLS, POSITION, by_seed, factorial_contrasts
from .pooling import loader

ARCH = "mlp"
VALUE = "final_test_acc"
# The equivalence margin for a change of the position effect (points): the registry's one
# margin (book/predictions.yml), which every equivalence the book reads from 2026-12-07 on uses.
MARGIN = registry.margin()


def entries(base: str) -> list[tuple[str, str, str]]:
    """``(variant, profile, what changes)``: the base first, then every one-knob variant."""
    return [("(base)", base, "nothing: the base profile")] + [
        (name, f"{base}-{name}", what) for name, (_, what) in VARIANTS.items()]


def contrast_values(runs: pd.DataFrame, contrast: str = POSITION) -> pd.Series:
    """Per seed with all four cells of the MLP: the ``contrast`` (default: the position effect)."""
    if not len(runs):
        return pd.Series(dtype=float)
    c = factorial_contrasts(runs[runs["arch"] == ARCH], VALUE)
    return c[c["contrast"] == contrast].set_index("seed")["value"]


def _row(name: str, profile: str, what: str, runs: pd.DataFrame, base_position: pd.Series) -> dict:
    ok = completed(runs)
    ok = ok[ok["arch"] == ARCH] if len(ok) else ok
    position = contrast_values(ok)
    n = len(position)
    status = "not run" if not len(ok) else "incomplete" if n < 2 else "ok"
    change = pd.Series(dtype=float)
    if status == "ok" and name != "(base)":
        pos, ref = position.align(base_position, join="inner")
        change = (pos - ref).dropna()
    return {"variant": name, "profile": profile, "what": what, "records": len(runs), "status": status,
            "n": n, "seeds": [int(s) for s in position.index], "values": position.tolist(),
            "position": verdicts.verdict(position.to_numpy()),
            "activation": verdicts.verdict(contrast_values(ok, ACTIVATION).to_numpy()),
            "change": verdicts.verdict(change.tolist(), margin=MARGIN),
            "change_seeds": [int(s) for s in change.index], "change_values": change.tolist()}


def variant_table(results, base: str) -> pd.DataFrame:
    """One row per variant (the base first): its profile, what it changes, its records, status
    (``ok``, ``incomplete``: fewer than two seeds with all four cells, ``not run``), paired seeds
    ``n`` and their ``seeds``, the per-seed position effects ``values`` and the verdicts
    ``position``, ``activation`` and ``change`` (of the position effect from the base's, paired by
    seed, with the equivalence margin :data:`MARGIN`) with its ``change_seeds`` (the seeds the
    variant shares with the base) and per-seed ``change_values``."""
    load = loader(results)
    base_position = contrast_values(completed(load(base)))
    return pd.DataFrame([_row(name, profile, what, load(profile), base_position)
                         for name, profile, what in entries(base)])


# ------------------------------------------------------------------ the ranking of the cells

def ranking(ok: pd.DataFrame, value: str, arch: str) -> list[str]:
    """The 2x2 cells of ``arch`` from the highest to the lowest mean ``value``."""
    sub = ok[(ok["arch"] == arch) & ok["block"].isin(FACTORIAL_CELLS)]
    return list(sub.groupby("block")[value].mean().sort_values(ascending=False).index)


def ranking_agreement(base: list[str], other: list[str]) -> dict:
    """Does ``other`` rank the cells as ``base`` does? ``same`` (identical order),
    ``top_same`` (same best cell) and Kendall's ``tau`` over the common cells."""
    from scipy import stats as sps

    common = [c for c in base if c in other]
    if len(common) < 2:
        return {"same": False, "top_same": False, "tau": np.nan}
    tau = sps.kendalltau([base.index(c) for c in common], [other.index(c) for c in common]).statistic
    return {"same": base == other, "top_same": base[0] == other[0], "tau": float(tau)}


def pairwise_signs(ok: pd.DataFrame, value: str, arch: str) -> dict:
    """For every pair of 2x2 cells (a, b): +1/-1 when a - b is resolved (95% CI), else 0."""
    wide = by_seed(ok, value, arch)
    out = {}
    for i, a in enumerate(FACTORIAL_CELLS):
        for b in FACTORIAL_CELLS[i + 1:]:
            if a in wide and b in wide:
                d = stats.paired_difference(wide[a], wide[b])
                out[(a, b)] = verdicts.interval_sign(d["ci_low"], d["ci_high"])
    return out


def _pool_problem(ok: pd.DataFrame) -> str | None:
    """Why the records must not be pooled (:func:`bnorder.runs.records.check_poolable`), or None."""
    from ..runs.records import check_poolable

    try:
        check_poolable(ok) if len(ok) else None
    except ValueError as e:
        return str(e)
    return None


def _effects(ok: pd.DataFrame, value: str) -> dict[str, dict]:
    """The position and activation effects of ``ok`` with their intervals
    (:func:`bnorder.analysis.stats.paired_difference` of the per-seed contrasts against zero)."""
    contrasts = factorial_contrasts(ok, value)
    out = {}
    for name, g in contrasts.groupby("contrast", sort=False):
        out[name] = stats.paired_difference(g["value"].to_numpy(), np.zeros(len(g)))
    return out


def robustness_table(results, base: str, value: str = VALUE, arch: str = ARCH) -> pd.DataFrame:
    """One row for the base profile's ``arch`` and one per one-knob variant ``<base>-<name>``.

    Columns: ``variant``, ``profile``, ``change``, ``status`` ('ok', 'not run', or 'incomplete'
    when fewer than two seeds have all four cells), ``runs`` (records), ``n`` (seeds with all four
    cells), ``pool_problem``; for the position and activation effects
    ``<effect>_mean``, ``<effect>_lo``, ``<effect>_hi``; ``position_change_*`` (variant minus base
    position effect, paired by seed); ``ranking`` of the four cells (best first), ``same``
    (identical ranking), ``top_same``, ``tau`` (Kendall, against the base) and ``reversed`` (pairs
    of cells whose order is resolved in both and opposite)."""
    load = loader(results)

    def runs_of(profile):
        runs = load(profile)
        ok = completed(runs)
        return runs, ok, (ok[ok["arch"] == arch] if len(ok) else ok)

    base_runs, base_all, base_ok = runs_of(base)
    base_contrasts = factorial_contrasts(base_ok, value) if len(base_ok) else pd.DataFrame()
    base_rank = ranking(base_ok, value, arch) if len(base_ok) else []
    base_signs = pairwise_signs(base_ok, value, arch) if len(base_ok) else {}
    entries_ = [("(base)", base, "none: the base profile", base_runs, base_all, base_ok)]
    for name, (_, change) in VARIANTS.items():
        entries_.append((name, f"{base}-{name}", change, *runs_of(f"{base}-{name}")))
    rows = []
    for name, profile, change, runs, every_ok, ok in entries_:
        row = {"variant": name, "profile": profile, "change": change, "runs": len(runs),
               "pool_problem": _pool_problem(every_ok), "n": 0}
        if not len(ok):
            rows.append({**row, "status": "not run"})
            continue
        eff = _effects(ok, value)
        n = max((d["n"] for d in eff.values()), default=0)
        if n < 2:   # no interval without two complete seeds
            rows.append({**row, "status": "incomplete", "n": int(n)})
            continue
        row["status"], row["n"] = "ok", int(eff[POSITION]["n"])
        for key, c in (("position", POSITION), ("activation", ACTIVATION)):
            row.update({f"{key}_mean": eff[c]["mean_diff"], f"{key}_lo": eff[c]["ci_low"],
                        f"{key}_hi": eff[c]["ci_high"]})
        rank = ranking(ok, value, arch)
        row["ranking"] = rank
        if name != "(base)" and base_rank:
            row.update(ranking_agreement(base_rank, rank))
            cv = factorial_contrasts(ok, value)
            pos_v = cv[cv["contrast"] == POSITION].set_index("seed")["value"]
            pos_b = base_contrasts[base_contrasts["contrast"] == POSITION].set_index("seed")["value"]
            dd = stats.paired_difference(pos_v, pos_b)
            row.update({"position_change_n": dd["n"], "position_change_mean": dd["mean_diff"],
                        "position_change_lo": dd["ci_low"], "position_change_hi": dd["ci_high"]})
            signs = pairwise_signs(ok, value, arch)
            row["reversed"] = [f"{a} vs {b}" for (a, b), s in signs.items()
                               if s and base_signs.get((a, b), 0) == -s]
        rows.append(row)
    return pd.DataFrame(rows)
