"""The Robustness chapter: the factorial MLP with one knob changed at a time, against its base.

Each one-knob variant ``<base>-<name>`` (:data:`bnorder.profiles.VARIANTS`) is judged twice
with :func:`bnorder.verdicts.verdict`: its own position effect (BatchNorm after − before the
activation, per seed), and the change of that effect from the base's, paired by seed (a variant
starts each seed from the base's initial weights where the network is the same). The ranking
of the four cells comes from :func:`bnorder.analysis.robustness_table`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from .. import analysis as an
from .. import verdicts
from ..profiles import PROFILES, VARIANTS
from . import factorial as fx
from ..findings import loader
from .statistics import show  # noqa: F401  (the chapter shows its tables through it)

ARCH = "mlp"
VALUE = "final_test_acc"
# The equivalence margin for a change of the position effect (points): the margin of the
# Mechanisms chapter's predictions of no effect, half the MLP's position effect when written.
MARGIN = 0.35
CHANGE_WORDS = ("the variant favours BatchNorm after the activation more than the base",
                "the variant favours BatchNorm before the activation more than the base")
STATE_COLOURS = {"resolved": "#4a6fa5", "equivalent": "#2a7d3f", "unresolved": "#7f7f7f"}


def entries(base: str) -> list[tuple[str, str, str]]:
    """``(variant, profile, what changes)``: the base first, then every one-knob variant."""
    return [("(base)", base, "nothing: the base profile")] + [
        (name, f"{base}-{name}", what) for name, (_, what) in VARIANTS.items()]


def contrast_values(runs: pd.DataFrame, contrast: str = an.POSITION) -> pd.Series:
    """Per seed with all four cells of the MLP: the ``contrast`` (default: the position effect)."""
    if not len(runs):
        return pd.Series(dtype=float)
    c = an.factorial_contrasts(runs[runs["arch"] == ARCH], VALUE)
    return c[c["contrast"] == contrast].set_index("seed")["value"]


def _row(name: str, profile: str, what: str, runs: pd.DataFrame, base_position: pd.Series) -> dict:
    ok = fx.completed(runs)
    ok = ok[ok["arch"] == ARCH] if len(ok) else ok
    position = contrast_values(ok)
    n = len(position)
    status = "not run" if not len(ok) else "incomplete" if n < 2 else "ok"
    change = pd.Series(dtype=float)
    if status == "ok" and name != "(base)":
        pos, ref = position.align(base_position, join="inner")
        change = (pos - ref).dropna()
    return {"variant": name, "profile": profile, "what": what, "records": len(runs), "status": status,
            "n": n, "seeds": [int(s) for s in position.index], "values": position.tolist(),
            "position": verdicts.verdict(position.to_numpy()),
            "activation": verdicts.verdict(contrast_values(ok, an.ACTIVATION).to_numpy()),
            "change": verdicts.verdict(change.tolist(), margin=MARGIN),
            "change_seeds": [int(s) for s in change.index], "change_values": change.tolist()}


def variant_table(results, base: str) -> pd.DataFrame:
    """One row per variant (the base first): its profile, what it changes, its records, status
    (``ok``, ``incomplete``: fewer than two seeds with all four cells, ``not run``), paired seeds
    ``n`` and their ``seeds``, the per-seed position effects ``values`` and the verdicts
    ``position``, ``activation`` and ``change`` (of the position effect from the base's, paired by
    seed, with the equivalence margin :data:`MARGIN`) with its ``change_seeds`` (the seeds the
    variant shares with the base) and per-seed ``change_values``."""
    load = loader(results)
    base_position = contrast_values(fx.completed(load(base)))
    return pd.DataFrame([_row(name, profile, what, load(profile), base_position)
                         for name, profile, what in entries(base)])


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
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.5, 0.36 * max(len(rows), 3) + 1.4),
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
    left.set_xlabel("position effect: BatchNorm after − before\n(points of test accuracy)")
    right.set_xlabel(f"change from the base's effect, paired by seed\n(points; grey: ±{MARGIN})")
    if not len(rows):
        left.text(0.5, 0.5, "no runs yet", ha="center", va="center", transform=left.transAxes)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=s) for s, c in STATE_COLOURS.items()]
    right.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ words and tables

def setting(table: pd.DataFrame, results, base: str) -> str:
    """The base's network and training, and how many seeds the variants have (stated once)."""
    ok = fx.completed(loader(results)(base))
    ok = ok[ok["arch"] == ARCH] if len(ok) else ok
    if not len(ok):
        return ""
    data = fx.DATASET_NAME.get(ok["dataset"].iloc[0], ok["dataset"].iloc[0])
    text = (f"The base is the {ARCH} of profile `{base}`: {fx.size_text(ok)}, "
            f"{table.loc[0, 'n']} paired seeds, {data}.")
    ran = table[(table["variant"] != "(base)") & (table["status"] == "ok")]
    if len(ran):
        counts = ran.groupby("n")["variant"].apply(list).sort_index(ascending=False)
        parts = [f"{n}" + (f" ({', '.join(v)})" if len(counts) > 1 else "") for n, v in counts.items()]
        text += (f" Each variant repeats the base's first seeds; so far they have "
                 f"{' and '.join(parts)} paired seeds.")
    return text


def _side_word(v) -> str:
    if v.state != "resolved":
        return "unresolved"
    return f"resolved with BatchNorm {'after' if v.direction > 0 else 'before'} the activation ahead"


def summary(table: pd.DataFrame) -> str:
    """Markdown: where the position effect falls in the base and in the variants, and how the
    change from the base is judged (the direction words follow the data)."""
    base = table.iloc[0]
    if base["status"] != "ok":
        return "*Without complete runs of the base there is nothing to compare the variants with.*"
    ran = table[(table["variant"] != "(base)") & (table["status"] == "ok")]
    if not len(ran):
        return "*No variant has two complete seeds yet.*"
    sides = pd.Series([_side_word(v) for v in ran["position"]]).value_counts()
    parts = [f"{k} in {sides[k]}" for k in sides.index]
    parts = ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]
    states = pd.Series([v.state for v in ran["change"]]).value_counts()
    return (f"In the base the position effect is {_side_word(base['position'])}. Across the "
            f"{an.plural(len(ran), 'variant')} run it is {parts}. The change from the "
            f"base's effect is resolved in {states.get('resolved', 0)}, equivalent within "
            f"±{MARGIN} points in {states.get('equivalent', 0)} and unresolved in "
            f"{states.get('unresolved', 0)}.")


def verdict_list(table: pd.DataFrame) -> str:
    """Markdown: per variant that has run, its position effect and its change from the base."""
    lines = []
    for r in table[table["status"] == "ok"].itertuples():
        effect = verdicts.describe(r.position, *fx.WORDS[an.POSITION])
        if r.variant == "(base)":
            lines.append(f"- **base** (`{r.profile}`): {effect}.")
            continue
        change = (verdicts.describe(r.change, *CHANGE_WORDS) if r.change.n
                  else "no seeds in common with the base")
        lines.append(f"- **{r.variant}**, {r.what}. Position effect: {effect}; against the base: {change}.")
    return "\n".join(lines) or "*No variant has two complete seeds yet.*"


def _interval(v) -> str:
    return "—" if v.n < 2 else f"{v.mean:+.2f} ({v.low:+.2f} to {v.high:+.2f})"


def short_verdict(v) -> str:
    """The verdict on a change in a table cell: the state, and for an unresolved one its lean,
    the seeds that agree and about how many paired seeds would resolve it."""
    if v.n < 2:
        return "—"
    where = "after" if v.direction > 0 else "before"
    if v.state == "resolved":
        return f"resolved, towards {where}"
    if v.state == "equivalent":
        return f"equivalent within ±{v.margin}"
    if f"{abs(v.mean):.2f}" == "0.00":   # the cell shows +0.00: an estimate with no lean to report
        where = None
    seeds, within = verdicts.seeds_to_decide(v)
    goal = f" for ±{v.margin}" if within else ""
    needed = ("" if np.isnan(seeds) or seeds <= v.n
              else f"; >{verdicts.PLANNABLE:,} needed{goal}" if seeds > verdicts.PLANNABLE
              else f"; ~{seeds:,.0f} needed{goal}")
    lean = f"leans {where}; {v.agree} of {v.n} agree" if where else "no lean at two decimals"
    return f"unresolved, {lean}{needed}"


def _seeds(r) -> str:
    return {"ok": str(r.n), "not run": "not run yet"}.get(r.status, f"incomplete ({r.n})")


def effects_table(table: pd.DataFrame) -> pd.DataFrame:
    """Every variant: paired seeds (or why none), the position effect and its change from the
    base with 95% intervals, and the verdict on the change."""
    return pd.DataFrame({
        "variant": table["variant"], "seeds": [_seeds(r) for r in table.itertuples()],
        "position effect (95% CI)": [_interval(v) for v in table["position"]],
        "change from the base (95% CI)": [_interval(v) for v in table["change"]],
        "verdict on the change": [short_verdict(v) for v in table["change"]]})


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
            "Kendall's τ": f"{r['tau']:.2f}" if compared else "—",
            "reversed with confidence": (", ".join(r["reversed"]) or "none") if compared else "—"}


def ranking_table(rob: pd.DataFrame) -> pd.DataFrame:
    """From :func:`bnorder.analysis.robustness_table`: each variant's order of the four cells
    (best first), whether its best cell is the base's, Kendall's τ with the base's order, and the
    pairs of cells whose order is resolved in both and opposite."""
    if "ranking" not in rob:
        return pd.DataFrame()
    return pd.DataFrame([_ranking_row(r) for r in rob[rob["status"] == "ok"].to_dict("records")])


def ranking_sentence(rob: pd.DataFrame) -> str:
    """How many variants keep the base's order of the cells and its best cell, and how many
    reverse a resolved pair of cells."""
    ran = rob[(rob["variant"] != "(base)") & (rob["status"] == "ok")]
    if not len(ran) or "same" not in ran:
        return "No variant has been run yet, so there is no ranking to compare with the base's."
    flag = lambda col: int(ran[col].fillna(False).astype(bool).sum())  # noqa: E731
    reversed_ = sum(bool(x) for x in ran["reversed"] if isinstance(x, list))
    return (f"Of the {an.plural(len(ran), 'variant')} run, {flag('same')} keep the base's ranking "
            f"exactly and {flag('top_same')} keep its best cell; in {reversed_} the order of a pair "
            "of cells is resolved in the opposite direction to the base's.")


# ------------------------------------------------------------------ what is missing

def status_note(table: pd.DataFrame, rob: pd.DataFrame, base: str):
    """Markdown shown at the top when the base cannot be compared, or when a profile's records
    mix configurations; else None."""
    from IPython.display import Markdown

    lines = [f"**Warning: the records of `{p}` mix configurations.** {why}."
             for p, why in zip(rob["profile"], rob["pool_problem"]) if isinstance(why, str)]
    status = table.iloc[0]["status"]
    if status == "not run":
        lines.append(an.not_run_sentence(base, f"the base of the comparison, its {ARCH}") +
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
                     + "\n".join(f"- `{an.sweep_command(p)}`" for p in defined))
    if len(defined) > 1:
        lines.append(f"All of them in one go: `{an.sweep_command(','.join(defined))}`.")
    if undefined:
        lines.append(f"Not run yet and not defined in `bnorder.profiles` (one-knob variants are "
                     f"defined for the `factorial` profile), so there is nothing to run: "
                     + ", ".join(f"`{p}`" for p in undefined) + ".")
    return "\n\n".join(lines)
