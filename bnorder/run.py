"""One run end to end: train as the config says, attach provenance, write the record."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from .config import RunConfig
from .records import make_record, provenance, save_record
from .train import train_run


def run_and_record(cfg: RunConfig, progress: bool = True) -> tuple[dict, Path]:
    """Train ``cfg`` and write its record atomically; returns the record and its path."""
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    result = train_run(cfg, progress=progress)
    prov = provenance(result["device"], time.perf_counter() - t0, started)
    record = make_record(cfg, result, prov)
    return record, save_record(record)
