"""Each executed run notebook says which version of the training notebook produced it.

The pages under ``book/runs/`` are executed notebooks, shown as they were run and never run
again. Each gets a note under its title naming the commit its record was written at (the
record's ``provenance.git_commit``) and whether ``notebooks/train.ipynb`` has changed since, with
the command that shows how. A change of ``notebooks/train.ipynb`` marks every run page to be
read again, so no page keeps a stale note.
"""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path

from docutils import nodes

RUNS = "book/runs/"
TRAIN = "notebooks/train.ipynb"


def _git(root: Path, *args: str) -> str | None:
    out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


@lru_cache(maxsize=None)
def _blob_at(root: Path, commit: str) -> str | None:
    return _git(root, "rev-parse", f"{commit}:{TRAIN}")


def _current_blob(root: Path) -> str | None:
    return _git(root, "hash-object", TRAIN)


def record_commit(root: Path, notebook: Path) -> str | None:
    """The commit the run's record was written at, found from the notebook's papermill
    parameters (its record path); None when the record or the parameters are missing."""
    try:
        params = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["papermill"]["parameters"]
        record = (root / params.get("results_dir", "results") / params["profile"] / params["dataset"]
                  / params["arch"] / params["block"] / f"seed{params['seed']}.json")
        return json.loads(record.read_text(encoding="utf-8"))["provenance"].get("git_commit")
    except (OSError, KeyError, ValueError, TypeError):
        return None


def note_text(root: Path, notebook: Path) -> str:
    commit = record_commit(root, notebook)
    if not commit:
        return "The record of this run names no commit, so the training notebook it ran is not known."
    sha = commit.removesuffix("-dirty")
    dirty = " with uncommitted changes" if commit.endswith("-dirty") else ""
    then, now = _blob_at(root, sha), _current_blob(root)
    if then is None:
        return f"Executed at commit {sha[:10]}{dirty}, which this repository does not hold."
    if then == now and not dirty:
        return f"Executed at commit {sha[:10]} from today's {TRAIN}."
    return (f"Executed at commit {sha[:10]}{dirty} from {TRAIN} as it was then; it has changed "
            f"since (git diff {sha[:10]} -- {TRAIN}).")


def add_note(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith(RUNS):
        return
    root = Path(app.srcdir)
    para = nodes.paragraph(text=note_text(root, Path(app.env.doc2path(docname))))
    note = nodes.note("", para)
    sections = list(doctree.findall(nodes.section))
    if sections:
        title = sections[0].next_node(nodes.title)
        index = sections[0].index(title) + 1 if title is not None else 0
        sections[0].insert(index, note)
    else:
        doctree.insert(0, note)


def outdated(app, env, added, changed, removed):
    """Every run page, when the training notebook changed since the last build."""
    now = _current_blob(Path(app.srcdir))
    before = getattr(env, "bnorder_train_blob", None)
    env.bnorder_train_blob = now
    if before is None or before == now:
        return []
    return [d for d in env.found_docs if d.startswith(RUNS)]


def setup(app):
    app.connect("doctree-read", add_note)
    app.connect("env-get-outdated", outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
