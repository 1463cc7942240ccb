"""Where a sweep's runs execute: a pool on this machine, or a Ray cluster.

A backend takes the runs still to do and yields ``(params, error)`` for each one as it finishes,
``error`` being ``None`` once the run's record and executed notebook are in place and a one-line
message otherwise; it executes a run with :func:`bnorder.runs.execute.execute`. The sweep
(:func:`bnorder.runs.sweep.sweep`), which is handed a backend object, does the rest for every backend
alike: skipping finished runs, failure records, the list of diverged runs, the progress bar.

``local``
    ``jobs`` runs at a time on this machine, each notebook executed by its own kernel process.
    On a CUDA machine every kernel sees one GPU (``CUDA_VISIBLE_DEVICES``), handed out round-robin.
``ray``
    One Ray task per run, on any node of a cluster (``num_gpus=1`` when the cluster has GPUs).
    A task executes the notebook in a scratch folder of its node and returns the record and the
    executed notebook; the driver writes both into its own ``results/`` and ``book/runs/``
    atomically, so nodes need no shared file system. Every node needs this repository at the same
    commit, installed, and the data sets (or permission to download them).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Iterator

from .config import make_config
from .execute import error_message, execute, notebook_path
from .records import load_record, record_path, write_json_atomic

BACKENDS = ("local", "ray")
REPO = Path(__file__).resolve().parents[2]
Outcome = tuple[dict, "str | None"]  # (params, None) when done, (params, one-line error) when not


def visible_gpus() -> list[str]:
    """The CUDA devices this process may use, as ``CUDA_VISIBLE_DEVICES`` entries."""
    try:
        import torch

        count = torch.cuda.device_count()
    except Exception:  # no torch, or a broken driver: no GPU
        count = 0
    if not count:
        return []
    listed = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    return listed[:count] if len(listed) >= count else [str(i) for i in range(count)]


class LocalBackend:
    """``jobs`` notebooks at a time on this machine; one GPU per kernel when there are GPUs."""

    name = "local"

    def __init__(self, jobs: int = 1, gpus: list[str] | None = None):
        if jobs < 1:
            raise ValueError(f"--jobs must be a positive integer, got {jobs}")
        self.jobs = jobs
        self.gpus = visible_gpus() if gpus is None else list(gpus)

    def describe(self) -> str:
        gpus = f", GPUs {','.join(self.gpus)} round-robin" if self.gpus else ""
        return f"local backend, {self.jobs} at a time{gpus}"

    def run(self, todo: list[dict], runs_dir: str | Path) -> Iterator[Outcome]:
        # Share the cores between concurrent runs (each kernel inherits this environment).
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // self.jobs)))
        slots: queue.Queue = queue.Queue()
        for i in range(self.jobs):
            slots.put(self.gpus[i % len(self.gpus)] if self.gpus else None)

        def one(params: dict) -> None:
            gpu = slots.get()
            try:
                execute(params, runs_dir, env=None if gpu is None else {"CUDA_VISIBLE_DEVICES": gpu})
            finally:
                slots.put(gpu)

        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            futures = {pool.submit(one, params): params for params in todo}
            for fut in as_completed(futures):
                try:
                    fut.result()
                    yield futures[fut], None
                except Exception as e:  # one broken run must not stop the sweep
                    yield futures[fut], error_message(e)


# --- Ray ------------------------------------------------------------------------------------

SCRATCH_PREFIX = "bnorder-run-"


def _remove_stale_scratch() -> None:
    """Delete scratch folders of tasks whose worker process is gone (e.g. killed)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        try:
            os.kill(int(folder.name[len(SCRATCH_PREFIX):].split("-", 1)[0]), 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(folder, ignore_errors=True)
        except PermissionError:
            pass


def execute_remote(params: dict, runs_dir: str, cwd: str) -> dict:
    """One run on a Ray worker, with nothing written outside a scratch folder of its node.

    Returns ``{"record": dict, "notebook": bytes}``, or ``{"error": one line}`` when the notebook
    raised. The record and notebook read as if the run had executed on the driver: the scratch
    paths in them are replaced by the driver's ``results_dir`` and ``runs_dir``.
    """
    _remove_stale_scratch()
    scratch = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-"))
    try:
        results, runs = scratch / "results", scratch / "runs"
        local = {**params, "results_dir": str(results)}
        # Relative paths (e.g. data_root "data") resolve as on the driver when this node has the
        # driver's working directory, else in this node's copy of the repository.
        try:
            out = execute(local, runs, cwd=cwd if os.path.isdir(cwd) else str(REPO))
        except Exception as e:
            return {"error": error_message(e)}
        record = load_record(record_path(make_config(**local)))
        record["config"]["results_dir"] = params["results_dir"]
        text = out.read_text(encoding="utf-8")
        for here, there in ((results, params["results_dir"]), (runs, runs_dir)):
            text = text.replace(json.dumps(str(here))[1:-1], json.dumps(str(there))[1:-1])
        return {"record": record, "notebook": text.encode("utf-8")}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def store(params: dict, record: dict, notebook: bytes, runs_dir: str | Path) -> None:
    """Write a run's record and then its executed notebook, each atomically (temporary file,
    rename): a killed driver leaves either the whole file or none."""
    write_json_atomic(record_path(make_config(**params)), record)
    out = notebook_path(params, runs_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.tmp.ipynb")
    try:
        with open(tmp, "wb") as f:
            f.write(notebook)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def check_reachable(address: str, timeout: float = 5.0) -> None:
    """``ValueError`` with the fix when nothing listens at ``host:port`` (``ray.init`` would
    retry for minutes). Other forms (``auto``, ``ray://…``) are left to Ray."""
    import socket

    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "/" in address:
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        raise ValueError(f"no Ray cluster answers at {address} ({e.strerror or e}); start one "
                         f"there with `ray start --head --port={port}` or fix --address") from None


def task_name(params: dict) -> str:
    """The Ray task's name (its worker's process title is ``ray::<name>``): the run's record path."""
    cfg = make_config(**params)
    return f"bnorder {cfg.profile}/{cfg.dataset}/{cfg.arch}/{cfg.block}/seed{cfg.seed}"


class RayBackend:
    """One Ray task per run on the cluster at ``address`` (default: ``$RAY_ADDRESS``, else a
    Ray started on this machine). A task whose worker dies (killed, out of memory, node lost) is
    retried ``max_retries`` times, then recorded as failed."""

    name = "ray"

    def __init__(self, address: str | None = None, max_retries: int = 1):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("the ray backend needs Ray; install it with "
                             "`.venv/bin/pip install -e '.[train,ray]'` or use --backend local") from None
        if address:
            check_reachable(address)
        self.address = address
        self.max_retries = max_retries

    def describe(self) -> str:
        where = self.address or os.environ.get("RAY_ADDRESS") or "a Ray started on this machine"
        return f"ray backend at {where}"

    def run(self, todo: list[dict], runs_dir: str | Path) -> Iterator[Outcome]:
        import logging

        import ray

        ray.init(address=self.address, log_to_driver=False, logging_level=logging.WARNING)
        try:
            gpus = ray.cluster_resources().get("GPU", 0) >= 1
            task = ray.remote(execute_remote)
            options = dict(num_cpus=1, num_gpus=1 if gpus else 0, max_retries=self.max_retries,
                           retry_exceptions=False)  # retry lost workers, not runs that raised
            pending = {task.options(name=task_name(params), **options).remote(
                params, str(runs_dir), os.getcwd()): params for params in todo}
            while pending:
                ready, _ = ray.wait(list(pending), num_returns=1)
                params = pending.pop(ready[0])
                try:
                    reply = ray.get(ready[0])
                except ray.exceptions.RayError as e:  # its worker or node died, retries spent
                    yield params, error_message(e)
                    continue
                if "error" in reply:
                    yield params, reply["error"]
                else:
                    store(params, reply["record"], reply["notebook"], runs_dir)
                    yield params, None
        finally:
            ray.shutdown()


def make_backend(name: str = "local", jobs: int = 1, address: str | None = None):
    """The backend called ``name``; ``ValueError`` naming the valid ones otherwise."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid backends: {', '.join(BACKENDS)} "
                         f"(e.g. --backend ray --address HEAD_IP:6379)")
    if name == "local":
        if address:
            raise ValueError("--address is for --backend ray; drop it or add --backend ray")
        return LocalBackend(jobs)
    return RayBackend(address)
