"""The original study's runs, epoch by epoch (the Replication chapter): each case's score under
the final epoch the study reported, the best epoch, the mean of the last three epochs and the
late volatility; the case 1 deficit under each; and Experiment 1's comparisons under each score
as findings (:func:`score_rows`, ``original-exp1-cnn-<a>-vs-<b>-<score>``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..analysis import original_study
from ..analysis.replication import COMPARISONS, finding_id, original_runs
from ..analysis.stats import late_start
from .replication import comparison_label
from .style import NONE, block_palette, fmt

EP_SCORES = {"final": "final epoch", "best": "best epoch", "last3": "last three epochs",
             "late_volatility": "late volatility"}
DEF = original_study.DEFICIT[0]                                # "case1 − mean(case2, case3)"


def epoch_table(original=None) -> pd.DataFrame:
    """Experiment 1 scored four ways: the case means and case 1 minus the mean of cases 2 and 3
    with its Welch interval and how many case-1 runs lie on that side."""
    con = original_study.case_contrasts(original_runs(original)).set_index(["score", "contrast"])
    means = original_study.case_scores(original_runs(original)).pivot(index="score", columns="case", values="mean")
    rows = []
    for score, label in EP_SCORES.items():
        d = con.loc[(score, DEF)]
        rows.append({"score": label, **{c.replace("case", "case "): fmt(means.loc[score, c])
                                        for c in original_study.CASES},
                     "case 1 − others [95% CI]":
                         f"{fmt(d['estimate'], sign=True)} "
                         f"[{fmt(d['ci_low'], sign=True)}, {fmt(d['ci_high'], sign=True)}]",
                     "case-1 runs on that side": f"{int(d['runs_agree'])} of {int(d['n_runs'])}"})
    return pd.DataFrame(rows).set_index("score")


def epochs_figure(original=None):
    """One panel per case: every run's late test accuracy (lines), its best epoch (open circle),
    the mean of its last three epochs (bar) and its final epoch (dot) in Experiment 1."""
    runs = original_runs(original)
    exp1 = runs[runs["experiment"] == "exp1"]
    scores = original_study.run_scores(runs)
    last = int(exp1["epoch"].max())
    first, palette = late_start(last) - 1, block_palette()
    fig, axes = plt.subplots(1, len(original_study.CASES), figsize=(2.4 * len(original_study.CASES), 3.1), sharey=True)
    for ax, case in zip(axes, original_study.CASES):
        sub, sc = exp1[(exp1["case"] == case) & (exp1["epoch"] >= first)], scores[scores["case"] == case]
        ax.axvspan(first + 0.5, last + 0.5, color="0.94", zorder=0)
        for _, curve in sub.groupby("run"):
            curve = curve.sort_values("epoch")
            ax.plot(curve["epoch"], curve["test_acc"], color=palette[sc["block"].iloc[0]], lw=0.9)
        ax.scatter(sc["best_epoch"], sc["best"], s=34, facecolors="none", edgecolors="black", lw=0.9,
                   zorder=3, label="best epoch")
        ax.scatter([last] * len(sc), sc["final"], s=16, color="black", zorder=3, label="final epoch")
        ax.hlines(sc["last3"], last - original_study.LAST + 0.75, last + 0.25, color="0.2", zorder=2,
                  label="mean of last three")
        ax.set(title=f"{case.replace('case', 'case ')} ({sc['block'].iloc[0]})", xlabel="epoch",
               xticks=range(first, last + 1))
    axes[0].set_ylabel("test accuracy (%)")
    axes[-1].legend(loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def _setup_facts(runs) -> dict:
    exp1 = runs[runs["experiment"] == "exp1"]
    last = int(exp1["epoch"].max())
    n = original_study.case_scores(runs)["n"].min()
    return {"ep_last_epoch": last, "ep_late_from": late_start(last),
            "ep_first_epoch": late_start(last) - 1,
            "ep_last3_epochs": f"{last - original_study.LAST + 1}–{last}", "ep_n": int(n)}


def _run_facts(runs) -> dict:
    """What the individual runs do: dips, volatility and where their best epoch lies."""
    per_run = original_study.run_scores(runs)
    first = per_run["case"] == "case1"
    means = original_study.case_scores(runs).pivot(index="score", columns="case", values="mean")
    last = per_run["epochs"].max()
    rest = per_run[~first]
    return {"ep_best_epoch_1": fmt(means.loc["best_epoch", "case1"], 1),
            "ep_best_at_end_23": f"{int((rest['best_epoch'] == last).sum())} of {len(rest)}"}


def _tables_facts(runs) -> dict:
    """The same CNN in the study's two tables: case 1's mean in each, and how much of the
    change in its deficit between them the dip of Experiment 1's last epoch accounts for."""
    tab = original_study.table_consistency(runs)
    tab = tab[tab["arch"] == "cnn"].set_index(["exp1_score", "quantity"])
    final, last3, c1 = tab.loc[("final", DEF)], tab.loc[("last3", DEF)], tab.loc[("final", "case1")]
    dip_part = final["difference"] - last3["difference"]
    return {"ep_c1_exp1": fmt(c1["exp1"]), "ep_c1_exp2": fmt(c1["exp2"]),
            "ep_change_dip": fmt(dip_part),
            "ep_change_dip_share": f"{100 * dip_part / final['difference']:.0f}%"
            if final["difference"] else NONE}


def _ranking_facts(runs) -> dict:
    """The order of the case means under each score, and in Experiment 2 (labels such as
    ``case3 > case2 > case1``)."""
    rk = original_study.case_ranking(runs).set_index(["arch", "score"]).loc["cnn"]
    rk2 = original_study.case_ranking(runs, "exp2", scores=("final",)).set_index("arch").loc["cnn"]
    return {"ep_rank_final": rk.loc["final", "ranking"], "ep_rank_vol": rk.loc["late_volatility", "ranking"],
            "ep_rank_exp2": rk2["ranking"]}


def epoch_facts(original=None) -> dict[str, str]:
    """Every number and label the epoch-by-epoch section glues, by name (its verdicts are
    findings: :func:`bnorder.findings.original_epoch_findings`)."""
    runs = original_runs(original)
    facts = {}
    for part in (_setup_facts, _run_facts, _tables_facts, _ranking_facts):
        facts |= part(runs)
    return {k: str(v) for k, v in facts.items()}


SCORE_IDS = {"final": "", "best": "-best", "last3": "-last3", "late_volatility": "-late-volatility"}


def score_rows(arch: str = "cnn") -> dict[str, str]:
    """``{label: finding id}``: Experiment 1's three pairwise comparisons under each score
    (:data:`EP_SCORES`; the final epoch is what the study reported)."""
    return {f"{comparison_label(block, ref)}, {label}":
            finding_id(arch, block, ref, "exp1") + SCORE_IDS[score]
            for block, ref in COMPARISONS for score, label in EP_SCORES.items()}


def scores_table(found: dict | None = None) -> pd.DataFrame:
    """:func:`bnorder.report.verdict_table` of :func:`score_rows`."""
    from . import verdict_table

    return verdict_table(score_rows(), found)
