"""bnorder: does the order of BatchNorm and the activation in a block matter, and why?

Reading the records and building the book needs no PyTorch (the base install); training does
(the ``train`` extra): :func:`require_torch` says so in one line where training starts.

The analysis has two layers; the lower one never imports the upper one.

    computing   from run records to numbers: :mod:`.records` (load), :mod:`.run_selection`
                (which runs a finding reads), :mod:`.contrasts` (the factorial's effects per
                seed), :mod:`.stats` and :mod:`.power` (intervals, power, seeds needed),
                :mod:`.verdicts` (the state an interval gives), :mod:`.predictions` (the
                predictions judged), :mod:`.robustness`, :mod:`.replication`,
                :mod:`.order_readings`, :mod:`.run_measures`, :mod:`.reference` (the original
                study), and :mod:`.findings`, which gathers every number the prose cites into
                ``book/findings.json``
    report      :mod:`.report`: one module per chapter drawing its figures and tables from
                those numbers; :mod:`.report.style` holds the one format of a number and an
                interval, the blocks' order and colours
"""

__version__ = "0.1.0"


def require_torch() -> None:
    """Raise ``ImportError`` with the install command when PyTorch cannot be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ImportError("training needs PyTorch, which the book-only install leaves out; "
                          "install the train extra: pip install -e '.[train]'") from None
