"""Each run page says from which version of the training notebook it was executed."""

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))
import run_provenance  # noqa: E402


def git(root, *args):
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout.strip()


def test_a_run_page_names_its_commit_and_whether_the_notebook_changed_since(tmp_path):
    git(tmp_path, "init", "-q")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "train.ipynb").write_text('{"cells": []}')
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "v1")
    sha = git(tmp_path, "rev-parse", "HEAD")
    params = {"profile": "p", "dataset": "d", "arch": "mlp", "block": "bn-relu", "seed": 3}
    record = tmp_path / "results" / "p" / "d" / "mlp" / "bn-relu" / "seed3.json"
    record.parent.mkdir(parents=True)
    record.write_text(json.dumps({"provenance": {"git_commit": sha}}))
    notebook = tmp_path / "run.ipynb"
    notebook.write_text(json.dumps({"metadata": {"papermill": {"parameters": params}}}))

    assert "from today's notebooks/train.ipynb" in run_provenance.note_text(tmp_path, notebook)
    (tmp_path / "notebooks" / "train.ipynb").write_text('{"cells": [1]}')
    text = run_provenance.note_text(tmp_path, notebook)
    assert sha[:10] in text and "has changed since" in text
    notebook.write_text("{}")
    assert "names no commit" in run_provenance.note_text(tmp_path, notebook)
