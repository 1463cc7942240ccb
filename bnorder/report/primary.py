"""The confirmatory answer as the introduction and the Confirmatory chapter show it: tables drawn
from the primary family's findings (``kind: primary`` in ``book/findings.json``, computed by
:mod:`bnorder.analysis.confirmatory`). Nothing is computed here but the words of a cell."""

from __future__ import annotations

import math

import pandas as pd

from ..runs import registry
from .style import NONE, fmt, interval

NETWORKS = {"mlp": "MLP", "cnn": "CNN"}
PROTOCOLS = {"original": "original protocol", "tuned": "each order tuned"}
# The introduction's columns: (what the column says, the question's id after "primary-<net>")
MEASURES = {"accuracy, running statistics": "accuracy",
            "accuracy, precise statistics": "accuracy-precise",
            "stability (spread ratio)": "stability",
            "generalization (train-test gap)": "generalization"}


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def verdict_words(f: dict) -> str:
    """The adjusted state in words, with the direction of a resolved effect."""
    state = f.get("state_adjusted", "unresolved")
    if state == "pending":
        return f"pending: decided at {f['seeds_planned']} seeds" if f.get("seeds_planned") else "pending"
    if state != "resolved":
        return state
    if f.get("test") == "spread-ratio":
        return "relu-bn steadier" if f["direction"] < 0 else "bn-relu steadier"
    if f.get("test") == "interaction":
        return "CNN's effect larger" if f["direction"] > 0 else "MLP's effect larger"
    return "relu-bn higher" if f["direction"] > 0 else "relu-bn lower"


def estimate(f: dict) -> str:
    """The estimate with its 95% interval: points for a difference, a ratio for a spread."""
    if not f or not f.get("n"):
        return NONE
    if f.get("test") == "spread-ratio":
        ratio = f"{fmt(f['mean'])}×" if _finite(f.get("mean")) else NONE
        return f"{ratio} ({interval(f['low'], f['high'], sign=False)})" if _finite(f.get("low")) else ratio
    text = fmt(f["mean"], sign=True)
    return f"{text} ({interval(f['low'], f['high'])})" if _finite(f.get("low")) else text


def seeds_text(f: dict | None) -> str:
    if not f:
        return NONE
    planned = f.get("seeds_planned")
    return f"{f.get('n', 0)} of {planned}" if planned else str(f.get("n", 0))


def answer_table(found: dict[str, dict]) -> pd.DataFrame:
    """One row per primary question, by network, protocol and measure: the estimate
    (relu-bn − bn-relu, points; a ratio of standard deviations for stability) with its 95%
    interval, the Holm-adjusted verdict, and the paired seeds landed of those planned. The last
    row is the network × order interaction. Narrow enough for the page's column."""
    rows = []
    for protocol, p_name in PROTOCOLS.items():
        for net, n_name in NETWORKS.items():
            key = f"primary-{net}" + ("-tuned" if protocol == "tuned" else "")
            for label, measure in MEASURES.items():
                qid = f"{key}-{measure}"
                if qid in _registered():
                    rows.append(_row(n_name, p_name, label, found.get(qid)))
    rows.append(_row("CNN − MLP", PROTOCOLS["original"], "accuracy, running statistics",
                     found.get("primary-order-by-network")))
    return pd.DataFrame(rows).set_index(["network", "protocol", "measure"])


def _row(network: str, protocol: str, measure: str, f: dict | None) -> dict:
    ran = bool(f and f.get("n"))
    return {"network": network, "protocol": protocol, "measure": measure,
            "relu-bn − bn-relu (95% interval)": estimate(f) if ran else "not run yet",
            "verdict, Holm": verdict_words(f) if ran else NONE, "seeds": seeds_text(f)}


def family_table(found: dict[str, dict]) -> pd.DataFrame:
    """Every primary question: its prediction, the seeds landed of those planned, the estimate
    and interval, p before and after Holm (no difference; equivalence within the margin), the
    unadjusted and the adjusted state, and the prediction's outcome."""
    rows = []
    for q in registry.primary():
        f = found.get(q["id"], {})
        p = lambda k: fmt(f.get(k), 4) if _finite(f.get(k)) else NONE  # noqa: E731
        rows.append({"question": q["id"].removeprefix("primary-"), "expected": q["expect"],
                     "seeds": f"{f.get('n', 0)} of {f.get('seeds_planned') or '—'}",
                     "estimate (95% interval)": estimate(f),
                     "p": p("p"), "p, Holm": p("p_holm"), "p equiv.": p("p_equiv"),
                     "p equiv., Holm": p("p_equiv_holm"),
                     "state": f.get("state", NONE) if f.get("complete") else "pending",
                     "state, Holm": f.get("state_adjusted", NONE),
                     "outcome": f.get("outcome", NONE)})
    return pd.DataFrame(rows).set_index("question")


def _registered() -> set[str]:
    return {q["id"] for q in registry.primary()}


def selection_table(found: dict[str, dict]) -> pd.DataFrame:
    """The tuned protocol's candidates (rows: step size and schedule) per network and order
    (columns): mean final validation accuracy over the selection seeds (findings
    ``selection-<arch>``), the chosen candidate starred; '—' for a candidate still missing seeds."""
    rows: dict[str, dict] = {}
    for net, name in NETWORKS.items():
        f = found.get(f"selection-{net}")
        if not f:
            continue
        for s in f["scores"]:
            chosen = (f["choice"] or {}).get(s["block"]) == {"lr": s["lr"], "schedule": s["schedule"]}
            label = f"{s['lr']:g}, {s['schedule']}"
            rows.setdefault(label, {})[f"{name} {s['block']}"] = fmt(s["val_acc"]) + (" *" if chosen else "")
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("step size, schedule")
