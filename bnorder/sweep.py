"""A sweep: execute notebooks/train.ipynb with papermill once per run of a profile.

Each run leaves two files: its record (written by the notebook) and its executed notebook
``book/runs/<profile>/<dataset>-<arch>-<block>-seed<k>.ipynb`` (written to a temporary file
and renamed, so a killed sweep never leaves half a notebook). A run whose record and notebook
both exist is skipped: an interrupted sweep resumes where it stopped. Where the runs execute (a
pool on this machine, a Ray cluster) is up to a backend, :mod:`bnorder.backends`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from tqdm import tqdm

from . import __version__
from .orders import canonical_block
from .config import config_hash, make_config
from .profiles import get_profile
from .records import SCHEMA, git_commit, load_record, record_path, write_json_atomic
from .train import summarize

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "train.ipynb"
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


def seeds_of(params: dict) -> list[int]:
    """The seeds one execution trains: ``seed`` alone, or ``n_seeds`` of them fused."""
    return list(range(params["seed"], params["seed"] + params.get("n_seeds", 1)))


def notebook_path(params: dict, runs_dir: str | Path = "book/runs") -> Path:
    block = canonical_block(params["block"])
    seeds = seeds_of(params)
    tag = f"seed{seeds[0]}" if len(seeds) == 1 else f"seed{seeds[0]}-{seeds[-1]}"
    return Path(runs_dir) / params["profile"] / f"{params['dataset']}-{params['arch']}-{block}-{tag}.ipynb"


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


def run_title(params: dict) -> str:
    seeds = seeds_of(params)
    seed = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}–{seeds[-1]}"
    return (f"Run: {params['profile']} · {params['dataset']} · {params['arch']} · "
            f"{canonical_block(params['block'])} · {seed}")


def kernel_manager_with(env: dict):
    """A kernel manager class whose kernels get ``env`` on top of this process's environment
    (e.g. ``CUDA_VISIBLE_DEVICES``): threads of one sweep cannot each set ``os.environ``."""
    from jupyter_client import AsyncKernelManager

    class EnvKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):
            kw["env"] = {**kw.get("env", os.environ), **env}
            return await super().start_kernel(**kw)

    return EnvKernelManager


def execute(params: dict, runs_dir: str | Path = "book/runs", notebook: Path = NOTEBOOK,
            cwd: str | Path | None = None, env: dict | None = None) -> Path:
    """Execute one run's notebook with papermill; returns the executed notebook's path.

    The kernel runs in ``cwd`` (default: this process's working directory) with ``env`` added to
    its environment."""
    import papermill as pm

    out = notebook_path(params, runs_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.ipynb")
    extra = {"kernel_manager_class": kernel_manager_with(env)} if env else {}
    try:
        pm.execute_notebook(str(notebook), str(tmp), parameters={**params, "progress": False},
                            progress_bar=False, cwd=str(cwd or os.getcwd()), kernel_name="python3",
                            **extra)
        nb = nbformat.read(tmp, as_version=4)
        nb.cells[0].source = nb.cells[0].source.replace("# Training run", "# " + run_title(params), 1)
        nbformat.write(nb, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def remove_stale_temporaries(folder: Path) -> None:
    """Delete temporary notebooks left by a sweep that was killed (its process is gone)."""
    for tmp in folder.glob(".*.tmp.ipynb"):
        pid = tmp.name.rsplit(".tmp.ipynb", 1)[0].rsplit(".", 1)[-1]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            tmp.unlink(missing_ok=True)
        except PermissionError:
            pass


@dataclass
class SweepResult:
    done: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    failed: list[tuple[dict, str]] = field(default_factory=list)
    diverged: list[dict] = field(default_factory=list)


def error_message(e: Exception) -> str:
    """One line: the exception raised inside the notebook, or the exception itself (e.g.
    ``DeadKernelError: Kernel died`` when the kernel was killed)."""
    if getattr(e, "ename", None):
        return f"{e.ename}: {e.evalue}"
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[-1]}" if text else repr(e)


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


def sweep(profile: str, jobs: int = 1, only=(), results_dir: str = "results",
          runs_dir: str | Path = "book/runs", progress: bool = True,
          backend="local", address: str | None = None, fuse_seeds: bool = False) -> SweepResult:
    """Run every missing run of ``profile``; failures are collected, not raised.

    ``backend`` is ``"local"`` (``jobs`` runs at a time on this machine), ``"ray"`` (one Ray task
    per run on the cluster at ``address``) or a backend object (see :mod:`bnorder.backends`).
    ``fuse_seeds`` trains the missing seeds of each configuration together as one stacked model
    (one notebook per group, one record per seed; local backend only).
    Bad arguments raise ``ValueError`` before any record is touched."""
    from .backends import make_backend

    if isinstance(backend, str):
        backend = make_backend(backend, jobs=jobs, address=address)
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
