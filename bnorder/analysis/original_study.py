"""The original study's reported numbers, kept as data and loaded in one place.

``book/reference/original-study-runs.csv`` holds the test accuracies (percent, CIFAR-10) that the
original study reported, one row per (experiment, architecture, case, run, epoch):

    exp1  the CNN, cases 1-3, 5 runs each, every epoch 1-10 (from the study's executed notebook;
          its epoch-10 values give the study's Experiment 1 table)
    exp2  the study's Experiment 2: the final (epoch-10) accuracy of each of 5 runs, CNN and MLP

The study's ``mlp`` is its own MLPNetwork, which this project calls ``seed-mlp``; its ``caseK``
names map to this project's block names through :data:`bnorder.orders.ALIASES`. The study's
``±`` is the population standard deviation (``numpy.std``, ddof=0); :func:`original_summary`
gives both that and the sample standard deviation (ddof=1).

Experiment 1 printed every epoch, so its runs can be read as curves: :func:`run_scores` scores
each run at its final epoch, its best epoch, the mean of its last three epochs and by its late
volatility; :func:`case_scores`, :func:`case_ranking` and :func:`case_contrasts` compare the
cases under each score (Welch intervals, the runs are unpaired); :func:`deficit_decomposition`
splits case 1's final-epoch deficit into a lower level and a last-epoch dip; and
:func:`table_consistency` sets Experiment 1 against Experiment 2, the same CNN trained again.
"""

from __future__ import annotations

from pathlib import Path

from ..orders import ALIASES
from .stats import late_volatility
from .verdicts import interval_sign

ORIGINAL_RUNS_CSV = Path(__file__).resolve().parents[2] / "book" / "reference" / "original-study-runs.csv"
COLUMNS = ("experiment", "arch", "case", "run", "epoch", "test_acc")
# The study's architecture names -> this project's (bnorder.runs.config.ARCHS).
ARCH_NAMES = {"cnn": "cnn", "mlp": "seed-mlp"}


def load_original_runs(path: str | Path | None = None):
    """The original study's per-run (and, for exp1, per-epoch) test accuracies.

    Returns a DataFrame with the CSV's columns plus ``block`` (this project's block name for
    the case) and ``our_arch`` (this project's name for the architecture). Raises
    ``FileNotFoundError`` or ``ValueError`` naming the file when it is missing or malformed.
    """
    import pandas as pd

    path = Path(path) if path is not None else ORIGINAL_RUNS_CSV
    if not path.exists():
        raise FileNotFoundError(f"original study's numbers not found at {path}; "
                                f"copy original-study-runs.csv there")
    runs = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in runs.columns]
    if missing:
        raise ValueError(f"malformed {path}: missing column(s) {', '.join(missing)}; "
                         f"expected {', '.join(COLUMNS)}")
    unknown_cases = sorted(set(runs["case"]) - set(ALIASES))
    if unknown_cases:
        raise ValueError(f"malformed {path}: unknown case(s) {', '.join(map(str, unknown_cases))}; "
                         f"valid cases: {', '.join(ALIASES)}")
    unknown_archs = sorted(set(runs["arch"]) - set(ARCH_NAMES))
    if unknown_archs:
        raise ValueError(f"malformed {path}: unknown arch(s) {', '.join(map(str, unknown_archs))}; "
                         f"valid archs: {', '.join(ARCH_NAMES)}")
    if runs["test_acc"].isna().any() or not runs["test_acc"].between(0, 100).all():
        raise ValueError(f"malformed {path}: test_acc must be a percentage in [0, 100]")
    runs["block"] = runs["case"].map(ALIASES)
    runs["our_arch"] = runs["arch"].map(ARCH_NAMES)
    return runs


def original_final(runs=None):
    """The final-epoch row of every run (what the study reported), one row per run."""
    runs = load_original_runs() if runs is None else runs
    last = runs.groupby("experiment")["epoch"].transform("max")
    return runs[runs["epoch"] == last].reset_index(drop=True)


def original_summary(runs=None):
    """Per experiment x arch x case: number of runs, mean, the study's ``±`` (population std,
    ddof=0) and the sample std (ddof=1) of the final-epoch test accuracy."""
    final = original_final(runs)
    keys = ["experiment", "arch", "our_arch", "case", "block"]
    acc = final.groupby(keys, sort=True)["test_acc"]
    out = acc.agg(n="count", mean="mean").reset_index()
    out["std_ddof0"] = acc.std(ddof=0).to_numpy()
    out["std_ddof1"] = acc.std(ddof=1).to_numpy()
    return out


ORIGINAL_PRINTED_CSV = ORIGINAL_RUNS_CSV.with_name("original-study-printed.csv")


def load_original_printed(path: str | Path | None = None):
    """The original study's result tables as it printed them: mean and ± per (experiment, arch,
    case), as text, so that the rounding of every printed number is known."""
    import pandas as pd

    return pd.read_csv(path or ORIGINAL_PRINTED_CSV, dtype=str)


# --------------------------------------------------------------------------- epoch by epoch
#
# Experiment 1 printed every epoch of every run, so each run can be scored in more than one way.
# A score is a column of :func:`run_scores`; "best" for a case means the highest accuracy or the
# lowest volatility.

SCORES = ("final", "best", "last3", "late_volatility")
LOWER_IS_BETTER = frozenset({"late_volatility"})
LAST = 3
CASES = tuple(ALIASES)
# Linear contrasts of case means (weights), the case1 deficit first: case1 minus the others.
CONTRASTS = {
    "case1 − mean(case2, case3)": {"case1": 1.0, "case2": -0.5, "case3": -0.5},
    "case1 − case2": {"case1": 1.0, "case2": -1.0},
    "case1 − case3": {"case1": 1.0, "case3": -1.0},
    "case3 − case2": {"case3": 1.0, "case2": -1.0},
}
DEFICIT = tuple(c for c in CONTRASTS if c.startswith("case1"))
RUN_KEYS = ["experiment", "arch", "our_arch", "case", "block", "run"]


def _named(runs):
    """``runs`` (the original study's data, or a hand-made frame with the CSV's columns) with
    the ``block`` and ``our_arch`` columns that :func:`load_original_runs` adds."""
    runs = load_original_runs() if runs is None else runs
    if "block" not in runs or "our_arch" not in runs:
        runs = runs.assign(block=runs["case"].map(ALIASES), our_arch=runs["arch"].map(ARCH_NAMES))
    return runs


def _curve_scores(curve, last: int, late_from: int | None) -> dict:
    """The scores of one run's curve (a DataFrame with ``epoch``, ``test_acc``)."""
    import numpy as np

    curve = curve.sort_values("epoch")
    acc, epochs = curve["test_acc"].to_numpy(float), curve["epoch"].to_numpy(int)
    final = acc[-1]
    several = acc.size > 1
    last3 = acc[epochs > epochs[-1] - last]
    last3 = last3.mean() if last3.size == last else np.nan
    return {"epochs": acc.size, "final": final,
            "best": acc.max() if several else np.nan,
            "best_epoch": epochs[acc.argmax()] if several else np.nan,   # first epoch at the max
            "last3": last3, "dip": final - last3,
            "late_volatility": late_volatility(epochs, acc, late_from)}


def run_scores(runs=None, experiment: str = "exp1", *, last: int = LAST,
               late_from: int | None = None):
    """One row per run of ``experiment``: the scores of its test-accuracy curve (percent).

    * ``final``: the accuracy at the run's last epoch (what the study reported);
    * ``best`` and ``best_epoch``: its highest accuracy over the epochs and the first epoch that
      reaches it (an epoch chosen on the test set, so an optimistic score);
    * ``last3``: the mean of its last ``last`` (3) epochs, epochs 8-10 of 10;
    * ``dip``: ``final - last3``, negative when the last epoch falls below the run's late level;
    * ``late_volatility``: the mean absolute epoch-to-epoch change over the second half of
      training, mean of |acc(k) - acc(k-1)| over the consecutive epochs k-1, k from ``late_from``
      (default: :func:`late_start`, the first epoch of the second half) to the last: for 10
      epochs the four changes 6→7, 7→8, 8→9 and 9→10. Lower is steadier.

    A score the recorded epochs cannot give is NaN: Experiment 2 kept only the final epoch, so
    its runs have ``final`` alone. ``epochs`` counts the recorded epochs."""
    import pandas as pd

    runs = _named(runs)
    sub = runs[runs["experiment"] == experiment]
    if sub.empty:
        raise ValueError(f"no rows for experiment {experiment!r}")
    rows = [{**dict(zip(RUN_KEYS, key)), **_curve_scores(curve, last, late_from)}
            for key, curve in sub.groupby(RUN_KEYS, sort=True)]
    return pd.DataFrame(rows)


def _ranks(values, score: str):
    """Rank 1 = the best case: highest accuracy, lowest volatility (ties share the lower rank)."""
    return values.rank(ascending=score in LOWER_IS_BETTER, method="min")


def case_scores(runs=None, experiment: str = "exp1", *, scores=(*SCORES, "best_epoch"), **kw):
    """Per arch, case and score (see :func:`run_scores`): the number of runs ``n``, ``mean``,
    sample ``sd`` (ddof=1), the 95 % t interval of the mean over runs (``ci_low``, ``ci_high``,
    :func:`bnorder.analysis.stats.mean_interval`) and ``rank`` among the cases of the arch (1 = best:
    highest accuracy, lowest ``late_volatility``; none for ``best_epoch``, which is no score).
    Scores with no values (all of Experiment 2's but ``final``) are left out. ``kw`` goes to
    :func:`run_scores`."""
    import pandas as pd

    from .stats import mean_interval

    per_run = run_scores(runs, experiment, **kw)
    rows = []
    for (arch, case, block), g in per_run.groupby(["arch", "case", "block"], sort=True):
        for score in scores:
            v = g[score].dropna()
            if v.empty:
                continue
            low, high = mean_interval(v, method="t")
            rows.append({"arch": arch, "case": case, "block": block, "score": score, "n": len(v),
                         "mean": v.mean(), "sd": v.std(ddof=1), "ci_low": low, "ci_high": high})
    out = pd.DataFrame(rows)
    out["rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for (arch, score), g in out.groupby(["arch", "score"]):
        if score != "best_epoch":
            out.loc[g.index, "rank"] = _ranks(g["mean"], score).astype(int).to_numpy()
    return out


def case_ranking(runs=None, experiment: str = "exp1", *, scores=SCORES, **kw):
    """Per arch and score: the cases ranked best first (``ranking``, e.g. ``"case3 > case2 >
    case1"``; for ``late_volatility`` ``"<"``, the steadiest first), whether that order is the
    one of the final epoch (``same_as_final``), and how many of its adjacent steps (best vs
    second, second vs third) a 95 % Welch interval resolves (``n_resolved`` of ``n_steps``,
    :func:`bnorder.analysis.stats.welch_interval` of the two cases' runs excluding zero); ``unresolved``
    lists the steps it does not. Ties keep the case order."""
    import pandas as pd

    from .stats import welch_interval

    per_run = run_scores(runs, experiment, **kw)
    means = case_scores(runs, experiment, scores=scores, **kw)
    rows = []
    for (arch, score), g in means.groupby(["arch", "score"], sort=False):
        order = list(g.sort_values(["rank", "case"])["case"])
        sign = " < " if score in LOWER_IS_BETTER else " > "
        arch_runs = per_run[per_run["arch"] == arch]
        unresolved = []
        for better, worse in zip(order, order[1:]):
            low, high = welch_interval(arch_runs.loc[arch_runs["case"] == better, score],
                                       arch_runs.loc[arch_runs["case"] == worse, score])
            if not interval_sign(low, high):
                unresolved.append(f"{better}{sign}{worse}")
        rows.append({"arch": arch, "score": score, "ranking": sign.join(order), "order": order,
                     "n_steps": len(order) - 1, "n_resolved": len(order) - 1 - len(unresolved),
                     "unresolved": ", ".join(unresolved)})
    out = pd.DataFrame(rows)
    at_final = out[out["score"] == "final"]
    final = dict(zip(at_final["arch"], at_final["order"]))
    out["same_as_final"] = [final.get(a) == o for a, o in zip(out["arch"], out["order"])]
    return out.drop(columns="order")


def _contrast(per_run, weights: dict, score: str) -> dict:
    """A contrast of case means of one score, its Welch interval, and how many runs of its
    leading case lie on the estimate's side of the other cases' weighted mean."""
    import numpy as np

    from .stats import contrast_interval

    groups = [per_run.loc[per_run["case"] == c, score].dropna() for c in weights]
    est, low, high = contrast_interval(groups, list(weights.values()))
    lead = groups[0]
    rest = -sum(w * g.mean() for w, g in zip(list(weights.values())[1:], groups[1:]))
    agree = int((np.sign(lead - rest) == np.sign(est)).sum()) if est == est and est != 0 else 0
    return {"estimate": est, "ci_low": low, "ci_high": high,
            "resolved": interval_sign(low, high),
            "runs_agree": agree, "n_runs": len(lead)}


def case_contrasts(runs=None, experiment: str = "exp1", *, scores=SCORES,
                   contrasts: dict | None = None, **kw):
    """Per arch, score and contrast of case means (:data:`CONTRASTS`: the case1 deficit
    ``case1 − mean(case2, case3)``, ``case1 − case2``, ``case1 − case3``; and
    ``case3 − case2``):

    ``estimate`` (points; for ``late_volatility`` a positive value means the first case is less
    steady), its 95 % Welch-Satterthwaite interval over the unpaired runs (``ci_low``,
    ``ci_high``; :func:`bnorder.analysis.stats.contrast_interval`), ``resolved`` (+1 when the interval lies
    above zero, -1 below, 0 when it includes zero), and ``runs_agree`` of ``n_runs``: the runs of
    the first case that lie on the estimate's side of the other cases' (weighted) mean. Scores
    with no values in ``experiment`` are left out."""
    import pandas as pd

    per_run = run_scores(runs, experiment, **kw)
    rows = []
    for arch, g in per_run.groupby("arch", sort=True):
        for score in scores:
            if g[score].isna().all():
                continue
            for name, weights in (contrasts or CONTRASTS).items():
                rows.append({"arch": arch, "score": score, "contrast": name,
                             **_contrast(g, weights, score)})
    return pd.DataFrame(rows)


def deficit_decomposition(runs=None, experiment: str = "exp1", **kw):
    """What the case1 deficit at the final epoch is made of. Per run, final = last3 + dip, so
    for every case1 contrast (:data:`DEFICIT`) the final-epoch deficit is exactly the sum of a
    ``level`` part (the same contrast of the mean of the last three epochs) and a ``dip`` part
    (the contrast of final − last3: case1 runs ending below their own late level).

    One row per arch, contrast and ``part`` (``final``, ``level``, ``dip``), with the columns of
    :func:`case_contrasts` and ``share``: the part's estimate over the final-epoch deficit."""
    con = case_contrasts(runs, experiment, scores=("final", "last3", "dip"),
                         contrasts={c: CONTRASTS[c] for c in DEFICIT}, **kw)
    con = con.assign(part=con["score"].map({"final": "final", "last3": "level", "dip": "dip"}))
    final = con[con["part"] == "final"].set_index(["arch", "contrast"])["estimate"]
    con["share"] = con["estimate"].to_numpy() / final.reindex(
        list(zip(con["arch"], con["contrast"]))).to_numpy()
    return con[["arch", "contrast", "part", "estimate", "ci_low", "ci_high", "resolved",
                "runs_agree", "n_runs", "share"]].reset_index(drop=True)


def table_consistency(runs=None, *, exp1_scores=("final", "last3", "best"), **kw):
    """The same networks in the study's two tables: Experiment 2 (final epoch only) against
    Experiment 1 scored at its final epoch, its last three epochs and its best epoch.

    One row per arch in both experiments (the CNN), Experiment 1 score and ``quantity``: each case
    (its mean) and the case1 deficit ``case1 − mean(case2, case3)``. Columns ``exp1`` and
    ``exp2`` (the quantity in each), ``difference`` (exp2 − exp1), its 95 % Welch-Satterthwaite
    interval over the unpaired runs of both tables (``ci_low``, ``ci_high``;
    :func:`bnorder.analysis.stats.contrast_interval`) and ``resolved`` (+1/-1 when the interval excludes
    zero, 0 when the two tables agree within it)."""
    import pandas as pd

    from .stats import contrast_interval

    one, two = run_scores(runs, "exp1", **kw), run_scores(runs, "exp2", **kw)
    quantities = {c: {c: 1.0} for c in CASES} | {DEFICIT[0]: CONTRASTS[DEFICIT[0]]}
    rows = []
    for arch in sorted(set(one["arch"]) & set(two["arch"])):
        a, b = one[one["arch"] == arch], two[two["arch"] == arch]
        for score in exp1_scores:
            for name, weights in quantities.items():
                g1 = [a.loc[a["case"] == c, score].dropna() for c in weights]
                g2 = [b.loc[b["case"] == c, "final"].dropna() for c in weights]
                w = list(weights.values())
                est, low, high = contrast_interval([*g2, *g1], [*w, *(-x for x in w)])
                rows.append({"arch": arch, "exp1_score": score, "quantity": name,
                             "exp1": sum(x * g.mean() for x, g in zip(w, g1)),
                             "exp2": sum(x * g.mean() for x, g in zip(w, g2)),
                             "difference": est, "ci_low": low, "ci_high": high,
                             "resolved": interval_sign(low, high)})
    return pd.DataFrame(rows)
