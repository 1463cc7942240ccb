"""What the book's chapters show: one module per chapter (or per part of one), tested without a
build. These modules draw figures and tables; what they show is computed below them, in the
computing layer (:mod:`bnorder.findings`, :mod:`bnorder.analysis.robustness`, ...), which never imports
them. A number is written with :mod:`.style`.

A chapter calls its module in short cells and glues the facts it returns; the setup every
chapter shares (where the repository and its records are, which profile is the factorial base,
how a value is glued) is here, written once.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent.parent

# A table in the book shows every row and the whole of every cell: pandas' defaults cut a table
# at 60 rows and a cell at 50 characters, leaving "..." where a reader looks for a run or a verdict.
pd.set_option("display.max_rows", None, "display.max_colwidth", None)

# The PDF edition: every table a chapter shows or glues also gets a LaTeX form (.latex_tables).
from . import latex_tables  # noqa: E402

latex_tables.register()


def results_dir(env=None) -> Path:
    """The records' folder: ``$BNORDER_RESULTS`` (default ``results``) under the repository."""
    env = os.environ if env is None else env
    path = Path(env.get("BNORDER_RESULTS", "results"))
    return path if path.is_absolute() else ROOT / path


def factorial_profile(env=None) -> str:
    """The factorial base profile the analysis chapters read (``$BNORDER_FACTORIAL_PROFILE``)."""
    env = os.environ if env is None else env
    return env.get("BNORDER_FACTORIAL_PROFILE", "factorial")


def glue_text(name: str, value) -> None:
    """Glue ``value`` as plain text for ``{glue:text}`name```."""
    from myst_nb import glue

    glue(name, str(value), display=False)


def glue_md(name: str, text: str) -> None:
    """Glue Markdown for a ``{glue:md}`` directive or role."""
    from IPython.display import Markdown
    from myst_nb import glue

    glue(name, Markdown(text), display=False)


def glue_figure(name: str, fig) -> None:
    """Glue a matplotlib figure for ``{glue:figure}`` and close it."""
    import matplotlib.pyplot as plt
    from myst_nb import glue

    glue(name, fig, display=False)
    plt.close(fig)


def glue_table(name: str, table) -> None:
    """Glue a table (a pandas DataFrame) for a ``{glue}`` directive."""
    from myst_nb import glue

    glue(name, table, display=False)


def show(table: pd.DataFrame, empty: str = "*No complete paired seeds yet.*"):
    """``table`` for display, or a Markdown placeholder when it has no rows."""
    from IPython.display import Markdown

    return table if len(table) else Markdown(empty)


def findings() -> dict[str, dict]:
    """The findings the chapters cite (:mod:`bnorder.findings`): ``book/findings.json`` for the
    repository's own records (``python -m bnorder findings --check`` keeps it equal to them), and
    computed from the records when ``$BNORDER_RESULTS`` points elsewhere."""
    from .. import findings as fd

    if results_dir().resolve() == (ROOT / "results").resolve():
        return fd.read()
    return _computed(str(results_dir()), factorial_profile())


def _computed(results: str, base: str) -> dict[str, dict]:
    from .. import findings as fd

    key = (results, base)
    if key not in _COMPUTED:
        _COMPUTED[key] = fd.compute(results, base)
    return _COMPUTED[key]


_COMPUTED: dict = {}


def glue_findings(*ids: str) -> None:
    """Glue, for each finding id, ``<id>_mean`` (signed, two decimals), ``<id>_value`` (the same
    without a sign, for a level such as an accuracy), ``<id>_ci`` (its 95%
    interval, :func:`bnorder.report.style.ci_text`), ``<id>_n`` (seeds or runs), ``<id>_sd``
    (the spread over seeds, for a mean), ``<id>_margin`` (a prediction's margin of equivalence), ``<id>_agree`` (seeds whose difference has the mean's
    sign) and ``<id>_needed`` (paired seeds that would decide it): '—' for a finding these records
    do not hold or a field it does not have."""
    from .style import ci_text, fmt

    found = findings()
    for key in ids:
        f = found.get(key)
        number = lambda x: None if x is None or isinstance(x, str) else x  # noqa: E731
        glue_text(f"{key}_mean", fmt(number(f["mean"]) if f else None, sign=True))
        glue_text(f"{key}_value", fmt(number(f["mean"]) if f else None))
        glue_text(f"{key}_ci", ci_text(*(float("nan") if not f or number(f[k]) is None
                                         else f[k] for k in ("low", "high")), n=f["n"])
                  if f else "—")
        glue_text(f"{key}_n", str(f["n"]) if f else "—")
        glue_text(f"{key}_sd", fmt(number(f.get("sd")) if f else None))
        glue_text(f"{key}_margin", fmt(number(f.get("margin")) if f else None))
        glue_text(f"{key}_agree", str(f["agree"]) if f and f.get("agree") is not None else "—")
        needed = number(f.get("seeds_needed")) if f else None
        glue_text(f"{key}_needed", fmt(needed, 0) if needed is not None and math.isfinite(needed)
                  else "—")


def verdict_table(rows: dict[str, str], found: dict[str, dict] | None = None):
    """A table of findings for a chapter, one row per ``{label: finding id}``: seeds (or runs),
    the difference and its 95% interval, the state a claim would assert
    (:func:`bnorder.findings.claim_state`), the seeds whose own difference agrees in sign, and
    about how many paired seeds would decide it. Numbers and short labels only; the sentence
    that reads them is the chapter's. A finding these records do not hold shows '—'."""
    import pandas as pd

    from .. import findings as fd
    from .style import fmt, interval, seeds_needed_text

    found = findings() if found is None else found
    out = []
    for label, key in rows.items():
        f = found.get(key)
        if not f or not f.get("n"):   # no finding, or one with no paired seed yet
            out.append({"": label, "seeds": f["n"] if f else "—", "difference": "—",
                        "95% interval": "—", "state": "not run yet", "agree": "—",
                        "seeds to decide": "—"})
            continue
        low, high = f.get("low"), f.get("high")
        has_ci = all(isinstance(x, (int, float)) and math.isfinite(x) for x in (low, high))
        out.append({"": label, "seeds": f["n"], "difference": fmt(f["mean"], sign=True),
                    "95% interval": (interval(low, high) if has_ci else "—"),
                    "state": fd.claim_state(f) or "—",
                    "agree": f"{f['agree']} of {f['n']}" if f.get("agree") is not None else "—",
                    # what the claim asserts (a prediction's outcome) decides whether more seeds would help
                    "seeds to decide": ("—" if fd.claim_state(f) != "unresolved"
                                        else seeds_needed_text(_number(f.get("seeds_needed"))))})
    return pd.DataFrame(out).set_index("")


def _number(x):
    """A number of ``book/findings.json``, where an infinite one is written "inf" or "-inf"."""
    return float(x) if isinstance(x, str) else x
