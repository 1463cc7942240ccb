"""Run records: one JSON file per run, written atomically, loaded into one DataFrame.

A record holds the run's config (with a hash of everything that determines its numbers),
its per-epoch metrics, its summary and its provenance (code version, torch, device, time).
Path: ``<results_dir>/<profile>/<dataset>/<arch>/<block>/seed<k>.json``.

Loading records needs no torch (the book reads them with the base install); only the provenance
of a new record asks torch for its version and device.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from .config import ADHOC_PROFILE, LATER_KNOBS, NOT_IN_HASH, RunConfig, config_hash

if TYPE_CHECKING:   # loading records needs pandas; writing one (in a training kernel) does not
    import pandas as pd

SCHEMA = 1


def record_path(cfg: RunConfig) -> Path:
    return Path(cfg.results_dir) / cfg.profile / cfg.dataset / cfg.arch / cfg.block / f"seed{cfg.seed}.json"


def git_commit(repo: Path | None = None) -> str | None:
    """The code's git commit, with ``-dirty`` when tracked package files have uncommitted changes."""
    repo = repo or Path(__file__).resolve().parents[2]
    try:
        sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "bnorder", "notebooks"],
                               cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return sha + ("-dirty" if dirty else "")


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu} ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


def provenance(device: str, wall_seconds: float, started: dt.datetime) -> dict:
    import torch

    precision = {}
    if str(device).startswith("cuda"):  # fp32 runs may use TF32 on a GPU: say whether they did
        precision = {"tf32_convolutions": torch.backends.cudnn.allow_tf32,
                     "tf32_matmul": torch.backends.cuda.matmul.allow_tf32}
    return {
        **precision,
        "bnorder_version": __version__,
        "git_commit": git_commit(),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": device,
        "device_name": device_name(device),
        # The vector instructions PyTorch's CPU kernels use: two CPUs with different ones sum
        # floats in a different order, so one configuration's numbers differ between them.
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "started_utc": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
    }


def make_record(cfg: RunConfig, result: dict, prov: dict) -> dict:
    return {"schema": SCHEMA, "status": result["status"], "failure": result.get("failure"),
            "config": cfg.as_dict(), "config_hash": config_hash(cfg),
            "n_params": result.get("n_params"), "epochs": result["epochs"],
            "summary": result["summary"], "provenance": prov}


def write_json_atomic(path: Path, obj) -> Path:
    """Write ``obj`` as JSON to ``path`` via a temporary file and a rename: a reader (or a
    killed run) never sees a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, allow_nan=False)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class RecordExistsError(FileExistsError):
    """A run would replace the record of another configuration."""

    def _render_traceback_(self):  # IPython (the notebook) shows the message, not the stack
        return [f"{type(self).__name__}: {self}"]


def refuse_overwrite(cfg: RunConfig, new_hash: str | None = None) -> None:
    """Raise :class:`RecordExistsError` when ``cfg``'s record path holds a record of another
    configuration (another config hash), naming it and how to keep both.

    A record with the same config hash is the same run (a run written again, a failed run the
    sweep re-runs) and may be replaced; so may a ``failed`` record, which holds no numbers, and a
    malformed file."""
    path = record_path(cfg)
    if not path.exists():
        return
    try:
        old = load_record(path)
    except ValueError:
        return
    new_hash = new_hash or config_hash(cfg)
    stored = old.get("config_hash")
    try:
        recomputed = config_hash(RunConfig(**{**RunConfig().as_dict(), **old["config"]}))
    except TypeError:  # a knob this code no longer has
        recomputed = None
    if new_hash in (stored, recomputed) or old.get("status") == "failed":
        return
    keep = (f"-p results_dir {Path(cfg.results_dir) / 'other'}" if cfg.profile == ADHOC_PROFILE
            else "-p profile NAME or -p results_dir DIR")
    raise RecordExistsError(
        f"{path} holds the record of another configuration (config hash {stored}, this run's "
        f"{new_hash}); refusing to replace it. To keep both, give this run another results_dir "
        f"or profile (papermill: {keep}); to replace it, delete {path}.")


def save_record(record: dict) -> Path:
    """Write ``record`` at its path; never over the record of another configuration
    (:func:`refuse_overwrite`)."""
    cfg = RunConfig(**record["config"])
    refuse_overwrite(cfg, record.get("config_hash"))
    return write_json_atomic(record_path(cfg), record)


def load_record(path: Path) -> dict:
    try:
        with open(path) as f:
            rec = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"malformed record {path}: {e}; delete it and re-run that run") from e
    if not isinstance(rec, dict) or "config" not in rec or "summary" not in rec:
        raise ValueError(f"malformed record {path}: no config/summary; delete it and re-run that run")
    return rec


def find_records(results_dir: str | Path = "results", profile: str | None = None) -> list[Path]:
    root = Path(results_dir) / profile if profile else Path(results_dir)
    return sorted(root.rglob("seed*.json"))


def load_records(results_dir: str | Path = "results", profile: str | None = None):
    """Every record under ``results_dir`` (one profile, or all) as a pandas DataFrame.

    One row per run: the config's knobs, ``status``, the summary keys, ``n_params``,
    ``config_hash``, provenance columns prefixed ``prov_``, ``path``, and ``history`` (the
    record's per-epoch list, for learning curves; see :func:`epochs_frame`).
    """
    import pandas as pd

    defaults = RunConfig().as_dict()  # records written before a knob existed used its default
    rows = []
    for path in find_records(results_dir, profile):
        rec = load_record(path)
        row = {**defaults, **rec["config"], "status": rec["status"], **rec["summary"],
               "n_params": rec.get("n_params"), "config_hash": rec.get("config_hash"),
               **{f"prov_{k}": v for k, v in rec.get("provenance", {}).items()},
               "path": str(path), "history": rec["epochs"]}
        rows.append(row)
    return pd.DataFrame(rows)


def check_poolable(runs, by=("profile", "dataset", "arch", "block")) -> None:
    """Refuse to pool runs whose configs differ in anything but the seed.

    Raises ``ValueError`` naming the group and the knobs that differ within it.
    """
    from .config import NOT_IN_HASH

    knobs = [k for k in RunConfig().as_dict() if k not in (*by, "seed", *NOT_IN_HASH)]
    for key, group in runs.groupby(list(by)):
        differing = [k for k in knobs if group[k].astype(str).nunique() > 1]
        if differing:
            values = {k: sorted(group[k].astype(str).unique()) for k in differing}
            raise ValueError(f"runs of {dict(zip(by, key))} differ in {', '.join(differing)} "
                             f"({values}); pool only runs that differ in the seed")


def epochs_frame(runs):
    """Long table of per-epoch metrics: one row per (run, epoch), with the run's knobs."""
    import pandas as pd

    keys = ["profile", "dataset", "arch", "block", "seed", "status"]
    rows = [{**{k: r[k] for k in keys}, **e} for _, r in runs.iterrows() for e in r["history"]]
    return pd.DataFrame(rows)


def completed(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished (status ``ok``)."""
    return runs[runs["status"] == "ok"] if len(runs) else runs


def configuration_key(config: dict) -> str:
    """What identifies a configuration across profiles: the config hash of
    :func:`.config.config_hash` (which leaves out the profile and where things are
    stored) without the seed. Two records with the same key differ in their seed only."""
    known = RunConfig().as_dict()
    d = {k: config[k] for k in known if k in config and k not in NOT_IN_HASH and k != "seed"
         and not (k in LATER_KNOBS and config[k] == LATER_KNOBS[k])}
    return json.dumps(d, sort_keys=True, default=str)


def summarize(epochs: list[dict]) -> dict:
    """Final-epoch and validation-selected accuracies (percent, like the study).

    ``best_val_epoch_test_acc`` is the honest selection: the epoch with the best validation
    accuracy, its test accuracy reported. ``max_test_acc`` selects on the test set itself (an
    optimistic number, kept only to show how much peeking adds).
    """
    if not epochs:
        return {"final_test_acc": None, "final_val_acc": None, "final_train_acc": None,
                "best_val_epoch": None, "best_val_epoch_test_acc": None, "max_test_acc": None}
    last = epochs[-1]
    has_val = last["val_acc"] is not None
    best = max(epochs, key=lambda e: e["val_acc"]) if has_val else None
    return {
        "final_test_acc": last["test_acc"],
        "final_val_acc": last["val_acc"],
        "final_train_acc": last["train_acc"],
        "best_val_epoch": best["epoch"] if best else None,
        "best_val_epoch_test_acc": best["test_acc"] if best else None,
        "max_test_acc": max(e["test_acc"] for e in epochs),
    }
