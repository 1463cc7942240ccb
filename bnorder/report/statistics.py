"""The Statistics chapter: which interval, how often one order wins, how many seeds a question
needs, what pairing buys, and the original study's numbers rechecked.

The factorial numbers are those of the Factorial chapter (:func:`bnorder.report.factorial.
factorial_runs`); every verdict uses :mod:`bnorder.analysis.verdicts`, every spread across blocks
:func:`bnorder.analysis.stats.pairing`. No p-value is shown: with a handful of seeds the permutation
p-value can take only a few values, and the intervals carry the same information.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from ..analysis import interval_coverage, power, stats, verdicts
from ..analysis import original_study
from ..analysis.contrasts import ACTIVATION, POSITION, by_seed
from ..analysis.power import MAX_SEEDS, detectable_effect
from ..findings.original import INTERPRETED_DIFFERENCES
from . import factorial as fx
from .style import STATE_COLOURS, fmt, interval, seeds_needed_text

VALUE = "final_test_acc"
COVERAGE_SEEDS = interval_coverage.SEEDS      # the simulation's settings (bnorder.analysis.interval_coverage)
FEW_SEEDS = 5                                  # the coverage the text quotes first
COVERAGE_METHODS = interval_coverage.METHODS
COVERAGE_REPS = interval_coverage.REPS
POPULATION_NAMES = {"normal": "normal accuracies", "outliers": "one seed in ten goes wrong"}
SHOWN_EFFECTS = (POSITION, ACTIVATION)   # the effects of the power and interval tables
# The pairs of the probability of improvement: A, B, what differs between them.
PAIRS = [("relu-bn", "bn-relu", "position, with ReLU"),
         ("lrelu-bn", "bn-lrelu", "position, with LeakyReLU"),
         ("bn-lrelu", "bn-relu", "activation, BatchNorm before"),
         ("lrelu-bn", "relu-bn", "activation, BatchNorm after"),
         ("lrelu-bn", "bn-relu", "case 3 vs case 1")]
SCORE_NAMES = {"final": "final epoch (reported)", "last3": "mean of the last three epochs",
               "best": "best test epoch (peeks)"}


# ------------------------------------------------------------------ seeds needed

def effects(runs: pd.DataFrame) -> pd.DataFrame:
    """The Factorial chapter's effects (:func:`bnorder.report.factorial.effects`), networks in
    book order, with the standard deviation of each effect over seeds (``sd``)."""
    eff = fx.effects(runs, VALUE)
    eff["sd"] = [np.std(v, ddof=1) if len(v) > 1 else np.nan for v in eff["values"]]
    order = {a: i for i, a in enumerate(fx.archs_of(runs))}
    return eff.sort_values("arch", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)


def seeds_figure(eff: pd.DataFrame):
    """Per network and effect: the paired seeds run (open circle) and the seeds a paired t-test
    needs for 80% power at the observed effect (filled; blue where the interval already excludes
    zero), on a log axis."""
    rows = eff[eff["n"] >= 2]
    fig, ax = plt.subplots(figsize=(7, 0.36 * max(len(rows), 3) + 1.2))
    for i, r in enumerate(rows.itertuples()):
        y = len(rows) - 1 - i
        needed = min(r.seeds_needed, MAX_SEEDS) if np.isfinite(r.seeds_needed) else MAX_SEEDS
        colour = STATE_COLOURS[r.state]
        ax.plot([r.n, needed], [y, y], color=colour, lw=1, alpha=0.6)
        ax.scatter([r.n], [y], s=30, facecolors="white", edgecolors="black", zorder=3)
        ax.scatter([needed], [y], s=30, color=colour, zorder=3, marker=">" if needed == MAX_SEEDS else "o")
        ax.annotate(f"{needed:,.0f}" + ("+" if needed == MAX_SEEDS else ""), (max(needed, r.n), y),
                    xytext=(6, 0), textcoords="offset points", va="center", fontsize=8)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:,.0f}"))
    right = max([min(x, MAX_SEEDS) for x in rows["seeds_needed"].fillna(MAX_SEEDS)] + list(rows["n"]) + [10])
    ax.set_xlim(1, 3 * right)
    ax.set_yticks(range(len(rows)), [f"{r.arch}: {r.label}" for r in rows.itertuples()][::-1])
    ax.set_xlabel("paired seeds (log scale): run (open) and needed for 80% power (filled)")
    if not len(rows):
        ax.text(0.5, 0.5, "no complete paired seeds yet", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def power_text(n: int, effect_size: float, paired: bool = True) -> str:
    """The power of a t-test with ``n`` seeds (pairs, or runs per group when not ``paired``) at
    the standardized ``effect_size``, two decimals; '> 0.99' where scipy's noncentral t gives up
    (NaN) far out in its tail."""
    if not np.isfinite(effect_size):
        return "—"
    p = power.power(n, effect_size, paired=paired)
    if np.isnan(p):
        return "> 0.99" if effect_size * np.sqrt(n if paired else n / 2) > 5 else "—"
    return "> 0.99" if p > 0.995 else fmt(p)


def power_table(eff: pd.DataFrame) -> pd.DataFrame:
    """For the position and activation effects: seeds, the observed difference and its
    standardized size d_z (mean / sd of the paired differences), the power of the present seeds
    at that size, the seeds 80% power needs, and the smallest effect the present seeds detect
    with 80% power given the observed spread."""
    rows = []
    for r in eff[eff["contrast"].isin(SHOWN_EFFECTS) & (eff["n"] >= 2)].itertuples():
        dz = abs(power.standardized_difference(r.values))
        rows.append({"network": r.arch, "effect": r.label, "seeds": r.n,
                     "difference (points)": fmt(r.mean, sign=True), "d_z": fmt(dz),
                     "power now": power_text(r.n, dz),
                     "seeds for 80% power": seeds_needed_text(r.seeds_needed),
                     "detectable now (points)": fmt(detectable_effect(r.n) * r.sd)})
    return pd.DataFrame(rows)


def fewest_seeds(eff: pd.DataFrame, default: int = FEW_SEEDS) -> int:
    """The fewest paired seeds behind an effect (``default`` when none has two)."""
    n = eff.loc[eff["n"] >= 2, "n"] if len(eff) else pd.Series(dtype=int)
    return int(n.min()) if len(n) else default


def permutation_floor(n: int) -> str:
    """The smallest two-sided p-value an exact paired permutation test over ``n`` seeds can
    give, 2 / 2**n, as a fraction ('1/16' for five seeds)."""
    return f"1/{2 ** (n - 1):,}"


# ------------------------------------------------------------------ which interval

def coverage(results) -> tuple[pd.DataFrame, int]:
    """How often a nominal 95% interval contains the true mean, and the number of simulated
    studies per point: the coverage record (``python -m bnorder coverage``,
    :mod:`bnorder.analysis.interval_coverage`). Raises ``FileNotFoundError`` naming the command without one."""
    from ..analysis.interval_coverage import load, record_path

    record = load(results)
    if record is None:
        raise FileNotFoundError(f"no coverage record at {record_path(results)}; write it with "
                                "`python -m bnorder coverage`")
    return pd.DataFrame(record["rows"]), record["settings"]["reps"]


def coverage_figure(cov: pd.DataFrame, reps: int = COVERAGE_REPS):
    """Coverage against the number of seeds, one panel per population, one line per method;
    the band is 95% ± two Monte Carlo standard errors."""
    pops = list(dict.fromkeys(cov["population"]))
    fig, axes = plt.subplots(1, len(pops), figsize=(3.6 * len(pops), 3), sharey=True, squeeze=False)
    band = 2 * np.sqrt(0.05 * 0.95 / reps)
    for ax, pop in zip(axes[0], pops):
        ax.axhspan(100 * (0.95 - band), 100 * (0.95 + band), color="#dddddd", lw=0)
        for method in dict.fromkeys(cov["method"]):
            sub = cov[(cov["population"] == pop) & (cov["method"] == method)]
            ax.plot(sub["seeds"], 100 * sub["coverage"], marker="o", ms=4, label=method)
        ax.set(title=POPULATION_NAMES.get(pop, pop), xlabel="seeds", xscale="log")
        ax.xaxis.set_major_locator(matplotlib.ticker.FixedLocator(COVERAGE_SEEDS))
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    axes[0][0].set_ylabel("coverage of a 95% interval (%)")
    axes[0][0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def coverage_facts(cov: pd.DataFrame, reps: int = COVERAGE_REPS) -> dict:
    """The numbers the text quotes: coverage of t and BCa at :data:`FEW_SEEDS` normal seeds, of BCa at the
    most seeds simulated, the t interval's lowest anywhere, and the Monte Carlo standard error."""
    at = cov.set_index(["population", "seeds", "method"])["coverage"]
    most = max(COVERAGE_SEEDS)
    pct = lambda x: f"{100 * x:.0f}%"  # noqa: E731
    return {"few": FEW_SEEDS, "t_few": pct(at[("normal", FEW_SEEDS, "t")]),
            "bca_few": pct(at[("normal", FEW_SEEDS, "BCa")]),
            "bca_most": pct(at[("normal", most, "BCa")]), "most": most,
            "t_low": pct(at.xs("t", level="method").min()),
            "se": f"{100 * np.sqrt(0.05 * 0.95 / reps):.1f}", "reps": f"{reps:,}",
            "bootstrap_from": stats.BOOTSTRAP_FROM}


def interval_table(eff: pd.DataFrame) -> pd.DataFrame:
    """The position and activation effects with the t interval the book uses and the BCa
    bootstrap interval of the same seeds, and the bootstrap's width over the t's."""
    rows = []
    for r in eff[eff["contrast"].isin(SHOWN_EFFECTS) & (eff["n"] >= 2)].itertuples():
        t_lo, t_hi = stats.mean_interval(r.values, method="t")
        b_lo, b_hi = stats.mean_interval(r.values, method="BCa")
        rows.append({"network": r.arch, "effect": r.label, "seeds": r.n,
                     "t (used)": interval(t_lo, t_hi), "BCa bootstrap": interval(b_lo, b_hi),
                     "width, BCa / t": (b_hi - b_lo) / (t_hi - t_lo) if t_hi > t_lo else np.nan})
    return pd.DataFrame(rows)


def ratio_range(table: pd.DataFrame) -> str:
    """'0.71–0.83' (or one value): the range of the BCa / t width ratios; '—' without any."""
    r = table["width, BCa / t"].dropna() if len(table) else pd.Series(dtype=float)
    if not len(r):
        return "—"
    low, high = fmt(r.min()), fmt(r.max())
    return low if low == high else f"{low}–{high}"


# ------------------------------------------------------------------ probability of improvement

def improvement_state(p: dict, a: str, b: str) -> tuple[str, str]:
    """The verdict state of P(A > B) and the block it leans to: resolved when its 95% interval
    excludes 0.5; '—' where there are too few runs for an interval or no lean."""
    if pd.isna(p["ci_low"]):
        return "—", "—"
    state = "resolved" if p["ci_low"] > 0.5 or p["ci_high"] < 0.5 else "unresolved"
    lean = a if p["prob_improvement"] > 0.5 else b if p["prob_improvement"] < 0.5 else "—"
    return state, lean


def improvement_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per network and pair of blocks: P(A > B) over all pairs of runs with its 95% bootstrap
    interval, the seeds in which A beat B, the interval's state and the block it leans to."""
    rows = []
    for arch in fx.archs_of(runs):
        wide = by_seed(runs, VALUE, arch)
        for a, b, what in PAIRS:
            if a not in wide or b not in wide:
                continue
            p = stats.probability_of_improvement(wide[a].dropna(), wide[b].dropna())
            both = wide[[a, b]].dropna()
            state, lean = improvement_state(p, a, b)
            rows.append({"network": arch, "A vs B": f"{a} vs {b}", "what differs": what,
                         "P(A > B), 95% CI": f"{fmt(p['prob_improvement'])} "
                                             f"({interval(p['ci_low'], p['ci_high'], sign=False)})",
                         "seeds with A > B": f"{int((both[a] > both[b]).sum())} of {len(both)}",
                         "state": state, "leans to": lean})
    return pd.DataFrame(rows)


def improvement_counts(table: pd.DataFrame) -> tuple[int, int]:
    """(comparisons, comparisons whose interval excludes 0.5)."""
    if not len(table):
        return 0, 0
    return len(table), int((table["state"] == "resolved").sum())


# ------------------------------------------------------------------ pairing

def pairing_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per network, what pairing by seed removes (:func:`bnorder.analysis.stats.pairing` via
    :func:`bnorder.report.factorial.pairing_table`): the spread of one block over seeds, that of
    a paired difference, the share of a difference's variance pairing removes, and the seeds a
    paired comparison needs per seed of an unpaired one at the same power (1 − that share)."""
    rows = []
    for r in fx.pairing_table(runs, VALUE).itertuples():
        if not np.isfinite(r.shared):
            continue
        rows.append({"network": r.network, "seeds": r.seeds, "sd of one block": fmt(r.sd_block),
                     "sd of a paired difference": fmt(r.sd_difference),
                     "variance pairing removes": f"{100 * max(r.shared, 0):.0f}%",
                     "seeds, paired / unpaired": fmt(1 - max(r.shared, 0))})
    return pd.DataFrame(rows).set_index("network") if rows else pd.DataFrame()


# ------------------------------------------------------------------ the original study

def original_runs() -> pd.DataFrame:
    """The original study's per-run (Experiment 1: per-epoch) test accuracies."""
    return original_study.load_original_runs()


def original_facts(orig: pd.DataFrame) -> dict:
    """The original study's protocol as its per-run numbers show it: the epochs Experiment 1
    printed (its runs per case: :func:`original_detectable`)."""
    return {"epochs": int(orig.loc[orig["experiment"] == "exp1", "epoch"].max())}


def _half_unit(text: str) -> float:
    """Half a unit of the last printed digit of ``text`` (the printed rounding)."""
    return 0.5 * 10 ** -len(text.partition(".")[2]) + 1e-9


def consistency(orig: pd.DataFrame, printed: pd.DataFrame | None = None) -> pd.DataFrame:
    """The study's printed tables against its own runs (:func:`bnorder.analysis.stats.
    original_consistency`), with whether the mean and each standard deviation match the printed
    numbers within their rounding (``mean_matches``, ``ddof0_matches``, ``ddof1_matches``)."""
    printed = original_study.load_original_printed() if printed is None else printed
    keys = ["experiment", "arch", "case"]
    reported = printed.assign(mean=printed["mean"].astype(float), std=printed["std"].astype(float))
    cons = stats.original_consistency(orig, reported).merge(
        printed.assign(tol_mean=printed["mean"].map(_half_unit),
                       tol_std=printed["std"].map(_half_unit))[[*keys, "tol_mean", "tol_std"]], on=keys)
    cons["mean_matches"] = cons["mean_diff"].abs() <= cons["tol_mean"]
    cons["ddof0_matches"] = cons["std_ddof0_diff"].abs() <= cons["tol_std"]
    cons["ddof1_matches"] = cons["std_ddof1_diff"].abs() <= cons["tol_std"]
    return cons


def consistency_table(cons: pd.DataFrame) -> pd.DataFrame:
    """The printed mean and ± beside the mean and both standard deviations of the runs."""
    return pd.DataFrame({
        "table": cons["experiment"].str.replace("exp", "Exp. "), "network": cons["arch"].str.upper(),
        "case": cons["case"], "printed mean": cons["reported_mean"],
        "mean of its runs": cons["mean"].round(2), "printed ±": cons["reported_std"],
        "sd, ddof=0": cons["std_ddof0"].round(2), "sd, ddof=1": cons["std_ddof1"].round(2)})


def consistency_facts(cons: pd.DataFrame) -> dict:
    """What the consistency check counts: groups, printed means that are their runs' mean within
    the printed rounding, printed ± that are the population (ddof = 0) or the sample (ddof = 1)
    standard deviation of their runs, and the mean ratio of the sample to the population one."""
    return {"groups": len(cons), "means_match": int(cons["mean_matches"].sum()),
            "ddof0": int(cons["ddof0_matches"].sum()), "ddof1": int(cons["ddof1_matches"].sum()),
            "ratio": f"{(cons['std_ddof1'] / cons['std_ddof0']).mean():.3f}"}


def ranking_table(orig: pd.DataFrame, arch: str = "cnn") -> pd.DataFrame:
    """Experiment 1 scored three ways (:data:`SCORE_NAMES`): the order of the case means, whether
    it is the order of the reported final epoch, and how many of its two steps a 95% Welch
    interval over the unpaired runs resolves (:func:`bnorder.analysis.original_study.case_ranking`)."""
    rk = original_study.case_ranking(orig, "exp1", scores=tuple(SCORE_NAMES))
    rk = rk[rk["arch"] == arch].set_index("score").reindex(list(SCORE_NAMES))
    return pd.DataFrame({
        "score": list(SCORE_NAMES.values()), "cases, best first": rk["ranking"].to_numpy(),
        "ranking survives": ["yes" if s else "no" for s in rk["same_as_final"]],
        "steps resolved": [f"{r} of {s}" for r, s in zip(rk["n_resolved"], rk["n_steps"])],
        "unresolved steps": [u or "none" for u in rk["unresolved"]]})


def ranking_facts(orig: pd.DataFrame, arch: str = "cnn") -> dict:
    """The ranking the study reported (a label such as ``case3 > case2 > case1``), how much the
    best test epoch raises the case means, and the range of the case means of the best epoch."""
    rk = ranking_table(orig, arch).set_index("score")
    sc = original_study.case_scores(orig, "exp1", scores=("final", "best", "best_epoch"))
    sc = sc[sc["arch"] == arch].pivot(index="case", columns="score", values="mean")
    return {"final": rk.iloc[0]["cases, best first"],
            "optimism": fmt((sc["best"] - sc["final"]).mean()),
            "best_epochs": f"{sc['best_epoch'].min():.1f}–{sc['best_epoch'].max():.1f}"}


def _original_difference(final: pd.DataFrame, exp: str, arch: str, a: str, b: str) -> dict:
    sub = final[(final["experiment"] == exp) & (final["arch"] == arch)]
    x, y = sub.loc[sub["case"] == a, "test_acc"], sub.loc[sub["case"] == b, "test_acc"]
    (low, high), d = stats.welch_interval(x, y), power.standardized_difference(x, y)
    n = min(len(x), len(y))
    return {"comparison": f"Exp. {exp[-1]} {arch.upper()}: {a} − {b}",
            "difference (points)": fmt(x.mean() - y.mean(), sign=True), "95% CI": interval(low, high),
            "verdict": verdicts.interval_state(low, high),
            "d": fmt(d), f"power with {n} runs": power_text(n, abs(d), paired=False),
            "runs for 80% power": seeds_needed_text(power.seeds_needed(x, y, power=verdicts.POWER))}


def original_power(orig: pd.DataFrame) -> pd.DataFrame:
    """The differences the study interpreted, at the final epoch: each with its Welch interval
    and verdict, its standardized size d (:func:`bnorder.analysis.power.standardized_difference`), the
    power its runs had, and the runs per case
    80% power would take (unpaired two-sample t-test)."""
    final = original_study.original_final(orig)
    return pd.DataFrame([_original_difference(final, *d) for d in INTERPRETED_DIFFERENCES])


def original_detectable(orig: pd.DataFrame) -> dict:
    """The smallest effect the study's runs detect with 80% power (unpaired, 5% level): as a
    standardized size and, with each network's pooled spread, in points."""
    final = original_study.original_final(orig)
    n = int(final.groupby(["experiment", "arch", "case"])["run"].nunique().min())
    d80 = detectable_effect(n, paired=False)
    sd = {arch: float(np.sqrt((g.groupby(["experiment", "case"])["test_acc"].var(ddof=1)).mean()))
          for arch, g in final.groupby("arch")}
    return {"runs": n, "d80": fmt(d80), **{f"sd_{a}": fmt(s) for a, s in sd.items()},
            **{f"mde_{a}": fmt(d80 * s) for a, s in sd.items()}}


def low_power_count(table: pd.DataFrame) -> str:
    """'k of m': the interpreted differences whose power was below 80%."""
    col = next(c for c in table.columns if c.startswith("power with"))
    achieved = pd.to_numeric(table[col].replace("> 0.99", "1"), errors="coerce")
    return f"{int((achieved < 0.8).sum())} of {len(table)}"
