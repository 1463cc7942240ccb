"""The interval-coverage simulation as a record: how often a nominal 95% interval of a mean
contains the true mean, for the numbers of seeds this study can afford.

``python -m bnorder coverage`` runs :func:`bnorder.analysis.stats.interval_coverage` for every
population, number of seeds and interval method, and writes ``results/coverage/interval-coverage.json``
with its settings and provenance; the Statistics chapter reads that record instead of simulating
at every build. No torch needed.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import time
from pathlib import Path

from .. import __version__
from ..runs.records import git_commit, write_json_atomic
from . import stats

SEEDS = (3, 5, 10, 20)
METHODS = ("t", "BCa", "percentile")
REPS = 1000


def record_path(results_dir: str | Path = "results") -> Path:
    return Path(results_dir) / "coverage" / "interval-coverage.json"


def simulate(reps: int = REPS, seeds=SEEDS, methods=METHODS) -> list[dict]:
    return [{"population": pop, "seeds": n, "method": m,
             "coverage": stats.interval_coverage(n, m, population=pop, reps=reps)}
            for pop in stats.POPULATIONS for n in seeds for m in methods]


def write(results_dir: str | Path = "results", reps: int = REPS) -> Path:
    """Run the simulation and write its record; returns the record's path."""
    import numpy
    import scipy

    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    rows = simulate(reps)
    record = {"kind": "interval-coverage", "command": f"python -m bnorder coverage --reps {reps}",
              "settings": {"reps": reps, "seeds": list(SEEDS), "methods": list(METHODS),
                           "populations": list(stats.POPULATIONS), "seed": stats.SEED},
              "rows": rows,
              "provenance": {"bnorder_version": __version__, "git_commit": git_commit(),
                             "python_version": platform.python_version(),
                             "numpy_version": numpy.__version__, "scipy_version": scipy.__version__,
                             "started_utc": started.isoformat(timespec="seconds"),
                             "wall_seconds": round(time.perf_counter() - t0, 3)}}
    return write_json_atomic(record_path(results_dir), record)


def load(results_dir: str | Path = "results") -> dict | None:
    """The coverage record, or None when it has not been written."""
    path = record_path(results_dir)
    return json.loads(path.read_text()) if path.exists() else None
