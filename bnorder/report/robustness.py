"""The Robustness chapter's figure and tables: the factorial MLP with one knob changed at a time,
against its base. What they show is computed in :mod:`bnorder.analysis.robustness` (the verdicts of each
variant, :func:`~bnorder.analysis.robustness.variant_table`, and its ranking of the four cells,
:func:`~bnorder.analysis.robustness.robustness_table`); the verdict tables read the findings
``robustness-<variant>-position`` and ``robustness-<variant>-change`` (:func:`verdict_rows`).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..analysis.pooling import loader
from ..analysis.robustness import ARCH, MARGIN
from ..findings import robustness_id
from ..runs.profiles import PROFILES, VARIANTS
from ..runs.records import completed
from . import factorial as fx
from .missing_runs import not_run_sentence, sweep_command
from .style import DATASET_NAMES, NONE, STATE_COLOURS, fmt, interval

# ------------------------------------------------------------------ the answer figure

def _forest(ax, rows: pd.DataFrame, key: str, values: str) -> None:
    for i, r in enumerate(rows.itertuples()):
        y, v = len(rows) - 1 - i, getattr(r, key)
        if v.n < 2:
            continue
        colour = STATE_COLOURS[v.state]
        dots = getattr(r, values)
        ax.scatter(dots, np.full(len(dots), y + 0.22), s=9, color=colour, alpha=0.5, lw=0)
        ax.errorbar(v.mean, y, xerr=[[v.mean - v.low], [v.high - v.mean]], fmt="o", color=colour,
                    capsize=3, ms=4)
    ax.axvline(0, color="black", lw=0.8)


def answer_figure(table: pd.DataFrame):
    """Left: the position effect of the base and of every variant that has run (dots: seeds;
    point and bar: mean and 95% interval; the base's interval shaded). Right: its change from
    the base's, paired by seed, with the equivalence margin shaded. Colour: the verdict."""
    rows = table[table["status"] == "ok"].reset_index(drop=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(7.2, 0.36 * max(len(rows), 3) + 1.4),
                                      sharey=True, gridspec_kw={"width_ratios": [1, 1]})
    if len(rows) and rows.loc[0, "variant"] == "(base)":
        b = rows.loc[0, "position"]
        left.axvspan(b.low, b.high, color=STATE_COLOURS[b.state], alpha=0.1, lw=0)
    right.axvspan(-MARGIN, MARGIN, color="#dddddd", lw=0)
    _forest(left, rows, "position", "values")
    _forest(right, rows, "change", "change_values")
    if len(rows) and rows.loc[0, "variant"] == "(base)":
        right.text(0, len(rows) - 1, "(the base itself)", ha="center", va="center", fontsize=8,
                   color="#555555")
    labels = [f"{'base' if r.variant == '(base)' else r.variant} · {r.n} seeds" for r in rows.itertuples()]
    left.set_yticks(range(len(rows)), labels[::-1], fontsize=8)
    left.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    left.set_xlabel("position effect: BatchNorm after\n− before (points of test accuracy)")
    right.set_xlabel(f"change from the base's effect, paired\nby seed (points; grey: ±{MARGIN})")
    if not len(rows):
        left.text(0.5, 0.5, "no runs yet", ha="center", va="center", transform=left.transAxes)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=s) for s, c in STATE_COLOURS.items()
               if s in ("resolved", "equivalent", "unresolved")]
    right.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ setting and tables

def setting(table: pd.DataFrame, results, base: str) -> str:
    """The base's network and training, and how many seeds the variants have (stated once)."""
    ok = completed(loader(results)(base))
    ok = ok[ok["arch"] == ARCH] if len(ok) else ok
    if not len(ok):
        return ""
    data = DATASET_NAMES.get(ok["dataset"].iloc[0], ok["dataset"].iloc[0])
    text = (f"The base is the {ARCH} of profile `{base}`: {fx.size_text(ok)}, "
            f"{table.loc[0, 'n']} paired seeds, {data}.")
    ran = table[(table["variant"] != "(base)") & (table["status"] == "ok")]
    if len(ran):
        counts = ran.groupby("n")["variant"].apply(list).sort_index(ascending=False)
        parts = [f"{n}" + (f" ({', '.join(v)})" if len(counts) > 1 else "") for n, v in counts.items()]
        text += (f" Each variant repeats the base's first seeds; so far they have "
                 f"{' and '.join(parts)} paired seeds.")
    return text


def _interval(v) -> str:
    return NONE if v.n < 2 else f"{fmt(v.mean, sign=True)} ({interval(v.low, v.high)})"


def verdict_rows(what: str, base_label: str = "base") -> dict[str, str]:
    """``{label: finding id}`` for :func:`bnorder.report.verdict_table`: every variant's
    ``what`` (``position`` or ``change``) finding (:func:`bnorder.findings.robustness_id`), and for
    the position the base's own first (the factorial MLP's, ``factorial-mlp-position``)."""
    rows = {base_label: f"factorial-{ARCH}-position"} if what == "position" else {}
    return {**rows, **{name: robustness_id(name, what) for name in VARIANTS}}


def activation_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every variant that has run: the activation effect (LeakyReLU − ReLU) and its verdict."""
    ran = table[table["status"] == "ok"]
    return pd.DataFrame({"variant": ran["variant"], "seeds": ran["n"],
                         "activation effect (95% CI)": [_interval(v) for v in ran["activation"]],
                         "verdict": [v.state for v in ran["activation"]]})


def _ranking_row(r: dict) -> dict:
    """One row of :func:`ranking_table`; '—' where there is no base to compare with."""
    compared = r["variant"] != "(base)" and isinstance(r.get("reversed"), list)
    return {"variant": r["variant"], "cells, best first": " > ".join(r["ranking"]),
            "same best cell": ("yes" if r["top_same"] else "no") if compared else "—",
            "Kendall's τ": fmt(r["tau"]) if compared else "—",
            "reversed with confidence": (", ".join(r["reversed"]) or "none") if compared else "—"}


def ranking_table(rob: pd.DataFrame) -> pd.DataFrame:
    """From :func:`bnorder.analysis.robustness.robustness_table`: each variant's order of the four cells
    (best first), whether its best cell is the base's, Kendall's τ with the base's order, and the
    pairs of cells whose order is resolved in both and opposite."""
    if "ranking" not in rob:
        return pd.DataFrame()
    return pd.DataFrame([_ranking_row(r) for r in rob[rob["status"] == "ok"].to_dict("records")])


def ranking_counts(rob: pd.DataFrame) -> dict[str, int]:
    """Counts over the variants run (:func:`bnorder.analysis.robustness.robustness_table`): ``run``, those
    that keep the base's ranking of the four cells exactly (``same``), keep its best cell
    (``top_same``), and reverse a pair of cells whose order is resolved in both (``reversed``)."""
    ran = rob[(rob["variant"] != "(base)") & (rob["status"] == "ok")] if "status" in rob else rob.iloc[:0]
    if not len(ran) or "same" not in ran:
        return {"run": 0, "same": 0, "top_same": 0, "reversed": 0}
    flag = lambda col: int(ran[col].fillna(False).astype(bool).sum())  # noqa: E731
    return {"run": len(ran), "same": flag("same"), "top_same": flag("top_same"),
            "reversed": sum(bool(x) for x in ran["reversed"] if isinstance(x, list))}


# ------------------------------------------------------------------ what is missing

def status_note(table: pd.DataFrame, rob: pd.DataFrame, base: str):
    """Markdown shown at the top when the base cannot be compared, or when a profile's records
    mix configurations; else None."""
    from IPython.display import Markdown

    lines = [f"**Warning: the records of `{p}` mix configurations.** {why}."
             for p, why in zip(rob["profile"], rob["pool_problem"]) if isinstance(why, str)]
    status = table.iloc[0]["status"]
    if status == "not run":
        lines.append(not_run_sentence(base, f"the base of the comparison, its {ARCH}") +
                     " Without it no variant can be compared with the base.")
    elif status == "incomplete":
        lines.append(f"The base profile `{base}` has fewer than two seeds with all four cells of "
                     f"the {ARCH}, so no variant can be compared with it yet.")
    return Markdown("\n\n".join(lines)) if lines else None


def waiting_text(table: pd.DataFrame, base: str) -> str:
    """Markdown: the variants not run or incomplete, with the command that runs them."""
    rest = table[(table["variant"] != "(base)") & (table["status"] != "ok")]
    if not len(rest):
        return "Every variant has been run."
    lines = []
    partial = rest[rest["status"] == "incomplete"]["profile"].tolist()
    if partial:
        lines.append("Started but with fewer than two complete seeds (rerunning their sweeps "
                     "completes them): " + ", ".join(f"`{p}`" for p in partial) + ".")
    waiting = rest[rest["status"] == "not run"]["profile"].tolist()
    defined = [p for p in waiting if p in PROFILES]
    undefined = [p for p in waiting if p not in PROFILES]
    if defined:
        lines.append("Not run yet, so no numbers are shown for them; each runs with its own sweep:\n\n"
                     + "\n".join(f"- `{sweep_command(p)}`" for p in defined))
    if len(defined) > 1:
        lines.append(f"All of them in one go: `{sweep_command(','.join(defined))}`.")
    if undefined:
        lines.append("Not run yet and not defined in `bnorder.runs.profiles` (one-knob variants are "
                     "defined for the `factorial` profile), so there is nothing to run: "
                     + ", ".join(f"`{p}`" for p in undefined) + ".")
    return "\n\n".join(lines)
