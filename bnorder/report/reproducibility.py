"""The Reproducibility chapter: how long each profile took, read from its records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..records import load_records


def edition_times(results) -> pd.DataFrame:
    """Per profile with records: runs, the machine they ran on, the total training time and
    the median time of one run (minutes). A fused group's wall time is shared by its seeds."""
    runs = load_records(results)
    if not len(runs):
        return pd.DataFrame()
    runs = runs[runs["status"] == "ok"].copy()
    group = runs["prov_fused_seeds"].fillna(1) if "prov_fused_seeds" in runs else 1
    runs["minutes"] = runs["prov_wall_seconds"] / group / 60
    out = runs.groupby("profile").agg(
        runs=("seed", "size"), machine=("prov_device_name", lambda d: ", ".join(sorted(set(d)))),
        hours=("minutes", lambda m: m.sum() / 60), minutes_per_run=("minutes", "median"))
    return out.round({"hours": 1, "minutes_per_run": 1})


def rerun_differences(results) -> pd.DataFrame:
    """Configurations trained more than once (the same config hash in two profiles, e.g. the
    factorial MLP again in ``why-bn-eval``): per pair of profiles, how many configurations, and
    the mean and largest absolute difference of final test accuracy between the two runs."""
    runs = load_records(results)
    if not len(runs):
        return pd.DataFrame()
    ok = runs[runs["status"] == "ok"]
    rows = []
    for _, same in ok.groupby("config_hash"):
        if same["profile"].nunique() < 2:
            continue
        same = same.sort_values("profile")
        first, acc = same.iloc[0], same["final_test_acc"].to_numpy()
        for i in range(1, len(same)):
            rows.append({"profiles": f"{first['profile']} / {same.iloc[i]['profile']}",
                         "difference": abs(acc[i] - acc[0])})
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).groupby("profiles").agg(
        configurations=("difference", "size"), mean_abs=("difference", "mean"),
        max_abs=("difference", "max")).round(2)


def seed_pair_difference(results, profile: str, arch: str) -> float:
    """The mean absolute difference of final test accuracy between two seeds of one
    configuration (every pair of seeds within each block of ``profile``'s ``arch``, averaged):
    the yardstick for :func:`rerun_differences`."""
    import itertools

    runs = load_records(results, profile)
    if not len(runs):
        return float("nan")
    ok = runs[(runs["status"] == "ok") & (runs["arch"] == arch)]
    diffs = [abs(a - b) for _, g in ok.groupby("block")
             for a, b in itertools.combinations(g["final_test_acc"].to_numpy(), 2)]
    return float(sum(diffs) / len(diffs)) if diffs else float("nan")


def _commits(values) -> str:
    return ", ".join(sorted({str(c)[:10] + ("-dirty" if str(c).endswith("-dirty") else "") for c in values}))


def provenance_table(results) -> pd.DataFrame:
    """Per profile: runs, completed, diverged or failed, data, the code's commits, the machine,
    the torch version, and when the runs started."""
    runs = load_records(results)
    if not len(runs):
        return pd.DataFrame()
    return runs.groupby("profile", sort=False).agg(
        runs=("seed", "size"), ok=("status", lambda s: int((s == "ok").sum())),
        diverged_or_failed=("status", lambda s: int((s != "ok").sum())),
        dataset=("dataset", lambda s: ", ".join(sorted(set(s)))), code=("prov_git_commit", _commits),
        torch=("prov_torch_version", lambda s: ", ".join(sorted(set(map(str, s))))),
        first=("prov_started_utc", "min"), last=("prov_started_utc", "max"))


def bench_records(results) -> list[dict]:
    import json

    folder = Path(results) / "bench"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def bench_table(results) -> pd.DataFrame:
    """Every benchmark record: images/s, the ratio to the original loop and TFLOP/s per path."""

    rows = []
    for b in bench_records(results):
        s = b["settings"]
        for path, r in b["results"].items():
            rows.append({"benchmark": Path(b["path"]).stem, "path": path,
                         "work": f"{s['dataset']} {s['arch']} width {s['width']} depth {s['depth']}, "
                                 f"{s['seeds']} seeds x {s['images_per_epoch']} images",
                         "images/s": round(r["images_per_s"], 1),
                         "× original": round(r["ratio_vs_original"], 2) if r["ratio_vs_original"] else None,
                         "TFLOP/s": round(r["achieved_tflops"], 4)})
    return pd.DataFrame(rows).set_index(["benchmark", "path"]) if rows else pd.DataFrame()


def bench_summary(results) -> str:
    """Markdown: each benchmark in a sentence, with the command that regenerates it."""

    lines = []
    for b in bench_records(results):
        s, r, prov = b["settings"], b["results"], b["provenance"]
        if prov["device"] == "cpu" and "single" in r and "fused" in r and r["single"]["ratio_vs_original"]:
            lines.append(f"**{Path(b['path']).stem}**: on a CPU ({prov['device_name']}), the {s['arch']} "
                         f"of width {s['width']} trains {r['single']['ratio_vs_original']:.1f} times as fast "
                         f"as the original loop on the single-model path and "
                         f"{r['fused']['ratio_vs_original']:.1f} times as fast with {s['seeds']} seeds "
                         f"fused (median of {s['repeats']}, {prov['started_utc'][:10]}). Regenerate "
                         f"it with `{b['command']}`.")
        elif prov["device"].startswith("cuda") and "fused" in r:
            lines.append(f"On {prov['device_name']}: {r['fused']['achieved_tflops']:.1f} TFLOP/s with "
                         f"the fused path, {100 * r['fused']['achieved_tflops'] / b['peak_tflops']:.1f}% "
                         "of the bf16 peak.")
    if not any(b["provenance"]["device"].startswith("cuda") for b in bench_records(results)):
        lines.append("No GPU benchmark is part of this edition. On a GPU: `python -m bnorder bench "
                     "--arch cnn --width 64 --seeds 5 --amp-bf16 --channels-last`.")
    return "\n\n".join(lines)


def speed_flags_table(results):
    """Per profile, the fused path's speed options its records were trained with, or None when
    every record was trained on the single-model path."""
    runs = load_records(results)
    cols = [c for c in runs.columns if c.startswith("prov_") and c.split("prov_", 1)[1] in
            ("fused_seeds", "amp_bf16", "channels_last", "compile", "fused_adam")] if len(runs) else []
    if not cols:
        return None
    return runs.groupby("profile")[cols].agg(lambda s: ", ".join(sorted(set(map(str, s)))))
