"""The Conclusion (and the Introduction's one-figure answer): what the order changes, why,
how robust it is, and how to rerun it at full size."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import analysis as an
from .. import verdicts
from ..profiles import PROFILES
from . import deficit, explanations
from . import factorial as fx
from .mechanisms import judged, loader
from .replication import edition_label


def answer_rows(results, base: str) -> pd.DataFrame:
    """The position effect (BatchNorm after − before) for each network of the factorial chapter
    and for each one-knob variant of the MLP: one row each, with its interval and verdict."""
    runs, editions = fx.factorial_runs(results, base)
    eff = fx.effects(runs)
    rows = [{"label": f"{r.arch} ({edition_label(runs, editions, r.arch).replace('`', '')})",
             "group": "networks", "n": r.n,
             "mean": r.mean, "low": r.low, "high": r.high, "state": r.state}
            for r in eff[eff["contrast"] == an.POSITION].itertuples()]
    rows.sort(key=lambda row: an.ARCH_ORDER.index(row["label"].split(" ")[0]))
    rob = an.robustness_table(results, base, "final_test_acc", "mlp")
    for r in rob[(rob["variant"] != "(base)") & (rob["status"] == "ok")].itertuples():
        state = verdicts.interval_state(r.position_lo, r.position_hi)
        rows.append({"label": f"mlp, {r.variant}", "group": "mlp variants", "n": r.n,
                     "mean": r.position_mean, "low": r.position_lo, "high": r.position_hi, "state": state})
    return pd.DataFrame(rows, columns=["label", "group", "n", "mean", "low", "high", "state"])


def answer_figure(rows: pd.DataFrame):
    """One figure, the book's answer: the position effect with its 95% interval per network
    and per variant of the MLP (blue: interval excludes zero)."""
    fig, ax = plt.subplots(figsize=(7, 0.32 * len(rows) + 1.3))
    for i, r in enumerate(rows.itertuples()):
        y = len(rows) - 1 - i
        colour = "#4a6fa5" if r.state == "resolved" else "#7f7f7f"
        ax.errorbar(r.mean, y, xerr=[[r.mean - r.low], [r.high - r.mean]], fmt="o", color=colour,
                    capsize=3, ms=4)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(range(len(rows)), [f"{r.label} · {r.n} seeds" for r in rows.itertuples()][::-1], fontsize=8)
    ax.set_xlabel("BatchNorm after − before the activation (points of test accuracy)")
    fig.tight_layout()
    return fig


def headline(results, base: str) -> str:
    """Markdown: the position effect per network in one sentence each."""
    runs, editions = fx.factorial_runs(results, base)
    eff = fx.effects(runs)
    lines = [f"- **{r.arch}** ({edition_label(runs, editions, r.arch)}, {r.n} paired seeds): {r.sentence}."
             for r in eff[eff["contrast"] == an.POSITION].itertuples()]
    return "\n".join(lines) if lines else "*No complete paired seeds yet.*"


def why(results) -> str:
    """Markdown: each suspected cause with what its interventions made of it
    (:mod:`bnorder.report.explanations`)."""
    return explanations.markdown(judged(results))


def robustness(results, base: str) -> str:
    """Markdown: how many one-knob variants keep, lose or reverse the MLP's position verdict."""
    rob = an.robustness_table(results, base, "final_test_acc", "mlp")
    if not len(rob) or rob.iloc[0]["status"] != "ok":
        return "*The base profile has no complete seeds, so no variant can be compared with it.*"
    side = an.resolved(rob.iloc[0]["position_lo"], rob.iloc[0]["position_hi"])
    ran = rob[(rob["variant"] != "(base)") & (rob["status"] == "ok")]
    same = [v for v, lo, hi in zip(ran["variant"], ran["position_lo"], ran["position_hi"]) if an.resolved(lo, hi) == side]
    flipped = [v for v, lo, hi in zip(ran["variant"], ran["position_lo"], ran["position_hi"])
               if an.resolved(lo, hi) == -side != 0]
    open_ = [v for v in ran["variant"] if v not in same and v not in flipped]
    waiting = [f"`{p}`" for p, s in zip(rob["profile"], rob["status"]) if s != "ok"]
    parts = [f"{len(same)} of {len(ran)} one-knob variants of the MLP give the base's verdict on "
             f"the position ({', '.join(same) or 'none'})"]
    if flipped:
        parts.append(f"{len(flipped)} reverse it ({', '.join(flipped)})")
    if open_:
        parts.append(f"in {len(open_)} the interval does not decide ({', '.join(open_)})")
    text = "; ".join(parts) + "."
    if waiting:
        text += f" Not yet comparable: {', '.join(waiting)}."
    return text


def rerun_text(results) -> str:
    """Markdown: the full-size editions, whether their records exist, and the commands."""
    lines = []
    for name in ("factorial-gpu", "factorial-gpu-cosine", "cifar10-factorial"):
        p = PROFILES[name]
        have = len(loader(results)(name)) > 0
        lines.append(f"- `{name}`: {p.description} `python -m bnorder sweep --profile {name}"
                     f" --fuse-seeds`. " + ("Its records are present." if have else
                                            "It has not been run yet; no number in this book comes from it."))
    return "\n".join(lines)


def position_sides(results, base: str) -> dict[str, int]:
    """Per network: +1 when BatchNorm after the activation is resolved ahead, -1 when before
    is, 0 when unresolved."""
    runs, _ = fx.factorial_runs(results, base)
    eff = fx.effects(runs)
    return {r.arch: (r.direction if r.state == "resolved" else 0)
            for r in eff[eff["contrast"] == an.POSITION].itertuples()}


def literature_comparison(results, base: str) -> dict[str, str]:
    """Where the MLP's position effect and its training-split fit (prediction ``fit-mlp``) stand
    against the published results the Conclusion cites, each direction computed from the
    records: ``kaifabi`` (Markdown sentences) and ``chen`` (a clause)."""
    mlp = position_sides(results, base).get("mlp", 0)
    ours = {-1: "Our MLP has BatchNorm before the activation ahead too",
            1: "Our MLP has BatchNorm after the activation ahead, the opposite direction",
            0: "Our MLP does not resolve the order on test accuracy"}[mlp]
    table = judged(results)
    fit = table[table["id"] == "fit-mlp"].to_dict("records")
    fit_text = "its fit of the training split has not been measured yet."
    if fit and fit[0]["n"] >= 2:
        r = fit[0]
        fit_side = r["direction"] if r["state"] == "resolved" else 0
        fit_text = {-1: "but its `relu-bn` fits the training split worse than `bn-relu`, the opposite "
                        "of their training-set observation",
                    1: "and its `relu-bn` fits the training split better than `bn-relu`, as theirs did",
                    0: "and it does not resolve which order fits the training split better"}[fit_side]
        fit_text += f" ({r['mean']:+.2f} points, 95% CI {r['low']:+.2f} to {r['high']:+.2f}, {r['n']} seeds)."
    chen = {-1: "our MLP shows the opposite", 1: "our MLP agrees",
            0: "our MLP neither supports nor contradicts them"}[mlp]
    return {"kaifabi": f"{ours}, {fit_text}", "chen": chen}


def _precise_caveat(readings: pd.DataFrame, arch: str, side: int) -> str:
    """For a network whose order is decided with the running statistics: what the same
    comparison (`relu-bn` − `bn-relu`, :func:`deficit.readings_table`) says with precise
    statistics, when that is not resolved the same way."""
    key = (arch.upper(), "precise statistics")
    if side == 0 or key not in readings.index:
        return ""
    r = readings.loc[key]
    if r["verdict"] == "resolved" and np.sign(r["difference"]) == side:
        return ""
    return (f" But read with BatchNorm statistics re-estimated for the final weights (precise "
            f"BatchNorm), `relu-bn` − `bn-relu` is {r['difference']:+.2f} points (95% CI "
            f"{r['low']:+.2f} to {r['high']:+.2f}, {int(r['seeds'])} seeds), {r['verdict']}: the lead may "
            f"live in the running statistics rather than the weights ([Mechanisms](mechanisms.md)); "
            f"re-estimate them before choosing.")


def advice(results, base: str) -> str:
    """The practical advice, its direction following the data of each network, with the
    precise-statistics reading where it does not agree."""
    sides = position_sides(results, base)
    readings = deficit.readings_table(results) if sides else None
    lines = []
    for arch, side in sides.items():
        if side < 0:
            text = (f"- **{arch}**: keep BatchNorm before the activation (the conventional "
                    "order); moving it after costs accuracy here.")
        elif side > 0:
            text = f"- **{arch}**: try BatchNorm after the activation; it is ahead here."
        else:
            text = (f"- **{arch}**: the order is not decided by these seeds; choose on other "
                    "grounds, and test both if it matters to you.")
        lines.append(text + _precise_caveat(readings, arch, side))
    return "\n".join(lines) if lines else "*No networks with complete paired seeds yet.*"
