"""The book's tables in the PDF edition: a LaTeX form of every pandas DataFrame a chapter shows.

A chapter shows a table by displaying or gluing a DataFrame. The website takes its ``text/html``
form; LaTeX would take its plain-text repr, a monospaced block that runs off the page. Two
pieces, both here:

- :func:`register` adds a ``text/latex`` form to every DataFrame displayed or glued in the
  running IPython kernel (``bnorder.report`` calls it on import, so every chapter has it):
  :func:`to_latex`, a booktabs ``longtable`` (it breaks across pages and repeats its header) with
  every cell escaped, in a small font, whose columns wrap to the text width when the table is too
  wide for it. The website is unchanged: an HTML page still takes the ``text/html`` form.
- :func:`setup` is a Sphinx extension (``_config.yml``: ``sphinx: extra_extensions``). myst-nb
  renders a ``text/latex`` output as display math; for the LaTeX builder this turns the tables
  made by :func:`to_latex` (they start with :data:`MARKER`) into raw LaTeX instead.
"""

from __future__ import annotations

import math
import re

import pandas as pd

MARKER = "%bnorder-table"
NONE = "—"   # a missing value, as the book's tables print it (bnorder.report.style.NONE)

# How many characters of a table fit across the text width, at each font size tried in turn
# (Sphinx's letter-paper manual: a 6.5-inch text width; FreeSerif's characters are about 0.45 em
# wide, its digits 0.5 em: a little room is kept), and the characters a column's padding
# (2 \tabcolsep) takes.
FONTS = (("\\footnotesize", 120), ("\\scriptsize", 138))
PADDING = 4
WRAP_FONT = "\\scriptsize"
LONG_WORD = 14      # a hyphenated word longer than this may break after a hyphen
LONGEST_WORD = 24   # the most a column's narrowest width gives a long word

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
            "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
            "^": r"\textasciicircum{}"}
_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _SPECIAL))


def escape(text) -> str:
    """``text`` as LaTeX prints it literally (one line)."""
    text = " ".join(str(text).split())
    return _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group()], text)


def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):   # an array-like cell
        return False


def _float_column(values) -> list[str]:
    """Floats as pandas' HTML shows them: one number of decimals per column, the fewest (at
    least one, at most six) that show every value to six decimals."""
    finite = [float(v) for v in values if not _missing(v) and math.isfinite(float(v))]
    decimals = max([1] + [len(f"{v:.6f}".rstrip("0").split(".")[1]) for v in finite])
    out = []
    for v in values:
        if _missing(v):
            out.append(NONE)
        elif not math.isfinite(float(v)):
            out.append(str(float(v)))
        else:
            out.append(f"{float(v):.{decimals}f}")
    return out


def _column(series: pd.Series) -> list[str]:
    if pd.api.types.is_float_dtype(series.dtype):
        return _float_column(series.tolist())
    return [NONE if _missing(v) else str(v) for v in series.tolist()]


def _label(key) -> str:
    """A column label; the levels of a MultiIndex column joined with ' / '."""
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key if str(k) != "")
    return "" if key is None else str(key)


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[+\-−]?[\d,]*\.?\d+(e[+\-]?\d+)?%?|—|nan|inf|-inf", text.strip()))


def _cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Header and rows as plain text: the index levels first (unless it is the default
    0, 1, 2, ... with no name), a repeated index value left blank as on the website."""
    index = table.index
    show_index = not (isinstance(index, pd.RangeIndex) and index.name is None
                      and index.start == 0 and index.step == 1)
    header, columns = [], []
    if show_index:
        names = list(index.names)
        levels = [index.get_level_values(i) for i in range(index.nlevels)]
        for name, values in zip(names, levels):
            header.append("" if name is None else str(name))
            columns.append(_column(pd.Series(values)))
        # sparsify as pandas does: an outer level's value is left blank where it and every
        # level outside it repeat the row above
        for row in range(len(table) - 1, 0, -1):
            for level in range(len(levels) - 1):
                if all(levels[k][row] == levels[k][row - 1] for k in range(level + 1)):
                    columns[level][row] = ""
                else:
                    break
    for i, key in enumerate(table.columns):
        header.append(_label(key))
        columns.append(_column(table.iloc[:, i]))
    rows = [list(r) for r in zip(*columns)] if columns else []
    return header, rows


def _longest_word(texts) -> int:
    """The longest piece of ``texts`` a line should not break: a word, or the parts of a
    hyphenated word longer than :data:`LONG_WORD` (an identifier breaks after a hyphen)."""
    pieces = [w for t in texts for w in t.split()]
    pieces = [p for w in pieces for p in (re.split(r"(?<=-)", w) if len(w) > LONG_WORD else [w])]
    return max([1] + [len(p) for p in pieces])


def _wrapped_widths(texts: list[list[str]], room: int) -> list[float]:
    """Widths (in characters) of paragraph columns sharing ``room``: each at least its longest
    word (at most :data:`LONGEST_WORD` of it), a column that fits whole kept whole, and the
    others as wide as makes the tallest cell of the table the fewest lines; what is left is
    shared among the columns that still wrap."""
    n = len(texts)
    content = [max([len(t) for t in col[1:]] + [_longest_word(col[:1])]) for col in texts]
    least = [min(_longest_word(col), LONGEST_WORD, content[i]) for i, col in enumerate(texts)]
    if sum(least) >= room:
        return [float(w) for w in least]
    for lines in range(1, max(content) + 1):
        widths = [max(least[i], min(content[i], math.ceil(content[i] / lines))) for i in range(n)]
        if sum(widths) <= room:
            break
    wrapping = [i for i in range(n) if widths[i] < content[i]]
    spare = room - sum(widths)
    want = sum(content[i] - widths[i] for i in wrapping)
    return [widths[i] + (spare * (content[i] - widths[i]) / want if i in wrapping and want else 0)
            for i in range(n)]


def to_latex(table: pd.DataFrame) -> str:
    """``table`` as a LaTeX longtable that fits the text width (see the module's docstring)."""
    header, rows = _cells(table)
    n = len(header)
    if n == 0:
        return f"{MARKER}\n"
    texts = [[h] + [r[i] for r in rows] for i, h in enumerate(header)]
    natural = [max(len(t) for t in col) for col in texts]
    numeric = [all(_is_number(t) for t in col[1:] if t) and any(col[1:]) for col in texts]
    needed = sum(natural) + PADDING * n
    wrapped = needed > FONTS[-1][1]
    for font, budget in FONTS:
        if needed <= budget:
            spec = "".join("r" if num else "l" for num in numeric)
            break
    else:
        font, budget = WRAP_FONT, FONTS[-1][1]
        widths = _wrapped_widths(texts, budget - PADDING * n)
        total = sum(widths) + PADDING * n
        spec = "".join(
            (r">{\raggedleft\arraybackslash}" if numeric[i] else r">{\raggedright\arraybackslash}")
            + rf"p{{\dimexpr {(widths[i] + PADDING) / total:.4f}\linewidth-2\tabcolsep\relax}}"
            for i in range(n))
    head = " & ".join(r"\textbf{" + escape(h) + "}" if h else "" for h in header) + r" \\"
    gap = r" \addlinespace[2pt]" if wrapped else ""    # rows of wrapped cells set apart
    body = "\n".join(" & ".join(escape(c) for c in row) + r" \\" + gap for row in rows)
    return "\n".join([
        MARKER,
        r"\begingroup" + font + r"\setlength{\LTpre}{4pt}\setlength{\LTpost}{8pt}",
        r"\begin{longtable}[c]{@{}" + spec + "@{}}",
        r"\toprule", head, r"\midrule", r"\endfirsthead",
        r"\toprule", head, r"\midrule", r"\endhead",
        r"\bottomrule", r"\endlastfoot",
        body,
        r"\end{longtable}",
        r"\endgroup",
        "",
    ])


def register(shell=None) -> None:
    """Give every DataFrame the kernel displays or glues a ``text/latex`` form (no-op outside
    IPython)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.formatters["text/latex"].for_type(pd.DataFrame, to_latex)


# ------------------------------------------------------------------------------------- Sphinx

def setup(app):
    from docutils import nodes
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class RawTables(SphinxPostTransform):
        """A table of :func:`to_latex` reaches LaTeX as itself, not as display math."""

        default_priority = 10          # after myst-nb has picked each output's form (4)
        builders = ("latex",)

        def run(self, **kwargs) -> None:
            for node in list(self.document.findall(nodes.math_block)):
                if node.astext().lstrip().startswith(MARKER):
                    node.replace_self(nodes.raw("", node.astext(), format="latex"))

    app.add_post_transform(RawTables)
    app.add_latex_package("booktabs")
    app.add_latex_package("longtable")
    app.add_latex_package("array")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
