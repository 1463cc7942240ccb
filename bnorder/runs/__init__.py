"""What a run is and how the study's runs are executed; no PyTorch.

:mod:`.config` (every knob of a run, checked), :mod:`.profiles` (the study's runs, named),
:mod:`.registry` (``book/predictions.yml``: the questions, the margin and the reserved seeds),
:mod:`.tuning` (the tuned protocol's step size and schedule, chosen from records),
:mod:`.records` (a run's record: written, found, loaded), :mod:`.execute` (one run: the notebook
executed by papermill), :mod:`.sweep` and :mod:`.backends` (a profile's runs, here or on Ray),
:mod:`.full_size` (the full-size study as one command). A sweep executes ``notebooks/train.ipynb``
in a kernel, so nothing here imports :mod:`bnorder.train`.
"""
