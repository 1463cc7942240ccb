"""The built website read as files, without a browser: what a reader offline, a searcher and a
citer get.

- No page loads a script (or a stylesheet) from another host: MathJax is served from
  ``_static/mathjax/`` (``_ext/offline_mathjax.py``), and every local script a page names exists.
- The search index (``searchindex.js``) names every page of the table of contents that is not a
  run notebook, and no run notebook (``_ext/runs_nosearch.py``); "LeakyReLU" finds a chapter.
- The bibliography's "Previous" link is a chapter, not a run notebook.
- Every page's footer names its edition (``_ext/edition.py``): a commit of this repository, that
  commit's date, and the number of run records (``seed*.json``) in the results folder.

It reads the site ``make book`` built, named by ``BNORDER_SITE_HTML`` (CI sets it, and
``BNORDER_REQUIRE_SITE=1``, which turns a missing site into a failure instead of a skip).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RUNS = "book/runs/"


def _site() -> Path:
    folder = os.environ.get("BNORDER_SITE_HTML")
    why = None
    if not folder:
        why = "no built site: run `make book`, then set BNORDER_SITE_HTML=_build/html"
    elif not (Path(folder) / "index.html").is_file():
        why = f"BNORDER_SITE_HTML={folder} holds no built book (no index.html)"
    if why:
        if os.environ.get("BNORDER_REQUIRE_SITE"):
            pytest.fail(f"{why} (BNORDER_REQUIRE_SITE is set)", pytrace=False)
        pytest.skip(why)
    return Path(folder)


@pytest.fixture(scope="module")
def html() -> Path:
    return _site()


@pytest.fixture(scope="module")
def pages(html) -> dict[str, str]:
    """Every built page (outside _static and _sources), by its path relative to the site."""
    out = {}
    for path in sorted(html.rglob("*.html")):
        rel = path.relative_to(html).as_posix()
        if rel.split("/")[0] in ("_static", "_sources", "_images"):
            continue
        out[rel] = path.read_text(encoding="utf-8", errors="replace")
    return out


def toc_files() -> list[str]:
    """The documents ``_toc.yml`` names by file (its globs, the run notebooks, left out)."""
    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    yield node[key]
            for key, value in node.items():
                if key not in ("root", "file"):
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return list(walk(yaml.safe_load((ROOT / "_toc.yml").read_text())))


# --- offline ------------------------------------------------------------------------------

_TAG = re.compile(r"<(script|link)\b[^>]*>", re.I)
_ATTR = re.compile(r"""\b(src|href|rel)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def _external(url: str) -> bool:
    parsed = urlparse(url)
    return bool(parsed.netloc) or parsed.scheme not in ("", "file")


def test_no_page_loads_a_script_or_stylesheet_from_another_host(html, pages):
    offsite, missing, mathjax = [], [], set()
    for rel, text in pages.items():
        for tag in _TAG.finditer(text):
            attrs = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
                     for m in _ATTR.finditer(tag.group(0))}
            if tag.group(1).lower() == "script":
                url = attrs.get("src")
            elif "stylesheet" in attrs.get("rel", "").lower():
                url = attrs.get("href")
            else:
                continue
            if not url:
                continue
            if _external(url):
                offsite.append(f"{rel}: {url}")
                continue
            target = (html / rel).parent / url.split("?")[0].split("#")[0]
            if not target.resolve().is_file():
                missing.append(f"{rel}: {url}")
            if "mathjax" in url.lower():
                mathjax.add(target.resolve())
    assert not offsite, f"{len(offsite)} scripts or stylesheets from another host, e.g. {offsite[:5]}"
    assert not missing, f"{len(missing)} local scripts or stylesheets missing, e.g. {missing[:5]}"
    assert mathjax, "no page loads MathJax (the chapters have math)"
    assert all("_static/mathjax" in p.as_posix() for p in mathjax), mathjax
    fonts = html / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert any(fonts.glob("*.woff")), f"MathJax's fonts are missing under {fonts}"


# --- search -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def search_index(html) -> dict:
    text = (html / "searchindex.js").read_text(encoding="utf-8")
    match = re.fullmatch(r"\s*Search\.setIndex\((.*)\)\s*;?\s*", text, re.S)
    assert match, "searchindex.js is not Search.setIndex({...})"
    return json.loads(match.group(1))


def test_search_index_holds_the_chapters_and_no_run_notebook(search_index, pages):
    docnames = search_index["docnames"]
    runs = [d for d in docnames if d.startswith(RUNS)]
    assert not runs, f"{len(runs)} run notebooks in the search index, e.g. {runs[:3]}"
    published_runs = [p for p in pages if p.startswith(RUNS)]
    assert published_runs, "no run notebook was published (they must stay on the site)"
    absent = [d for d in toc_files() if d not in docnames]
    assert not absent, f"pages of _toc.yml missing from the search index: {absent}"
    # a word only the chapters use finds a chapter
    terms = {k.lower(): v for k, v in search_index["terms"].items()}
    hits = terms.get("leakyrelu")
    hits = [hits] if isinstance(hits, int) else (hits or [])
    assert any(docnames[i] in toc_files() for i in hits), "LeakyReLU finds no chapter"


def test_the_bibliography_comes_after_a_chapter(pages):
    page = pages.get("book/bibliography.html")
    assert page is not None, "book/bibliography.html was not built"
    match = re.search(r'<a[^>]*class="[^"]*\bleft-prev\b[^"]*"[^>]*href="([^"]+)"', page) or \
        re.search(r'<a[^>]*href="([^"]+)"[^>]*class="[^"]*\bleft-prev\b', page)
    assert match, "the bibliography has no Previous link"
    previous = (Path("book") / match.group(1).split("#")[0]).as_posix()
    previous = os.path.normpath(previous).removesuffix(".html")
    assert not previous.startswith(RUNS), f"the bibliography's Previous is a run notebook: {previous}"
    assert previous in toc_files(), f"the bibliography's Previous is not a chapter: {previous}"


# --- edition ------------------------------------------------------------------------------

_EDITION = re.compile(r'<p class="bnorder-edition">(.*?)</p>', re.S)


def _git(*args: str) -> str | None:
    out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def test_every_page_shows_its_edition(pages):
    editions = {}
    for rel, text in pages.items():
        if re.match(r'\s*<meta http-equiv="Refresh"', text, re.I):
            continue   # index.html: a redirect to the introduction
        found = _EDITION.findall(text)
        assert len(found) == 1, f"{rel}: {len(found)} edition lines in the footer"
        editions.setdefault(found[0], []).append(rel)
    assert len(editions) == 1, f"pages of different editions: { {k: v[:2] for k, v in editions.items()} }"
    line = next(iter(editions))
    records = int(re.search(r'class="bnorder-records">([\d,]+)<', line).group(1).replace(",", ""))
    results = Path(os.environ.get("BNORDER_RESULTS", "results"))
    results = results if results.is_absolute() else ROOT / results
    now = sum(1 for _ in results.rglob("seed*.json"))
    assert records == now, (f"the footer counts {records} run records, {results} holds {now}: "
                            f"a site built before records landed (run `make book` again)")
    commit = re.search(r'class="bnorder-commit">([0-9a-f]+)<', line)
    if _git("rev-parse", "HEAD") is None:
        pytest.skip("not a git checkout: the commit cannot be checked")
    assert commit, f"no commit in the edition line: {line}"
    date = _git("log", "-1", "--format=%cs", commit.group(1))
    assert date, f"{commit.group(1)} is not a commit of this repository"
    assert f'class="bnorder-commit-date">{date}<' in line, (line, date)
