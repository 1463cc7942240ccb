"""Every page says which edition of the book it is: the commit it was built from (short sha), the
date of that commit, and how many run records the book read (``seed*.json`` under the results
folder: ``$BNORDER_RESULTS``, default ``results/``, as the chapters read it).

Computed once per build and shown in the footer through the theme's ``extra_footer`` option (a
value Sphinx compares between builds, so a new commit or new records rewrite every page; no
chapter is executed again for it), and on the PDF's title page as its date. A build outside a git checkout says so instead of a commit;
one from a working tree with uncommitted changes to tracked files says that too.
"""

from __future__ import annotations

import html
import os
import subprocess
from pathlib import Path

RESULTS_VAR = "BNORDER_RESULTS"


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def results_folder(root: Path, env=None) -> Path:
    env = os.environ if env is None else env
    path = Path(env.get(RESULTS_VAR, "results"))
    return path if path.is_absolute() else root / path


def edition(root: Path, env=None) -> dict:
    """``{"commit", "date", "modified", "records"}`` of the book at ``root`` (commit and date
    None outside a git checkout)."""
    commit = _git(root, "rev-parse", "--short", "HEAD")
    date = _git(root, "log", "-1", "--format=%cs", "HEAD") if commit else None
    modified = bool(_git(root, "status", "--porcelain", "--untracked-files=no")) if commit else False
    folder = results_folder(root, env)
    records = sum(1 for _ in folder.rglob("seed*.json")) if folder.is_dir() else 0
    return {"commit": commit, "date": date, "modified": modified, "records": records}


def footer(ed: dict) -> str:
    """The footer's HTML line for an :func:`edition`."""
    if ed["commit"]:
        where = (f'commit <code class="bnorder-commit">{html.escape(ed["commit"])}</code>'
                 f' of <span class="bnorder-commit-date">{html.escape(ed["date"] or "an unknown date")}</span>'
                 f'{" (with uncommitted changes)" if ed["modified"] else ""}')
    else:
        where = "a copy outside a git checkout (no commit)"
    records = f'<span class="bnorder-records">{ed["records"]:,}</span>'
    return (f'<p class="bnorder-edition">This edition: {where}, '
            f'built from {records} run record{"" if ed["records"] == 1 else "s"}.</p>')


def title_page_date(ed: dict) -> str:
    """The PDF's title-page line for an :func:`edition` (LaTeX)."""
    where = (f"Commit {ed['commit']} of {ed['date']}{' (with uncommitted changes)' if ed['modified'] else ''}"
             if ed["commit"] else "Not built from a git checkout")
    return f"{where}, {ed['records']:,} run records"


def _set_edition(app, config) -> None:
    ed = edition(Path(app.srcdir))
    options = dict(config.html_theme_options or {})
    options["extra_footer"] = (options.get("extra_footer") or "") + footer(ed)
    config.html_theme_options = options
    elements = dict(config.latex_elements or {})
    elements["preamble"] = (elements.get("preamble") or "") + \
        "\n\\AtBeginDocument{\\date{" + title_page_date(ed) + "}}\n"
    config.latex_elements = elements


def setup(app):
    app.connect("config-inited", _set_edition)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
