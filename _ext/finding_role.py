"""The ``{finding}`` role: a finding of ``book/findings.json`` written into a sentence, and the
state the sentence asserts of it held to the findings.

Syntax
------

``{finding}`<id>```
    renders the finding and asserts nothing;
``{finding}`<id>:<state>```
    renders it and asserts its state, the one :func:`bnorder.findings.claim_state` gives:
    ``positive`` or ``negative`` (a resolved difference and its sign), ``equivalent`` or
    ``unresolved``; for a prediction and a primary question (``kind: primary``) its outcome,
    ``confirmed``, ``refuted`` or ``unresolved``.

A sentence reads "the position effect is {finding}`factorial-mlp-position:negative`: BatchNorm
before the activation is ahead". The build fails (an error under ``-W``), naming the chapter, the
role's own line and the id, when the id is not in ``book/findings.json``, when the state is not
the one the findings give, or when the role is malformed; ``python -m bnorder findings --check``
holds every ``{finding}`` role that asserts a state to the records exactly as it holds a
``{claim}`` (:mod:`bnorder.findings.claims`).

What it renders
---------------

Every number is written by :mod:`bnorder.report.style`, the book's one format: the value by
:func:`~bnorder.report.style.fmt` (two decimals), the interval by
:func:`~bnorder.report.style.ci_text` (``95% CI low to high``, or why there is none), missing
values as :data:`~bnorder.report.style.NONE`. The count is ``<n> seeds`` (``1 seed``), and for the
original study's unpaired runs ``<n> runs`` (a Welch difference: ``<a> and <b> runs``).

a difference (kinds factorial, order, robustness, prediction, early, original, replication,
primary with ``test: paired`` or ``interaction``, and the rerun's noise)
    signed, with its unit, and its interval signed, exactly as ``report.glue_findings`` glues
    ``<id>_mean`` and ``<id>_ci``: ``-0.72 points (95% CI -1.07 to -0.37, 10 seeds)``;
a ratio of standard deviations (a primary ``test: spread-ratio`` and the replication's
``…-spread`` findings, whose ``what`` reads ``sd(a) / sd(b)``)
    unsigned, as a factor, with the interval's ends unsigned: ``0.45× (95% CI 0.22 to 0.96,
    10 seeds)``;
a mean over seeds (kind describe: ``what`` names the measure)
    unsigned, in its unit (an accuracy in ``%``), with its interval unsigned: ``91.23% (95% CI
    90.80 to 91.66, 10 seeds)``; one with a spread but no interval gives the spread,
    ``0.55 points per epoch (sd 0.12, 10 seeds)``;
no interval
    the style's reason instead: ``+0.12 points (one seed, no interval)``, ``+0.00 points (the same
    on every seed, no interval; 5 seeds)``;
nothing measured yet (``n`` is 0, e.g. a primary question before its seeds run)
    ``— (not run yet)``.

The unit follows the measure (``metric``, or a describe entry's ``what``): points of accuracy
for accuracies, gaps, costs, gains and shortfalls, points per epoch for late-epoch volatility,
none for a measure not listed in :data:`UNITS`.

Which numbers
-------------

Ids and states are checked against the committed ``book/findings.json`` (the config value
``bnorder_findings``, relative to the book's root). The numbers are the ones the chapters' code
reads (:func:`bnorder.report.findings`): the same file for the repository's own records, the
findings computed from the records when ``$BNORDER_RESULTS`` points elsewhere (the tests' smoke
build), where a finding those records do not hold renders as not run yet.

A changed finding reaches the page
----------------------------------

The role records, per document, a digest of each finding it rendered (the number shown and the
entry checked). On every build (``env-get-outdated``) the digests are computed again from the
findings as they are now, and a document whose cited findings changed is read again (and, for an
executable chapter, executed again); the log line ``cited findings changed:`` names it and the
ids. So a chapter that uses only ``{finding}`` roles needs no list of ids in a code cell and no
``book/findings.json`` in its front matter's ``reads`` for its prose to follow the findings.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxRole

logger = logging.getLogger(__name__)

CONFIG = "bnorder_findings"
DEFAULT = "book/findings.json"
ATTR = "bnorder_findings_cited"     # env attribute: {docname: {finding id: digest}}

POINTS, PER_EPOCH = "points", "points per epoch"
# The unit of each measure a finding reads (``metric``, or a describe entry's ``what``).
UNITS = {
    "final_test_acc": POINTS, "final_test_acc_precise": POINTS, "best_val_epoch_test_acc": POINTS,
    "train_eval_acc": POINTS, "generalization_gap": POINTS, "generalization_gap_precise": POINTS,
    "running_statistics_cost": POINTS, "train_acc_last_epoch_gain": POINTS,
    "best": POINTS, "final": POINTS, "last3": POINTS, "shortfall": POINTS,
    "late_volatility": PER_EPOCH, "late_volatility_precise": PER_EPOCH,
}
# The measures that are an accuracy: a mean of one (kind describe) is a level, in %.
ACCURACIES = {"final_test_acc", "final_test_acc_precise", "best_val_epoch_test_acc",
              "train_eval_acc", "best", "final", "last3"}
_RATIO = re.compile(r"^sd\(.*\) / sd\(.*\)$")


# ------------------------------------------------------------------ the rendered form

def _number(x) -> float:
    """A number of a finding (None, "inf" and "-inf" included) as a float; NaN where missing."""
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _count(entry: dict) -> str:
    n = int(entry.get("n") or 0)
    runs = entry.get("runs")
    if isinstance(runs, (list, tuple)) and len(runs) == 2:
        return f"{runs[0]} and {runs[1]} runs"
    noun = "run" if "data" in entry else "seed"
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def form(entry: dict) -> str:
    """What kind of number ``entry`` holds: ``difference``, ``ratio`` or ``mean``."""
    if entry.get("test") == "spread-ratio" or _RATIO.match(str(entry.get("what") or "")):
        return "ratio"
    if entry.get("kind") == "describe" and str(entry.get("what")) in UNITS:
        return "mean"
    return "difference"


def render(entry: dict) -> str:
    """A finding as a sentence shows it (see the module's docstring for every form)."""
    from bnorder.report.style import NONE, ci_text, fmt, interval

    mean, low, high = (_number(entry.get(k)) for k in ("mean", "low", "high"))
    n = int(entry.get("n") or 0)
    if not n or math.isnan(mean):
        return f"{NONE} (not run yet)"
    kind = form(entry)
    measure = entry.get("what") if kind == "mean" else entry.get("metric")
    unit = UNITS.get(str(measure))
    if kind == "ratio":
        value = f"{fmt(mean)}×"
    elif kind == "mean":
        value = f"{fmt(mean)}%" if measure in ACCURACIES else f"{fmt(mean)} {unit}"
    else:
        value = f"{fmt(mean, sign=True)} {unit}" if unit else fmt(mean, sign=True)
    count = _count(entry)
    if math.isfinite(low) and math.isfinite(high):
        ci = ci_text(low, high, n=n)
        if kind != "difference":     # a ratio or a level: the same words, its ends unsigned
            ci = ci.replace(interval(low, high), interval(low, high, sign=False), 1)
        return f"{value} ({ci}, {count})"
    sd = _number(entry.get("sd"))
    if kind == "mean" and math.isfinite(sd):
        return f"{value} (sd {fmt(sd)}, {count})"
    reason = ci_text(math.nan, math.nan, n=n)
    return f"{value} ({reason})" if n < 2 else f"{value} ({reason}; {count})"


# ------------------------------------------------------------------ the findings

_cache: dict = {}


def _load(path: Path) -> dict[str, dict] | None:
    """The findings of ``path`` (None when it does not exist), read once per version of it."""
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _cache:
        _cache.clear()
        _cache[key] = json.loads(path.read_text(encoding="utf-8"))["findings"]
    return _cache[key]


def contract_path(app) -> Path:
    return Path(app.srcdir) / getattr(app.config, CONFIG, DEFAULT)


def _records_elsewhere(srcdir: Path) -> bool:
    """True when ``$BNORDER_RESULTS`` names a results folder other than the book's own."""
    value = os.environ.get("BNORDER_RESULTS")
    if not value:
        return False
    path = Path(value) if Path(value).is_absolute() else srcdir / value
    return path.resolve() != (srcdir / "results").resolve()


def findings_now(app) -> tuple[dict[str, dict] | None, dict[str, dict] | None]:
    """(the committed findings, the findings whose numbers the chapters show)."""
    contract = _load(contract_path(app))
    if _records_elsewhere(Path(app.srcdir)):
        from bnorder import report

        return contract, report.findings()
    return contract, contract


def digest(contract: dict | None, shown: dict | None, key: str) -> str:
    """What a page citing ``key`` shows and checks of it, as a digest."""
    pair = [(contract or {}).get(key), (shown or {}).get(key)]
    return hashlib.sha256(json.dumps(pair, sort_keys=True, default=str).encode()).hexdigest()


# ------------------------------------------------------------------ the role

_ROLE_MARKUP = re.compile(r"\{finding\}(`+)(.+?)\1|(`+).+?\3", re.S)


def _line(inliner, lineno: int) -> int:
    """The source line of the role being read. MyST gives a role the first line of its
    paragraph; the role's own line is that plus the line breaks before it in the paragraph's
    text (the n-th ``{finding}`` role read in a paragraph is the n-th in its text; code spans,
    where a role is only an example, are skipped)."""
    para = getattr(inliner, "parent", None)
    while para is not None and not isinstance(para, nodes.paragraph):
        para = para.parent
    if para is None or not para.rawsource or not lineno:
        return lineno
    k = getattr(para, "_bnorder_findings_read", 0)
    para._bnorder_findings_read = k + 1
    found = [m for m in _ROLE_MARKUP.finditer(para.rawsource) if m.group(1)]
    if k >= len(found):
        return lineno
    return lineno + para.rawsource.count("\n", 0, found[k].start())


def _cited(env) -> dict:
    if not hasattr(env, ATTR):
        setattr(env, ATTR, {})
    return getattr(env, ATTR)


class FindingRole(SphinxRole):
    """``{finding}`<id>``` or ``{finding}`<id>:<state>```: the finding's number, its interval and
    its seeds; an error at the role's line for a malformed role, an unknown id or a stale state."""

    def run(self):
        from bnorder.findings.claims import parse_finding, states
        from bnorder.findings.entries import claim_holds

        line = _line(self.inliner, self.lineno)
        app = self.env.app
        try:
            key, asserted = parse_finding(self.text)
        except ValueError as e:
            return self._error(str(e), line)
        contract, shown = findings_now(app)
        _cited(self.env).setdefault(self.env.docname, {})[key] = digest(contract, shown, key)
        if contract is None:
            return self._error(f"finding {key}: {contract_path(app)} does not exist (python -m "
                               "bnorder findings writes it)", line)
        if key not in contract:
            return self._error(f"finding {key} is not in {getattr(app.config, CONFIG)}", line)
        if asserted is not None:
            if not claim_holds(contract[key], asserted):
                return self._error(f"finding {key} is asserted {asserted}; the findings give "
                                   f"{states(contract[key])}", line)
        text = render((shown or {}).get(key) or {})
        node = nodes.inline(self.rawtext, text, classes=["finding"])
        return [node], []

    def _error(self, message: str, line: int):
        msg = self.inliner.reporter.error(message, line=line)
        problem = self.inliner.problematic(self.rawtext, self.rawtext, msg)
        return [problem], [msg]


# ------------------------------------------------------------------ Sphinx events

def get_outdated(app, env, added, changed, removed):
    """The documents whose cited findings changed since they were read."""
    cited = _cited(env)
    if not cited:
        return []
    contract, shown = findings_now(app)
    outdated, reasons = [], []
    for docname, before in sorted(cited.items()):
        if docname in removed or docname not in env.found_docs:
            continue
        ids = [key for key, value in sorted(before.items()) if digest(contract, shown, key) != value]
        if ids:
            outdated.append(docname)
            reasons.append(f"{docname} ({', '.join(ids)})")
    if reasons:
        logger.info("cited findings changed: %s", "; ".join(reasons))
    return outdated


def purge_doc(app, env, docname):
    _cited(env).pop(docname, None)


def merge_info(app, env, docnames, other):
    theirs, mine = _cited(other), _cited(env)
    for docname in docnames:
        if docname in theirs:
            mine[docname] = theirs[docname]


def setup(app):
    app.add_config_value(CONFIG, DEFAULT, "env")
    app.add_role("finding", FindingRole())
    app.connect("env-get-outdated", get_outdated)
    app.connect("env-purge-doc", purge_doc)
    app.connect("env-merge-info", merge_info)
    return {"version": "1", "env_version": 1,
            "parallel_read_safe": True, "parallel_write_safe": True}
