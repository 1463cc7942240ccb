"""The Reproducibility chapter: where the records come from, how long each profile took and how
fast the training path is, as tables read from the records; the chapter's prose reads them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..runs.records import load_records


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
        first=("prov_started_utc", "min"), last=("prov_started_utc", "max")).rename(columns={
            "ok": "completed", "diverged_or_failed": "diverged or failed", "code": "code (commits)",
            "first": "first run started", "last": "last run started"})


def bench_records(results) -> list[dict]:
    import json

    folder = Path(results) / "bench"
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def bench_table(results) -> pd.DataFrame:
    """Every benchmark record, one row per path: the work timed, images/s, the ratio to the
    original loop's images/s, TFLOP/s and, where the record names the device's peak, its share."""

    rows = []
    for b in bench_records(results):
        s, peak = b["settings"], b.get("peak_tflops")
        for path, r in b["results"].items():
            rows.append({"benchmark": Path(b["path"]).stem, "path": path,
                         "work": f"{s['dataset']} {s['arch']} width {s['width']} depth {s['depth']}, "
                                 f"{s['seeds']} seeds x {s['images_per_epoch']} images",
                         "images/s": round(r["images_per_s"], 1),
                         "× original": round(r["ratio_vs_original"], 2) if r["ratio_vs_original"] else None,
                         "TFLOP/s": round(r["achieved_tflops"], 4),
                         "% of peak": round(100 * r["achieved_tflops"] / peak, 1) if peak else None})
    # a column no record fills (the peak, on CPUs) is left out
    return pd.DataFrame(rows).set_index(["benchmark", "path"]).dropna(axis=1, how="all") if rows else pd.DataFrame()


def bench_settings(results) -> pd.DataFrame:
    """Per benchmark record: the machine, when it ran, the seeds of its fused path, the repeats
    it took the median of, and the command that regenerates it."""
    rows = [{"benchmark": Path(b["path"]).stem, "machine": b["provenance"]["device_name"],
             "date": b["provenance"]["started_utc"][:10], "seeds fused": b["settings"]["seeds"],
             "repeats": b["settings"]["repeats"], "command": b["command"]} for b in bench_records(results)]
    return pd.DataFrame(rows).set_index("benchmark") if rows else pd.DataFrame()


def run_breakdown_table(results) -> pd.DataFrame:
    """Per benchmark record with a breakdown of a whole run (:mod:`bnorder.train.breakdown`) and
    per part of the run: the projected seconds on each path (eager, fast) and each part's share
    of that path's whole run (%); the row ``whole run`` holds the totals."""
    rows = []
    for b in bench_records(results):
        runs = b.get("run_breakdown", {}).get("runs", {})
        if not runs:
            continue
        for part in next(iter(runs.values()))["projected_seconds"]:
            row = {"benchmark": Path(b["path"]).stem, "part": part}
            for path, r in runs.items():
                seconds = r["projected_seconds"]
                row[f"{path} (s)"] = round(seconds[part], 1)
                row[f"{path} (%)"] = round(100 * seconds[part] / seconds["whole run"], 1)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["benchmark", "part"]) if rows else pd.DataFrame()


def step_operations_table(results) -> pd.DataFrame:
    """Per benchmark record with a breakdown: the share (%) of one eager training step that each
    kind of operation takes (:func:`bnorder.train.breakdown.step_operations`), and how many times
    as fast the fast path runs a whole run as the eager one."""
    rows = []
    for b in bench_records(results):
        breakdown = b.get("run_breakdown")
        if not breakdown:
            continue
        row = {"benchmark": Path(b["path"]).stem}
        row.update({f"{op} (%)": round(100 * share, 1) for op, share in breakdown["step_operations"].items()})
        row["whole run, fast path (× eager)"] = round(breakdown["speedup"], 2)
        rows.append(row)
    return pd.DataFrame(rows).set_index("benchmark") if rows else pd.DataFrame()


def speed_flags_table(results):
    """Per profile, the fused path's speed options its records were trained with, or None when
    every record was trained on the single-model path."""
    runs = load_records(results)
    cols = [c for c in runs.columns if c.startswith("prov_") and c.split("prov_", 1)[1] in
            ("fused_seeds", "amp_bf16", "channels_last", "compile", "fused_adam")] if len(runs) else []
    fused = runs[runs["prov_fused_seeds"].notna()] if "prov_fused_seeds" in runs else runs.iloc[:0]
    if not cols or not len(fused):
        return None
    names = {c: c.removeprefix("prov_").replace("_", " ") for c in cols}
    return fused.groupby("profile")[cols].agg(
        lambda s: ", ".join(sorted({str(v) for v in s.dropna()})) or "—").rename(columns=names)
