"""Executing one run: ``notebooks/train.ipynb`` run once by papermill, the executed notebook
written atomically under its run's name.

The executed notebook ``<runs_dir>/<profile>/<dataset>-<arch>-<block>-seed<k>.ipynb`` (``seed<a>-<b>``
when seeds are fused) is written to a temporary file and renamed, so a killed execution never
leaves half a notebook. A backend (:mod:`bnorder.runs.backends`) calls :func:`execute` once per run;
the sweep (:mod:`bnorder.runs.sweep`) decides which runs to execute.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from ..orders import canonical_block

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "train.ipynb"


def seeds_of(params: dict) -> list[int]:
    """The seeds one execution trains: ``seed`` alone, or ``n_seeds`` of them fused."""
    return list(range(params["seed"], params["seed"] + params.get("n_seeds", 1)))


def notebook_path(params: dict, runs_dir: str | Path = "book/runs") -> Path:
    block = canonical_block(params["block"])
    seeds = seeds_of(params)
    tag = f"seed{seeds[0]}" if len(seeds) == 1 else f"seed{seeds[0]}-{seeds[-1]}"
    return Path(runs_dir) / params["profile"] / f"{params['dataset']}-{params['arch']}-{block}-{tag}.ipynb"


def run_title(params: dict) -> str:
    seeds = seeds_of(params)
    seed = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {seeds[0]}–{seeds[-1]}"
    return (f"Run: {params['profile']} · {params['dataset']} · {params['arch']} · "
            f"{canonical_block(params['block'])} · {seed}")


# Seconds a kernel may take to start. papermill's default (60 s) is too short on a loaded
# two-core machine (a parallel test suite, several sweeps), where a start can take over a minute.
KERNEL_START_TIMEOUT = 600


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
                            start_timeout=KERNEL_START_TIMEOUT, **extra)
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


def error_message(e: Exception) -> str:
    """One line: the exception raised inside the notebook, or the exception itself (e.g.
    ``DeadKernelError: Kernel died`` when the kernel was killed)."""
    if getattr(e, "ename", None):
        return f"{e.ename}: {e.evalue}"
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[-1]}" if text else repr(e)
