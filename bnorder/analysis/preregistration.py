"""Whether the primary family was written before its seeds ran, as the records and git show.

For every primary question of the registry, every record of its arm's and its base's profile
and block must

* use one of the seeds the question reserves,
* have been run at a commit that descends from the commit that added the question to the
  registry (``git merge-base --is-ancestor``; the record's ``provenance.git_commit``), and
* have been run from committed code (no ``-dirty`` commit).

:func:`problems` lists each breach; ``python -m bnorder findings --check`` fails on any.
"""

from __future__ import annotations

import re
import subprocess
from functools import lru_cache
from pathlib import Path

from ..runs import registry
from ..runs.records import load_records

ROOT = Path(__file__).resolve().parents[2]


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)


@lru_cache(maxsize=None)
def added_in(repo: Path, path: str, question_id: str) -> str | None:
    """The first commit whose version of ``path`` holds the question ``question_id``."""
    pattern = "^- id: " + re.escape(question_id) + "$"
    out = _git(repo, "log", "--format=%H", "--reverse", "-G", pattern, "--", path)
    commits = out.stdout.split() if out.returncode == 0 else []
    return commits[0] if commits else None


@lru_cache(maxsize=None)
def descends(repo: Path, ancestor: str, commit: str) -> bool:
    return _git(repo, "merge-base", "--is-ancestor", ancestor, commit).returncode == 0


def problems(results="results", repo: Path = ROOT, registry_path: Path | None = None) -> list[str]:
    """One line per record that breaks a primary question's preregistration (empty: none)."""
    repo = Path(repo).resolve()
    registry_path = Path(registry_path or registry.REGISTRY).resolve()
    relative = registry_path.relative_to(repo).as_posix()
    every = load_records(results) if Path(results).is_dir() else None
    out = []
    for q in registry.primary(registry_path):
        if q["test"] == "interaction":
            continue
        written = added_in(repo, relative, q["id"])
        if written is None:
            out.append(f"{q['id']}: not in any commit of {relative}: commit the question before its seeds run")
            continue
        if every is None or not len(every):
            continue
        reserved = set(q["seeds"] or [])
        for side in ("arm", "base"):
            spec = q[side]
            rows = every[(every["profile"] == spec["profile"]) & (every["block"] == spec["block"])]
            for _, r in rows.iterrows():
                where = f"{q['id']}: {Path(r['path']).relative_to(Path(results).resolve()) if Path(r['path']).is_absolute() else r['path']}"
                commit = r.get("prov_git_commit")
                if int(r["seed"]) not in reserved:
                    out.append(f"{where}: seed {int(r['seed'])} is not one the question reserves")
                if not isinstance(commit, str) or not commit:
                    out.append(f"{where}: the record names no git commit")
                elif commit.endswith("-dirty"):
                    out.append(f"{where}: run from uncommitted code ({commit})")
                elif not descends(repo, written, commit):
                    out.append(f"{where}: run at {commit[:10]}, which does not descend from "
                               f"{written[:10]}, the commit that wrote the question")
    return sorted(set(out))
