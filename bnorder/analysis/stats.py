"""Statistics for the analysis chapters: summaries, paired comparisons, effect sizes. (Power and
the seeds an effect needs: :mod:`bnorder.analysis.power`.)

Everything is small and built on :mod:`scipy.stats` where scipy has the method. Bootstrap and permutation results are made repeatable by a fixed ``seed`` argument
(default :data:`SEED`), so the same inputs always give the same intervals.

Conventions:

* ``a`` and ``b`` are accuracies of two blocks ("A" and "B"); a difference is ``a - b``, so a
  positive difference, a positive effect size and a probability of improvement above 0.5 all
  mean "A is better".
* Paired functions pair ``a`` and ``b`` by seed: two :class:`pandas.Series` are aligned on their
  index (seeds present in only one of them are dropped), anything else is paired by position.
* Confidence intervals of a mean (:func:`describe`, :func:`paired_difference`) are 95 %
  intervals chosen by ``method="auto"``: the Student t interval below :data:`BOOTSTRAP_FROM`
  values, the BCa bootstrap from there on. With a few seeds a bootstrap interval is too narrow
  (its resamples cannot vary more than the values at hand): :func:`interval_coverage` finds a
  nominal 95 % BCa interval covering the true mean about 85 % of the time with 5 seeds and under
  92 % with 20, even when one seed in ten is an outlier, while the t interval stays near 95 %;
  with many seeds the bootstrap needs no normality assumption. ``method="t"``, ``"BCa"``,
  ``"percentile"`` or ``"basic"`` forces one.
  Where no interval exists (fewer than two values) it is ``(nan, nan)``; where all values are
  equal it is that value at both ends.
* Unpaired groups (runs that share no seed, as in the original study) get Welch's t interval of
  a difference of means (:func:`welch_interval`) or of a linear contrast of group means
  (:func:`contrast_interval`).

:func:`original_consistency` re-examines the original study (``reference/original-study-runs.csv``,
columns ``experiment, arch, case, run, epoch, test_acc``); :mod:`bnorder.analysis.original_study` reads its runs
epoch by epoch.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

SEED = 0               # default seed of every bootstrap / randomized permutation test
N_RESAMPLES = 9999     # bootstrap resamples; also the permutation budget (exact up to 2**13 seeds)
CONFIDENCE = 0.95
BOOTSTRAP_FROM = 50    # method="auto": t interval below this many values, BCa bootstrap from it
INTERVAL_METHODS = ("auto", "t", "BCa", "percentile", "basic")

__all__ = [
    "describe", "paired_difference", "welch_interval", "contrast_interval",
    "probability_of_improvement", "hedges_correction", "original_consistency", "interval_method",
    "mean_interval", "interval_coverage", "pairing", "late_start", "late_volatility",
    "spread_ratio", "pooled_spread_ratio", "stratified_difference",
]


# --------------------------------------------------------------------------- helpers

def values_of(x) -> np.ndarray:
    """``x`` as a 1-D float array with NaNs removed."""
    arr = np.asarray(x, dtype=float).ravel()
    return arr[~np.isnan(arr)]


def _paired(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Pair ``a`` and ``b`` by seed: Series are aligned on their index, other inputs by position.
    Pairs with a missing value on either side are dropped."""
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        a, b = a.align(b, join="inner")
    a = np.asarray(a, dtype=float).ravel()
    b = np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired samples need the same length, got {a.size} and {b.size}")
    keep = ~(np.isnan(a) | np.isnan(b))
    return a[keep], b[keep]


def _bootstrap_ci(data: tuple, statistic, *, method: str = "BCa",
                  n_resamples: int = N_RESAMPLES, confidence: float = CONFIDENCE,
                  seed: int = SEED) -> tuple[float, float]:
    """Two-sided bootstrap CI of ``statistic`` (vectorized, takes ``axis``) via scipy.

    ``(nan, nan)`` if any sample has fewer than two values; the point value at both ends if the
    bootstrap distribution is degenerate (BCa is undefined there)."""
    if min(len(d) for d in data) < 2:
        return (np.nan, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)     # handled below
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        res = stats.bootstrap(data, statistic, vectorized=True, method=method,
                              n_resamples=n_resamples, confidence_level=confidence,
                              rng=np.random.default_rng(seed))
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if np.isnan(low) or np.isnan(high):
        dist = res.bootstrap_distribution
        if np.ptp(dist) == 0:                                   # every resample identical
            return (float(dist.flat[0]), float(dist.flat[0]))
        q = np.quantile(dist, [(1 - confidence) / 2, (1 + confidence) / 2])   # BCa failed:
        return (float(q[0]), float(q[1]))                                     # percentile
    return (low, high)


def interval_method(n: int, method: str = "auto") -> str:
    """The interval a mean of ``n`` values gets: ``method`` itself, or for ``"auto"`` the Student
    t interval when ``n`` < :data:`BOOTSTRAP_FROM` and the BCa bootstrap otherwise."""
    if method not in INTERVAL_METHODS:
        raise ValueError(f"unknown interval method {method!r}; valid methods: "
                         f"{', '.join(INTERVAL_METHODS)}")
    if method == "auto":
        return "t" if n < BOOTSTRAP_FROM else "BCa"
    return method


def mean_interval(x, *, method: str = "auto", n_resamples: int = N_RESAMPLES,
                  confidence: float = CONFIDENCE, seed: int = SEED) -> tuple[float, float]:
    """95 % interval of the mean of ``x`` (NaNs dropped) by :func:`interval_method`.

    ``"t"``: mean ± t(n-1) · s / √n (``scipy.stats.t.interval``); the bootstrap methods resample
    the values with ``scipy.stats.bootstrap`` and a fixed ``seed``."""
    v = values_of(x)
    how = interval_method(v.size, method)
    if v.size < 2:
        return (np.nan, np.nan)
    if how != "t":
        return _bootstrap_ci((v,), _mean, method=how, n_resamples=n_resamples,
                             confidence=confidence, seed=seed)
    mean, sem = float(np.mean(v)), float(stats.sem(v))
    if sem == 0:
        return (mean, mean)
    low, high = stats.t.interval(confidence, v.size - 1, loc=mean, scale=sem)
    return (float(low), float(high))


POPULATIONS = ("normal", "outliers")


def interval_coverage(n: int, method: str, *, population: str = "normal", reps: int = 1000,
                      n_resamples: int = 999, seed: int = SEED) -> float:
    """How often the 95 % interval of :func:`mean_interval` contains the true mean, over ``reps``
    simulated studies of ``n`` seeds (a Monte Carlo estimate; its standard error is about
    √(0.05·0.95/reps), 0.007 for 1,000 studies).

    ``population``: ``"normal"`` (standard normal accuracies) or ``"outliers"`` (the same, but
    each seed has a 10 % chance of landing 4 standard deviations low, like a run that went
    wrong; true mean -0.4)."""
    if population not in POPULATIONS:
        raise ValueError(f"unknown population {population!r}; valid populations: "
                         f"{', '.join(POPULATIONS)}")
    rng = np.random.default_rng(seed)
    true_mean = 0.0 if population == "normal" else -0.4
    hits = 0
    for _ in range(reps):
        x = rng.normal(size=n)
        if population == "outliers":
            x = x - 4.0 * (rng.random(n) < 0.1)
        low, high = mean_interval(x, method=method, n_resamples=n_resamples,
                                  seed=int(rng.integers(2**31)))
        hits += bool(low <= true_mean <= high)
    return hits / reps


def _mean(x, axis=-1):
    return np.mean(x, axis=axis)


def _mean_diff(x, y, axis=-1):
    return np.mean(x - y, axis=axis)


def hedges_correction(df: float) -> float:
    """Hedges' small-sample correction factor J(df) = Γ(df/2) / (√(df/2) Γ((df-1)/2)), exact
    (≈ 1 - 3/(4 df - 1)); multiplies Cohen's d to give the unbiased Hedges' g. NaN for df < 1."""
    if df < 1:
        return np.nan
    return float(np.exp(special.gammaln(df / 2) - special.gammaln((df - 1) / 2)) / np.sqrt(df / 2))


# --------------------------------------------------------------------------- describing

def describe(x, *, method: str = "auto", n_resamples: int = N_RESAMPLES,
             seed: int = SEED) -> pd.Series:
    """Summary of one group of runs (NaNs dropped).

    Returns a float Series with ``n``, ``mean``, ``std`` (sample std, ddof=1; NaN for n < 2),
    ``ci_low``/``ci_high`` (95 % interval of the mean, :func:`mean_interval` with ``method``;
    NaN for n < 2) and ``iqm`` (interquartile mean,
    ``scipy.stats.trim_mean(x, 0.25)``: the mean of the middle half, robust to an outlier run)."""
    v = values_of(x)
    n = v.size
    mean = float(np.mean(v)) if n else np.nan
    std = float(np.std(v, ddof=1)) if n >= 2 else np.nan
    low, high = mean_interval(v, method=method, n_resamples=n_resamples, seed=seed)
    iqm = float(stats.trim_mean(v, 0.25)) if n else np.nan
    return pd.Series({"n": n, "mean": mean, "std": std, "ci_low": low, "ci_high": high,
                      "iqm": iqm})


def pairing(wide: pd.DataFrame) -> dict:
    """How much the runs of one seed share across blocks: the one pairing analysis every
    chapter uses. ``wide`` has one row per seed and one column per block (complete rows).

    Returns ``seeds``, ``sd_block`` (standard deviation over seeds of one block, mean over
    blocks), ``sd_difference`` (of a paired difference of two blocks, mean over pairs) and
    ``shared``: the share of a difference's variance that pairing removes,
    1 - var(a - b) / (var(a) + var(b)), averaged over pairs; 0 when the blocks of a seed vary
    independently, 1 when the seed alone sets every block's accuracy, negative when they vary
    in opposite directions. NaN with fewer than two seeds or blocks."""
    n, k = wide.shape
    nan = {"seeds": n, "sd_block": np.nan, "sd_difference": np.nan, "shared": np.nan}
    if n < 2 or k < 2:
        return nan
    cols = list(wide.columns)
    pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    var = wide.var(ddof=1)
    diff_var = [float((wide[a] - wide[b]).var(ddof=1)) for a, b in pairs]
    shared = [1 - d / (var[a] + var[b]) for d, (a, b) in zip(diff_var, pairs) if var[a] + var[b] > 0]
    return {"seeds": n, "sd_block": float(np.sqrt(var).mean()),
            "sd_difference": float(np.mean(np.sqrt(diff_var))),
            "shared": float(np.mean(shared)) if shared else np.nan}


# --------------------------------------------------------------------------- two groups

def paired_difference(a, b, *, method: str = "auto", n_resamples: int = N_RESAMPLES,
                      seed: int = SEED) -> dict:
    """Paired comparison of A and B over seeds (see the module docstring for pairing).

    Returns a dict:

    * ``n``: number of pairs;
    * ``mean_diff``: mean of ``a - b``;
    * ``ci_low``, ``ci_high``: 95 % interval of the mean difference by :func:`mean_interval`
      (t below :data:`BOOTSTRAP_FROM` pairs, else the BCa bootstrap resampling seeds; a
      bootstrap of the differences is the paired bootstrap of A and B);
    * ``hedges_g``: standardized mean difference for paired data, d_z = mean(d) / sd(d) times
      the small-sample correction J(n - 1) (:func:`hedges_correction`); NaN if n < 2 or
      sd(d) = 0 with a nonzero mean, 0 if all differences are 0;
    * ``p``: two-sided paired permutation test of the mean difference
      (``scipy.stats.permutation_test``, ``permutation_type='samples'``: swap A and B within
      seeds); exact (all 2**n sign flips) when 2**n <= ``n_resamples``, else randomized with
      ``seed``. Identical samples give p = 1; NaN if n < 2.
    """
    a, b = _paired(a, b)
    n = a.size
    d = a - b
    mean_diff = float(np.mean(d)) if n else np.nan
    low, high = mean_interval(d, method=method, n_resamples=n_resamples, seed=seed)
    if n < 2:
        g = np.nan
    else:
        sd = np.std(d, ddof=1)
        g = 0.0 if mean_diff == 0 and sd == 0 else (np.nan if sd == 0 else
                                                    mean_diff / sd * hedges_correction(n - 1))
    if n < 2:
        p = np.nan
    else:
        p = float(stats.permutation_test((a, b), _mean_diff, permutation_type="samples",
                                         vectorized=True, n_resamples=n_resamples,
                                         alternative="two-sided",
                                         rng=np.random.default_rng(seed)).pvalue)
    return {"n": n, "mean_diff": mean_diff, "ci_low": low, "ci_high": high,
            "hedges_g": float(g), "p": min(p, 1.0)}


def contrast_interval(groups: Sequence, weights: Sequence[float], *,
                      confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """A linear contrast Σ w_i · mean(group_i) of independent groups (unpaired runs), with its
    Welch-Satterthwaite t interval.

    The standard error is √(Σ w_i² s_i² / n_i) (sample variances, ddof=1) and the degrees of
    freedom are (Σ v_i)² / Σ v_i² / (n_i - 1) with v_i = w_i² s_i² / n_i; for two groups with
    weights (1, -1) this is Welch's interval of mean a - mean b. E.g. ``([c1, c2, c3],
    [1, -0.5, -0.5])``: group 1 minus the average of groups 2 and 3. NaNs are dropped.

    Returns ``(estimate, low, high)``; the interval is ``(nan, nan)`` when a group with a nonzero
    weight has fewer than two values, and the estimate at both ends when every such group is
    constant."""
    if len(groups) != len(weights):
        raise ValueError(f"{len(groups)} groups but {len(weights)} weights")
    vals = [(w, values_of(g)) for g, w in zip(groups, weights) if w != 0]
    if any(v.size == 0 for _, v in vals):
        return (np.nan, np.nan, np.nan)
    est = float(sum(w * np.mean(v) for w, v in vals))
    if any(v.size < 2 for _, v in vals):
        return (est, np.nan, np.nan)
    parts = [(w ** 2 * np.var(v, ddof=1) / v.size, v.size) for w, v in vals]
    var = sum(p for p, _ in parts)
    if var == 0:
        return (est, est, est)
    dof = var ** 2 / sum(p ** 2 / (n - 1) for p, n in parts)
    half = float(stats.t.ppf((1 + confidence) / 2, dof) * np.sqrt(var))
    return (est, est - half, est + half)


def welch_interval(a, b, *, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """95 % Welch interval of mean(a) - mean(b) for two independent groups (unpaired runs):
    the difference ± t(df) · √(s_a²/n_a + s_b²/n_b), df by Welch-Satterthwaite (the interval of
    ``scipy.stats.ttest_ind(a, b, equal_var=False)``). NaNs are dropped; ``(nan, nan)`` when a
    group has fewer than two values, the difference at both ends when both groups are constant.
    See :func:`contrast_interval` for more than two groups."""
    _, low, high = contrast_interval([a, b], [1.0, -1.0], confidence=confidence)
    return (low, high)


def probability_of_improvement(a, b, *, ci: bool = True, method: str = "BCa",
                               n_resamples: int = N_RESAMPLES, seed: int = SEED) -> dict:
    """P(A > B) + 0.5 P(A = B) over all pairs of runs (Agarwal et al. 2021; Bouthillier et al.
    2021), i.e. the Mann-Whitney U statistic of A divided by n_a n_b (``scipy.stats.mannwhitneyu``).

    Returns ``prob_improvement`` with ``ci_low``/``ci_high``, a 95 % bootstrap CI resampling each
    group independently (NaN when ``ci=False``). 1: every A run beats every B run; 0.5: no
    tendency either way; 0: every B run beats every A run."""
    a, b = values_of(a), values_of(b)
    if a.size == 0 or b.size == 0:
        return {"prob_improvement": np.nan, "ci_low": np.nan, "ci_high": np.nan}

    def statistic(x, y, axis=-1):
        u = stats.mannwhitneyu(x, y, axis=axis, method="asymptotic").statistic
        return u / (x.shape[axis] * y.shape[axis])

    est = float(statistic(a, b))
    if not ci:
        return {"prob_improvement": est, "ci_low": np.nan, "ci_high": np.nan}
    low, high = _bootstrap_ci((a, b), statistic, method=method, n_resamples=n_resamples,
                              seed=seed)
    return {"prob_improvement": est, "ci_low": low, "ci_high": high}



# --------------------------------------------------------------------------- original study

def _final_rows(df: pd.DataFrame, epoch: int | None) -> pd.DataFrame:
    """For each run, the row at ``epoch`` (or at its last recorded epoch when None)."""
    keys = ["experiment", "arch", "case", "run"]
    if epoch is not None:
        return df[df["epoch"] == epoch]
    last = df.groupby(keys)["epoch"].transform("max")
    return df[df["epoch"] == last]


def original_consistency(df: pd.DataFrame, reported: pd.DataFrame | None = None,
                         epoch: int | None = None) -> pd.DataFrame:
    """Recompute the original study's per-case table from its per-run numbers.

    ``df``: columns ``experiment, arch, case, run, epoch, test_acc``. Each run contributes its
    accuracy at ``epoch`` (None: its last recorded epoch, i.e. epoch 10 for exp1 and the final
    value for exp2). Returns one row per (experiment, arch, case) with ``n_runs``, ``mean``,
    ``std_ddof0`` (population std) and ``std_ddof1`` (sample std).

    ``reported`` (optional; columns ``experiment, arch, case, mean, std``, the table as printed)
    adds ``reported_mean``, ``reported_std`` and the differences ``mean_diff``,
    ``std_ddof0_diff``, ``std_ddof1_diff`` (recomputed minus reported), so one sees which std the
    table used and whether it matches its own runs."""
    keys = ["experiment", "arch", "case"]
    final = _final_rows(df, epoch)
    out = (final.groupby(keys)["test_acc"]
           .agg(n_runs="count", mean="mean",
                std_ddof0=lambda s: float(np.std(s, ddof=0)),
                std_ddof1=lambda s: float(np.std(s, ddof=1)) if s.size > 1 else np.nan)
           .reset_index())
    if reported is not None:
        rep = reported[keys + ["mean", "std"]].rename(
            columns={"mean": "reported_mean", "std": "reported_std"})
        out = out.merge(rep, on=keys, how="left")
        out["mean_diff"] = out["mean"] - out["reported_mean"]
        out["std_ddof0_diff"] = out["std_ddof0"] - out["reported_std"]
        out["std_ddof1_diff"] = out["std_ddof1"] - out["reported_std"]
    return out


# --------------------------------------------------------------------------- late-epoch volatility

def late_start(last_epoch: int) -> int:
    """The first epoch of the second half of training: epoch 6 of 10, 4 of 6, 3 of 5."""
    return int(last_epoch) // 2 + 1


def late_volatility(epochs, values, late_from: int | None = None) -> float:
    """Late-epoch volatility, the book's one measure of an unsteady curve: the mean absolute
    change between consecutive recorded epochs from ``late_from`` (default
    :func:`late_start` of the last epoch) to the last, in the values' unit. For 10 epochs: the
    four changes 6→7, 7→8, 8→9 and 9→10, so the early learning steps never count. Missing values
    (None or NaN) are skipped; NaN when fewer than two values remain."""
    e = np.asarray(epochs, dtype=float)
    v = np.asarray([np.nan if x is None else x for x in values], dtype=float)
    if not e.size:
        return float("nan")
    start = late_start(np.nanmax(e)) if late_from is None else late_from
    late = v[np.argsort(e, kind="stable")][np.sort(e) >= start]
    late = late[np.isfinite(late)]
    return float(np.abs(np.diff(late)).mean()) if late.size > 1 else float("nan")


# --------------------------------------------------------------------------- spread over seeds

def spread_ratio(a, b, paired: bool) -> dict:
    """sd(a) / sd(b) (``ratio``), its 95% interval (``low``, ``high``) and the p-value of equal
    spreads (``p``). Unpaired runs: the F test and interval of the variance ratio. Runs paired by
    seed: Pitman–Morgan (Pitman 1939, Morgan 1939), which allows for the correlation r of the
    pairs: the p-value of zero correlation between a + b and a − b, and the interval F times
    K ± √(K² − 1), K = 1 + 2 (1 − r²) t² / (n − 2), t the 97.5% point of Student's t with n − 2
    degrees of freedom. NaN where there are too few runs or no spread."""
    nan = {"ratio": np.nan, "low": np.nan, "high": np.nan, "p": np.nan}
    if paired:
        pair = pd.DataFrame({"a": pd.Series(a, dtype=float).to_numpy(),
                             "b": pd.Series(b, dtype=float).to_numpy()}).dropna()
        x, y = pair["a"].to_numpy(), pair["b"].to_numpy()
    else:
        x, y = values_of(a), values_of(b)
    if min(x.size, y.size) < (3 if paired else 2) or np.var(y) == 0 or np.var(x) == 0:
        return nan
    f = np.var(x, ddof=1) / np.var(y, ddof=1)
    if paired:
        n, r = x.size, np.corrcoef(x, y)[0, 1]
        k = 1 + 2 * (1 - r ** 2) * stats.t.ppf(0.975, n - 2) ** 2 / (n - 2)
        low, high = f * (k - np.sqrt(k ** 2 - 1)), f * (k + np.sqrt(k ** 2 - 1))
        r_sd = np.corrcoef(x + y, x - y)[0, 1]
        p = 2 * stats.t.sf(abs(r_sd) * np.sqrt((n - 2) / (1 - r_sd ** 2)), n - 2) if abs(r_sd) < 1 else 0.0
    else:
        low, high = f / stats.f.ppf(0.975, x.size - 1, y.size - 1), f / stats.f.ppf(0.025, x.size - 1, y.size - 1)
        p = 2 * min(stats.f.cdf(f, x.size - 1, y.size - 1), stats.f.sf(f, x.size - 1, y.size - 1))
    return {"ratio": float(np.sqrt(f)), "low": float(np.sqrt(low)), "high": float(np.sqrt(high)), "p": float(p)}


def pooled_spread_ratio(a_strata, b_strata) -> dict:
    """:func:`spread_ratio` of unpaired runs read over several strata (e.g. two experiments that
    ran the same configurations): each group's variance pooled within strata, with the degrees of
    freedom summed, so that a shift of the mean between strata adds no spread."""
    def pooled(groups):
        groups = [values_of(g) for g in groups if values_of(g).size > 1]
        dof = sum(g.size - 1 for g in groups)
        return (sum((g.size - 1) * np.var(g, ddof=1) for g in groups) / dof if dof else np.nan), dof
    (va, da), (vb, db) = pooled(a_strata), pooled(b_strata)
    if not (da and db and vb > 0 and va > 0):
        return {"ratio": np.nan, "low": np.nan, "high": np.nan, "p": np.nan, "dof": (da, db)}
    f = va / vb
    return {"ratio": float(np.sqrt(f)), "low": float(np.sqrt(f / stats.f.ppf(0.975, da, db))),
            "high": float(np.sqrt(f / stats.f.ppf(0.025, da, db))),
            "p": float(2 * min(stats.f.cdf(f, da, db), stats.f.sf(f, da, db))), "dof": (da, db)}


def stratified_difference(values, group, stratum, a, b) -> dict:
    """mean(a) − mean(b) of unpaired runs read over strata (e.g. experiments), the stratum as a
    fixed effect: ordinary least squares of ``values`` on the group and the stratum
    (statsmodels), the coefficient of ``a`` against ``b``, its 95% interval and p-value."""
    import statsmodels.formula.api as smf

    frame = pd.DataFrame({"y": np.asarray(values, dtype=float), "g": list(group), "s": list(stratum)})
    frame = frame[frame["g"].isin([a, b])].dropna()
    fit = smf.ols(f"y ~ C(g, Treatment(reference={b!r})) + C(s)", data=frame).fit()
    term = f"C(g, Treatment(reference={b!r}))[T.{a}]"
    low, high = fit.conf_int().loc[term]
    return {"mean": float(fit.params[term]), "low": float(low), "high": float(high),
            "p": float(fit.pvalues[term]), "n": int((frame["g"] == a).sum()), "strata": int(frame["s"].nunique())}
