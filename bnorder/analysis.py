"""From run records to the tables the analysis chapters show.

    factorial_contrasts   per seed: the effect of the *position* of BatchNorm (after minus
                          before the activation, averaged over ReLU and LeakyReLU), the effect of
                          the *activation* (LeakyReLU minus ReLU, averaged over both positions),
                          and their interaction; the original study's case 3 vs case 1 mixes the
                          first two
    effects_table         those contrasts summarized with CIs and Holm-corrected p-values
    diagnostics_frame     the per-epoch mechanism measurements as one long table
    volatility            epoch-to-epoch movement of validation and test accuracy per run
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .orders import AFTER, BEFORE, FACTORIAL  # the 2x2 cells, read off ORDERS

def _position(v):   # BatchNorm after minus before, averaged over the two activations
    return sum(v[AFTER[act]] - v[BEFORE[act]] for act in ("relu", "lrelu")) / 2


def _activation(v):  # LeakyReLU minus ReLU, averaged over the two positions
    return sum(v[cells["lrelu"]] - v[cells["relu"]] for cells in (BEFORE, AFTER)) / 2


CONTRASTS = {
    "position (BN after − BN before)": _position,
    "activation (LeakyReLU − ReLU)": _activation,
    "interaction":
        lambda v: (v[AFTER["lrelu"]] - v[BEFORE["lrelu"]]) - (v[AFTER["relu"]] - v[BEFORE["relu"]]),
    "original case 3 − case 1 (both changed)":
        lambda v: v[AFTER["lrelu"]] - v[BEFORE["relu"]],
}


def by_seed(runs: pd.DataFrame, value: str, arch: str) -> pd.DataFrame:
    """One row per seed, one column per block: the paired layout of the design."""
    ok = runs[(runs["arch"] == arch) & (runs["status"] == "ok")]
    return ok.pivot_table(index="seed", columns="block", values=value, aggfunc="first")


def factorial_contrasts(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Per (arch, seed) the four contrasts of :data:`CONTRASTS` (seeds with all four cells)."""
    rows = []
    for arch in sorted(runs["arch"].unique()):
        wide = by_seed(runs, value, arch)
        if not set(BEFORE.values()) | set(AFTER.values()) <= set(wide.columns):
            continue
        wide = wide.dropna(subset=[*BEFORE.values(), *AFTER.values()])
        for name, contrast in CONTRASTS.items():
            for seed, c in contrast(wide).items():
                rows.append({"arch": arch, "contrast": name, "seed": seed, "value": c})
    return pd.DataFrame(rows, columns=["arch", "contrast", "seed", "value"])


def effects_table(runs: pd.DataFrame, value: str) -> pd.DataFrame:
    """Each contrast per arch: mean over seeds, 95% CI (:func:`bnorder.stats.mean_interval`),
    Hedges' g, exact paired permutation p-value, and Holm-adjusted p across every contrast in the
    table."""
    contrasts = factorial_contrasts(runs, value)
    rows = []
    for (arch, name), g in contrasts.groupby(["arch", "contrast"], sort=False):
        d = stats.paired_difference(g["value"].to_numpy(), np.zeros(len(g)))
        rows.append({"arch": arch, "contrast": name, **d})
    out = pd.DataFrame(rows)
    if len(out):
        out["p_holm"] = stats.holm(out["p"].to_numpy())
    return out


def diagnostics_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """Long table: one row per (run, epoch, layer index, metric) of the probe diagnostics."""
    rows = []
    keys = ["profile", "dataset", "arch", "block", "seed"]
    for _, r in runs.iterrows():
        for e in r["history"]:
            d = e.get("diagnostics")
            if not d:
                continue
            base = {**{k: r[k] for k in keys}, "epoch": e["epoch"]}
            for i, b in enumerate(d["blocks"]):
                rows += [{**base, "layer": i + 1, "metric": m, "value": v} for m, v in b.items()]
            for i, l in enumerate(d["layers"]):
                rows += [{**base, "layer": i + 1, "metric": m, "value": v} for m, v in l.items()]
            rows += [{**base, "layer": 0, "metric": f"bn_{m}", "value": v} for m, v in d["bn_mode"].items()]
    return pd.DataFrame(rows, columns=[*keys, "epoch", "layer", "metric", "value"])


def volatility(runs: pd.DataFrame) -> pd.DataFrame:
    """Per run: late-epoch volatility (:func:`bnorder.stats.late_volatility`) of validation and
    test accuracy (points per epoch)."""
    rows = []
    for _, r in runs[runs["status"] == "ok"].iterrows():
        h = pd.DataFrame(r["history"])
        row = {k: r[k] for k in ("arch", "block", "seed")}
        for split in ("val", "test"):
            row[f"{split}_volatility"] = stats.late_volatility(h["epoch"], h[f"{split}_acc"])
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- book helpers
#
# The analysis chapters of the book share these: where the records are, which profiles
# exist, how a setting is described in a caption, and how a number is formatted.

BLOCK_ORDER = ["bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu"]
FACTORIAL_CELLS = list(FACTORIAL)
ARCH_ORDER = ["mlp", "cnn", "seed-mlp"]
DATASET_NAMES = {"cifar10": "CIFAR-10", "fashion-mnist": "Fashion-MNIST",
                 "synthetic": "synthetic images"}
POSITION, ACTIVATION, INTERACTION, MIXED = CONTRASTS


def block_palette() -> dict:
    """One colour per block, the same in every figure (seaborn's colour-blind palette)."""
    import seaborn as sns

    cb = sns.color_palette("colorblind")
    return {"bn-relu": cb[0], "relu-bn": cb[1], "lrelu-bn": cb[2], "bn-lrelu": cb[4], "relu": cb[7]}


def variant_profiles(base: str) -> dict[str, str]:
    """``{variant: profile name}`` for every one-knob variant of the factorial ``base``."""
    from .profiles import VARIANTS

    return {name: f"{base}-{name}" for name in VARIANTS}


def ordered(values, order) -> list:
    values = list(dict.fromkeys(values))
    return [v for v in order if v in values] + sorted(v for v in values if v not in order)


def span(values) -> str:
    """'0–4' for a contiguous run of integers, else a comma list; '—' when empty."""
    values = sorted(set(int(v) for v in values))
    if not values:
        return "—"
    if len(values) > 2 and values == list(range(values[0], values[-1] + 1)):
        return f"{values[0]}–{values[-1]}"
    return ", ".join(map(str, values))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class ProfileRuns:
    """The records of one profile: ``runs`` (every record), ``ok`` (completed runs),
    ``pool_problem`` (why the records must not be pooled, from
    :func:`bnorder.records.check_poolable`, or None) and ``have`` (any completed run)."""

    def __init__(self, profile: str, runs: pd.DataFrame):
        from .records import check_poolable

        self.profile = profile
        self.runs = runs
        self.ok = runs[runs["status"] == "ok"].copy() if len(runs) else runs
        self.pool_problem = None
        if len(self.ok):
            try:
                check_poolable(self.ok)
            except ValueError as e:
                self.pool_problem = str(e)

    @property
    def have(self) -> bool:
        return len(self.ok) > 0

    @property
    def archs(self) -> list[str]:
        return ordered(self.ok["arch"], ARCH_ORDER) if self.have else []

    def status_counts(self) -> dict[str, int]:
        counts = self.runs["status"].value_counts() if len(self.runs) else pd.Series(dtype=int)
        return {s: int(counts.get(s, 0)) for s in ("ok", "diverged", "failed")}


def load_profile_runs(results, profile: str) -> ProfileRuns:
    """:class:`ProfileRuns` of ``profile`` under ``results`` (empty when it has no records)."""
    from pathlib import Path

    from .records import load_records

    folder = Path(results) / profile
    runs = load_records(results, profile) if folder.is_dir() else pd.DataFrame()
    return ProfileRuns(profile, runs)


def planned_archs(profile: str) -> list[str]:
    """The architectures a profile plans (empty for a profile that is not defined)."""
    from .profiles import PROFILES

    p = PROFILES.get(profile)
    return ordered([a["arch"] for a in p.arms], ARCH_ORDER) if p else []


def sweep_command(profile: str, only: str | None = None) -> str:
    return f"python -m bnorder sweep --profile {profile}" + (f" --only {only}" if only else "")


def not_run_sentence(profile: str, what: str = "") -> str:
    """A plain sentence (MyST markdown) for a profile without completed runs."""
    from .profiles import PROFILES

    subject = f"The profile `{profile}`" + (f" ({what})" if what else "")
    if profile not in PROFILES:
        return (f"{subject} has not been run yet, and it is not defined in `bnorder.profiles`, "
                f"so there is nothing to run: no numbers are shown for it.")
    return (f"{subject} has not been run yet: no completed run records were found, so no "
            f"numbers are shown for it. Run it with `{sweep_command(profile)}` and build the "
            f"book again.")


def _seeds_epochs(frame: pd.DataFrame) -> str:
    epochs = sorted(int(e) for e in frame["epochs"].unique())
    seeds = ("seed " if frame["seed"].nunique() == 1 else "seeds ") + span(frame["seed"])
    return f"{seeds}, {' or '.join(map(str, epochs))} epoch" + ("" if epochs == [1] else "s")


def setting(ok: pd.DataFrame) -> str:
    """Data set, profile(s), network(s), seeds and epochs of a set of runs, for a caption:
    e.g. 'Fashion-MNIST, profile factorial; mlp: seeds 0–9, 10 epochs; cnn: seeds 0–4, 5 epochs'."""
    if ok is None or len(ok) == 0:
        return "no runs"
    datasets = ", ".join(DATASET_NAMES.get(d, d) for d in sorted(ok["dataset"].unique()))
    profiles = list(dict.fromkeys(ok["profile"]))
    head = f"{datasets}, profile{'s' if len(profiles) > 1 else ''} {', '.join(profiles)}"
    groups = []
    for profile in profiles:
        for arch in ordered(ok.loc[ok["profile"] == profile, "arch"], ARCH_ORDER):
            g = ok[(ok["profile"] == profile) & (ok["arch"] == arch)]
            groups.append(((profile, arch), _seeds_epochs(g)))
    archs = ordered(ok["arch"], ARCH_ORDER)
    if len({text for _, text in groups}) == 1:
        return f"{head}, {', '.join(archs)}, {groups[0][1]}"
    label = (lambda p, a: a) if len(profiles) == 1 else (lambda p, a: f"{p} {a}")
    return head + "; " + "; ".join(f"{label(p, a)}: {text}" for (p, a), text in groups)


def fmt(x, digits: int = 2, sign: bool = False) -> str:
    if x is None or pd.isna(x):
        return "—"
    return f"{float(x):+.{digits}f}" if sign else f"{float(x):.{digits}f}"


def ci_text(lo, hi, digits: int = 2, sign: bool = True) -> str:
    if pd.isna(lo) or pd.isna(hi):
        return "—"
    return f"{fmt(lo, digits, sign)} to {fmt(hi, digits, sign)}"


def resolved(lo, hi) -> int:
    """+1 when the interval lies above zero, -1 below, 0 when it includes zero or is missing
    (the rule of :func:`bnorder.verdicts.interval_state`)."""
    from .verdicts import interval_state

    if interval_state(lo, hi) != "resolved":
        return 0
    return 1 if lo > 0 else -1


def cell_means(ok: pd.DataFrame, value: str, arch: str) -> pd.Series:
    """Mean of ``value`` for each cell of the 2x2 design in ``arch``, highest first."""
    sub = ok[(ok["arch"] == arch) & ok["block"].isin(FACTORIAL_CELLS)]
    return sub.groupby("block")[value].mean().sort_values(ascending=False)


def ranking(ok: pd.DataFrame, value: str, arch: str) -> list[str]:
    """The 2x2 cells of ``arch`` from the highest to the lowest mean ``value``."""
    return list(cell_means(ok, value, arch).index)


def ranking_agreement(base: list[str], other: list[str]) -> dict:
    """Does ``other`` rank the cells as ``base`` does? ``same`` (identical order),
    ``top_same`` (same best cell) and Kendall's ``tau`` over the common cells."""
    from scipy import stats as sps

    common = [c for c in base if c in other]
    if len(common) < 2:
        return {"same": False, "top_same": False, "tau": np.nan}
    tau = sps.kendalltau([base.index(c) for c in common], [other.index(c) for c in common]).statistic
    return {"same": base == other, "top_same": base[0] == other[0], "tau": float(tau)}


# --------------------------------------------------------------------------- mechanisms per run

def run_measures(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per completed run with the mechanism measurements the book tests, each averaged
    over the run's order-carrying layers:

    ``out_mean_first``/``out_mean`` (mean of what the next layer receives, first/last epoch),
    ``dead_frac`` (last epoch), ``grad_norm``, ``weight_norm``, ``eff_step`` (last epoch),
    ``weight_growth`` (weight norm last epoch / first epoch), ``bn_gap`` (train-mode minus
    eval-mode accuracy on the held-out probe, last epoch), ``bn_gap_abs_mean`` (mean absolute gap
    over epochs), ``hessian_top_eig``, ``train_loss_first``, ``final_train_loss``,
    ``val_volatility`` and ``test_volatility`` (:func:`volatility`). Runs without diagnostics
    get NaN for the diagnostic columns."""
    ok = runs[runs["status"] == "ok"]
    vol = volatility(ok).set_index(["arch", "block", "seed"]) if len(ok) else None
    rows = []
    for _, r in ok.iterrows():
        h = r["history"]
        row = {k: r[k] for k in ("profile", "dataset", "arch", "block", "seed", "epochs")}
        row["train_loss_first"] = h[0]["train_loss"] if h else np.nan
        row["final_train_loss"] = h[-1]["train_loss"] if h else np.nan
        row["hessian_top_eig"] = r.get("hessian_top_eig", np.nan)
        diags = [e["diagnostics"] for e in h if e.get("diagnostics")]
        if diags:
            first, last = diags[0], diags[-1]
            row["out_mean_first"] = np.mean([b["mean"] for b in first["blocks"]])
            row["out_mean"] = np.mean([b["mean"] for b in last["blocks"]])
            row["dead_frac"] = np.mean([b["dead_frac"] for b in last["blocks"]])
            for m in ("grad_norm", "weight_norm", "eff_step"):
                row[m] = np.mean([layer[m] for layer in last["layers"]])
            row["weight_growth"] = (np.mean([l["weight_norm"] for l in last["layers"]])
                                    / np.mean([l["weight_norm"] for l in first["layers"]]))
            row["bn_gap"] = last["bn_mode"]["gap"]
            row["bn_gap_abs_mean"] = np.mean([abs(d["bn_mode"]["gap"]) for d in diags])
        key = (r["arch"], r["block"], r["seed"])
        if vol is not None and key in vol.index:
            row.update(vol.loc[key, ["val_volatility", "test_volatility"]].to_dict())
        rows.append(row)
    cols = ["profile", "dataset", "arch", "block", "seed", "epochs", "out_mean_first", "out_mean",
            "dead_frac", "grad_norm", "weight_norm", "eff_step", "weight_growth", "bn_gap",
            "bn_gap_abs_mean", "hessian_top_eig", "train_loss_first", "final_train_loss",
            "val_volatility", "test_volatility"]
    out = pd.DataFrame(rows).reindex(columns=cols)
    out["status"] = "ok"
    return out


# --------------------------------------------------------------------------- robustness

def _pairwise_signs(ok: pd.DataFrame, value: str, arch: str) -> dict:
    """For every pair of 2x2 cells (a, b): +1/-1 when a - b is resolved (95% CI), else 0."""
    wide = by_seed(ok, value, arch)
    out = {}
    for i, a in enumerate(FACTORIAL_CELLS):
        for b in FACTORIAL_CELLS[i + 1:]:
            if a in wide and b in wide:
                d = stats.paired_difference(wide[a], wide[b])
                out[(a, b)] = resolved(d["ci_low"], d["ci_high"])
    return out


def robustness_table(results, base: str, value: str = "final_test_acc",
                     arch: str = "mlp") -> pd.DataFrame:
    """One row for the base profile's ``arch`` and one per one-knob variant ``<base>-<name>``.

    Columns: ``variant``, ``profile``, ``change``, ``status`` ('ok', 'not run', or 'incomplete'
    when fewer than two seeds have all four cells), ``runs`` (records), ``n`` (seeds with all four cells),
    ``seeds``/``epochs`` (text), ``pool_problem``; for the position and activation effects
    ``<effect>_mean``, ``<effect>_lo``, ``<effect>_hi``, ``<effect>_verdict``;
    ``position_change_*`` (variant minus base position effect, paired by seed); ``ranking`` of
    the four cells (best first), ``same`` (identical ranking), ``top_same``, ``tau`` (Kendall, against the
    base) and ``reversed`` (pairs of cells whose order is resolved in both and opposite)."""
    from .profiles import VARIANTS

    def load(profile):
        d = load_profile_runs(results, profile)
        ok = d.ok[d.ok["arch"] == arch] if d.have else d.ok
        return d, ok

    base_data, base_ok = load(base)
    base_contrasts = factorial_contrasts(base_ok, value) if len(base_ok) else pd.DataFrame()
    base_rank = ranking(base_ok, value, arch) if len(base_ok) else []
    base_signs = _pairwise_signs(base_ok, value, arch) if len(base_ok) else {}
    entries = [("(base)", base, "none: the base profile", base_data, base_ok)]
    for name, profile in variant_profiles(base).items():
        entries.append((name, profile, VARIANTS[name][1], *load(profile)))
    rows = []
    for name, profile, change, d, ok in entries:
        row = {"variant": name, "profile": profile, "change": change, "runs": len(d.runs),
               "pool_problem": d.pool_problem, "n": 0}
        if not len(ok):
            rows.append({**row, "status": "not run"})
            continue
        row["seeds"] = ("seed " if ok["seed"].nunique() == 1 else "seeds ") + span(ok["seed"])
        row["epochs"] = ", ".join(str(int(e)) for e in sorted(ok["epochs"].unique()))
        eff = effects_table(ok, value)
        if not len(eff) or eff["n"].max() < 2:   # no interval without two complete seeds
            rows.append({**row, "status": "incomplete", "n": int(eff["n"].max()) if len(eff) else 0})
            continue
        eff = eff.set_index("contrast")
        row["status"], row["n"] = "ok", int(eff["n"].iloc[0])
        for key, c in (("position", POSITION), ("activation", ACTIVATION)):
            r = eff.loc[c]
            row.update({f"{key}_mean": r["mean_diff"], f"{key}_lo": r["ci_low"],
                        f"{key}_hi": r["ci_high"]})
        rank = ranking(ok, value, arch)
        row["ranking"] = rank
        if name != "(base)" and base_rank:
            row.update(ranking_agreement(base_rank, rank))
            cv = factorial_contrasts(ok, value)
            pos_v = cv[cv["contrast"] == POSITION].set_index("seed")["value"]
            pos_b = base_contrasts[base_contrasts["contrast"] == POSITION].set_index("seed")["value"]
            dd = stats.paired_difference(pos_v, pos_b)
            row.update({"position_change_n": dd["n"], "position_change_mean": dd["mean_diff"],
                        "position_change_lo": dd["ci_low"], "position_change_hi": dd["ci_high"]})
            signs = _pairwise_signs(ok, value, arch)
            row["reversed"] = [f"{a} vs {b}" for (a, b), s in signs.items()
                               if s and base_signs.get((a, b), 0) == -s]
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- planning

def detectable_effect(n: int, alpha: float = 0.05, target: float = 0.8, paired: bool = True) -> float:
    """The smallest standardized effect (d_z if ``paired``, else d) that a two-sided t-test with
    ``n`` seeds (pairs, or runs per group) detects with probability ``target``
    (:func:`bnorder.stats.power`, solved for the effect by bisection). NaN for n < 2."""
    if n < 2:
        return np.nan
    lo, hi = 0.0, 1.0
    while stats.power(n, hi, alpha, paired) < target:
        hi *= 2
        if hi > 1e6:
            return np.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if stats.power(n, mid, alpha, paired) < target else (lo, mid)
    return hi


def seeds_needed_text(needed: float) -> str:
    """A count of :func:`bnorder.stats.seeds_needed` for a table: the number, 'more than …' past
    :data:`bnorder.stats.MAX_SEEDS`, '—' where nothing can be planned."""
    if needed is None or pd.isna(needed):
        return "—"
    if not np.isfinite(needed):
        return f"more than {stats.MAX_SEEDS:,}"
    return f"{int(needed):,}"
