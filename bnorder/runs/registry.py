"""The registry of questions, ``book/predictions.yml``, as written: read here and nowhere else.

It holds the one equivalence margin (:func:`margin`), the tuned protocol's selection rule
(:func:`selection`) and every question (:func:`questions`): the exploratory predictions, the
design checks and the primary family, each with the seeds it reserves. The profiles that train
those seeds take them from here (:func:`reserved_seeds`), so a seed is named once.

No torch, no pandas: the sweep, the findings and the book all read it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

REGISTRY = Path(__file__).resolve().parents[2] / "book" / "predictions.yml"
FAMILIES = ("primary", "exploratory", "design-check")
TESTS = ("paired", "spread-ratio", "interaction")


def parse_seeds(seeds) -> list[int] | None:
    """A question's ``seeds``: a list, or ``"first-last"`` (both included); ``None`` for all."""
    if seeds is None:
        return None
    if isinstance(seeds, str):
        first, _, last = seeds.partition("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in seeds]


@lru_cache(maxsize=None)
def _load(path: str) -> dict:
    with open(path) as f:
        doc = yaml.safe_load(f) or {}
    if isinstance(doc, list):   # the file before it held a margin and a selection
        doc = {"questions": doc}
    for q in doc.get("questions", []):
        q.setdefault("family", "exploratory")
        q.setdefault("test", "paired")
        if q["family"] not in FAMILIES:
            raise ValueError(f"question {q['id']}: unknown family {q['family']!r}; valid: {', '.join(FAMILIES)}")
        if q["test"] not in TESTS:
            raise ValueError(f"question {q['id']}: unknown test {q['test']!r}; valid: {', '.join(TESTS)}")
        q["seeds"] = parse_seeds(q.get("seeds"))
        if q["family"] == "primary" and q["test"] != "spread-ratio":
            if "margin" in q:
                raise ValueError(f"question {q['id']}: a primary question uses the registry's one margin")
            q["margin"] = doc["margin"]
    return doc


def load(path: str | Path = REGISTRY) -> dict:
    """The whole registry: ``margin``, ``selection`` and ``questions`` (each with its
    ``family``, ``test`` and ``seeds`` filled in; a primary question carries the one margin)."""
    return _load(str(path))


def questions(path: str | Path = REGISTRY) -> list[dict]:
    return [dict(q) for q in load(path).get("questions", [])]


def contrasts(path: str | Path = REGISTRY) -> list[dict]:
    """The contrasts the chapters cite that are no prediction, each with its ``kind`` (``early``:
    the numbers a later prediction was read from; else ``contrast``) and ``seeds``."""
    out = []
    for c in load(path).get("contrasts", []):
        out.append({**c, "kind": c.get("kind", "contrast"), "seeds": parse_seeds(c.get("seeds"))})
    return out


def entry(id_: str, path: str | Path = REGISTRY) -> dict:
    """The question or contrast registered under ``id_``: its ``arm``, ``base``, ``metric``, ..."""
    for e in [*questions(path), *contrasts(path)]:
        if e["id"] == id_:
            return e
    raise KeyError(f"book/predictions.yml has no question or contrast {id_!r}")


def margin(path: str | Path = REGISTRY) -> float:
    """The one equivalence margin (percentage points) of every question written since it was set."""
    return float(load(path)["margin"])


def selection(path: str | Path = REGISTRY) -> dict:
    """The tuned protocol's rule: ``seeds`` and ``candidates`` (each a step size and schedule)."""
    return load(path)["selection"]


def primary(path: str | Path = REGISTRY) -> list[dict]:
    return [q for q in questions(path) if q["family"] == "primary"]


def reserved_seeds(profile: str, path: str | Path = REGISTRY) -> tuple[int, ...]:
    """Every seed the questions reserve for ``profile`` (their arm or base), ascending."""
    seeds = set()
    for q in questions(path):
        sides = [q.get("arm", {}), q.get("base", {})]
        if q["seeds"] and any(side.get("profile") == profile for side in sides):
            seeds.update(q["seeds"])
    return tuple(sorted(seeds))
