"""The original study's comparisons rerun, paired by seed: which runs (the three cases of the book
profile, the CNN from its strongest edition), the per-seed differences behind each claim, and
each case's spread over seeds relative to case 1's, here and in the study. The findings
``replication-*`` and ``original-*-spread`` (:func:`bnorder.findings.replication_findings`) and
the Replication chapter (:mod:`bnorder.report.replication`) read them.
"""

from __future__ import annotations

import pandas as pd

from ..orders import ALIASES
from ..runs.profiles import ORIGINAL_CASES
from ..runs.records import completed
from . import original_study
from . import stats
from .contrasts import by_seed
from .pooling import edition_runs, loader

CASES = ORIGINAL_CASES                                   # bn-relu, relu-bn, lrelu-bn
CASE = {"bn-relu": "case 1", "relu-bn": "case 2", "lrelu-bn": "case 3"}
ARCHS = ["cnn", "seed-mlp", "mlp"]                       # the chapter's order of networks
# The comparisons the study's claims rest on, as (block, reference): block − reference.
COMPARISONS = [("relu-bn", "bn-relu"), ("lrelu-bn", "relu-bn"), ("lrelu-bn", "bn-relu")]
HARDLY = 0.5   # points: our reading of the study's "the order hardly matters" (in the MLPs)
VALUES = {"final_test_acc": "final epoch", "best_val_epoch_test_acc": "best-validation epoch"}
ORIGINAL_ARCH = {ours: theirs for theirs, ours in original_study.ARCH_NAMES.items()}   # seed-mlp: mlp


def original_runs(original=None) -> pd.DataFrame:
    """The study's runs (:func:`bnorder.analysis.original_study.load_original_runs`), or ``original``, a frame
    with the same columns, named as that function names them (``block``, ``our_arch``)."""
    if original is None:
        return original_study.load_original_runs()
    return original.assign(block=original["case"].map(ALIASES),
                           our_arch=original["arch"].map(original_study.ARCH_NAMES))


def case_id(block: str) -> str:
    """``"case2"``: a block as the study's case, as finding ids spell it."""
    return CASE[block].replace(" ", "")


def finding_id(arch: str, block: str, ref: str, source: str, value: str = "final_test_acc") -> str:
    """The finding of ``block − ref`` in one network: the study's final epoch (``source``
    ``exp1``/``exp2``: ``original-<exp>-<its arch>-<a>-vs-<b>``) or the rerun's (``here``:
    ``replication-<arch>-<a>-vs-<b>``, with ``-best-val`` at the best-validation epoch)."""
    pair = f"{case_id(block)}-vs-{case_id(ref)}"
    if source == "here":
        return f"replication-{arch}-{pair}" + ("-best-val" if value == "best_val_epoch_test_acc" else "")
    return f"original-{source}-{ORIGINAL_ARCH[arch]}-{pair}"


def spread_id(arch: str, block: str, source: str) -> str:
    """The finding of ``block``'s spread over seeds (runs) relative to case 1's."""
    pair = f"{case_id(block)}-vs-case1-spread"
    return f"replication-{arch}-{pair}" if source == "here" else f"original-{source}-{ORIGINAL_ARCH[arch]}-{pair}"


def margin_for(arch: str) -> float | None:
    """The equivalence margin of a comparison: the MLPs carry the claim that the order hardly
    matters; the CNN's claims are directional."""
    return HARDLY if arch in ("seed-mlp", "mlp") else None


# ------------------------------------------------------------------ which runs

def cases(runs: pd.DataFrame) -> pd.DataFrame:
    """The completed runs of the study's three cases (other blocks of a profile left out)."""
    runs = completed(runs)
    return runs[runs["block"].isin(CASES)] if len(runs) else runs


def complete_seeds(runs: pd.DataFrame) -> int:
    """How many seeds of ``runs`` (one network) completed all three cases."""
    if not len(runs):
        return 0
    per_seed = cases(runs).groupby("seed")["block"].nunique()
    return int((per_seed == len(CASES)).sum())


def replication_runs(results, base: str, load=None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The completed runs of the three cases the chapter analyses and, per network, the profile
    they come from. The seed-mlp and mlp come from ``base``; the CNN from the first edition of
    :data:`~bnorder.analysis.pooling.CNN_EDITIONS` with two or more complete seeds, else from
    ``base`` whatever its seeds. ``load(profile)`` (default: the records under ``results``)
    returns a profile's records."""
    return edition_runs(load or loader(results), base, cases, complete_seeds)


def paired(runs: pd.DataFrame, arch: str, block: str, ref: str, value: str = "final_test_acc"):
    """Per-seed differences ``block − ref`` of one network (seeds with both), or None."""
    wide = by_seed(runs, value, arch) if len(runs) else pd.DataFrame()
    if block not in wide or ref not in wide:
        return None
    return (wide[block] - wide[ref]).dropna()


def sd_ratio(a, b, paired_runs: bool) -> tuple[float, float, float]:
    """sd(a) / sd(b) and its 95% interval (:func:`bnorder.analysis.stats.spread_ratio`)."""
    r = stats.spread_ratio(a, b, paired_runs)
    return r["ratio"], r["low"], r["high"]


def spread_rows(runs: pd.DataFrame, original=None) -> pd.DataFrame:
    """Per network, case 2 and 3 and source: the ratio of its spread over runs to case 1's,
    with its 95% interval (runs paired by seed here, unpaired in the study), over ``n`` seeds
    (``seeds``) or runs per case."""
    final = original_study.original_final(original_runs(original))
    rows = []
    for arch in ARCHS:
        for block in CASES[1:]:
            wide = by_seed(runs, "final_test_acc", arch) if len(runs) else pd.DataFrame()
            if {block, "bn-relu"} <= set(wide.columns):
                both = wide[[block, "bn-relu"]].dropna()
                ratio = sd_ratio(both[block], both["bn-relu"], True)
                rows.append({"arch": arch, "block": block, "source": "here", "n": len(both),
                             "seeds": [int(s) for s in both.index],
                             **dict(zip(("ratio", "low", "high"), ratio))})
            for exp, g in final[final["our_arch"] == arch].groupby("experiment"):
                a, b = g.loc[g["block"] == block, "test_acc"], g.loc[g["block"] == "bn-relu", "test_acc"]
                rows.append({"arch": arch, "block": block, "source": exp, "n": min(len(a), len(b)),
                             "seeds": [], **dict(zip(("ratio", "low", "high"), sd_ratio(a, b, False)))})
    return pd.DataFrame(rows, columns=["arch", "block", "source", "n", "seeds", "ratio", "low", "high"])
