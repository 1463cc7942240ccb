"""A sweep: execute notebooks/train.ipynb with papermill once per run of a profile.

Each run leaves two files: its record (written by the notebook) and its executed notebook
``book/runs/<profile>/<dataset>-<arch>-<block>-seed<k>.ipynb`` (:mod:`bnorder.runs.execute`). A run
whose record and notebook both exist is skipped: an interrupted sweep resumes where it stopped.
Where the runs execute (a pool on this machine, a Ray cluster) is up to the backend object the
sweep is given (:mod:`bnorder.runs.backends`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from .. import __version__
from ..orders import canonical_block
from .backends import LocalBackend
from .config import config_hash, make_config
from .execute import notebook_path, remove_stale_temporaries, run_title, seeds_of
from .profiles import get_profile
from .records import SCHEMA, git_commit, load_record, record_path, summarize, write_json_atomic

FILTER_KEYS = ("arch", "block", "seed", "dataset")


def parse_filters(only: list[str] | tuple[str, ...]) -> dict[str, set[str]]:
    """``["arch=mlp", "seed=0,1"]`` -> ``{"arch": {"mlp"}, "seed": {"0", "1"}}``."""
    filters: dict[str, set[str]] = {}
    for item in only:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"malformed filter {item!r}; write key=value[,value…] with key one of "
                             f"{', '.join(FILTER_KEYS)} (e.g. --only arch=mlp --only seed=0,1)")
        if key not in FILTER_KEYS:
            raise ValueError(f"unknown filter key {key!r}; valid keys: {', '.join(FILTER_KEYS)}")
        values = {v.strip() for v in value.split(",")}
        if key == "block":
            values = {canonical_block(v) for v in values}
        for v in values:
            check_filter_value(key, v)
        if key == "seed":
            values = {str(int(v)) for v in values}
        filters.setdefault(key, set()).update(values)
    return filters


def check_filter_value(key: str, value: str) -> None:
    """``ValueError`` naming the valid values when ``--only key=value`` can match no run."""
    from .config import ARCHS, DATASETS

    valid = {"arch": ARCHS, "dataset": DATASETS}.get(key)
    if valid is not None and value not in valid:
        raise ValueError(f"unknown {key} {value!r} in --only; valid {key}s: {', '.join(valid)}")
    if key == "seed" and not value.isdigit():
        raise ValueError(f"seed {value!r} in --only is not a seed; write non-negative integers, "
                         f"e.g. --only seed=0,1")


def plan(profile: str, only=(), results_dir: str = "results") -> list[dict]:
    filters = parse_filters(only)
    runs = []
    for params in get_profile(profile).runs():
        if all(str(params[k]) in v for k, v in filters.items()):
            runs.append({**params, "results_dir": results_dir})
    return runs


def has_notebook(params: dict, runs_dir: str | Path) -> bool:
    """Whether an executed notebook shows this seed: its own, or that of a fused group."""
    own = notebook_path(params, runs_dir)
    if own.exists():
        return True
    for group in own.parent.glob(own.name.replace(f"seed{params['seed']}.ipynb", "seed*-*.ipynb")):
        first, last = group.stem.rsplit("-seed", 1)[1].split("-")
        if int(first) <= params["seed"] <= int(last):
            return True
    return False


def fuse(todo: list[dict]) -> list[dict]:
    """Group runs that differ only in consecutive seeds into one execution with ``n_seeds``."""
    groups: list[dict] = []
    for params in sorted(todo, key=lambda p: (repr(sorted((k, str(v)) for k, v in p.items() if k != "seed")),
                                              p["seed"])):
        last = groups[-1] if groups else None
        same = last is not None and all(last.get(k) == v for k, v in params.items() if k != "seed") \
            and len(params) == len(last) - 1 and last["seed"] + last["n_seeds"] == params["seed"]
        if same:
            last["n_seeds"] += 1
        else:
            groups.append({**params, "n_seeds": 1})
    return groups


def is_done(params: dict, runs_dir: str | Path = "book/runs") -> bool:
    rec = record_path(make_config(**params))
    if not (rec.exists() and has_notebook(params, runs_dir)):
        return False
    try:
        return load_record(rec)["status"] in ("ok", "diverged")
    except ValueError:
        return False


@dataclass
class SweepResult:
    done: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[tuple[dict, str]] = field(default_factory=list)
    diverged: list[dict] = field(default_factory=list)


def record_failure(params: dict, message: str) -> Path:
    """A record with status "failed": the analysis lists it, the next sweep runs it again."""
    import datetime as dt

    cfg = make_config(**params)
    record = {"schema": SCHEMA, "status": "failed", "failure": {"error": message},
              "config": cfg.as_dict(), "config_hash": config_hash(cfg), "n_params": None,
              "epochs": [], "summary": summarize([]),
              "provenance": {"bnorder_version": __version__, "git_commit": git_commit(),
                             "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}}
    return write_json_atomic(record_path(cfg), record)


def sweep(profile: str, backend=None, only=(), results_dir: str = "results",
          runs_dir: str | Path = "book/runs", progress: bool = True,
          fuse_seeds: bool = False) -> SweepResult:
    """Run every missing run of ``profile``; failures are collected, not raised.

    ``backend`` executes the runs (:mod:`bnorder.runs.backends`, e.g. ``LocalBackend(jobs=2)`` or
    ``make_backend("ray", address=...)``); default: one run at a time on this machine.
    ``fuse_seeds`` trains the missing seeds of each configuration together as one stacked model
    (one notebook per group, one record per seed; local backend only).
    Bad arguments raise ``ValueError`` before any record is touched."""
    backend = LocalBackend() if backend is None else backend
    runs = plan(profile, only, results_dir)
    remove_stale_temporaries(Path(runs_dir) / profile)
    result = SweepResult()
    todo = []
    for params in runs:
        (result.skipped if is_done(params, runs_dir) else todo).append(params)
    units = todo
    if fuse_seeds:
        if getattr(backend, "name", "") != "local":
            raise ValueError("--fuse-seeds runs on the local backend only; drop it or use --backend local")
        units = fuse(todo)
    bar = tqdm(total=len(todo), desc=f"sweep {profile}", unit="run", disable=not progress)
    bar.write(f"{len(runs)} runs in profile {profile!r}: {len(result.skipped)} done already, "
              f"{len(todo)} to run ({backend.describe()}"
              f"{f', {len(units)} fused groups' if fuse_seeds else ''})")
    try:
        for unit, error in (backend.run(units, runs_dir) if units else ()):
            for seed in seeds_of(unit):
                params = {k: v for k, v in unit.items() if k != "n_seeds"} | {"seed": seed}
                if error is None:
                    result.done.append(params)
                    if load_record(record_path(make_config(**params)))["status"] == "diverged":
                        result.diverged.append(params)
                        bar.write(f"DIVERGED {run_title(params)}")
                else:
                    result.failed.append((params, error))
                    record_failure(params, error)
                    bar.write(f"FAILED {run_title(params)}: {error}")
                bar.update()
    finally:
        bar.close()
    return result
