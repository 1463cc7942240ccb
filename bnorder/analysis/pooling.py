"""Which runs a finding reads.

    loader            a profile's records under a results root, each profile read once
    edition_runs      a chapter's runs: every network from its profile, the CNN from its
                      strongest edition with two complete seeds (:data:`CNN_EDITIONS`)
    factorial_runs    the factorial design's edition
    pooled_runs       every completed run of one configuration, wherever it was filed
                      (:func:`bnorder.runs.records.configuration_key`)
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from ..runs.profiles import CNN_CONVERGED_PROFILE
from ..runs.records import completed, configuration_key, load_records
from .contrasts import factorial_contrasts

# The CNN's editions, strongest first: (profile, its name in the text); None is the base profile.
CNN_EDITIONS = [("factorial-gpu", "the full-size CNN"), (CNN_CONVERGED_PROFILE, "the converged CPU CNN"),
                (None, "the CNN of the base profile")]


@lru_cache(maxsize=None)
def _load(results: str, profile: str) -> pd.DataFrame:
    folder = Path(results) / profile
    return load_records(results, profile) if folder.is_dir() else pd.DataFrame()


def loader(results):
    """``load(profile)``: that profile's records under ``results`` (each read once)."""
    return lambda profile: _load(str(results), profile)


def edition_runs(load, base: str, pick, complete_seeds) -> tuple[pd.DataFrame, dict[str, str]]:
    """The runs a chapter analyses and, per network, the profile they come from: every network
    but the CNN from ``base``; the CNN from the first of :data:`CNN_EDITIONS` with at least two
    complete seeds (``complete_seeds(cnn_runs)``), else from ``base`` whatever its seeds.
    ``load(profile)`` returns a profile's records, ``pick(records)`` the runs a chapter uses."""
    own = pick(load(base))
    parts = [own[own["arch"] != "cnn"]] if len(own) else []
    editions = {a: base for a in (own["arch"].unique() if len(own) else []) if a != "cnn"}
    for profile, _ in CNN_EDITIONS:
        runs = own if profile is None else pick(load(profile))
        cnn = runs[runs["arch"] == "cnn"] if len(runs) else runs
        if complete_seeds(cnn) >= 2 or (profile is None and len(cnn)):
            parts.append(cnn)
            editions["cnn"] = profile or base
            break
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()), editions


def factorial_complete_seeds(runs: pd.DataFrame) -> int:
    """Seeds with all four cells of the 2x2 design completed."""
    return factorial_contrasts(runs, "final_test_acc")["seed"].nunique() if len(runs) else 0


def factorial_runs(results, base: str = "factorial", load=None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The completed runs of the factorial design and, per network, the profile they come from."""
    return edition_runs(load or loader(results), base, completed, factorial_complete_seeds)


def primary_profiles() -> set[str]:
    """The profiles whose seeds the primary family reserves (``book/predictions.yml``)."""
    from ..runs import registry

    return {q[side]["profile"] for q in registry.primary() for side in ("arm", "base") if side in q}


def pooled_runs(every: pd.DataFrame, profile: str, arch: str, block: str) -> pd.DataFrame:
    """Every completed run, wherever it was filed, of the configuration that ``profile`` trains
    for ``arch`` and ``block``: one per seed (the first by path when a seed was filed twice),
    indexed by seed. Empty when the profile has no such run; an error when the profile's runs
    of that block are not one configuration. The primary family's profiles are left out: their
    fresh seeds answer the confirmatory questions, not the exploratory ones. (A prediction reads
    only the profiles it names,
    :func:`bnorder.analysis.predictions.pooled`, which says why the two rules stay apart.)"""
    from ..runs.config import RunConfig

    ok = completed(every)
    if len(ok):   # the primary family's fresh seeds stay its own (bnorder.analysis.confirmatory)
        ok = ok[~ok["profile"].isin(primary_profiles() - {profile})]
    if not len(ok):
        return ok
    knobs = list(RunConfig().as_dict())
    keys = pd.Series([configuration_key({k: r[k] for k in knobs if k in r}) for _, r in ok.iterrows()],
                     index=ok.index)
    own = (ok["profile"] == profile) & (ok["arch"] == arch) & (ok["block"] == block)
    wanted = set(keys[own])
    if len(wanted) > 1:
        raise ValueError(f"profile {profile} trains {arch} {block} in {len(wanted)} configurations")
    chosen = ok[keys.isin(wanted)].sort_values(["seed", "path"])
    return chosen.drop_duplicates("seed").set_index(chosen.drop_duplicates("seed")["seed"].astype(int))
