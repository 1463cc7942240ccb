"""bnorder: does the order of BatchNorm and the activation in a block matter, and why?

Reading the records and building the book needs no PyTorch (the base install); training does
(the ``train`` extra): :func:`require_torch` says so in one line where training starts.
"""

__version__ = "0.1.0"


def require_torch() -> None:
    """Raise ``ImportError`` with the install command when PyTorch cannot be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ImportError("training needs PyTorch, which the book-only install leaves out; "
                          "install the train extra: pip install -e '.[train]'") from None
