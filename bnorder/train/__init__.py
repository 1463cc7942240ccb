"""Training, with PyTorch: the only layer that imports it.

:mod:`bnorder.orders` says what a block's order is; here :mod:`.blocks` builds the blocks from
it and :mod:`.networks` the networks; :mod:`.data` holds the data sets as tensors;
:mod:`.loop` is the epoch skeleton that :mod:`.single` (one network) and :mod:`.fused` (several
seeds as one stacked model) share; :mod:`.checkpoint` lets an interrupted run go on;
:mod:`.bn_eval` reads one set of weights with running, precise and batch statistics;
:mod:`.diagnostics` measures mechanisms during training; :mod:`.run` trains one configuration
and writes its record; :mod:`.bench` and :mod:`.breakdown` measure speed.
"""
