"""One run end to end: train as the config says (resuming its checkpoint, if an earlier
execution was interrupted), attach provenance, write the record, delete the checkpoint."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import time
from pathlib import Path

from ..runs.config import RunConfig
from ..runs.records import make_record, provenance, refuse_overwrite, save_record
from . import checkpoint as ckpt
from .single import train_run


@contextlib.contextmanager
def to_terminal(on: bool = True):
    """Within it, ``sys.stdout`` and ``sys.stderr`` (the progress bar, the lines saying where the
    records went) are the process's own streams. In a notebook kernel those are the terminal that
    started it, e.g. papermill's, which otherwise shows only its cell counter; ipykernel copies
    what is written there into the notebook too. ``on=False`` (a sweep): nothing changes."""
    if not on or sys.__stdout__ is None or sys.__stderr__ is None:
        yield
        return
    with contextlib.redirect_stdout(sys.__stdout__), contextlib.redirect_stderr(sys.__stderr__):
        try:
            yield
        finally:
            sys.__stdout__.flush()
            sys.__stderr__.flush()


def resumed_provenance(result: dict, wall_seconds: float) -> dict:
    """``wall_seconds`` across every execution of the run, and where it was resumed."""
    return {"wall_seconds": round(result["seconds_before_resume"] + wall_seconds, 3),
            **({"resumed_from_epoch": result["resumed_from_epoch"]}
               if result["resumed_from_epoch"] is not None else {})}


def run_and_record(cfg: RunConfig, progress: bool = True) -> tuple[dict, Path]:
    """Train ``cfg`` and write its record atomically; returns the record and its path.

    Refuses (:class:`bnorder.runs.records.RecordExistsError`) before training when the record's path
    holds the record of another configuration."""
    refuse_overwrite(cfg)
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
