"""Executing one run's notebook: the executed notebook lands under the run's name, titled, with
the kernel given the environment asked for; errors become one line."""

from __future__ import annotations

import os

import nbformat
import pytest

from bnorder.runs.execute import (
    error_message,
    execute,
    notebook_path,
    remove_stale_temporaries,
    run_title,
)
from bnorder.runs.sweep import plan


def test_notebook_path_names_the_run_and_its_fused_seeds():
    params = plan("smoke", ["arch=mlp", "block=case2"])[0]
    assert notebook_path(params, "runs").as_posix() == "runs/smoke/synthetic-mlp-relu-bn-seed0.ipynb"
    fused = {**params, "seed": 3, "n_seeds": 2}
    assert notebook_path(fused, "runs").name == "synthetic-mlp-relu-bn-seed3-4.ipynb"
    assert run_title(fused) == "Run: smoke · synthetic · mlp · relu-bn · seeds 3–4"


def test_error_message_is_one_line():
    class NotebookError(Exception):
        ename, evalue = "ValueError", "unknown block 'case9'"

    assert error_message(NotebookError("long\ntraceback")) == "ValueError: unknown block 'case9'"
    assert error_message(RuntimeError("boom\nlast line")) == "RuntimeError: last line"
    assert error_message(RuntimeError()) == "RuntimeError()"


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path):
    dead = tmp_path / ".synthetic-mlp-bn-relu-seed0.999999999.tmp.ipynb"
    alive = tmp_path / f".synthetic-mlp-relu-bn-seed0.{os.getpid()}.tmp.ipynb"
    for p in (dead, alive):
        p.write_text("{")
    remove_stale_temporaries(tmp_path)
    assert not dead.exists() and alive.exists()


@pytest.mark.slow
def test_execute_hands_env_to_the_kernel(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Training run"),
        nbformat.v4.new_code_cell("import os\nprint('GPU=' + os.environ.get('CUDA_VISIBLE_DEVICES', 'none'))"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "env.ipynb"
    nbformat.write(nb, src)
    params = plan("smoke", ["arch=mlp", "block=bn-relu"])[0]
    out = execute(params, tmp_path / "runs", notebook=src, env={"CUDA_VISIBLE_DEVICES": "7"})
    assert "GPU=7" in out.read_text()
    assert "CUDA_VISIBLE_DEVICES" not in os.environ or os.environ["CUDA_VISIBLE_DEVICES"] != "7"
