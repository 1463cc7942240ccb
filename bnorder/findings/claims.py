"""The claim check: every ``{claim}`<id>:<state>``` role in the chapters' text, and which of them
the findings no longer support (:func:`check`, ``python -m bnorder findings --check``)."""

from __future__ import annotations

import re
from pathlib import Path

from .entries import claim_state

BOOK = Path(__file__).resolve().parent.parent.parent / "book"
CLAIM = re.compile(r"\{claim\}`([^`]*)`")
_CODE_SPAN = re.compile(r"``.*?``")
CLAIM_STATES = ("positive", "negative", "equivalent", "unresolved", "confirmed", "refuted")


def parse_claim(text: str) -> tuple[str, str]:
    """``"<id>:<state>"`` of a ``{claim}`` role as (id, state); ValueError when malformed."""
    finding, sep, state = text.strip().rpartition(":")
    if not sep or not finding or state not in CLAIM_STATES:
        raise ValueError(f"a claim reads {{claim}}`<finding id>:<state>` with a state among "
                         f"{', '.join(CLAIM_STATES)}; got {text!r}")
    return finding, state


def claims(book=BOOK) -> list[tuple[str, int, str]]:
    """Every ``{claim}`` role in the chapters' text: (chapter file, line, role text). Code cells,
    fenced blocks and ````...```` code spans (a role shown as an example) are not text."""
    found = []
    for path in sorted(Path(book).glob("*.md")):
        fenced = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("```", "~~~")):   # a fence opens, or a bare one closes
                fenced = True if not fenced else bool(line.strip().strip("`~"))
                continue
            if not fenced:
                found += [(path.name, number, m.group(1))
                          for m in CLAIM.finditer(_CODE_SPAN.sub("", line))]
    return found


def check(findings: dict[str, dict], book=BOOK) -> list[str]:
    """One line per claim the findings no longer support (empty: every claim holds), naming the
    chapter and line, the finding, the state asserted and the state the records now give."""
    problems = []
    for chapter, line, text in claims(book):
        where = f"{chapter}:{line}"
        try:
            finding, asserted = parse_claim(text)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if finding not in findings:
            problems.append(f"{where}: claim {finding}:{asserted} names no finding")
            continue
        now = claim_state(findings[finding])
        if now != asserted:
            problems.append(f"{where}: {finding} was claimed {asserted}; the records now give {now}")
    return problems
