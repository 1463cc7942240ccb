"""The full-size study as one command: ``python -m bnorder full-size``.

The original study's data and sizes (CIFAR-10, the CNN with 64 channels and the MLP with 512
units, the whole factorial design: profile ``cifar10-factorial``) on one GPU: every
configuration's missing seeds train together as one stacked model (a *group*, as ``sweep
--fuse-seeds``), one group at a time, within a time budget, and after every group the profile's
records and executed notebooks are packed into one archive, so that whatever finished survives a
machine that is taken away. Run again, it does only what is missing.

    python -m bnorder full-size                                   # cifar10-factorial, no budget
    python -m bnorder full-size --budget-minutes 8 --pack full-size.tar.gz
    python -m bnorder full-size --profile smoke-factorial         # the same path at toy size

A group is not started when the budget left is smaller than the longest group so far took.
"""

from __future__ import annotations

import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .backends import LocalBackend
from .execute import seeds_of
from .sweep import fuse, is_done, plan, record_failure

DEFAULT_PROFILE = "cifar10-factorial"


@dataclass
class Budget:
    """A wall-clock budget in seconds (None: none); ``clock`` is replaceable for tests."""
    seconds: float | None
    clock: callable = time.monotonic
    started: float = field(default=0.0)
    longest: float = 0.0

    def __post_init__(self):
        self.started = self.clock()

    def left(self) -> float:
        return float("inf") if self.seconds is None else self.seconds - (self.clock() - self.started)

    def allows_another(self) -> bool:
        """Whether a group that takes as long as the longest so far still fits."""
        return self.left() > self.longest

    def took(self, seconds: float) -> None:
        self.longest = max(self.longest, seconds)


def pack(profile: str, results_dir: str | Path, runs_dir: str | Path, out: str | Path) -> Path:
    """Write ``out`` (.tar.gz): the profile's records and executed notebooks, as repository paths,
    written to a temporary name and renamed, so that a reader never finds half an archive."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with tarfile.open(tmp, "w:gz") as tar:
        for root in (Path(results_dir) / profile, Path(runs_dir) / profile):
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                if path.is_file() and not path.name.startswith("."):
                    tar.add(path, arcname=path.as_posix())
    tmp.replace(out)
    return out


def run(profile: str = DEFAULT_PROFILE, budget_minutes: float | None = None, pack_to: str | None = None,
        results_dir: str = "results", runs_dir: str = "book/runs", backend=None, clock=time.monotonic,
        log=print) -> dict:
    """Train the profile's missing runs group by group within the budget; pack after each group.
    Returns counts: ``groups_done``, ``groups_left``, ``failed`` (runs), ``pack`` (its path)."""
    backend = backend or LocalBackend(jobs=1)
    todo = [p for p in plan(profile, (), results_dir) if not is_done(p, runs_dir)]
    groups = fuse(todo)
    budget = Budget(None if budget_minutes is None else 60 * budget_minutes, clock)
    log(f"full-size {profile}: {len(todo)} runs to do in {len(groups)} groups"
        + (f", budget {budget_minutes:g} min" if budget_minutes is not None else ""))
    done = failed = 0
    for i, group in enumerate(groups):
        if not budget.allows_another():
            log(f"stopping: {budget.left() / 60:.1f} min left, the longest group took {budget.longest / 60:.1f}")
            break
        t0 = clock()
        for unit, error in backend.run([group], runs_dir):
            if error is not None:
                failed += len(seeds_of(unit))
                for seed in seeds_of(unit):
                    record_failure({k: v for k, v in unit.items() if k != "n_seeds"} | {"seed": seed}, error)
                log(f"FAILED group {i + 1}: {error}")
        budget.took(clock() - t0)
        done += 1
        if pack_to:
            pack(profile, results_dir, runs_dir, pack_to)
        log(f"group {i + 1}/{len(groups)} ({group['arch']} {group['block']}, seeds {seeds_of(group)[0]}-"
            f"{seeds_of(group)[-1]}) in {budget.longest / 60:.1f} min max"
            + (f"; packed {pack_to}" if pack_to else ""))
    return {"groups_done": done, "groups_left": len(groups) - done, "failed": failed, "pack": pack_to}
