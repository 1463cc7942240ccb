"""The primary family decided: every primary question of the registry read on its own fresh
seeds, tested, and corrected together for their number (Holm).

Three tests, one per kind of question (``test`` in ``book/predictions.yml``):

    paired        relu-bn − bn-relu paired by seed: its mean and 95% t interval, the p-value of
                  no difference (one-sample t), and the p-value of an effect at least the margin
                  (two one-sided t tests at half the level each: below 0.05 exactly when the 95%
                  interval lies inside ±margin)
    spread-ratio  the ratio of the two orders' standard deviations over seeds (arm over base),
                  for paired samples: Pitman–Morgan's test (the correlation of sums and
                  differences) and its 95% interval of the ratio; no margin
    interaction   one paired question's mean difference minus another's (different networks, so
                  unpaired): Welch's interval and test, and the same two one-sided tests

Holm (``statsmodels.stats.multitest``) adjusts the family's p-values of no difference together,
and separately the p-values of the equivalence questions (those with the margin). The adjusted
state: ``resolved`` when the adjusted p of no difference is below 0.05, else ``equivalent`` when
the adjusted p of the equivalence test is, else ``unresolved``; the unadjusted state is
:func:`bnorder.analysis.verdicts.interval_state` of the 95% interval. The outcome of the question's
prediction follows the adjusted state.

A pair is read only when both records come from one machine and one code path (their device,
vector instructions and compile flag agree); a seed outside the question's reservation is never
read (:func:`bnorder.analysis.preregistration.problems` fails the check for one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sp_stats
from statsmodels.stats.multitest import multipletests

from ..runs import registry
from . import stats, verdicts
from .predictions import METRICS, arm_runs, pooled

ALPHA = 0.05
SAME_MACHINE = ("prov_device_name", "prov_cpu_capability", "compile")


def _side(load, spec: dict, metric: str, seeds) -> pd.DataFrame:
    runs = arm_runs(pooled(load, spec["profile"]), spec)
    if not len(runs):
        return pd.DataFrame(columns=["seed", "value", "path", *SAME_MACHINE])
    runs = runs[runs["seed"].isin(seeds)] if seeds is not None else runs
    out = runs.assign(value=[METRICS[metric](row) for _, row in runs.iterrows()])
    for col in SAME_MACHINE:
        if col not in out:
            out[col] = None
    return out.set_index(out["seed"].astype(int)).sort_index()


def pairs(question: dict, load) -> tuple[pd.DataFrame, list[int]]:
    """The question's pairs, one row per seed (``arm``, ``base``, their record paths), read
    only on its reserved seeds and only where both runs share a machine and code path; and the
    seeds dropped for a machine mismatch."""
    arm = _side(load, question["arm"], question["metric"], question["seeds"])
    base = _side(load, question["base"], question["metric"], question["seeds"])
    seeds = sorted(set(arm.index) & set(base.index))
    same = [s for s in seeds if all(str(arm.at[s, c]) == str(base.at[s, c]) for c in SAME_MACHINE)]
    frame = pd.DataFrame({"arm": arm.loc[same, "value"], "base": base.loc[same, "value"],
                          "arm_path": arm.loc[same, "path"], "base_path": base.loc[same, "path"]})
    frame = frame[np.isfinite(frame["arm"].astype(float)) & np.isfinite(frame["base"].astype(float))]
    return frame, [s for s in seeds if s not in same]


def paired_test(d, margin: float | None) -> dict:
    """Mean of the paired differences ``d``, its 95% t interval, the p-value of no difference
    and the equivalence p-value against ±``margin``."""
    d = np.asarray(d, dtype=float)
    v = verdicts.verdict(d, margin)
    if v.n < 2 or not np.isfinite(v.low):
        return {"verdict": v, "p": np.nan, "p_equiv": np.nan}
    p = float(sp_stats.ttest_1samp(d, 0.0).pvalue)
    return {"verdict": v, "p": p, "p_equiv": equivalence_p(d - margin, d + margin) if margin else np.nan}


def equivalence_p(below, above, welch_with=None) -> float:
    """Two one-sided tests: ``below`` (values minus the margin) has mean < 0 and ``above``
    (values plus the margin) mean > 0; the larger one-sided p, doubled (at 0.05 exactly when the
    95% interval lies inside the margin)."""
    if welch_with is None:
        p_low = sp_stats.ttest_1samp(below, 0.0, alternative="less").pvalue
        p_high = sp_stats.ttest_1samp(above, 0.0, alternative="greater").pvalue
    else:
        p_low = sp_stats.ttest_ind(below, welch_with, equal_var=False, alternative="less").pvalue
        p_high = sp_stats.ttest_ind(above, welch_with, equal_var=False, alternative="greater").pvalue
    return float(min(1.0, 2 * max(p_low, p_high)))


def pitman_morgan(arm, base) -> dict:
    """Ratio of standard deviations sd(arm) / sd(base) of paired samples, its 95% interval and
    the p-value of equal spreads (:func:`bnorder.analysis.stats.spread_ratio`, Pitman–Morgan), over ``n``
    pairs."""
    out = stats.spread_ratio(arm, base, paired=True)
    return {**out, "n": int(pd.DataFrame({"a": list(arm), "b": list(base)}).dropna().shape[0])}


def read(question: dict, load, read_questions: dict | None = None) -> dict:
    """One primary question on its records, before any correction: ``n``, ``mean`` (the ratio
    for a spread ratio), ``low``, ``high``, ``p``, ``p_equiv``, the unadjusted ``state``, and the
    seeds and records it read."""
    margin = question.get("margin")
    if question["test"] == "interaction":
        first, second = (read_questions[i] for i in question["of"])
        a, b = np.asarray(first["differences"]), np.asarray(second["differences"])
        v = verdicts.unpaired_verdict(a, b, margin) if a.size > 1 and b.size > 1 else \
            verdicts.Verdict(0, np.nan, np.nan, np.nan, "unresolved", 0, 0, np.nan, margin)
        ok = np.isfinite(v.low)
        return {**_entry(v), "p": float(sp_stats.ttest_ind(a, b, equal_var=False).pvalue) if ok else np.nan,
                "p_equiv": equivalence_p(a - margin, a + margin, welch_with=b) if ok else np.nan,
                "seeds": sorted(set(first["seeds"]) | set(second["seeds"])), "excluded": [],
                "differences": [], "paths": first["paths"] + second["paths"]}
    frame, excluded = pairs(question, load)
    seeds, paths = [int(s) for s in frame.index], [*frame["arm_path"], *frame["base_path"]]
    if question["test"] == "spread-ratio":
        pm = pitman_morgan(frame["arm"], frame["base"])
        state = "resolved" if np.isfinite(pm["low"]) and (pm["low"] > 1 or pm["high"] < 1) else "unresolved"
        direction = int(np.sign(np.log(pm["ratio"]))) if np.isfinite(pm["ratio"]) else 0
        return {"n": pm["n"], "mean": pm["ratio"], "low": pm["low"], "high": pm["high"], "margin": None,
                "state": state, "direction": direction, "agree": None, "seeds_needed": np.nan,
                "seeds_needed_for": "sign", "p": pm["p"], "p_equiv": np.nan, "seeds": seeds,
                "excluded": excluded, "differences": [], "paths": paths}
    d = (frame["arm"] - frame["base"]).astype(float).to_numpy()
    t = paired_test(d, margin)
    return {**_entry(t["verdict"]), "p": t["p"], "p_equiv": t["p_equiv"], "seeds": seeds,
            "excluded": excluded, "differences": d.tolist(), "paths": paths}


def _entry(v: verdicts.Verdict) -> dict:
    needed, within = verdicts.seeds_to_decide(v)
    return {"n": v.n, "mean": v.mean, "low": v.low, "high": v.high, "margin": v.margin,
            "state": v.state, "direction": v.direction, "agree": v.agree, "seeds_needed": needed,
            "seeds_needed_for": "margin" if within else "sign"}


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values (NaN stays NaN and takes no part)."""
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], alpha=ALPHA, method="holm")[1]
    return out


def adjusted_state(p_holm: float, p_equiv_holm: float) -> str:
    if np.isfinite(p_holm) and p_holm < ALPHA:
        return "resolved"
    if np.isfinite(p_equiv_holm) and p_equiv_holm < ALPHA:
        return "equivalent"
    return "unresolved"


def outcome(entry: dict, expect: str) -> str:
    """The prediction's outcome on the adjusted state: confirmed, refuted or unresolved (also
    while the question is pending). A spread ratio's direction is that of its logarithm (below
    1: ``negative``)."""
    state, direction = entry["state_adjusted"], entry["direction"]
    if expect in ("negative", "positive"):
        side = 1 if expect == "positive" else -1
        if state == "resolved":
            return "confirmed" if direction == side else "refuted"
        return "unresolved"
    if state == "equivalent":
        return "confirmed"
    margin = entry.get("margin")
    outside = margin is not None and (entry["low"] >= margin or entry["high"] <= -margin)
    return "refuted" if state == "resolved" and outside else "unresolved"


def complete(question: dict, entry: dict, done: dict[str, dict]) -> bool:
    """Whether every seed the question reserves has been read or set aside (a pair from two
    machines); an interaction, when both questions it reads are complete."""
    if question["test"] == "interaction":
        return all(done[i].get("complete", False) for i in question["of"])
    return entry["n"] + len(entry["excluded"]) >= len(question["seeds"] or [])


def decide(load, questions: list[dict] | None = None) -> dict[str, dict]:
    """Every primary question read (:func:`read`), its p-values adjusted over the family
    (:func:`holm`), its adjusted state and its prediction's outcome.

    A question is decided only once its reserved seeds have all landed (:func:`complete`); before
    that its adjusted state is ``pending`` and it enters Holm's correction with a p-value of 1, so
    that a question decided while others are still running keeps its verdict when they land (a
    later p-value can only loosen the threshold of one already rejected). The interim estimate,
    interval and unadjusted p are shown for a pending question, never a verdict."""
    questions = registry.primary() if questions is None else questions
    done: dict[str, dict] = {}
    for q in sorted(questions, key=lambda q: q["test"] == "interaction"):   # interactions read others
        done[q["id"]] = read(q, load, done)
        done[q["id"]]["complete"] = complete(q, done[q["id"]], done)
    ids = [q["id"] for q in questions]
    decided = lambda key: [done[i][key] if done[i]["complete"] and np.isfinite(done[i][key])  # noqa: E731
                           else (np.nan if key == "p_equiv" and done[i]["margin"] is None else 1.0)
                           for i in ids]
    p_holm, p_equiv_holm = holm(decided("p")), holm(decided("p_equiv"))
    out = {}
    for q, ph, peh in zip(questions, p_holm, p_equiv_holm):
        entry = {**done[q["id"]], "p_holm": ph, "p_equiv_holm": peh, "family_size": len(ids)}
        entry["state_adjusted"] = adjusted_state(ph, peh) if entry["complete"] else "pending"
        entry["outcome"] = outcome(entry, q["expect"])
        out[q["id"]] = entry
    return out


def seeds_planned(question: dict) -> int:
    """Seeds the registry reserved for a paired question (for an interaction: the smaller of the
    two it reads)."""
    if question["test"] == "interaction":
        return min(len(q["seeds"]) for q in registry.primary() if q["id"] in question["of"])
    return len(question["seeds"] or [])

