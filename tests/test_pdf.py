"""The PDF edition (``make pdf``) read back with poppler (``pdfinfo``, ``pdftotext``): more than 20
pages, no unresolved reference ("??"), the title of every page of its table of contents (the
introduction, the chapters, the appendix pages, the bibliography), no run notebook, and no text
running past the right margin (a table too wide for the page).

The PDF is the one named by ``BNORDER_PDF`` (CI sets it to the PDF ``make pdf`` just built);
otherwise the test builds one with ``make pdf`` into a temporary folder (minutes: every chapter
is executed). Without xelatex, latexmk or poppler the test is skipped, or fails where the PDF must
be checked (``BNORDER_REQUIRE_PDF=1``, which CI sets). Debian:
``apt-get install -y --no-install-recommends texlive-xetex texlive-latex-extra
texlive-latex-recommended texlive-fonts-recommended latexmk fonts-freefont-otf poppler-utils``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from pdf_toc import pdf_toc  # noqa: E402

pytestmark = pytest.mark.slow

# How far past the right edge of the text a word may reach before it counts as running off the
# page: Sphinx's LaTeX text is 6.5 in wide on letter paper (1-inch margins), and a word may stick
# out a little (a long identifier, a URL); half the margin is the limit.
MARGIN_PT = 72
SLACK_PT = 36


def missing(why: str):
    if os.environ.get("BNORDER_REQUIRE_PDF"):
        pytest.fail(f"{why} (BNORDER_REQUIRE_PDF is set)", pytrace=False)
    pytest.skip(why)


def _tools(*names: str) -> None:
    absent = [n for n in names if shutil.which(n) is None]
    if absent:
        missing(f"{', '.join(absent)} not installed (Debian: see this file's docstring)")


@pytest.fixture(scope="module")
def pdf(tmp_path_factory) -> Path:
    _tools("pdfinfo", "pdftotext")
    given = os.environ.get("BNORDER_PDF")
    if given:
        path = Path(given)
        if not path.is_file():
            pytest.fail(f"BNORDER_PDF={given} does not exist: run `make pdf` first or unset it",
                        pytrace=False)
        return path
    _tools("xelatex", "latexmk", "make")
    folder = tmp_path_factory.mktemp("pdf")
    out = folder / "bnorder.pdf"
    # The Makefile's own recipe, with this interpreter's environment and nothing reinstalled.
    bin_dir = Path(sys.executable).parent
    proc = subprocess.run(["make", "-o", ".venv/.installed", "pdf", f"BIN={bin_dir}",
                           f"PDF_BUILD={folder / 'build'}", f"PDF_OUT={out}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0 and out.is_file(), (proc.stdout + proc.stderr)[-6000:]
    return out


@pytest.fixture(scope="module")
def text(pdf) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _normal(s: str) -> str:
    return " ".join(s.split()).lower()


def titles() -> dict[str, str]:
    """Each document of the PDF's table of contents: its first heading."""
    def files(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    yield node[key]
            for value in node.values():
                yield from files(value)
        elif isinstance(node, list):
            for item in node:
                yield from files(item)

    out = {}
    for doc in files(pdf_toc(yaml.safe_load((ROOT / "_toc.yml").read_text()))):
        source = (ROOT / doc).with_suffix(".md").read_text(encoding="utf-8")
        source = re.sub(r"\A---\n.*?\n---\n", "", source, flags=re.S)   # the front matter
        heading = re.search(r"^# (.+)$", source, re.M)
        assert heading, f"{doc} has no title"
        out[doc] = re.sub(r"[`*_]", "", heading.group(1)).strip()
    return out


def test_pdf_has_pages_and_a_meaningful_name(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages > 20, f"{pdf} has {pages} pages"
    assert pdf.name == "bnorder.pdf"


def test_no_unresolved_reference(text):
    lines = [line.strip() for line in text.splitlines() if "??" in line]
    assert not lines, f"{len(lines)} lines with '??' (an unresolved reference), e.g. {lines[:5]}"


def test_every_chapter_is_in_it_and_no_run_notebook(text):
    flat = _normal(text)
    absent = {doc: title for doc, title in titles().items() if _normal(title) not in flat}
    assert not absent, f"titles missing from the PDF: {absent}"
    # a run notebook opens with its parameters cell; the PDF has none of them
    assert "papermill overrides any of these" not in flat, "a run notebook is in the PDF"


def test_no_text_runs_off_the_page(pdf, tmp_path):
    """Every word ends within the page's text width plus :data:`SLACK_PT` (poppler's bounding
    boxes), so no table or code line runs into the margin or off the page."""
    box = tmp_path / "bbox.html"
    subprocess.run(["pdftotext", "-bbox", str(pdf), str(box)], check=True, capture_output=True)
    html = box.read_text(encoding="utf-8", errors="replace")
    over = []
    for number, (width, body) in enumerate(re.findall(
            r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', html, re.S), start=1):
        limit = float(width) - MARGIN_PT + SLACK_PT
        for x_max, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" '
                                      r'yMax="[\d.]+">(.*?)</word>', body):
            if float(x_max) > limit:
                over.append(f"page {number}: {word!r} ends at {float(x_max):.0f} pt")
    assert not over, f"{len(over)} words past the right margin, e.g. {over[:8]}"
