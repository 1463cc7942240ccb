"""The book builds without warnings from smoke records, and its chapters show them.

The book is built in a temporary copy of the repository's book files (``_config.yml``,
``_toc.yml``, ``references.bib``, ``book/``, ``notebooks/``), never in the repository itself:

1. the smoke sweep writes its records to ``<tmp>/results`` and its executed notebooks to
   ``<tmp>/book/runs/smoke``; the smoke-factorial profile's runs, trained in the test's process,
   write the records the analysis chapters read;
2. ``jupyter-book build . -W -n --keep-going`` runs with ``BNORDER_BOOK_PROFILE=smoke`` and
   ``BNORDER_FACTORIAL_PROFILE=smoke-factorial``;
3. the Replication page must hold a table with every smoke record's accuracy, and the analysis
   chapters (factorial design, mechanisms, robustness, statistics) their computed
   tables, with the variant profiles, which have no records, listed as not run.

An incremental build after one smoke-factorial record changed checks that the chapters reading
that profile run again and show the new number, and that the others are not read again
(``_ext/chapter_inputs.py``). A last build with an empty results folder checks that every chapter
says plainly that there are no records instead of failing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOOK_FILES = ("_config.yml", "_toc.yml", "references.bib")
BOOK_DIRS = ("book", "notebooks", "_ext")
IGNORE = shutil.ignore_patterns(".*", "_build", "__pycache__", ".ipynb_checkpoints")


def IGNORE_RUNS(folder: str, names: list[str]) -> set[str]:
    """:data:`IGNORE`, and the published runs' notebooks (``book/runs``)."""
    skip = IGNORE(folder, names)
    return skip | ({"runs"} if Path(folder).name == "book" else set())

FACTORIAL = "smoke-factorial"
ANALYSIS_PAGES = ("factorial", "mechanisms", "robustness", "statistics")   # they read the factorial profile
ANSWER_PAGES = ("intro", "confirmatory", "conclusion")   # they show the primary family's answer

pytestmark = pytest.mark.slow


def jupyter_book() -> str:
    exe = Path(sys.executable).with_name("jupyter-book")
    found = str(exe) if exe.exists() else shutil.which("jupyter-book")
    if not found:
        pytest.skip("jupyter-book is not installed")
    return found


def copy_book(dst: Path) -> None:
    """Copy the book's sources into ``dst`` without the published runs' executed notebooks
    (hundreds of pages that these tests do not read and every build would render); give each
    glob of the toc one placeholder page to match instead."""
    for name in BOOK_FILES:
        shutil.copy2(ROOT / name, dst / name)
    for name in BOOK_DIRS:
        shutil.copytree(ROOT / name, dst / name, ignore=IGNORE_RUNS if name == "book" else IGNORE)
    for glob in re.findall(r"glob:\s*(\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8")):
        folder = dst / Path(glob).parent.as_posix().replace("*", "placeholder")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "placeholder.md").write_text(
            "# No runs here\n\nThe published runs' notebooks are not copied into this build.\n")


def env_for(results: Path) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["BNORDER_BOOK_PROFILE"] = "smoke"
    env["BNORDER_FACTORIAL_PROFILE"] = FACTORIAL
    env["BNORDER_RESULTS"] = str(results)
    return env


def build(tree: Path, results: Path, fresh: bool = True) -> str:
    """Build the book in ``tree`` from ``results``; ``fresh=False`` builds incrementally, as
    ``make book`` does, reading again only what changed."""
    proc = subprocess.run([jupyter_book(), "build", str(tree), *(["--all"] if fresh else []),
                           "-W", "-n", "--keep-going"],
                          cwd=tree, env=env_for(results), capture_output=True, text=True,
                          timeout=1800)
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)  # Jupyter Book colours its log
    assert proc.returncode == 0, f"book build failed (rc {proc.returncode}):\n{out[-6000:]}"
    # Sphinx says "build succeeded, N warnings." when there were any.
    assert re.search(r"build succeeded\.", out), out[-6000:]
    return out


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    tree = tmp_path_factory.mktemp("book")
    copy_book(tree)
    proc = subprocess.run(
        [sys.executable, "-m", "bnorder", "sweep", "--profile", "smoke",
         "--results-dir", str(tree / "results"), "--runs-dir", str(tree / "book" / "runs")],
        cwd=tree, env=env_for(tree / "results"), capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    # The analysis chapters' records: the factorial design on synthetic data, trained in this
    # process (the chapters read its records, no page shows its notebooks; the notebook path is
    # the smoke sweep's above), a fraction of a second a run.
    from bnorder.runs.config import make_config
    from bnorder.runs.sweep import plan
    from bnorder.train.run import run_and_record

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tree)
        for params in plan(FACTORIAL, results_dir=str(tree / "results")):
            record, _ = run_and_record(make_config(**params), progress=False)
            assert record["status"] == "ok", params
    return tree


def html_of(tree: Path, page: str) -> str:
    return (tree / "_build" / "html" / "book" / f"{page}.html").read_text(encoding="utf-8")


def test_book_builds_and_shows_the_smoke_records(tree):
    from bnorder.runs.records import load_records

    build(tree, tree / "results")
    runs = load_records(tree / "results", "smoke")
    assert len(runs) > 0

    html, text = html_of(tree, "replication"), text_of(tree, "replication")
    assert "<table" in html
    assert "No completed run records" not in html
    every_run = html_of(tree, "appendix-runs")            # the per-run table lives in the appendix
    for run in runs.itertuples():
        assert run.arch in every_run and run.block in every_run
        assert f"{run.final_test_acc:.2f}" in every_run, f"{run.arch} {run.block} seed {run.seed} missing"
    # the answer's figure, the study's epochs and the learning curves; the setting as a table
    # from the runs' configs; each network's comparisons as findings, the rerun's from the
    # profile the chapter reads (one seed each: no interval)
    assert len(re.findall(r"<img[^>]+_images/", html)) >= 3
    for arch in ("cnn", "seed-mlp", "mlp"):
        assert re.search(rf"{arch} smoke synthetic images", text), arch
    assert text.count("here, last epoch") >= 3 and "not run yet" not in text
    assert "no detectable effect" not in text

    # every chapter and the bibliography are there, and citations resolved
    for page in ("intro", "methods", "appendix-runs", "bibliography"):
        assert (tree / "_build" / "html" / "book" / f"{page}.html").exists()
    assert "Ioffe" in html_of(tree, "bibliography")


def text_of(tree: Path, page: str) -> str:
    """A page's text without tags, whitespace collapsed."""
    import html as htmllib

    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html_of(tree, page))).split())


def test_analysis_chapters_show_the_factorial_records(tree):
    """Runs after the build of the first test (same module-scoped tree)."""
    from bnorder.runs.profiles import VARIANTS
    from bnorder.runs.records import load_records

    runs = load_records(tree / "results", FACTORIAL)
    assert len(runs) == 30 and (runs["status"] == "ok").all()
    pages = {page: html_of(tree, page) for page in ANALYSIS_PAGES}
    texts = {page: text_of(tree, page) for page in ANALYSIS_PAGES}
    for page, text in texts.items():
        assert FACTORIAL in text, page
        if page in ("factorial", "mechanisms", "statistics"):
            assert "has not been run yet" not in text, page
    for page in ANSWER_PAGES:   # the smoke records hold no primary question's runs
        text = text_of(tree, page)
        assert "relu-bn − bn-relu (95% interval)" in text and "not run yet" in text, page

    # factorial: the effects figure first, the per-block table (each block's mean at the final
    # epoch), every contrast in a verdict table with its state, and the learning curves
    fact, ftext = pages["factorial"], texts["factorial"]
    assert fact.count("<table") >= 4
    ok = runs[runs["status"] == "ok"]
    for (arch, block), g in ok.groupby(["arch", "block"]):
        assert f"{g['final_test_acc'].mean():.2f}" in fact, (arch, block)
    for contrast in ("position", "activation", "interaction", "case 3 − case 1",
                     "position (best-validation epoch)"):
        assert contrast in ftext
    assert "seeds to decide" in ftext and re.search(r"<td>(positive|negative|unresolved)</td>", fact)
    assert "no detectable effect" not in ftext and "p (Holm)" not in ftext
    assert len(re.findall(r"<img[^>]+_images/", fact)) >= 2
    assert "3 paired seeds" in ftext and "early training only" in ftext

    # mechanisms: every prediction with its date and its outcome (no intervention runs in this
    # tree, so each says how to run it), the forest plot, the per-layer units and the probe
    mtext = texts["mechanisms"]
    from bnorder.analysis.predictions import load_predictions
    for p in load_predictions():
        profiles = p["arm"]["profile"]
        for profile in [profiles] if isinstance(profiles, str) else profiles:
            assert f"python -m bnorder sweep --profile {profile}" in mtext, p["id"]
    assert mtext.count("Prediction, written") == len(load_predictions())
    assert len(re.findall(r"<img[^>]+_images/", pages["mechanisms"])) >= 4
    assert "LeCun" in mtext

    # robustness: the answer figure first; the base and every variant in the table, each variant
    # (none has records in this tree, and none is defined for this base) named as not run
    rob, rtext = pages["robustness"], texts["robustness"]
    assert rob.count("<table") >= 3 and len(re.findall(r"<img[^>]+_images/", rob)) >= 1
    assert rob.index("<img") < rob.index("<table")
    for profile in (f"{FACTORIAL}-{name}" for name in VARIANTS):
        assert f"{profile}" in rtext
    assert rtext.count("not run yet") >= len(VARIANTS)
    assert "not defined in bnorder.runs.profiles" in rtext
    assert "The base is the mlp of profile smoke-factorial" in rtext
    assert "no detectable effect" not in rtext

    # statistics: the seeds-needed figure first, the coverage simulation, seeds for power,
    # pairing, probability of improvement, the original study rechecked; no p-values
    stat, stext = pages["statistics"], texts["statistics"]
    assert stat.count("<table") >= 6 and len(re.findall(r"<img[^>]+_images/", stat)) >= 2
    assert stat.index("<img") < stat.index("<table")
    for phrase in ("P(A > B)", "seeds for 80% power", "t (used)", "BCa bootstrap",
                   "pairing removes", "population standard deviation (ddof = 0)",
                   "ranking survives", "power with 5 runs"):
        assert phrase in stext, phrase
    assert "no detectable effect" not in stext and "Holm" not in stext and "Welch p" not in stext

    # conclusion: the answer's records, and the full-size study as one command
    ctext = text_of(tree, "conclusion")
    assert "results/confirm-*" in ctext and "python -m bnorder full-size" in ctext


def executed(log: str) -> set[str]:
    """The chapters a build log says were executed (``book/<name>``)."""
    return set(re.findall(r"(book/[\w-]+)\.md: Executing notebook", log))


def test_a_changed_record_reexecutes_exactly_the_chapters_that_read_it(tree):
    """Runs after the first build (same tree): ``make book`` after one record changed."""
    from bnorder.runs.records import load_records

    results = tree / "results"
    built = (tree / "_build" / "html" / "book" / "factorial.html").exists()
    log = build(tree, results, fresh=False)
    if built:  # nothing changed since the build of the first test: no chapter runs again
        assert re.search(r"\b0 added, 0 changed, 0 removed", log), log[-3000:]
        assert not executed(log) and "chapter inputs changed" not in log, log[-3000:]

    # one run of the factorial smoke profile ends at 12.345% test accuracy
    before = load_records(results, FACTORIAL)
    run = before[before["status"] == "ok"].iloc[0]
    record = json.loads(Path(run.path).read_text())
    record["summary"]["final_test_acc"] = 12.345
    record["epochs"][-1]["test_acc"] = 12.345
    Path(run.path).write_text(json.dumps(record, indent=1))
    after = load_records(results, FACTORIAL)
    cell = (after["arch"] == run.arch) & (after["block"] == run.block) & (after["status"] == "ok")
    old_mean = f"{before.loc[cell, 'final_test_acc'].mean():.2f}"
    new_mean = f"{after.loc[cell, 'final_test_acc'].mean():.2f}"
    assert new_mean != old_mean

    log = build(tree, results, fresh=False)
    # the log names the chapters read again and why
    reread = re.search(r"chapter inputs changed: (.*)", log)
    assert reread and "book/factorial (reads)" in reread.group(1), log[-3000:]
    # the chapters that read the profile ran again, the others were not even read
    # (the introduction's answer glues findings computed from the factorial profile's records)
    readers = {f"book/{page}" for page in (*ANALYSIS_PAGES, "reproducibility", "intro")}
    assert executed(log) == readers, (executed(log), log[-3000:])
    for page in ("methods", "replication"):
        assert not re.search(rf"reading sources\.\.\. \[[ \d]+%\] book/{page}\b", log), page
    # and the factorial page shows the changed run's cell with its new mean
    assert new_mean in html_of(tree, "factorial"), (run.arch, run.block, old_mean, new_mean)


def test_every_chapter_says_so_when_there_are_no_records(tree, tmp_path):
    build(tree, tmp_path / "no-results")
    text = re.sub(r"<[^>]+>", "", html_of(tree, "replication"))
    assert "No completed run records of profile smoke were found" in text
    assert "python -m bnorder sweep --profile smoke" in text
    for page in ANALYSIS_PAGES:
        text = text_of(tree, page)
        assert f"The profile {FACTORIAL}" in text and "has not been run yet" in text, page
    for page in ANSWER_PAGES:
        assert "not run yet" in text_of(tree, page), page
