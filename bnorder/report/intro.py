"""The Introduction: the original study's numbers, and why they cannot carry its claims."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..analysis import stats, verdicts
from ..analysis.original_study import load_original_runs, original_final, original_summary
from .style import interval

# The comparisons behind the original study's conclusions: (runs, difference, a, b), each a
# (experiment, arch, case) whose final accuracies are compared as a − b.
COMPARISONS = [
    ("CNN, Experiment 1", "case2 − case1", ("exp1", "cnn", "case2"), ("exp1", "cnn", "case1")),
    ("CNN, Experiment 1", "case3 − case2", ("exp1", "cnn", "case3"), ("exp1", "cnn", "case2")),
    ("CNN, Experiment 2", "case2 − case1", ("exp2", "cnn", "case2"), ("exp2", "cnn", "case1")),
    ("CNN, Experiment 2", "case3 − case2", ("exp2", "cnn", "case3"), ("exp2", "cnn", "case2")),
    ("MLP, Experiment 2", "case2 − case1", ("exp2", "mlp", "case2"), ("exp2", "mlp", "case1")),
    ("MLP, Experiment 2", "case3 − case2", ("exp2", "mlp", "case3"), ("exp2", "mlp", "case2")),
    ("CNN, same configuration", "case1: Exp. 2 − Exp. 1", ("exp2", "cnn", "case1"), ("exp1", "cnn", "case1")),
]


def original_table() -> pd.DataFrame:
    """The study's final accuracies per experiment, network and case, with both spreads."""
    summary = original_summary(load_original_runs())
    table = summary.assign(
        experiment=summary["experiment"].map({"exp1": "Experiment 1", "exp2": "Experiment 2"}),
        arch=summary["arch"].str.upper())
    table = table.rename(columns={"arch": "network", "n": "runs", "mean": "mean (%)",
                                  "std_ddof0": "± reported (ddof 0)", "std_ddof1": "sample sd (ddof 1)"})
    return table.drop(columns=["our_arch"]).set_index(["experiment", "network", "case"]).round(2)


def _final_accs(final: pd.DataFrame, key: tuple) -> np.ndarray:
    experiment, arch, case = key
    sel = final[(final["experiment"] == experiment) & (final["arch"] == arch) & (final["case"] == case)]
    return sel["test_acc"].to_numpy()


def differences() -> pd.DataFrame:
    """Each comparison behind the study's conclusions: the difference of mean final accuracy
    with its Welch 95% interval, and whether the interval resolves it."""
    final = original_final(load_original_runs())
    rows = []
    for where, what, a, b in COMPARISONS:
        xa, xb = _final_accs(final, a), _final_accs(final, b)
        low, high = stats.welch_interval(xa, xb)
        rows.append({"runs": where, "difference": what, "mean (points)": xa.mean() - xb.mean(),
                     "95% CI": interval(low, high),
                     "verdict": verdicts.interval_state(low, high)})
    return pd.DataFrame(rows).set_index(["runs", "difference"]).round(2)


def facts() -> dict[str, str]:
    """The numbers the chapter's prose quotes, as text."""
    runs = load_original_runs()
    final = original_final(runs)
    s = original_summary(runs).set_index(["experiment", "arch", "case"])["mean"]
    n_runs = sorted(final.groupby(["experiment", "arch", "case"]).size().unique())
    exp1 = runs[runs["experiment"] == "exp1"]
    num = lambda x, d=2: f"{float(x):.{d}f}"  # noqa: E731
    return {
        "orig_n_runs": ", ".join(map(str, n_runs)), "orig_epochs": str(runs["epoch"].max()),
        "orig_bessel": num(np.sqrt(n_runs[0] / (n_runs[0] - 1)), 3),
        "orig_gain_claim": num(s["exp1", "cnn", "case3"] - s["exp1", "cnn", "case2"]),
        "orig_exp2_gain": num(s["exp2", "cnn", "case3"] - s["exp2", "cnn", "case2"]),
        "orig_exp1_case1": num(s["exp1", "cnn", "case1"]), "orig_exp2_case1": num(s["exp2", "cnn", "case1"]),
        "orig_repeat_diff": num(s["exp2", "cnn", "case1"] - s["exp1", "cnn", "case1"]),
        "orig_curves_runs": f"{exp1['run'].min()}–{exp1['run'].max()}",
        "orig_curves_epochs": f"{exp1['epoch'].min()}–{exp1['epoch'].max()}",
    }


def curves_figure():
    """Experiment 1's test accuracy after every epoch: each run thin, each case's mean thick."""
    runs = load_original_runs()
    exp1 = runs[runs["experiment"] == "exp1"]
    curves = exp1.assign(block=exp1["case"] + " (" + exp1["block"] + ")")
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    sns.lineplot(data=curves, x="epoch", y="test_acc", hue="block", units="run", estimator=None,
                 lw=0.8, alpha=0.45, ax=ax, legend=False)
    sns.lineplot(data=curves, x="epoch", y="test_acc", hue="block", errorbar=None, lw=2.5, ax=ax)
    ax.set(xlabel="epoch", ylabel="test accuracy (%)", xticks=sorted(curves["epoch"].unique()))
    ax.legend(title="case (block)", loc="lower right")
    fig.tight_layout()
    return fig
