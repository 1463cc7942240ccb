"""The shape of one finding: what a verdict, a mean with its interval and the records it was
computed from look like in ``book/findings.json``, and the state a claim may assert of it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis import stats, verdicts

ORIGINAL_DATA = "book/reference/original-study-runs.csv"


def records_of(rows: pd.DataFrame, results) -> dict[str, list[int]]:
    """``{folder relative to the results root: [seeds]}`` of ``rows`` (records)."""
    root = Path(results).resolve()
    out: dict[str, list[int]] = {}
    for path, seed in zip(rows["path"], rows["seed"]):
        folder = Path(path).resolve().parent
        name = folder.relative_to(root).as_posix() if folder.is_relative_to(root) else folder.as_posix()
        out.setdefault(name, []).append(int(seed))
    return {k: sorted(set(v)) for k, v in sorted(out.items())}


def verdict_entry(v: verdicts.Verdict) -> dict:
    needed, within = verdicts.seeds_to_decide(v)
    return {"n": v.n, "mean": v.mean, "low": v.low, "high": v.high, "margin": v.margin,
            "state": v.state, "direction": v.direction, "agree": v.agree,
            "seeds_needed": needed, "seeds_needed_for": "margin" if within else "sign"}


def describe_entry(values) -> dict:
    d = stats.describe(values)
    return {"n": int(d["n"]), "mean": d["mean"], "sd": d["std"], "low": d["ci_low"],
            "high": d["ci_high"]}


def claim_state(entry: dict) -> str | None:
    """The state a claim may assert of a finding: a prediction's outcome; ``positive`` or
    ``negative`` for a resolved difference; ``equivalent`` or ``unresolved``; None for a finding
    without a verdict (a mean with its interval)."""
    if "outcome" in entry:
        return entry["outcome"]
    if "state" not in entry:
        return None
    if entry["state"] == "resolved":
        return "positive" if entry["direction"] > 0 else "negative"
    return entry["state"]


def adjusted_state(entry: dict) -> str | None:
    """A primary question's verdict after Holm's correction over its family, in a claim's words
    (``positive``/``negative`` when resolved, ``equivalent``, ``unresolved``); None for any
    other finding and for a question still pending."""
    state = entry.get("state_adjusted")
    if state in (None, "pending"):
        return None
    if state == "resolved":
        return "positive" if entry["direction"] > 0 else "negative"
    return state


def claim_holds(entry: dict, asserted: str) -> bool:
    """Whether a sentence may assert ``asserted`` of ``entry``: the state :func:`claim_state`
    gives, or for a primary question also its verdict after Holm's correction
    (:func:`adjusted_state`), so that "equivalent within the margin" is checked as the outcome is."""
    return asserted in (claim_state(entry), adjusted_state(entry))
