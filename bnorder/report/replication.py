"""The Replication chapter: the original study's claims against our rerun of its protocol.

The study's numbers are data (``book/reference/``, :mod:`bnorder.reference`). Its runs are
unpaired, so its comparisons use Welch intervals (:func:`bnorder.stats.contrast_interval`); ours
are paired by seed, so they use :func:`bnorder.verdicts.verdict` on the per-seed differences.
Both end in the three verdict states of :mod:`bnorder.verdicts`.

The seed-mlp and the mlp come from the book's profile (``$BNORDER_BOOK_PROFILE``, default
``cpu``). The CNN comes from the strongest edition that trained the study's three cases with at
least two complete seeds (:data:`bnorder.report.factorial.CNN_EDITIONS`): ``factorial-gpu``, then
``cnn-converged``, and only when neither has, the book profile's own CNN (in ``cpu``: 4,000
images and 5 epochs, early training only).
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats as sps

from .. import analysis as an
from .. import reference, stats, verdicts
from ..orders import ALIASES
from ..profiles import ORIGINAL_CASES, PROFILES
from . import factorial as fx
from ..findings import completed, loader

CASES = ORIGINAL_CASES                                   # bn-relu, relu-bn, lrelu-bn
CASE = {"bn-relu": "case 1", "relu-bn": "case 2", "lrelu-bn": "case 3"}
ARCHS = ["cnn", "seed-mlp", "mlp"]                       # the chapter's order of networks
# The comparisons the study's claims rest on, as (block, reference): block − reference.
COMPARISONS = [("relu-bn", "bn-relu"), ("lrelu-bn", "relu-bn"), ("lrelu-bn", "bn-relu")]
HARDLY = 0.5   # points: our reading of the study's "the order hardly matters" (in the MLPs)
VALUES = {"final_test_acc": "final epoch", "best_val_epoch_test_acc": "best-validation epoch"}
SOURCES = {"exp1": "the study, Experiment 1", "exp2": "the study, Experiment 2", "here": "here"}
MARKERS = {"exp1": "s", "exp2": "D", "here": "o"}
COLOURS = {"resolved": "#4a6fa5", "equivalent": "#2a7d3f", "unresolved": "#7f7f7f"}
DASH = "—"


def book_profile(env=None) -> str:
    """The profile of the rerun (``$BNORDER_BOOK_PROFILE``, default ``cpu``)."""
    env = os.environ if env is None else env
    return env.get("BNORDER_BOOK_PROFILE", "cpu")


def original_runs(original=None) -> pd.DataFrame:
    """The study's runs (:func:`bnorder.reference.load_original_runs`), or ``original``, a frame
    with the same columns, named as that function names them (``block``, ``our_arch``)."""
    if original is None:
        return reference.load_original_runs()
    return original.assign(block=original["case"].map(ALIASES),
                           our_arch=original["arch"].map(reference.ARCH_NAMES))


def study_facts(original=None) -> dict[str, str]:
    """The study's protocol as its data show it: runs per case and epochs, and the 95%
    interval of a standard deviation from that many runs, as multiples of the estimate."""
    final = reference.original_final(original_runs(original))
    n = int(final.groupby(["experiment", "arch", "case"]).size().min())
    low, high = (np.sqrt((n - 1) / sps.chi2.ppf(q, n - 1)) for q in (0.975, 0.025))
    return {"study_runs": str(n), "study_epochs": str(int(original_runs(original)["epoch"].max())),
            "sd_low": f"{low:.2f}", "sd_high": f"{high:.2f}"}


def comparison_label(block: str, ref: str) -> str:
    """``"case 2 − case 1"``."""
    return f"{CASE[block]} − {CASE[ref]}"


def margin_for(arch: str) -> float | None:
    """The equivalence margin of a comparison: the MLPs carry the claim that the order hardly
    matters; the CNN's claims are directional."""
    return HARDLY if arch in ("seed-mlp", "mlp") else None


# ------------------------------------------------------------------ which runs

def _cases(runs: pd.DataFrame) -> pd.DataFrame:
    """The completed runs of the study's three cases (other blocks of a profile left out)."""
    runs = completed(runs)
    return runs[runs["block"].isin(CASES)] if len(runs) else runs


def complete_seeds(runs: pd.DataFrame) -> int:
    """How many seeds of ``runs`` (one network) completed all three cases."""
    if not len(runs):
        return 0
    per_seed = _cases(runs).groupby("seed")["block"].nunique()
    return int((per_seed == len(CASES)).sum())


def replication_runs(results, base: str, load=None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The completed runs of the three cases the chapter analyses and, per network, the profile
    they come from. The seed-mlp and mlp come from ``base``; the CNN from the first edition of
    :data:`~bnorder.report.factorial.CNN_EDITIONS` with two or more complete seeds, else from
    ``base`` whatever its seeds. ``load(profile)`` (default: the records under ``results``)
    returns a profile's records."""
    return fx.edition_runs(load or loader(results), base, _cases, complete_seeds)


def archs_of(runs: pd.DataFrame) -> list[str]:
    return an.ordered(runs["arch"], ARCHS) if len(runs) else []


def early(sub: pd.DataFrame) -> bool:
    """A network trained on a subset of the images or for fewer than the study's 10 epochs."""
    return bool(sub["train_subset"].max() or int(sub["epochs"].max()) < 10)


def network_text(sub: pd.DataFrame) -> str:
    """A network's size and training as a phrase, from its runs' configs."""
    r = sub.iloc[0]
    if r["arch"] == "seed-mlp":
        size = "the study's MLP (the order in its first layer only)"
    else:
        unit = "channels" if r["arch"] == "cnn" else "units"
        size = f"{int(r['depth'])} blocks of {int(r['width'])} {unit}"
    images = f"{int(r['train_subset']):,} training images" if r["train_subset"] else "the full training split"
    epochs = an.plural(int(sub["epochs"].max()), "epoch")
    return f"{size}, {images}, {epochs}" + (" (early training only)" if early(sub) else "")


def edition_label(runs: pd.DataFrame, editions: dict[str, str], arch: str) -> str:
    """``"profile `cpu`, early training only"``: where a network's numbers come from."""
    sub = runs[runs["arch"] == arch]
    return f"profile `{editions[arch]}`" + (", early training only" if early(sub) else "")


def setting(runs: pd.DataFrame, editions: dict[str, str]) -> str:
    """The chapter's setting in two sentences: per network its profile, size, training and
    seeds; then the data, batch, optimizer and validation split they share."""
    if not len(runs):
        return ""
    parts = [f"the {arch} from profile `{editions[arch]}`: {network_text(runs[runs['arch'] == arch])}, "
             f"{an.plural(complete_seeds(runs[runs['arch'] == arch]), 'paired seed')}"
             for arch in archs_of(runs)]
    data = " and ".join(an.DATASET_NAMES.get(d, d) for d in sorted(runs["dataset"].unique()))
    batch = " or ".join(str(int(b)) for b in sorted(runs["batch_size"].unique()))
    lr = " or ".join(f"{x:g}" for x in sorted(runs["lr"].unique()))
    held = ", ".join(f"{v:.0%}" for v in sorted(runs["val_fraction"].unique()))
    return (f"In this chapter {'; '.join(parts)}. All train on {data} with batch {batch} and Adam at "
            f"a learning rate of {lr}, with {held} of the training images held out for validation.")


def data_note(runs: pd.DataFrame) -> str:
    """Whether the rerun's accuracies can be set against the study's (CIFAR-10) directly."""
    data = sorted(runs["dataset"].unique()) if len(runs) else []
    if not data or data == ["cifar10"]:
        return ("The rerun uses the study's data, CIFAR-10, so its accuracies can be set against "
                "the study's directly, and so can the pattern.") if data else \
            "Until the rerun has runs, only the study's numbers are shown."
    names = " and ".join(an.DATASET_NAMES.get(d, d) for d in data)
    return (f"{names} {'is' if len(data) == 1 else 'are'} not CIFAR-10, so the accuracies here "
            "cannot be set against the study's in absolute terms. The pattern can: which case is "
            "ahead, by how much compared with the spread over seeds, and whether that holds in "
            "every network.")


def reductions(editions: dict[str, str], base: str) -> str:
    """Markdown list: what the chapter's profiles change relative to the original protocol
    (a base profile's line about its CNN is left out when the CNN comes from elsewhere; with
    no runs yet, everything ``base`` would change)."""
    editions = editions or {arch: base for arch in an.planned_archs(base)} or {None: base}
    lines = []
    for arch, profile in editions.items():
        for r in PROFILES[profile].reductions if profile in PROFILES else []:
            own = r.split(":")[0] if ":" in r else None
            if own in (None, arch) and r not in lines:
                lines.append(r)
    return "\n".join(f"- {r}" for r in lines) or "- nothing"


# ------------------------------------------------------------------ status

def status_note(records: pd.DataFrame, base: str, results):
    """Markdown for the top of the chapter: no records, runs that did not complete, or records
    that mix configurations (else None)."""
    from IPython.display import Markdown

    from ..records import check_poolable, load_record

    if not len(completed(records)):
        return Markdown(
            f"**No completed run records of profile `{base}` were found** under `{results}`, so "
            f"the rerun has no numbers yet; the original study's, which are data, are shown in "
            f"full. Create them with `{an.sweep_command(base)}` and build the book again (set "
            f"`BNORDER_RESULTS` if the records are elsewhere).")
    notes = []
    try:
        check_poolable(completed(records))
    except ValueError as e:
        notes.append(f"**These records mix configurations.** {e}. Rerun the profile into an "
                     "empty results folder.")
    for r in records[records["status"] != "ok"].sort_values(["arch", "block", "seed"]).itertuples():
        error = (load_record(r.path).get("failure") or {}).get("error")
        notes.append(f"`{r.arch}`, `{r.block}`, seed {r.seed} {r.status}"
                     + (f": `{str(error).replace('`', chr(39))}`" if error else "")
                     + "; it is left out of every number.")
    return Markdown("\n\n".join(notes)) if notes else None


# ------------------------------------------------------------------ comparisons

def paired(runs: pd.DataFrame, arch: str, block: str, ref: str, value: str = "final_test_acc"):
    """Per-seed differences ``block − ref`` of one network (seeds with both), or None."""
    wide = an.by_seed(runs, value, arch) if len(runs) else pd.DataFrame()
    if block not in wide or ref not in wide:
        return None
    return (wide[block] - wide[ref]).dropna()


def describe_runs(v: verdicts.Verdict, higher: str, lower: str) -> str:
    """:func:`bnorder.verdicts.describe` for unpaired runs: its words, counted in runs."""
    return (verdicts.describe(v, higher, lower).replace("seeds agree", "runs agree")
            .replace("paired seeds would", "runs per case would"))


def comparisons(runs: pd.DataFrame, value: str = "final_test_acc", original=None) -> pd.DataFrame:
    """Every comparison behind the study's claims, per network and source: the study's two
    experiments (unpaired, Welch) and ``here`` (paired by seed; ``values``: the seeds')."""
    final = reference.original_final(original_runs(original))
    rows = []
    for arch in ARCHS:
        for block, ref in COMPARISONS:
            for exp, g in final[final["our_arch"] == arch].groupby("experiment"):
                v = verdicts.unpaired_verdict(g.loc[g["block"] == block, "test_acc"],
                                     g.loc[g["block"] == ref, "test_acc"], margin_for(arch))
                rows.append({"arch": arch, "block": block, "ref": ref, "source": exp,
                             "values": [], **v.as_dict()})
            d = paired(runs, arch, block, ref, value)
            if d is not None and len(d):
                v = verdicts.verdict(d.to_numpy(), margin_for(arch))
                rows.append({"arch": arch, "block": block, "ref": ref, "source": "here",
                             "values": d.tolist(), **v.as_dict()})
    columns = ["arch", "block", "ref", "source", "values", *verdicts.Verdict.__dataclass_fields__]
    return pd.DataFrame(rows, columns=columns)


def _draw_comparison(ax, r, y: float) -> None:
    colour = COLOURS[r.state]
    if len(r.values):
        ax.scatter(r.values, np.full(len(r.values), y - 0.1), s=9, color=colour, alpha=0.5, lw=0)
    if np.isfinite(r.low):
        ax.errorbar(r.mean, y, xerr=[[r.mean - r.low], [r.high - r.mean]], fmt=MARKERS[r.source],
                    color=colour, capsize=2, ms=4)
    else:
        ax.plot(r.mean, y, MARKERS[r.source], color=colour, ms=4)


def claims_figure(table: pd.DataFrame):
    """One panel per network: each comparison of :data:`COMPARISONS` from the study's two
    experiments and from here, with its 95% interval coloured by verdict; the margin of
    "hardly matters" shaded in the MLPs."""
    archs = an.ordered(table["arch"], ARCHS) if len(table) else []
    fig, axes = plt.subplots(1, max(1, len(archs)), figsize=(3.3 * max(1, len(archs)), 2.9),
                             squeeze=False, sharey=True)
    offsets = {"exp1": 0.27, "exp2": 0.0, "here": -0.27}
    for ax, arch in zip(axes[0], archs):
        if margin_for(arch):
            ax.axvspan(-margin_for(arch), margin_for(arch), color="#e8e8e8", lw=0)
        for i, (block, ref) in enumerate(COMPARISONS):
            sub = table[(table["arch"] == arch) & (table["block"] == block) & (table["ref"] == ref)]
            for r in sub.itertuples():
                _draw_comparison(ax, r, len(COMPARISONS) - 1 - i + offsets[r.source])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(range(len(COMPARISONS)), [comparison_label(*c) for c in COMPARISONS][::-1])
        ax.set(title=arch, xlabel="difference (points)")
    handles = [plt.Line2D([], [], marker=MARKERS[s], ls="", color="black", label=label)
               for s, label in SOURCES.items()]
    handles += [plt.Line2D([], [], marker="o", ls="", color=c, label=s) for s, c in COLOURS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0), handletextpad=0.2, columnspacing=1.2)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


# ------------------------------------------------------------------ the claims in words

CLAIMS = [  # (network, block, reference, the claim)
    ("cnn", "relu-bn", "bn-relu", "In the CNN, case 2 (`relu-bn`) beats case 1 (`bn-relu`)."),
    ("cnn", "lrelu-bn", "relu-bn", "In the CNN, case 3 (`lrelu-bn`) beats case 2 (`relu-bn`), "
     "thanks to LeakyReLU."),
    ("seed-mlp", "relu-bn", "bn-relu", "In the MLP the order hardly matters: case 2 against case 1."),
    ("seed-mlp", "lrelu-bn", "bn-relu", "In the MLP the order hardly matters: case 3 against case 1."),
    ("mlp", "relu-bn", "bn-relu", "The same claim for an MLP whose every block carries the order "
     "(our `mlp`; the study had none): case 2 against case 1."),
    ("mlp", "lrelu-bn", "bn-relu", "The same for our `mlp`: case 3 against case 1."),
]


def _words(block: str, ref: str) -> tuple[str, str]:
    return f"{CASE[block]} scores higher than {CASE[ref]}", f"{CASE[block]} scores lower than {CASE[ref]}"


def claim_item(runs, editions, arch, block, ref, claim, original=None) -> str:
    """One claim as a Markdown list item: the study's verdicts, then ours at both epochs."""
    final = reference.original_final(original_runs(original))
    mine = final[final["our_arch"] == arch]
    lines = [f"- **{claim}**"]
    study = [f"in Experiment {exp[-1]}, " + describe_runs(verdicts.unpaired_verdict(
                 g.loc[g["block"] == block, "test_acc"], g.loc[g["block"] == ref, "test_acc"],
                 margin_for(arch)), *_words(block, ref))
             for exp, g in mine.groupby("experiment")]
    if study:
        lines.append(f"  - The study (CIFAR-10): {'; '.join(study)}.")
    ours = []
    for value, label in {"final_test_acc": "last", "best_val_epoch_test_acc": "best-validation"}.items():
        d = paired(runs, arch, block, ref, value)
        if d is not None and len(d):
            v = verdicts.verdict(d.to_numpy(), margin_for(arch))
            ours.append(f"at the {label} epoch, {verdicts.describe(v, *_words(block, ref))}")
    where = f"Here ({arch}, {edition_label(runs, editions, arch)})" if arch in editions else "Here"
    lines.append(f"  - {where}: {'; '.join(ours)}." if ours else f"  - {where}: not run yet.")
    return "\n".join(lines)


def claims_text(runs: pd.DataFrame, editions: dict[str, str], original=None) -> str:
    """Markdown: each accuracy claim of the study with its verdicts there and here."""
    return "\n".join(claim_item(runs, editions, *c, original=original) for c in CLAIMS)


def _epoch_summary(table: pd.DataFrame, runs: pd.DataFrame, editions: dict[str, str]) -> list[str]:
    """Per network, the comparisons of ``table`` (one epoch) that are resolved, with the case
    ahead, or within the margin."""
    here = table[table["source"] == "here"]
    parts = []
    for arch in an.ordered(here["arch"], ARCHS):
        sub = list(here[here["arch"] == arch].itertuples())
        label = f"the {arch} ({edition_label(runs, editions, arch)})"
        if max(r.n for r in sub) < 2:
            parts.append(f"{label} has too few paired seeds to judge ({max(r.n for r in sub)})")
            continue
        ahead = [f"{CASE[r.block]} {'ahead of' if r.direction > 0 else 'behind'} {CASE[r.ref]}"
                 for r in sub if r.state == "resolved"]
        within = [comparison_label(r.block, r.ref) for r in sub if r.state == "equivalent"]
        text = f"{label} resolves " + (" and ".join(ahead) or f"none of its {len(sub)} comparisons")
        parts.append(text + (f" and puts {' and '.join(within)} within the margin" if within else ""))
    return parts


def rerun_summary(runs: pd.DataFrame, editions: dict[str, str]) -> str:
    """Markdown: per network of the rerun and per reported epoch, the comparisons its intervals
    resolve (and which case is ahead) or put within the margin."""
    sentences = []
    for value, when in {"final_test_acc": "At the last epoch of our rerun",
                        "best_val_epoch_test_acc": "At the best-validation epoch"}.items():
        parts = _epoch_summary(comparisons(runs, value), runs, editions)
        if parts:
            sentences.append(f"{when}, {'; '.join(parts)}.")
    return " ".join(sentences) or "*Our rerun has no paired seeds yet.*"


# ------------------------------------------------------------------ accuracy and spread

def _mean_sd(values) -> str:
    v = pd.Series(values, dtype=float).dropna()
    if not len(v):
        return DASH
    return f"{v.iloc[0]:.2f} (1 run)" if len(v) == 1 else f"{v.mean():.2f} ± {v.std(ddof=1):.2f}"


def accuracy_table(runs: pd.DataFrame, original=None) -> pd.DataFrame:
    """Per network and case: test accuracy as mean ± sample sd (ddof=1) here at the final and
    best-validation epochs, and in the study's two experiments (CIFAR-10, final epoch)."""
    final = reference.original_final(original_runs(original))
    rows = []
    for arch in ARCHS:
        for block in CASES:
            mine = runs[(runs["arch"] == arch) & (runs["block"] == block)] if len(runs) else runs
            study = final[(final["our_arch"] == arch) & (final["block"] == block)]
            if not len(mine) and not len(study):
                continue
            row = {"network": arch, "case": f"{CASE[block]} ({block})"}
            row.update({f"here, {label}": _mean_sd(mine[v]) if len(mine) else DASH
                        for v, label in VALUES.items()})
            row.update({f"study, Exp. {e[-1]}": _mean_sd(study.loc[study["experiment"] == e, "test_acc"])
                        for e in ("exp1", "exp2")})
            rows.append(row)
    return pd.DataFrame(rows).set_index(["network", "case"]) if rows else pd.DataFrame()


def sd_ratio(a, b, paired_runs: bool) -> tuple[float, float, float]:
    """sd(a) / sd(b) and its 95% interval. Unpaired runs: the F interval of the variance ratio.
    Runs paired by seed: the Pitman-Morgan interval, which allows for the correlation r of the
    pairs: the variance ratio F times K ± √(K² − 1), K = 1 + 2 (1 − r²) t² / (n − 2), t the 97.5%
    point of Student's t with n − 2 degrees of freedom. NaN where there are too few runs."""
    a, b = (np.asarray(pd.Series(x, dtype=float).dropna()) for x in (a, b))
    if min(a.size, b.size) < (3 if paired_runs else 2) or b.var() == 0:
        return np.nan, np.nan, np.nan
    f = a.var(ddof=1) / b.var(ddof=1)
    if paired_runs:
        n, r = a.size, np.corrcoef(a, b)[0, 1]
        k = 1 + 2 * (1 - r ** 2) * sps.t.ppf(0.975, n - 2) ** 2 / (n - 2)
        low, high = f * (k - np.sqrt(k ** 2 - 1)), f * (k + np.sqrt(k ** 2 - 1))
    else:
        low = f / sps.f.ppf(0.975, a.size - 1, b.size - 1)
        high = f / sps.f.ppf(0.025, a.size - 1, b.size - 1)
    return float(np.sqrt(f)), float(np.sqrt(low)), float(np.sqrt(high))


def spread_rows(runs: pd.DataFrame, original=None) -> pd.DataFrame:
    """Per network, case 2 and 3 and source: the ratio of its spread over runs to case 1's,
    with its 95% interval (runs paired by seed here, unpaired in the study)."""
    final = reference.original_final(original_runs(original))
    rows = []
    for arch in ARCHS:
        for block in CASES[1:]:
            wide = an.by_seed(runs, "final_test_acc", arch) if len(runs) else pd.DataFrame()
            if {block, "bn-relu"} <= set(wide.columns):
                both = wide[[block, "bn-relu"]].dropna()
                ratio = sd_ratio(both[block], both["bn-relu"], True)
                rows.append({"arch": arch, "block": block, "source": "here",
                             **dict(zip(("ratio", "low", "high"), ratio))})
            for exp, g in final[final["our_arch"] == arch].groupby("experiment"):
                ratio = sd_ratio(g.loc[g["block"] == block, "test_acc"],
                                 g.loc[g["block"] == "bn-relu", "test_acc"], False)
                rows.append({"arch": arch, "block": block, "source": exp,
                             **dict(zip(("ratio", "low", "high"), ratio))})
    return pd.DataFrame(rows, columns=["arch", "block", "source", "ratio", "low", "high"])


def spread_table(rows: pd.DataFrame) -> pd.DataFrame:
    """:func:`spread_rows` as a narrow table: networks and cases down, sources across."""
    if not len(rows):
        return pd.DataFrame()
    def text(r):
        if not np.isfinite(r.ratio):
            return DASH
        return f"{r.ratio:.2f} [{r.low:.2f}, {r.high:.2f}]" if np.isfinite(r.low) else f"{r.ratio:.2f}"

    cell = rows.assign(text=[text(r) for r in rows.itertuples()],
                       case=[f"{CASE[b]} ({b})" for b in rows["block"]])
    table = cell.pivot_table(index=["arch", "case"], columns="source", values="text", aggfunc="first")
    table = table.reindex(columns=[s for s in SOURCES if s in table.columns]).fillna(DASH)
    table = table.rename(columns={s: "here" if s == "here" else f"study, Exp. {s[-1]}" for s in SOURCES})
    table = table.reindex(an.ordered(table.index.get_level_values(0), ARCHS), level=0)
    return table.rename_axis(index=["network", "case"], columns=None)


def spread_text(rows: pd.DataFrame) -> str:
    """Markdown: which spread ratios an interval resolves, and in which direction."""
    def said(r):
        side = "less" if r.high < 1 else "more"
        return (f"{r.arch}'s {CASE[r.block]} spreads {side} than case 1 (ratio {r.ratio:.2f}, "
                f"95% CI {r.low:.2f} to {r.high:.2f})")

    parts = []
    for source, who in (("exp1", "In the study's Experiment 1"), ("exp2", "in its Experiment 2"),
                        ("here", "and here")):
        sub = rows[(rows["source"] == source) & rows["low"].notna()]
        res = [r for r in sub.itertuples() if r.low > 1 or r.high < 1]
        if not len(sub):
            parts.append(f"{who}, no ratio has an interval yet")
            continue
        parts.append(f"{who}, {len(res)} of {len(sub)} ratios are resolved"
                     + (f" ({'; '.join(said(r) for r in res)})" if res else ""))
    return "; ".join(parts) + "."


# ------------------------------------------------------------------ provenance

def every_record(results, base: str, editions: dict[str, str]) -> pd.DataFrame:
    """Every record the chapter draws on, failed ones too: the base profile's, and the CNN
    edition's when it is another profile."""
    load = loader(results)
    other = editions.get("cnn", base)
    frames = [f for f in (load(base), load(other) if other != base else None) if f is not None and len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def runs_table(records: pd.DataFrame) -> pd.DataFrame:
    """Every record, one row per run: status, epochs run and its accuracies."""
    if not len(records):
        return pd.DataFrame()
    t = records.assign(epochs_run=records["history"].apply(len))
    cols = {"status": "status", "epochs_run": "epochs", "final_test_acc": "final epoch",
            "best_val_epoch": "best-val. epoch", "best_val_epoch_test_acc": "test acc. there"}
    t = t.set_index(["profile", "arch", "block", "seed"])[list(cols)].rename(columns=cols)
    return t.sort_index().round(2)


def provenance_table(records: pd.DataFrame) -> pd.DataFrame:
    """The code version, device and libraries the records ran with, and their compute time."""
    if not len(records):
        return pd.DataFrame()
    r = records.assign(commit=records["prov_git_commit"].fillna("unknown").str.slice(0, 12),
                       hours=records["prov_wall_seconds"].astype(float) / 3600)
    keys = {"profile": "profile", "commit": "commit", "prov_device_name": "device",
            "prov_torch_version": "PyTorch"}
    out = r.groupby(list(keys), dropna=False).agg(runs=("seed", "size"), hours=("hours", "sum"))
    return out.rename_axis(index=list(keys.values())).round(2)


# ------------------------------------------------------------------ the study's runs, epoch by epoch

EP_SCORES = {"final": "final epoch", "best": "best epoch", "last3": "last three epochs",
             "late_volatility": "late volatility"}
DEF = reference.DEFICIT[0]                                # "case1 − mean(case2, case3)"


def _n(x, digits=2, sign=True) -> str:
    return an.fmt(x, digits, sign)


def _ci(row) -> str:
    return f"95% CI {_n(row['ci_low'])} to {_n(row['ci_high'])}"


def _state(row) -> str:
    return "resolved" if row["resolved"] else "unresolved"


def _side(row, lead="case-1", rest="the mean of cases 2 and 3") -> str:
    side = "above" if row["estimate"] > 0 else "below"
    return f"{int(row['runs_agree'])} of {int(row['n_runs'])} {lead} runs lie {side} {rest}"


def epoch_table(original=None) -> pd.DataFrame:
    """Experiment 1 scored four ways: the case means and case 1 minus the mean of cases 2 and 3
    with its Welch interval and how many case-1 runs lie on that side."""
    con = reference.case_contrasts(original_runs(original)).set_index(["score", "contrast"])
    means = reference.case_scores(original_runs(original)).pivot(index="score", columns="case", values="mean")
    rows = []
    for score, label in EP_SCORES.items():
        d = con.loc[(score, DEF)]
        rows.append({"score": label, **{c.replace("case", "case "): _n(means.loc[score, c], sign=False)
                                        for c in reference.CASES},
                     "case 1 − others [95% CI]":
                         f"{_n(d['estimate'])} [{_n(d['ci_low'])}, {_n(d['ci_high'])}]",
                     "case-1 runs on that side": f"{int(d['runs_agree'])} of {int(d['n_runs'])}"})
    return pd.DataFrame(rows).set_index("score")


def epochs_figure(original=None):
    """One panel per case: every run's late test accuracy (lines), its best epoch (open circle),
    the mean of its last three epochs (bar) and its final epoch (dot) in Experiment 1."""
    runs = original_runs(original)
    exp1 = runs[runs["experiment"] == "exp1"]
    scores = reference.run_scores(runs)
    last = int(exp1["epoch"].max())
    first, palette = reference.late_start(last) - 1, an.block_palette()
    fig, axes = plt.subplots(1, len(reference.CASES), figsize=(3.1 * len(reference.CASES), 3.1), sharey=True)
    for ax, case in zip(axes, reference.CASES):
        sub, sc = exp1[(exp1["case"] == case) & (exp1["epoch"] >= first)], scores[scores["case"] == case]
        ax.axvspan(first + 0.5, last + 0.5, color="0.94", zorder=0)
        for _, curve in sub.groupby("run"):
            curve = curve.sort_values("epoch")
            ax.plot(curve["epoch"], curve["test_acc"], color=palette[sc["block"].iloc[0]], lw=0.9)
        ax.scatter(sc["best_epoch"], sc["best"], s=34, facecolors="none", edgecolors="black", lw=0.9,
                   zorder=3, label="best epoch")
        ax.scatter([last] * len(sc), sc["final"], s=16, color="black", zorder=3, label="final epoch")
        ax.hlines(sc["last3"], last - reference.LAST + 0.75, last + 0.25, color="0.2", zorder=2,
                  label="mean of last three")
        ax.set(title=f"{case.replace('case', 'case ')} ({sc['block'].iloc[0]})", xlabel="epoch",
               xticks=range(first, last + 1))
    axes[0].set_ylabel("test accuracy (%)")
    axes[-1].legend(loc="lower right", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def _setup_facts(runs) -> dict:
    exp1 = runs[runs["experiment"] == "exp1"]
    last = int(exp1["epoch"].max())
    n = reference.case_scores(runs)["n"].min()
    return {"ep_last_epoch": last, "ep_late_from": reference.late_start(last),
            "ep_first_epoch": reference.late_start(last) - 1,
            "ep_last3_epochs": f"{last - reference.LAST + 1}–{last}", "ep_n": int(n)}


def _deficit_facts(runs) -> dict:
    """Case 1's deficit under each score."""
    con = reference.case_contrasts(runs).set_index(["score", "contrast"])
    facts = {}
    for score in EP_SCORES:
        d = con.loc[(score, DEF)]
        facts |= {f"ep_{score}_d": _n(d["estimate"]), f"ep_{score}_ci": _ci(d), f"ep_{score}_word": _state(d)}
    final = con.loc[("final", DEF)]
    facts["ep_final_abs"] = _n(abs(final["estimate"]), sign=False)
    facts["ep_final_dir"] = "below" if final["estimate"] < 0 else "above"
    return facts


def _run_facts(runs) -> dict:
    """What the individual runs do: dips, volatility and where their best epoch lies."""
    per_run = reference.run_scores(runs)
    first = per_run["case"] == "case1"
    means = reference.case_scores(runs).pivot(index="score", columns="case", values="mean")
    last = per_run["epochs"].max()
    rest = per_run[~first]
    return {"ep_best_epoch_1": _n(means.loc["best_epoch", "case1"], 1, sign=False),
            "ep_best_at_end_23": f"{int((rest['best_epoch'] == last).sum())} of {len(rest)}"}


def _tables_facts(runs) -> dict:
    """The same CNN in the study's two tables: Experiment 1 against Experiment 2."""
    tab = reference.table_consistency(runs)
    tab = tab[tab["arch"] == "cnn"].set_index(["exp1_score", "quantity"])
    e2 = reference.case_contrasts(runs, "exp2", scores=("final",))
    e2 = e2.set_index(["arch", "contrast"]).loc[("cnn", DEF)]
    final, last3, c1 = tab.loc[("final", DEF)], tab.loc[("last3", DEF)], tab.loc[("final", "case1")]
    others = tab.xs("final", level="exp1_score").loc[["case2", "case3"]]
    dip_part = final["difference"] - last3["difference"]
    agree = ("disagree about case 1's deficit by more than the spread of their runs allows"
             if final["resolved"] else "agree within the spread of their runs")
    return {"ep_exp2_d": _n(e2["estimate"]), "ep_exp2_ci": _ci(e2), "ep_exp2_word": _state(e2),
            "ep_c1_exp1": _n(c1["exp1"], sign=False), "ep_c1_exp2": _n(c1["exp2"], sign=False),
            "ep_c1_final_d": _n(c1["difference"]), "ep_c1_final_ci": _ci(c1),
            "ep_c1_final_word": _state(c1),
            "ep_others_diffs": " and ".join(_n(v) for v in others["difference"]),
            "ep_others_word": ("both unresolved" if not others["resolved"].any() else
                               f"{int((others['resolved'] != 0).sum())} of 2 resolved"),
            "ep_change_final": _n(final["difference"]), "ep_change_final_ci": _ci(final),
            "ep_change_final_word": _state(final),
            "ep_tables_verdict": f"At the epoch the study reported, its two tables of the same CNN {agree}",
            "ep_change_last3": _n(last3["difference"]), "ep_change_last3_ci": _ci(last3),
            "ep_change_last3_word": _state(last3), "ep_change_dip": _n(dip_part, sign=False),
            "ep_change_dip_share": f"{100 * dip_part / final['difference']:.0f}%"
            if final["difference"] else DASH}


def _ranking_facts(runs) -> dict:
    """The order of the cases under each score, and which of its steps the runs resolve."""
    rk = reference.case_ranking(runs).set_index(["arch", "score"]).loc["cnn"]
    con = reference.case_contrasts(runs).set_index(["score", "contrast"])
    same = [EP_SCORES[s] for s in EP_SCORES if rk.loc[s, "same_as_final"]]
    differ = [EP_SCORES[s] for s in EP_SCORES if not rk.loc[s, "same_as_final"]]
    top = con.xs("case3 − case2", level="contrast")
    rk2 = reference.case_ranking(runs, "exp2", scores=("final",)).set_index("arch").loc["cnn"]
    return {"ep_rank_final": rk.loc["final", "ranking"], "ep_rank_vol": rk.loc["late_volatility", "ranking"],
            "ep_rank_same": (f"the same under all {len(same)} scores" if not differ else
                             f"the same under {', '.join(same)} and different under {', '.join(differ)}"),
            "ep_survive": survival_sentence(con),
            "ep_top_final": _n(top.loc["final", "estimate"]), "ep_top_final_ci": _ci(top.loc["final"]),
            "ep_top_final_agree": _side(top.loc["final"], "case-3", "the mean of case 2"),
            "ep_top_resolved": f"{int((top['resolved'] != 0).sum())} of {len(top)}",
            "ep_rank_exp2": rk2["ranking"], "ep_rank_exp2_steps": f"{rk2['n_resolved']} of {rk2['n_steps']}"}


def survival_sentence(con: pd.DataFrame) -> str:
    """Which pairwise orders of the cases (as at the final epoch) every score resolves, some
    do, and none does; worse means lower accuracy, or higher late volatility."""
    def worse(score, estimate):
        return estimate > 0 if score in reference.LOWER_IS_BETTER else estimate < 0

    every, some, none = [], [], []
    for name in ("case1 − case2", "case1 − case3", "case3 − case2"):
        a, b = name.split(" − ")
        sub = con.xs(name, level="contrast")
        at_final = worse("final", sub.loc["final", "estimate"])
        said = f"{a} {'worse than' if at_final else 'better than'} {b}".replace("case", "case ")
        agreeing = [s for s in EP_SCORES
                    if sub.loc[s, "resolved"] and worse(s, sub.loc[s, "estimate"]) == at_final]
        if len(agreeing) == len(EP_SCORES):
            every.append(said)
        elif not sub["resolved"].any():
            none.append(said)
        else:
            where = ", ".join(EP_SCORES[s] for s in agreeing) or "no score in this direction"
            some.append(f"{said} is resolved under {where} only")

    def listed(items, where):
        return f"{' and '.join(items)} {'is' if len(items) == 1 else 'are'} resolved {where}"

    parts = ([listed(every, "under every score")] if every else []) + some + \
            ([listed(none, "under no score")] if none else [])
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def epoch_facts(original=None) -> dict[str, str]:
    """Every number and verdict the epoch-by-epoch section glues, by name."""
    runs = original_runs(original)
    facts = {}
    for part in (_setup_facts, _deficit_facts, _run_facts, _tables_facts, _ranking_facts):
        facts |= part(runs)
    return {k: str(v) for k, v in facts.items()}


def curves_figure(runs: pd.DataFrame):
    """Training accuracy (running, during the epoch) and test accuracy after every epoch, mean
    over seeds, by network (columns, the chapter's order) and case."""
    import seaborn as sns

    from ..records import epochs_frame

    ep, archs = epochs_frame(runs), archs_of(runs)
    fig, axes = plt.subplots(2, len(archs), figsize=(3.3 * len(archs), 5), squeeze=False, sharex="col")
    for j, arch in enumerate(archs):
        for i, (metric, label) in enumerate([("train_acc", "training accuracy (%)"),
                                             ("test_acc", "test accuracy (%)")]):
            sns.lineplot(data=ep[ep["arch"] == arch], x="epoch", y=metric, hue="block",
                         hue_order=[b for b in CASES if b in set(ep.loc[ep["arch"] == arch, "block"])],
                         palette=an.block_palette(), errorbar=None, ax=axes[i][j], legend=(i + j == 0))
            axes[i][j].set(ylabel=label if j == 0 else "", title=arch if i == 0 else "")
    if axes[0][0].get_legend():
        axes[0][0].legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def glue_curves(name: str, runs: pd.DataFrame) -> None:
    """Glue :func:`curves_figure` of ``runs``, or a note when there are none."""
    from .. import report

    if len(runs):
        report.glue_figure(name, curves_figure(runs))
    else:
        report.glue_md(name, "*No runs to plot yet.*")
