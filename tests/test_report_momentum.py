"""The running statistics' cost per BatchNorm momentum: the runs the findings read, each seed
at the momentum its record was trained with."""

import pytest

from bnorder import findings
from bnorder.findings.order_effects import momentum_costs
from bnorder.report import momentum
from test_findings import record


def test_each_momentum_reads_its_profiles_runs_and_agrees_with_the_findings(tmp_path):
    for seed in (10, 11, 12):
        record(tmp_path, "cnn-converged", "bn-relu", seed, 90.0 + seed)          # cost 0.5 each
        record(tmp_path, "cnn-converged" if seed == 10 else "why-cnn-bn-eval", "relu-bn", seed,
               90.0)                                   # the same configuration, pooled as in findings
        record(tmp_path, "cnn-converged-momentum0.01", "bn-relu", seed, 85.0, bn_momentum=0.01)
        record(tmp_path, "cnn-converged-momentum0.3", "relu-bn", seed, 80.0, bn_momentum=0.3)
    frame = momentum_costs(tmp_path)
    got = frame.groupby(["momentum", "block"])["seed"].apply(sorted).to_dict()
    assert got == {(0.01, "bn-relu"): [10, 11, 12], (0.1, "bn-relu"): [10, 11, 12],
                   (0.1, "relu-bn"): [10, 11, 12], (0.3, "relu-bn"): [10, 11, 12]}
    assert frame["cost"].tolist() == pytest.approx([0.5] * len(frame))
    out = findings.order_findings(tmp_path)
    mean = frame[(frame["momentum"] == 0.01) & (frame["block"] == "bn-relu")]["cost"].mean()
    assert mean == pytest.approx(out["cnn-momentum0.01-pooled-running-cost-bn-relu"]["mean"])
    momentum.momentum_figure(frame)


def test_no_records_give_an_empty_frame_and_a_figure(tmp_path):
    frame = momentum_costs(tmp_path)
    assert frame.empty
    momentum.momentum_figure(frame)
