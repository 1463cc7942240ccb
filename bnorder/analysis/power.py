"""Planning: how likely a t-test with a given number of seeds detects an effect (:func:`power`),
the smallest effect it detects (:func:`detectable_effect`), and the one definition of the seeds
an effect needs (:func:`seeds_needed`, from its :func:`standardized_difference`)."""

from __future__ import annotations

import numpy as np
from scipy import stats

from .stats import values_of


def power(n: int, effect_size: float, alpha: float = 0.05, paired: bool = True) -> float:
    """Power of a two-sided t-test at level ``alpha`` to detect a standardized effect
    ``effect_size`` (Cohen's d_z for paired, d for two-sample), computed exactly with the
    noncentral t distribution (``scipy.stats.nct``).

    ``n`` is the number of seeds: pairs when ``paired`` (df = n - 1, noncentrality d √n),
    runs per group otherwise (df = 2n - 2, noncentrality d √(n/2))."""
    if paired:
        dof, ncp = n - 1, effect_size * np.sqrt(n)
    else:
        dof, ncp = 2 * n - 2, effect_size * np.sqrt(n / 2)
    if dof < 1:
        return np.nan
    tcrit = stats.t.ppf(1 - alpha / 2, dof)
    return float(stats.nct.sf(tcrit, dof, ncp) + stats.nct.cdf(-tcrit, dof, ncp))


def seeds_for_power(effect_size: float, alpha: float = 0.05, power: float = 0.8,
                    paired: bool = True, max_n: int = 100_000) -> int:
    """Smallest number of seeds (pairs if ``paired``, else runs per group) at which a two-sided
    t-test reaches ``power`` for the standardized effect ``effect_size`` (see :func:`power`).
    E.g. d = 0.5, alpha 0.05, power 0.8: 34 pairs, or 64 runs per group unpaired."""
    if effect_size == 0:
        raise ValueError("an effect size of 0 cannot be detected with any number of seeds")
    target = power
    lo, hi = 2, 2                         # exponential search for an upper bound, then bisect
    while _power(hi, effect_size, alpha, paired) < target:
        lo, hi = hi + 1, hi * 2
        if hi > max_n:
            raise ValueError(f"more than {max_n} seeds needed")
    while lo < hi:
        mid = (lo + hi) // 2
        if _power(mid, effect_size, alpha, paired) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


_power = power   # seeds_for_power's ``power`` argument shadows the function


def detectable_effect(n: int, alpha: float = 0.05, target: float = 0.8, paired: bool = True) -> float:
    """The smallest standardized effect (d_z if ``paired``, else d) that a two-sided t-test with
    ``n`` seeds (pairs, or runs per group) detects with probability ``target``
    (:func:`power`, solved for the effect by bisection). NaN for n < 2."""
    if n < 2:
        return np.nan
    lo, hi = 0.0, 1.0
    while power(n, hi, alpha, paired) < target:
        hi *= 2
        if hi > 1e6:
            return np.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if power(n, mid, alpha, paired) < target else (lo, mid)
    return hi


MAX_SEEDS = 100_000   # seeds_needed gives up (inf) past this many seeds


def standardized_difference(a, b=None) -> float:
    """The standardized size of a difference that every seeds-needed count in the book plans
    with. Paired (``b`` None; ``a`` the per-seed differences): their mean over their standard
    deviation, d_z. Two independent groups (unpaired runs): the difference of the means over the
    pooled standard deviation, √(((n_a-1) s_a² + (n_b-1) s_b²) / (n_a+n_b-2)), Cohen's d. The
    plug-in estimate (Hedges' g, in :func:`bnorder.analysis.stats.paired_difference`, shrinks it by J(df)
    to describe an effect; power is planned here from the observed size). NaN without
    two values per group or without spread. NaNs are dropped."""
    if b is None:
        d = values_of(a)
        if d.size < 2 or np.std(d, ddof=1) == 0:
            return np.nan
        return float(np.mean(d) / np.std(d, ddof=1))
    x, y = values_of(a), values_of(b)
    if x.size < 2 or y.size < 2:
        return np.nan
    pooled = np.sqrt(((x.size - 1) * np.var(x, ddof=1) + (y.size - 1) * np.var(y, ddof=1))
                     / (x.size + y.size - 2))
    return float((np.mean(x) - np.mean(y)) / pooled) if pooled > 0 else np.nan


def seeds_needed(a, b=None, *, power: float = 0.8, alpha: float = 0.05,
                 max_n: int = MAX_SEEDS) -> float:
    """The one definition of "seeds needed": how many paired seeds (``b`` None; ``a`` the
    per-seed differences) or runs per group (``a`` and ``b`` unpaired runs) a two-sided t-test
    at level ``alpha`` needs to detect an effect of the observed :func:`standardized_difference`
    with probability ``power`` (:func:`seeds_for_power`). NaN when nothing can be planned (no
    spread, or a mean of exactly zero); inf past ``max_n``."""
    d = standardized_difference(a, b)
    if not np.isfinite(d) or d == 0:
        return np.nan
    try:
        return float(seeds_for_power(abs(d), alpha=alpha, power=power, paired=b is None, max_n=max_n))
    except ValueError:
        return np.inf
