"""The one-knob variants of the factorial MLP: their ranking of the four cells against the base's."""

import json

import pandas as pd
import pytest

from bnorder import robustness
from bnorder.contrasts import FACTORIAL_CELLS
from bnorder.orders import AFTER


def test_ranking_agreement():
    base = ["relu-bn", "lrelu-bn", "bn-relu", "bn-lrelu"]
    assert robustness.ranking_agreement(base, list(base)) == {"same": True, "top_same": True, "tau": 1.0}
    other = ["relu-bn", "bn-relu", "lrelu-bn", "bn-lrelu"]
    a = robustness.ranking_agreement(base, other)
    assert not a["same"] and a["top_same"] and 0 < a["tau"] < 1


def write_records(root, profile, shift, seeds=range(5), **knobs):
    """Minimal records of the 2x2 cells: BN after the activation is ``shift`` points better."""
    from bnorder.config import make_config

    for s in seeds:
        for b in FACTORIAL_CELLS:
            acc = 80 + s * 0.7 + (shift if b in AFTER.values() else 0) + (0.01 * s if "lrelu" in b else 0)
            cfg = make_config(dataset="synthetic", arch="mlp", block=b, seed=s, profile=profile, **knobs)
            path = root / profile / "synthetic" / "mlp" / b / f"seed{s}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "status": "ok", "config": cfg.as_dict(),
                "epochs": [{"epoch": 1, "train_loss": 1.0, "val_acc": acc, "test_acc": acc}],
                "summary": {"final_test_acc": acc, "best_val_epoch_test_acc": acc, "max_test_acc": acc}}))


def test_robustness_table_compares_variants_with_the_base_and_lists_the_rest(tmp_path):
    write_records(tmp_path, "factorial", 1.0)
    write_records(tmp_path, "factorial-nobias", -1.0, bias=False)
    t = robustness.robustness_table(tmp_path, "factorial").set_index("variant")
    assert t.loc["(base)", "status"] == "ok" and t.loc["(base)", "position_mean"] == pytest.approx(1.0)
    nb = t.loc["nobias"]
    assert nb["status"] == "ok" and nb["position_mean"] == pytest.approx(-1.0)
    assert nb["position_change_mean"] == pytest.approx(-2.0)
    assert not nb["same"] and nb["reversed"]
    assert nb["position_hi"] < 0                              # resolved: BatchNorm before ahead
    assert (t.drop(["(base)", "nobias"])["status"] == "not run").all()


def test_a_variant_with_one_complete_seed_is_incomplete_not_compared(tmp_path):
    write_records(tmp_path, "factorial", 1.0)
    write_records(tmp_path, "factorial-cosine", 1.0, seeds=[0], schedule="cosine")
    row = robustness.robustness_table(tmp_path, "factorial").set_index("variant").loc["cosine"]
    assert row["status"] == "incomplete" and row["n"] == 1 and pd.isna(row.get("position_mean"))
