"""The words a chapter may use about an effect, chosen by its 95% interval.

Three states, the same in every chapter:

    resolved     the 95% interval excludes zero: the direction is known
    equivalent   the whole interval lies inside a stated margin (+-margin): any effect is
                 smaller than the margin, whichever its sign
    unresolved   neither: the point estimate's direction is reported with how many seeds agree
                 in sign and about how many paired seeds would resolve an effect of that size

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

from . import stats

POWER = 0.8  # "seeds needed": paired seeds for 80% power at the observed standardized effect


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
    if low > 0 or high < 0:
        state = "resolved"
    elif margin is not None and -margin < low and high < margin:
        state = "equivalent"
    else:
        state = "unresolved"
    agree = int((np.sign(d) == direction).sum()) if direction else int((d == 0).sum())
    needed = np.nan
    if sd > 0 and mean != 0:
        try:
            needed = float(stats.seeds_for_power(abs(mean) / sd, power=POWER))
        except ValueError:
            needed = np.inf
    return Verdict(n, mean, float(low), float(high), state, direction, agree, needed, margin)


def prediction_outcome(v: Verdict, expect: str, margin: float | None = None) -> str:
    """``confirmed``, ``refuted`` or ``unresolved`` for a prediction that the difference is
    ``negative``, ``positive`` or ``equivalent`` (within +-``margin``).

    A sign prediction is confirmed when the interval lies wholly on that side and refuted when
    it lies wholly on the other. An equivalence prediction is confirmed when the interval lies
    within the margin, refuted when it excludes zero and reaches past the margin, else
    unresolved."""
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
        if v.low > 0 or v.high < 0:
            return "refuted"
        return "unresolved"
    raise ValueError(f"unknown expectation {expect!r}; valid: negative, positive, equivalent")


def _num(x: float, digits: int, sign: bool = False) -> str:
    return f"{x:+.{digits}f}" if sign else f"{x:.{digits}f}"


def interval_text(low: float, high: float, digits: int = 2) -> str:
    """The 95% interval as a sentence gives it, or why there is none (every seed the same)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "the same on every seed, no interval"
    return f"95% CI {_num(low, digits, True)} to {_num(high, digits, True)}"


def describe(v: Verdict, higher: str, lower: str, unit: str = "points", digits: int = 2) -> str:
    """One sentence a person would write: ``higher``/``lower`` name what a positive/negative
    difference means (e.g. "relu-bn is better", "relu-bn is worse")."""
    unit = f" {unit}" if unit else ""
    if v.n < 2:
        return f"too few paired seeds to tell ({v.n})"
    if not np.isfinite(v.low):
        return (f"unresolved: all {v.n} seeds differ by the same {_num(v.mean, digits, True)}{unit}, "
                f"so their spread, and an interval, cannot be estimated; more seeds are needed")
    ci = interval_text(v.low, v.high, digits)
    seeds = f"{v.agree} of {v.n} seeds agree"
    if v.state == "resolved":   # the size and its interval both as magnitudes of the named direction
        what, (lo, hi) = (higher, (v.low, v.high)) if v.direction > 0 else (lower, (-v.high, -v.low))
        return (f"{what} by {_num(abs(v.mean), digits)}{unit} (95% CI {_num(lo, digits)} to "
                f"{_num(hi, digits)}; {seeds})")
    if v.state == "equivalent":
        return (f"equivalent within ±{_num(v.margin, digits)}{unit}: "
                f"{_num(v.mean, digits, True)}{unit} ({ci})")
    lean = higher if v.direction > 0 else lower
    if not np.isfinite(v.seeds_needed):
        needed = ""
    elif v.seeds_needed <= v.n:   # the spread of so few seeds is itself too uncertain to plan with
        needed = "; too few seeds to estimate how many would resolve it"
    else:
        needed = f"; about {int(v.seeds_needed):,} paired seeds would resolve an effect this size"
    return (f"unresolved: the estimate leans towards '{lean}', {_num(v.mean, digits, True)}{unit} "
            f"({ci}; {seeds}{needed})")
