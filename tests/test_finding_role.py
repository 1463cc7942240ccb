"""The ``{finding}`` role (``_ext/finding_role.py``): what it renders for each kind of finding,
the build error at the role's own line for an unknown id or a stale state, the chapter read
again when a finding it cites changes, and ``python -m bnorder findings --check`` holding its
asserted states to the records. The Sphinx tests build a two-page MyST project in a temporary
folder (a few seconds), never the book."""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
finding_role = importlib.import_module("finding_role")
sys.path.remove(str(ROOT / "_ext"))
claims = importlib.import_module("bnorder.findings.claims")

from bnorder.report.style import ci_text, fmt  # noqa: E402

POSITION = {"kind": "factorial", "metric": "final_test_acc", "n": 10, "mean": -0.7195,
            "low": -1.0731, "high": -0.3659, "state": "resolved", "direction": -1, "agree": 9}


# ------------------------------------------------------------------ the rendered form

def test_a_difference_renders_as_the_glued_number_and_interval_with_its_seeds():
    text = finding_role.render(POSITION)
    assert text == "-0.72 points (95% CI -1.07 to -0.37, 10 seeds)"
    # the same words as report.glue_findings glues for <id>_mean and <id>_ci: one format
    assert text == f"{fmt(POSITION['mean'], sign=True)} points ({ci_text(-1.0731, -0.3659, n=10)}, 10 seeds)"


@pytest.mark.parametrize("entry, text", [
    # a primary question's seed-spread ratio: a factor, unsigned, no margin
    ({"kind": "primary", "test": "spread-ratio", "metric": "final_test_acc", "n": 30, "mean": 0.62,
      "low": 0.45, "high": 0.85, "margin": None, "state": "resolved", "direction": -1,
      "outcome": "confirmed"}, "0.62× (95% CI 0.45 to 0.85, 30 seeds)"),
    # the replication's spread ratio, read from its ``what``
    ({"kind": "replication", "metric": "final_test_acc", "what": "sd(relu-bn) / sd(bn-relu)", "n": 10,
      "mean": 0.4543, "low": 0.2159, "high": 0.956}, "0.45× (95% CI 0.22 to 0.96, 10 seeds)"),
    # a primary question's paired difference and its interaction
    ({"kind": "primary", "test": "paired", "metric": "final_test_acc_precise", "n": 20, "mean": -0.98,
      "low": -1.27, "high": -0.69}, "-0.98 points (95% CI -1.27 to -0.69, 20 seeds)"),
    # a mean over seeds of an accuracy: a level, in %
    ({"kind": "describe", "what": "final_test_acc", "n": 10, "mean": 87.921, "sd": 1.7,
      "low": 86.71, "high": 89.13}, "87.92% (95% CI 86.71 to 89.13, 10 seeds)"),
    # a mean with only its spread, in its own unit
    ({"kind": "describe", "what": "late_volatility", "n": 10, "mean": 0.5473, "sd": 0.1191},
     "0.55 points per epoch (sd 0.12, 10 seeds)"),
    # the original study's unpaired runs
    ({"kind": "original", "metric": "final_test_acc", "n": 5, "runs": [5, 5], "mean": 3.202,
      "low": -0.0881, "high": 6.4921, "data": ["x.csv"]}, "+3.20 points (95% CI -0.09 to +6.49, 5 and 5 runs)"),
    ({"kind": "describe", "what": "best", "n": 5, "mean": 78.688, "low": 77.9139, "high": 79.4621,
      "data": ["x.csv"]}, "78.69% (95% CI 77.91 to 79.46, 5 runs)"),
    # no interval: the style's reason
    ({"kind": "order", "metric": "final_test_acc", "n": 1, "mean": 0.12, "low": None, "high": None},
     "+0.12 points (one seed, no interval)"),
    ({"kind": "prediction", "metric": "final_test_acc_precise", "n": 5, "mean": 0.0, "low": None,
      "high": None}, "+0.00 points (the same on every seed, no interval; 5 seeds)"),
    # nothing measured yet
    ({"kind": "primary", "test": "paired", "metric": "final_test_acc", "n": 0, "mean": None,
      "low": None, "high": None}, "— (not run yet)"),
    ({}, "— (not run yet)"),
    # a measure without a known unit: the number alone
    ({"kind": "prediction", "metric": "something_else", "n": 4, "mean": 1.5, "low": 1.0, "high": 2.0},
     "+1.50 (95% CI +1.00 to +2.00, 4 seeds)"),
])
def test_every_kind_of_finding_renders_sensibly(entry, text):
    assert finding_role.render(entry) == text


def test_every_committed_finding_renders():
    from bnorder import findings

    for key, entry in findings.read().items():
        text = finding_role.render(entry)
        assert text and "nan" not in text.lower() and "None" not in text, (key, text)


def test_a_finding_role_reads_an_id_and_optionally_a_state():
    assert claims.parse_finding("cnn-order") == ("cnn-order", None)
    assert claims.parse_finding(" cnn-order:positive ") == ("cnn-order", "positive")
    for bad in ("", "cnn-order:maybe", ":positive", "two words"):
        with pytest.raises(ValueError):
            claims.parse_finding(bad)


# ------------------------------------------------------------------ the check

def test_the_check_holds_a_finding_roles_state_to_the_records_and_names_its_line(tmp_path):
    (tmp_path / "chapter.md").write_text(
        "The effect is {finding}`a:negative`, and\n"
        "then {finding}`a:positive` and {finding}`b`.\n"
        "Missing: {finding}`nothing:unresolved`, {finding}`gone`; bad: {finding}`a:maybe`.\n"
        "An example in a code span, `` {finding}`a:positive` ``, is not a claim.\n"
        "```{code-cell} ipython3\n# {finding}`a:positive` in code\n```\n")
    found = {"a": {"state": "resolved", "direction": -1}, "b": {"mean": 1.0}}
    problems = claims.check(found, book=tmp_path)
    assert problems == [
        "chapter.md:2: a was claimed positive; the records now give negative",
        "chapter.md:3: claim nothing:unresolved names no finding",
        "chapter.md:3: finding gone names no finding",
        problems[3],
    ]
    assert problems[3].startswith("chapter.md:3:") and "a:maybe" in problems[3]
    # the roles that assert a state count as claims; one without a state asserts nothing
    assert [(c, line, t) for c, line, t in claims.claims(tmp_path)] == [
        ("chapter.md", 1, "a:negative"), ("chapter.md", 2, "a:positive"),
        ("chapter.md", 3, "nothing:unresolved"), ("chapter.md", 3, "a:maybe")]


def test_findings_check_fails_on_a_stale_finding_role(tmp_path, capsys):
    from bnorder import findings

    book = tmp_path / "book"
    book.mkdir()
    (book / "chapter.md").write_text("# C\n\nThe effect is {finding}`a:positive`.\n")
    found = {"a": {"state": "resolved", "direction": -1, "n": 3, "mean": -1.0}}
    out = tmp_path / "findings.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(findings, "compute", lambda *a, **k: found)
        mp.setattr(findings.preregistration, "problems", lambda results: [])
        out.write_text(findings.dumps(found), encoding="utf-8")
        assert findings.main(results=str(tmp_path / "results"), out=out, check_only=True,
                             book=book) == 1
    text = capsys.readouterr().out
    assert "chapter.md:3: a was claimed positive; the records now give negative" in text
    assert "1 of 1 claims no longer hold" in text


# ------------------------------------------------------------------ the build

PAGE = """# Page

The effect is {finding}`a:negative` and the ratio is
{finding}`r`, while a stale one is {finding}`a:positive`
and a missing one {finding}`zz`.
"""

CLEAN = "# Page\n\nThe effect is {finding}`a:negative` and the ratio is {finding}`r`.\n"


def findings_file(path: Path, a_mean: float = -0.7195, r_mean: float = 0.62) -> None:
    entries = {"a": {**POSITION, "mean": a_mean},
               "r": {"kind": "primary", "test": "spread-ratio", "metric": "final_test_acc", "n": 30,
                     "mean": r_mean, "low": 0.45, "high": 0.85, "state": "resolved", "direction": -1,
                     "outcome": "confirmed"},
               "other": {**POSITION, "mean": 0.5}}
    path.parent.mkdir(parents=True, exist_ok=True)
    rewrite(path, {"schema": 1, "findings": entries})


def rewrite(path: Path, data: dict) -> None:
    """Write ``data`` to ``path``, its modification time later than before (as a rerun's)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(json.dumps(data), encoding="utf-8")
    later = max(path.stat().st_mtime_ns, before + 10**9)
    os.utime(path, ns=(later, later))


def project(tmp_path: Path, page: str) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'finding_role']\n"
        "exclude_patterns = ['_build']\n")
    (src / "index.md").write_text("# Index\n\n```{toctree}\npage\nother\n```\n")
    (src / "page.md").write_text(page)
    (src / "other.md").write_text("# Other\n\nNo finding here.\n")
    findings_file(src / "book" / "findings.json")
    return src


def sphinx_build(src: Path) -> tuple[str, str]:
    """Build ``src`` (incrementally after the first time): (status log, warnings)."""
    from sphinx.application import Sphinx
    from sphinx.util.docutils import docutils_namespace, patch_docutils

    status, warning = io.StringIO(), io.StringIO()
    with patch_docutils(src), docutils_namespace():
        app = Sphinx(str(src), str(src), str(src / "_build" / "html"), str(src / "_build" / "doctrees"),
                     "html", status=status, warning=warning, freshenv=False)
        app.build()
    return status.getvalue(), warning.getvalue()


def page_text(src: Path) -> str:
    html = (src / "_build" / "html" / "page.html").read_text(encoding="utf-8")
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.fixture(autouse=True)
def own_results(monkeypatch):
    monkeypatch.delenv("BNORDER_RESULTS", raising=False)   # the numbers come from the file


def test_the_build_renders_a_finding_and_fails_at_the_roles_own_line(tmp_path):
    src = project(tmp_path, PAGE)
    _, warnings = sphinx_build(src)
    errors = [w for w in warnings.splitlines() if "ERROR" in w]
    assert len(errors) == 2, warnings
    assert re.search(r"page\.md:4: ERROR: finding a is asserted positive; the findings give negative",
                     errors[0]), errors
    assert re.search(r"page\.md:5: ERROR: finding zz is not in book/findings.json", errors[1]), errors
    text = page_text(src)
    assert "The effect is -0.72 points (95% CI -1.07 to -0.37, 10 seeds) and the ratio is " \
           "0.62× (95% CI 0.45 to 0.85, 30 seeds)" in text


def test_a_page_is_read_again_when_a_finding_it_cites_changes_and_only_then(tmp_path):
    src = project(tmp_path, CLEAN)
    _, warnings = sphinx_build(src)
    assert "ERROR" not in warnings and "WARNING" not in warnings, warnings
    assert "-0.72 points" in page_text(src)

    # nothing changed: nothing is read
    status, _ = sphinx_build(src)
    assert "0 added, 0 changed, 0 removed" in status and "cited findings changed" not in status

    # a finding the page does not cite changes: the page is not read again
    path = src / "book" / "findings.json"
    data = json.loads(path.read_text())
    data["findings"]["other"]["mean"] = 0.9
    rewrite(path, data)
    status, _ = sphinx_build(src)
    assert "cited findings changed" not in status and "0 changed" in status, status

    # a finding it cites changes: the page (only) is read again and shows the new number
    findings_file(path, a_mean=-0.9)
    status, warnings = sphinx_build(src)
    assert "cited findings changed: page (a)" in status, status
    assert "1 changed" in status and "ERROR" not in warnings, status + warnings
    assert "-0.90 points (95% CI -1.07 to -0.37, 10 seeds)" in page_text(src)

    # the findings no longer give the state the page asserts: the build says where
    data = json.loads(path.read_text())
    data["findings"]["a"].update(state="unresolved", direction=1)
    rewrite(path, data)
    status, warnings = sphinx_build(src)
    assert "cited findings changed: page (a)" in status
    assert re.search(r"page\.md:3: ERROR: finding a is asserted negative; the findings give unresolved",
                     warnings), warnings


def test_a_primary_question_may_be_claimed_by_its_outcome_or_by_its_verdict_after_holm(tmp_path):
    (tmp_path / "chapter.md").write_text(
        "Unresolved: {finding}`q:unresolved`; equivalent: {finding}`q:equivalent`.\n"
        "Not so: {finding}`q:negative`, {finding}`q:confirmed`.\n")
    found = {"q": {"kind": "primary", "state": "resolved", "direction": -1, "outcome": "unresolved",
                   "state_adjusted": "equivalent"}}
    assert claims.check(found, book=tmp_path) == [
        "chapter.md:2: q was claimed negative; the records now give unresolved "
        "(equivalent after Holm's correction)",
        "chapter.md:2: q was claimed confirmed; the records now give unresolved "
        "(equivalent after Holm's correction)"]
    pending = {"q": {**found["q"], "state_adjusted": "pending"}}
    assert len(claims.check(pending, book=tmp_path)) == 3   # pending: only its outcome holds
