"""bnorder: does the order of BatchNorm and the activation in a block matter, and why?

Reading the records and building the book needs no PyTorch (the base install); training does
(the ``train`` extra): :func:`require_torch` says so in one line where training starts.

The package is in layers, one folder each; a layer imports only the ones listed before it
(``tests/test_layers.py``), and only :mod:`.train` imports PyTorch.

    orders      :mod:`.orders`: what a block's order is (BatchNorm and the activation, which first)
    runs        what a run is and how the study's runs execute: configs, profiles, the registry
                of questions, records, sweeps (a sweep executes the notebook in a kernel)
    train       PyTorch: blocks, networks, data, the training loops, BatchNorm readings
    analysis    from run records to numbers: pooling, intervals, verdicts, the predictions and
                the primary family judged
    findings    every number the prose cites, gathered into ``book/findings.json``
    report      one module per chapter drawing its figures and tables from those numbers;
                :mod:`.report.style` holds the one format of a number and an interval and the
                one palette
"""

__version__ = "0.1.0"


def require_torch() -> None:
    """Raise ``ImportError`` with the install command when PyTorch cannot be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ImportError("training needs PyTorch, which the book-only install leaves out; "
                          "install the train extra: pip install -e '.[train]'") from None
