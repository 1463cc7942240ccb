"""The ``{claim}`<finding id>:<state>``` role: a sentence names the finding it asserts and the
state it asserts (see :mod:`bnorder.findings`). It renders as nothing; ``python -m bnorder
findings --check`` holds every claim to the records. The build warns (an error under ``-W``) when
a claim is malformed or names a finding that ``book/findings.json`` does not hold."""

from __future__ import annotations

import json
from pathlib import Path


def _known(srcdir: Path) -> set[str] | None:
    path = srcdir / "book" / "findings.json"
    if not path.exists():
        return None
    return set(json.loads(path.read_text(encoding="utf-8"))["findings"])


def claim_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    from bnorder.findings import parse_claim

    try:
        finding, _ = parse_claim(text)
    except ValueError as e:
        return [], [inliner.reporter.warning(str(e), line=lineno)]
    env = inliner.document.settings.env
    known = _known(Path(env.srcdir))
    if known is not None and finding not in known:
        return [], [inliner.reporter.warning(
            f"claim {text!r} names no finding of book/findings.json", line=lineno)]
    return [], []


def setup(app):
    app.add_role("claim", claim_role)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
