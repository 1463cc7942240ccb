"""One run end to end: train as the config says (resuming its checkpoint, if an earlier
execution was interrupted), attach provenance, write the record, delete the checkpoint."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from . import checkpoint as ckpt
from .config import RunConfig
from .records import make_record, provenance, save_record
from .train import train_run


def resumed_provenance(result: dict, wall_seconds: float) -> dict:
    """``wall_seconds`` across every execution of the run, and where it was resumed."""
    return {"wall_seconds": round(result["seconds_before_resume"] + wall_seconds, 3),
            **({"resumed_from_epoch": result["resumed_from_epoch"]}
               if result["resumed_from_epoch"] is not None else {})}


def run_and_record(cfg: RunConfig, progress: bool = True) -> tuple[dict, Path]:
    """Train ``cfg`` and write its record atomically; returns the record and its path."""
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    path = ckpt.checkpoint_path(cfg)
    result = train_run(cfg, progress=progress, checkpoint=(path, ckpt.identity(cfg)))
    wall = time.perf_counter() - t0
    prov = {**provenance(result["device"], wall, started), **resumed_provenance(result, wall)}
    record = make_record(cfg, result, prov)
    out = save_record(record)
    ckpt.remove(path)
    return record, out
