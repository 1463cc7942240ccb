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
"""

from __future__ import annotations

from pathlib import Path

from .orders import ALIASES

ORIGINAL_RUNS_CSV = Path(__file__).resolve().parent.parent / "book" / "reference" / "original-study-runs.csv"
COLUMNS = ("experiment", "arch", "case", "run", "epoch", "test_acc")
# The study's architecture names -> this project's (bnorder.config.ARCHS).
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
