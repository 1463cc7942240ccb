"""The words a chapter may use about an effect, chosen by its 95% interval.

Three states, the same in every chapter:

    resolved     the 95% interval excludes zero: the direction is known
    equivalent   the whole interval lies inside a stated margin (+-margin): any effect is
                 smaller than the margin, whichever its sign
    unresolved   neither: the point estimate's direction is reported with how many seeds agree
                 in sign and about how many paired seeds would decide it: for a question with a
                 margin, the seeds that would put the interval inside it if the estimate held;
                 otherwise the seeds that would resolve an effect of that size (80% power)

Seeds whose differences are all the same (no spread) give no interval: their standard error is
zero only because so few seeds happened to agree, so such a verdict is unresolved, never resolved
with an interval of zero width.

"No detectable effect" is not one of them: an interval wider than the effects under discussion
says nothing about their absence. A prediction written before its runs is then judged
``confirmed``, ``refuted`` or ``unresolved`` by :func:`prediction_outcome`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sp_stats

from . import power, stats

POWER = 0.8  # "seeds needed": paired seeds for 80% power at the observed standardized effect
PLANNABLE = 1000  # more seeds than this is no plan: the estimate is too close to zero (or the margin)


@dataclass
class Verdict:
    n: int                    # paired seeds
    mean: float               # mean paired difference
    low: float                # 95% interval (t below 50 seeds)
    high: float
    state: str                # resolved | equivalent | unresolved
    direction: int            # sign of the mean: +1, -1 or 0
    agree: int                # seeds whose own difference has the mean's sign
    seeds_needed: float       # paired seeds for 80% power at the observed d_z (NaN if none)
    margin: float | None = None
    seeds_for_margin: float = np.nan  # paired seeds whose interval would lie inside the margin
                                      # at the observed mean and spread (NaN: no margin, or the
                                      # mean is outside it; inf: more than PLANNABLE)

    def as_dict(self) -> dict:
        return asdict(self)


def verdict(differences, margin: float | None = None) -> Verdict:
    """The verdict on paired differences (one per seed), with an equivalence ``margin`` in the
    differences' unit (``None``: no equivalence claim is possible)."""
    d = np.asarray([x for x in differences if x is not None and np.isfinite(x)], dtype=float)
    n = d.size
    if n < 2:
        mean = float(d.mean()) if n else np.nan
        return Verdict(n, mean, np.nan, np.nan, "unresolved", int(np.sign(mean)) if n else 0,
                       int(n), np.nan, margin)
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    low, high = stats.mean_interval(d) if sd > 0 else (np.nan, np.nan)   # no spread: no interval
    direction = int(np.sign(mean))
    state = interval_state(low, high, margin)
    agree = int((np.sign(d) == direction).sum()) if direction else int((d == 0).sum())
    needed = power.seeds_needed(d, power=POWER)
    return Verdict(n, mean, float(low), float(high), state, direction, agree, needed, margin,
                   seeds_within_margin(mean, sd, margin))


def unpaired_verdict(a, b, margin: float | None = None) -> Verdict:
    """The verdict on mean(a) − mean(b) for unpaired runs: Welch's 95% interval
    (:func:`bnorder.analysis.stats.welch_interval`); ``agree`` counts the runs of ``a`` on the estimate's
    side of mean(b); ``seeds_needed`` is runs per group (:func:`bnorder.analysis.power.seeds_needed`)."""
    a, b = (stats.values_of(x) for x in (a, b))
    mean = float(a.mean() - b.mean())
    low, high = stats.welch_interval(a, b)
    state = interval_state(low, high, margin)
    direction = int(np.sign(mean))
    needed = power.seeds_needed(a, b, power=POWER)
    return Verdict(min(a.size, b.size), mean, float(low), float(high), state, direction,
                   int((np.sign(a - b.mean()) == direction).sum()), float(needed), margin)


def interval_state(low: float, high: float, margin: float | None = None) -> str:
    """The state a 95% interval ``low``..``high`` gives an effect: ``resolved`` when it excludes
    zero, else ``equivalent`` when it lies inside +-``margin``, else ``unresolved`` (also when
    there is no interval). The one place this rule is written; every chapter's verdict uses it."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "unresolved"
    if low > 0 or high < 0:
        return "resolved"
    if margin is not None and -margin < low and high < margin:
        return "equivalent"
    return "unresolved"


def interval_sign(low: float, high: float) -> int:
    """+1 when a 95% interval lies above zero, -1 below, 0 when :func:`interval_state` does not
    call it resolved (it includes zero, or there is none)."""
    if interval_state(low, high) != "resolved":
        return 0
    return 1 if low > 0 else -1


def seeds_within_margin(mean: float, sd: float, margin: float | None, max_n: int = PLANNABLE) -> float:
    """Smallest number of paired seeds whose 95% t interval, at this ``mean`` and spread ``sd``,
    would lie inside +-``margin``: how many seeds an equivalence question needs if the estimate
    held. NaN without a margin, a spread, or with the mean on or past the margin; inf past
    ``max_n``."""
    room = (margin - abs(mean)) if margin is not None else np.nan
    if not (np.isfinite(room) and room > 0 and sd > 0):
        return np.nan
    n = np.arange(2, max_n + 1)
    inside = sp_stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n) < room
    return float(n[inside.argmax()]) if inside.any() else np.inf


def prediction_outcome(v: Verdict, expect: str, margin: float | None = None) -> str:
    """``confirmed``, ``refuted`` or ``unresolved`` for a prediction that the difference is
    ``negative``, ``positive`` or ``equivalent`` (within +-``margin``).

    A sign prediction is confirmed when the interval lies wholly on that side and refuted when
    it lies wholly on the other. An equivalence prediction is confirmed when the interval lies
    within the margin and refuted only when it lies wholly outside it (every value the interval
    allows is an effect larger than the margin); an interval across the margin's edge allows
    both an effect inside the margin and one outside it, so it is unresolved."""
    if not np.isfinite(v.low) or not np.isfinite(v.high):
        return "unresolved"
    if expect in ("negative", "positive"):
        side = 1 if expect == "positive" else -1
        if (v.low > 0 and side > 0) or (v.high < 0 and side < 0):
            return "confirmed"
        if (v.low > 0 and side < 0) or (v.high < 0 and side > 0):
            return "refuted"
        return "unresolved"
    if expect == "equivalent":
        if margin is None:
            raise ValueError("an equivalence prediction needs a margin")
        if -margin < v.low and v.high < margin:
            return "confirmed"
        if v.low >= margin or v.high <= -margin:
            return "refuted"
        return "unresolved"
    raise ValueError(f"unknown expectation {expect!r}; valid: negative, positive, equivalent")


def seeds_to_decide(v: Verdict) -> tuple[float, bool]:
    """How many paired seeds would decide an unresolved verdict, and whether by putting the
    interval inside the margin (``True``: the question has a margin and the estimate lies within
    it) or by excluding zero at 80% power (``False``). NaN: nothing can be said; inf: more than
    :data:`PLANNABLE`."""
    if v.margin is not None and v.seeds_for_margin > v.n:
        return v.seeds_for_margin, True
    return v.seeds_needed, False
