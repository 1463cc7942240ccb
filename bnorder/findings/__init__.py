"""The contract between the records and the prose: every finding the book's chapters cite.

:func:`compute` reads the run records (``results/``), the predictions (``book/predictions.yml``)
and the original study's data (``book/reference/``) and returns one entry per finding, keyed by a
stable id; ``python -m bnorder findings`` writes them to ``book/findings.json`` (sorted keys,
floats rounded to :data:`DIGITS` decimals, no dates and no absolute paths, so the same records
always give the same bytes). The kinds of finding, and the module that computes each:

    factorial         (:mod:`.factorial`) a contrast of the 2x2 design per network (position,
                      activation, interaction, case3-vs-case1), paired by seed, from the network's
                      edition (:func:`bnorder.analysis.pooling.factorial_runs`): ``factorial-<arch>-<contrast>``; the position
                      at the best-validation epoch: ``factorial-<arch>-position-best-val``
    order             (:mod:`.order_effects`) relu-bn − bn-relu of one configuration, pooling every
                      record of that configuration wherever it was filed
                      (:func:`bnorder.analysis.pooling.pooled_runs`), for the
                      converged CNN and the MLP of ``why-bn-eval`` (:data:`HEADLINES`):
                      ``<arch>-order`` (running statistics), ``<arch>-order-precise``, and the
                      same for the training split's fit, the generalization gap and late-epoch
                      volatility (``<arch>-order-fit``, ``-gap``, ``-volatility``, ...); per
                      block the same measures' means and seed spread
                      (``<arch>-pooled-<measure>-<block>``); the converged CNN's one-knob arms
                      under their own id instead of ``<arch>`` (``cnn-momentum0.01-order``,
                      ``cnn-width32-pooled-running-cost-bn-relu``, ...); the converged CNN with the cosine
                      schedule: ``cnn-cosine-order``, ``-precise``, ``cnn-order-cosine-change``
    robustness        (:mod:`.factorial`) the factorial MLP with one knob changed (the one-knob variants
                      ``<base>-<variant>`` of :data:`bnorder.runs.profiles.VARIANTS`, the Robustness
                      chapter's :func:`bnorder.analysis.robustness.variant_table`): the position
                      effect within the variant, ``robustness-<variant>-position``, and its
                      change from the base's, variant minus base paired by seed with the
                      chapter's equivalence margin, ``robustness-<variant>-change``
    prediction        (:mod:`.predictions`) a prediction of ``book/predictions.yml`` judged,
                      under its own id
    primary           (:mod:`.primary`) a question of the registry's primary family, decided
                      with the family (:mod:`bnorder.analysis.confirmatory`): its unadjusted interval and
                      state, its p-values before and after Holm, its adjusted state
                      (``state_adjusted``) and its prediction's ``outcome``
    selection         (:mod:`.primary`) the tuned protocol's choice per network
                      (:mod:`bnorder.runs.tuning`): ``selection-<arch>``, every candidate's
                      validation score per order and the ``choice`` (null while pending)
    early, contrast   (:mod:`.predictions`) a contrast of the registry that is no prediction
                      (``contrasts`` in ``book/predictions.yml``): on the seeds a later
                      prediction's reasoning was read from (``early``, ``<what>-seeds-0-3``), or
                      one a chapter cites (``contrast``)
    original          (:mod:`.original`) the original study's differences (Welch, unpaired runs):
                      ``original-<exp>-<arch>-<a>-vs-<b>``, ``original-cnn-case1-exp2-vs-exp1``,
                      and Experiment 1's case1 deficit per score: ``original-exp1-cnn-deficit-<score>``;
                      Experiment 1's differences per score, ``original-exp1-cnn-<a>-vs-<b>-<score>``,
                      and its two tables of the CNN against each other (:func:`original_epoch_findings`)
    replication       (:mod:`.original`) the Replication chapter's rerun of the study's comparisons, paired by seed,
                      at the last and the best-validation epoch (``replication-<arch>-<a>-vs-<b>``,
                      ``…-best-val``), and each case's spread over seeds relative to case 1's, here
                      and in the study (``replication-<arch>-<case>-vs-case1-spread``,
                      ``original-<exp>-<arch>-<case>-vs-case1-spread``; :func:`replication_findings`)
    describe          (:mod:`.factorial`, :mod:`.order_effects`, :mod:`.original`) a mean over seeds
                      (or runs) with its 95% interval: late-epoch volatility
                      (``late-volatility-<arch>-<block>``), fit of the training split
                      (``train-fit-<arch>-<block>``), generalization gap
                      (``generalization-gap-<arch>-<block>``), the original's per-case late
                      volatility, best-minus-last shortfall, best and final accuracy
                      (``original-exp1-cnn-<case>-late-volatility``, ``…-shortfall``, ``…-best``,
                      ``…-final``), and a rerun of the same configuration and seed minus its
                      first run (``rerun-noise-<arch>``)

Every entry with a verdict has ``n``, ``mean``, ``low``, ``high`` (:func:`bnorder.analysis.stats.
mean_interval` for paired seeds, Welch for unpaired runs), ``margin``, ``state``
(:func:`bnorder.analysis.verdicts.interval_state`), ``direction``, ``agree``, ``seeds_needed`` (what would
decide it: :func:`bnorder.analysis.verdicts.seeds_to_decide`), and a prediction its ``expect`` and
``outcome``; every entry names what it was computed from in ``records`` (``{folder under the
results root: [seeds]}``, each record being ``<folder>/seed<k>.json``) or ``data``
(:mod:`.entries`).

**Claims.** A sentence of a chapter that asserts a finding's state names it with the role
``{claim}`<id>:<state>```, where the state is what :func:`claim_state` gives: ``positive`` or
``negative`` (a resolved difference and its sign), ``equivalent`` or ``unresolved``; for a
prediction its outcome, ``confirmed``, ``refuted`` or ``unresolved``. :func:`check` (``python -m
bnorder findings --check``, :mod:`.claims`) lists every claim the records no longer support.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import preregistration
from ..analysis.pooling import (  # noqa: F401  (the public names other modules read from findings)
    CNN_EDITIONS,
    edition_runs,
    factorial_complete_seeds,
    factorial_runs,
    loader,
    pooled_runs,
)
from ..runs.records import load_records
from .claims import BOOK, CLAIM, CLAIM_STATES, check, claims, parse_claim  # noqa: F401
from .entries import ORIGINAL_DATA, claim_state  # noqa: F401
from .factorial import factorial_findings, robustness_findings, robustness_id  # noqa: F401
from .order_effects import (  # noqa: F401
    HEADLINES,
    POOLED_BLOCKS,
    POOLED_MEASURES,
    SCHEDULES,
    headline_runs,
    last_epoch_train_gain,
    measure_reader,
    order_findings,
    rerun_findings,
    schedule_findings,
)
from .original import (  # noqa: F401
    ORIGINAL_DIFFERENCES,
    REPLICATION_BASE,
    original_epoch_findings,
    original_findings,
    replication_findings,
)
from .predictions import early_findings, prediction_findings  # noqa: F401
from .primary import primary_findings, selection_findings

ROOT = BOOK.parent
FINDINGS = BOOK / "findings.json"
DIGITS = 4
SCHEMA = 1


def compute(results="results", base: str = "factorial", predictions=None, original=None,
            book: str = REPLICATION_BASE) -> dict:
    """Every finding from the records under ``results``, the predictions and the original data;
    ``base`` is the factorial design's profile, ``book`` the Replication chapter's."""
    load = loader(results)
    every = load_records(results) if Path(results).is_dir() else pd.DataFrame()
    parts = [factorial_findings(results, base, load), order_findings(results, every),
             schedule_findings(results, every) if len(every) else {},
             robustness_findings(results, base, load),
             prediction_findings(results, predictions, load), early_findings(results, load),
             original_findings(original),
             rerun_findings(results, every), replication_findings(results, book, load, original),
             original_epoch_findings(original), primary_findings(results, load),
             selection_findings(results, every) if len(every) else {}]
    findings: dict[str, dict] = {}
    for part in parts:
        clash = set(findings) & set(part)
        if clash:
            raise ValueError(f"two findings share the id(s) {', '.join(sorted(clash))}")
        findings.update(part)
    for entry in findings.values():
        entry["claim"] = claim_state(entry)
    return findings


# ------------------------------------------------------------------ the file

def _clean(x):
    """JSON-ready and rounded: floats to :data:`DIGITS` decimals, NaN to null, inf to "inf"."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_clean(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return None
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        r = round(x, DIGITS)
        return 0.0 if r == 0 else r
    return x


_FLAT_LIST = re.compile(r"\[\s*([^\[\]{}]*?)\s*\]", re.S)


def dumps(findings: dict) -> str:
    """``book/findings.json``'s text: sorted keys, two-space indent, short lists on one line."""
    text = json.dumps({"schema": SCHEMA, "findings": _clean(findings)}, indent=2, sort_keys=True,
                      ensure_ascii=False)
    return _FLAT_LIST.sub(lambda m: "[" + ", ".join(s.strip() for s in m.group(1).split(",")) + "]"
                          if m.group(1).strip() else "[]", text) + "\n"


def write(results="results", out=FINDINGS, **kw) -> Path:
    out = Path(out)
    out.write_text(dumps(compute(results, **kw)), encoding="utf-8")
    return out


def read(path=FINDINGS) -> dict[str, dict]:
    """The findings as committed."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["findings"]


def main(results="results", out=FINDINGS, check_only: bool = False, book=BOOK, **kw) -> int:
    """``python -m bnorder findings``: write ``out``; with ``check_only``, write nothing and
    exit 1 when a claim is no longer supported or ``out`` is not what the records give."""
    text = dumps(compute(results, **kw))
    if not check_only:
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}")
        return 0
    problems = check(json.loads(text)["findings"], book) + preregistration.problems(results)
    for p in problems:
        print(p)
    # (the preregistration problems above: a primary question's record run before it was written,
    # outside its seeds or from uncommitted code, bnorder.analysis.preregistration)
    stale = not Path(out).exists() or Path(out).read_text(encoding="utf-8") != text
    if stale:
        print(f"{out} is not what the records give: run python -m bnorder findings and commit it")
    n = len(claims(book))
    print(f"{len(problems)} of {n} claims no longer hold" if problems else f"all {n} claims hold")
    return 1 if problems or stale else 0
