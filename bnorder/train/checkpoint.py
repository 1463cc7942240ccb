"""Checkpoints: a run that survives interruption.

After every completed epoch the training loop (:func:`bnorder.train.loop.run_epochs`) writes what it
needs to go on from there: the weights, the optimizer, BatchNorm's buffers (all in the trainer's
state), the learning-rate schedule, every random state (each data-order generator, torch's, NumPy's,
Python's) and the epoch rows so far. The file is written to a temporary name and renamed, so a
kill leaves either the previous checkpoint or the new one, never half of one:

    checkpoints/<profile>/<dataset>/<arch>/<block>/seed<k>.pt      (seed<a>-<b> for a fused group)

beside the results tree (``<results_dir>/../checkpoints``; ignored by git). Running the same run
again (the notebook, or the sweep, which re-runs every run without a record) finds the checkpoint,
restores it and trains the remaining epochs; the record it writes is the one an uninterrupted run
writes (tests/test_checkpoint.py kills a run mid-epoch to show it), except for wall times and a
``resumed_from_epoch`` in its provenance. The run deletes its checkpoint once its record is
written. A checkpoint whose configuration differs from the run's (another config hash) is ignored
and overwritten.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import torch

from ..runs.config import RunConfig, config_hash


def checkpoint_path(cfg: RunConfig, seeds: list[int] | None = None) -> Path:
    """Where the run of ``cfg`` (or the fused group of ``seeds``) keeps its checkpoint."""
    seeds = seeds or [cfg.seed]
    tag = f"seed{seeds[0]}" if len(seeds) == 1 else f"seed{seeds[0]}-{seeds[-1]}"
    root = Path(cfg.results_dir).resolve().parent / "checkpoints"
    return root / cfg.profile / cfg.dataset / cfg.arch / cfg.block / f"{tag}.pt"


def identity(cfg: RunConfig, seeds: list[int] | None = None) -> str:
    """What a checkpoint must match to be resumed: the config hash of every seed it trains."""
    import dataclasses

    return ",".join(config_hash(dataclasses.replace(cfg, seed=s)) for s in (seeds or [cfg.seed]))


def random_states() -> dict:
    states = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),
              "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_random_states(states: dict) -> None:
    torch.set_rng_state(states["torch"])
    np.random.set_state(states["numpy"])
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save(path: Path, state: dict) -> Path:
    """Write ``state`` to ``path`` atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(state, tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load(path: Path | None, ident: str) -> dict | None:
    """The checkpoint at ``path`` if there is one for this run (``ident``), else ``None``."""
    if path is None or not path.exists():
        return None
    try:
        # weights_only=False: the file holds NumPy's and Python's random states besides tensors.
        # A checkpoint is this machine's own file, written by the run; never load one from elsewhere.
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception:  # an unreadable file (another torch, a truncated copy): start again
        return None
    return state if state.get("identity") == ident else None


def remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)
