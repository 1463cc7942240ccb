"""Which runs a finding reads: every run of one configuration, but never the primary family's."""

import pandas as pd

from bnorder.analysis.pooling import pooled_runs, primary_profiles
from bnorder.runs import registry


def rows(profile, seeds):
    return [{"profile": profile, "dataset": "fashion-mnist", "arch": "mlp", "block": "relu-bn",
             "width": 256, "depth": 8, "seed": s, "status": "ok", "path": f"{profile}/seed{s}.json"}
            for s in seeds]


def test_a_pool_of_one_configuration_leaves_out_the_primary_familys_fresh_seeds():
    assert "confirm-mlp" in primary_profiles()
    assert primary_profiles() >= {q["arm"]["profile"] for q in registry.primary() if "arm" in q}
    every = pd.DataFrame(rows("why-bn-eval", [0, 1]) + rows("factorial", [2]) + rows("confirm-mlp", [100, 101]))
    assert list(pooled_runs(every, "why-bn-eval", "mlp", "relu-bn").index) == [0, 1, 2]
    assert list(pooled_runs(every, "confirm-mlp", "mlp", "relu-bn").index) == [0, 1, 2, 100, 101]
