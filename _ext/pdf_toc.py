"""The PDF edition's table of contents, written from the book's: ``_toc.yml`` less the executed run
notebooks (every ``glob`` entry, every file under ``book/runs/``), with the bibliography last.

    python _ext/pdf_toc.py _toc.yml _build/pdf/_toc.yml

``make pdf`` writes it before each build, so a chapter or appendix page added to ``_toc.yml`` is
in the PDF without a second list to keep in step. (A script, not a Sphinx extension.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

RUNS = "book/runs/"
BIBLIOGRAPHY = "book/bibliography"


def _keep(entry) -> bool:
    return not (isinstance(entry, dict) and ("glob" in entry or str(entry.get("file", "")).startswith(RUNS)))


def _strip(node):
    """``node`` without run-notebook entries; an emptied ``sections`` list is dropped."""
    if isinstance(node, list):
        return [_strip(item) for item in node if _keep(item)]
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            value = _strip(value)
            if key in ("sections", "chapters", "parts") and isinstance(value, list) and not value:
                continue
            out[key] = value
        return out
    return node


def pdf_toc(toc: dict) -> dict:
    out = _strip(toc)
    parts = out.get("parts")
    if parts:
        bib = [c for p in parts for c in p.get("chapters", []) if c.get("file") == BIBLIOGRAPHY]
        for part in parts:
            part["chapters"] = [c for c in part.get("chapters", []) if c.get("file") != BIBLIOGRAPHY]
        out["parts"] = [p for p in parts if p["chapters"]]
        if bib:
            out["parts"][-1]["chapters"].append(bib[0])
    return out


def main(argv=None) -> int:
    source, target = (argv if argv is not None else sys.argv[1:])
    toc = pdf_toc(yaml.safe_load(Path(source).read_text()))
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(f"# Written by _ext/pdf_toc.py from {source}: the PDF edition's table of "
                            f"contents, without the run notebooks.\n"
                            + yaml.safe_dump(toc, sort_keys=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
