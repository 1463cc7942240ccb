"""The claim check: every ``{claim}`<id>:<state>``` role and every ``{finding}`<id>:<state>```
role in the chapters' text, and which of them the findings no longer support (:func:`check`,
``python -m bnorder findings --check``). A ``{finding}`` role renders the finding's number in the
sentence (``_ext/finding_role.py``); one without a state (``{finding}`<id>```) asserts nothing,
and the check holds only its id to the findings."""

from __future__ import annotations

import re
from pathlib import Path

from .entries import adjusted_state, claim_holds, claim_state

BOOK = Path(__file__).resolve().parent.parent.parent / "book"
CLAIM = re.compile(r"\{claim\}`([^`]*)`")
FINDING = re.compile(r"\{finding\}`([^`]*)`")
_ROLE = re.compile(r"\{(claim|finding)\}`([^`]*)`")
_CODE_SPAN = re.compile(r"``.*?``")
CLAIM_STATES = ("positive", "negative", "equivalent", "unresolved", "confirmed", "refuted", "holds",
                "fails")


def parse_claim(text: str) -> tuple[str, str]:
    """``"<id>:<state>"`` of a ``{claim}`` role as (id, state); ValueError when malformed."""
    finding, sep, state = text.strip().rpartition(":")
    if not sep or not finding or state not in CLAIM_STATES:
        raise ValueError(f"a claim reads {{claim}}`<finding id>:<state>` with a state among "
                         f"{', '.join(CLAIM_STATES)}; got {text!r}")
    return finding, state


def parse_finding(text: str) -> tuple[str, str | None]:
    """``"<id>"`` or ``"<id>:<state>"`` of a ``{finding}`` role as (id, state or None);
    ValueError when malformed (no id, a blank in the id, or a state not among
    :data:`CLAIM_STATES`)."""
    text = text.strip()
    if ":" not in text:
        if not text or any(c.isspace() for c in text):
            raise ValueError(f"a finding reads {{finding}}`<finding id>` or {{finding}}`<finding id>:"
                             f"<state>`; got {text!r}")
        return text, None
    try:
        return parse_claim(text)
    except ValueError:
        raise ValueError(f"a finding reads {{finding}}`<finding id>` or {{finding}}`<finding id>:"
                         f"<state>` with a state among {', '.join(CLAIM_STATES)}; got {text!r}") from None


def roles(book=BOOK) -> list[tuple[str, int, str, str]]:
    """Every ``{claim}`` and ``{finding}`` role in the chapters' text: (chapter file, line, role
    name, role text), in reading order. Code cells, fenced blocks and ````...```` code spans (a
    role shown as an example) are not text."""
    found = []
    for path in sorted(Path(book).glob("*.md")):
        fenced = False
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith(("```", "~~~")):   # a fence opens, or a bare one closes
                fenced = True if not fenced else bool(line.strip().strip("`~"))
                continue
            if not fenced:
                found += [(path.name, number, m.group(1), m.group(2))
                          for m in _ROLE.finditer(_CODE_SPAN.sub("", line))]
    return found


def claims(book=BOOK) -> list[tuple[str, int, str]]:
    """Every assertion of a state in the chapters' text: (chapter file, line, role text) of each
    ``{claim}`` role and of each ``{finding}`` role that names a state (its text has a colon)."""
    return [(chapter, line, text) for chapter, line, role, text in roles(book)
            if role == "claim" or ":" in text]


def check(findings: dict[str, dict], book=BOOK) -> list[str]:
    """One line per claim the findings no longer support (empty: every claim holds), naming the
    chapter and line, the finding, the state asserted and the state the records now give; and
    one per ``{finding}`` role without a state that is malformed or names no finding."""
    problems = []
    for chapter, line, role, text in roles(book):
        where = f"{chapter}:{line}"
        try:   # a {finding} role without a state renders a finding and asserts nothing
            finding, asserted = (parse_finding(text)[0], None) if role == "finding" and ":" not in text \
                else parse_claim(text)
        except ValueError as e:
            problems.append(f"{where}: {e}")
            continue
        if finding not in findings:
            problems.append(f"{where}: {'finding ' + finding if asserted is None else 'claim ' + text} names no finding")
            continue
        if asserted is None:
            continue
        if not claim_holds(findings[finding], asserted):
            problems.append(f"{where}: {finding} was claimed {asserted}; the records now give "
                            f"{states(findings[finding])}")
    return problems


def states(entry: dict) -> str:
    """What the records give: the finding's state, and a primary question's adjusted verdict."""
    adjusted = adjusted_state(entry)
    now = claim_state(entry)
    return now if adjusted in (None, now) else f"{now} ({adjusted} after Holm's correction)"
