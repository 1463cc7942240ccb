"""What the book's chapters show, computed: one module per chapter, tested without a build.

A chapter calls its module in short cells and glues the facts it returns; the setup every
chapter shares (where the repository and its records are, which profile is the factorial base,
how a value is glued) is here, written once.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent.parent

# A table in the book shows every row and the whole of every cell: pandas' defaults cut a table
# at 60 rows and a cell at 50 characters, leaving "..." where a reader looks for a run or a verdict.
pd.set_option("display.max_rows", None, "display.max_colwidth", None)


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
