"""From run records to numbers; no PyTorch.

:mod:`.pooling` (which records a finding reads), :mod:`.contrasts` (the factorial's effects per
seed), :mod:`.stats` and :mod:`.power` (intervals, power, seeds needed), :mod:`.verdicts` (the
state an interval gives), :mod:`.predictions` (the registry's predictions judged),
:mod:`.confirmatory` (the primary family, Holm-corrected), :mod:`.preregistration` (each primary
record ran after its question was written), :mod:`.robustness`, :mod:`.replication`,
:mod:`.order_readings`, :mod:`.measures` (per-run measures), :mod:`.original_study` (the study
this one starts from), :mod:`.reruns`, :mod:`.interval_coverage`, :mod:`.parameter_counts`.
"""
