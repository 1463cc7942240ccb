"""Every figure of the book can be drawn outside it: each figure a chapter glues is in the registry
(bnorder.report.figures), the chapter glues what the registry draws, its caption names the command
that draws it and the records it reads, and ``python -m bnorder figure`` writes it."""

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from bnorder.__main__ import main  # noqa: E402
from bnorder.report import figures, mechanisms as mech  # noqa: E402

DIRECTIVE = re.compile(r"```\{glue:figure\} (\S+)\n(.*?)\n```", re.S)


def chapters(repo_root):
    return {p.stem: p.read_text() for p in sorted((repo_root / "book").glob("*.md"))}


def glued_figures(repo_root):
    """(chapter, name, caption) of every {glue:figure} whose glued object is a matplotlib figure
    (glued with report.glue_figure or replication's glue_curves; a table or Markdown is not)."""
    out = []
    for chapter, text in chapters(repo_root).items():
        for name, body in DIRECTIVE.findall(text):
            quoted = re.escape(f'("{name}"')
            if re.search(r"glue_(table|md)" + quoted, text):
                continue
            assert re.search(r"glue_(figure|curves)" + quoted, text), \
                f"{chapter}.md: {{glue:figure}} {name} is glued by no call the test knows"
            caption = " ".join(line for line in body.splitlines() if not line.startswith(":"))
            out.append((chapter, name, " ".join(caption.split())))
    return out


def test_every_figure_a_chapter_glues_is_registered_drawn_from_the_registry_and_captioned(repo_root):
    found = glued_figures(repo_root)
    assert len(found) >= 15
    texts = chapters(repo_root)
    for chapter, name, caption in found:
        assert name in figures.FIGURES, f"{chapter}.md glues {name}, which the registry does not draw"
        assert figures.FIGURES[name].chapter == chapter
        assert f"python -m bnorder figure {name}" in caption
        assert caption.endswith(figures.caption_sentence(name)), f"{chapter}.md, {name}: {caption[-160:]}"
        # the chapter glues what the command draws (the rerun's curves go through glue_curves, which
        # glues a note instead when there are no runs)
        assert (f'report.glue_figure("{name}", figures.draw("{name}"))' in texts[chapter]
                or f'rp.glue_curves("{name}", runs)' in texts[chapter]), name


def test_every_registered_figure_is_shown_once_by_its_chapter(repo_root):
    shown = [(chapter, name) for chapter, name, _ in glued_figures(repo_root)]
    assert sorted(shown) == sorted((f.chapter, f.name) for f in figures.FIGURES.values())


def test_the_command_writes_a_png_and_a_pdf_of_cheap_figures(tmp_path, capsys):
    out = tmp_path / "blocks.png"
    assert main(["figure", "fig_blocks", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(out) in capsys.readouterr().out
    pdf = tmp_path / "sub" / "epochs.pdf"
    assert main(["figure", "fig_orig_epochs", "--out", str(pdf)]) == 0
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_the_default_output_is_figures_name_png(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["figure", "fig_blocks"]) == 0
    assert (tmp_path / "figures" / "fig_blocks.png").stat().st_size > 1000


def test_the_list_names_every_figure_once_on_a_line_of_its_own(capsys):
    assert main(["figure", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == figures.names()


def test_an_unknown_figure_or_none_is_an_error_naming_them(capsys):
    assert main(["figure", "fig_nope"]) == 2
    assert "fig_forest" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["figure"])


def test_the_figure_command_needs_no_torch(repo_root, tmp_path):
    from without_torch import run_without_torch

    script = "from bnorder.__main__ import main\nsys.exit(main(sys.argv[1:]))\n"
    out = run_without_torch(repo_root, script, "figure", "fig_blocks", "--out", str(tmp_path / "b.png"),
                            timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "b.png").exists()


def smallest_font_at_column(fig, column_inches=6.88):
    """The smallest text of ``fig`` in points once the book scales it to its column."""
    from matplotlib.text import Text

    fig.canvas.draw()
    width = fig.get_tightbbox(fig.canvas.get_renderer()).width
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    return min(sizes) * min(1.0, column_inches / width)


def test_the_forest_plot_of_forty_predictions_fits_a_screen_and_breaks_the_axis_for_a_wide_one():
    rng = np.random.default_rng(0)
    rows = []
    for i in range(40):
        net = "cnn" if i % 2 else "mlp"
        unit = "late_volatility" if i % 10 == 0 else "final_test_acc"
        scale = 20.0 if i == 5 else 1.0           # one CNN row reaches far beyond the others
        diffs = list(scale * rng.normal(0.5, 1.0, 10))
        rows.append({"id": f"{net}-prediction-{i}", "metric": unit, "expect": "positive", "margin": None,
                     "arm": {"profile": f"{'cnn-converged' if net == 'cnn' else 'why-x'}", "block": "relu-bn",
                             "metric": unit},
                     "n": 10, "mean": float(np.mean(diffs)), "low": float(np.mean(diffs)) - scale,
                     "high": float(np.mean(diffs)) + scale, "differences": diffs, "outcome": "unresolved"})
    fig = mech.forest_figure(pd.DataFrame(rows))
    assert fig.get_figheight() <= 8 and fig.get_figwidth() <= 7.2
    assert smallest_font_at_column(fig) >= 7.8
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert sum("wider scale" in label for label in labels) == 1
    wide = next(ax for ax in fig.axes if "wider scale" in ax.get_xlabel())
    assert [t.get_text() for t in wide.get_yticklabels()] == ["cnn-prediction-5"]
