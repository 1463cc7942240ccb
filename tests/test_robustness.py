"""The one-knob variants of the factorial MLP: each one's position effect and its change from the
base's, paired by seed, and their ranking of the four cells against the base's."""

import json

import pandas as pd
import pytest

from bnorder.analysis import robustness
from bnorder.analysis.contrasts import FACTORIAL_CELLS
from bnorder.orders import AFTER
from bnorder.runs.profiles import VARIANTS


def test_ranking_agreement():
    base = ["relu-bn", "lrelu-bn", "bn-relu", "bn-lrelu"]
    assert robustness.ranking_agreement(base, list(base)) == {"same": True, "top_same": True, "tau": 1.0}
    other = ["relu-bn", "bn-relu", "lrelu-bn", "bn-lrelu"]
    a = robustness.ranking_agreement(base, other)
    assert not a["same"] and a["top_same"] and 0 < a["tau"] < 1


def write_records(root, profile, shift, seeds=range(5), **knobs):
    """Minimal records of the 2x2 cells: BN after the activation is ``shift`` points better."""
    from bnorder.runs.config import make_config

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


def write_variant_records(root, profile, shift, seeds=range(5), jitter=0.0, noise=0.0, **knobs):
    """Records of the MLP's 2x2 cells: BatchNorm after the activation is ``shift`` points
    better, plus ``jitter`` times a seed-dependent wobble of the position effect, plus ``noise``
    times a second wobble of this profile's own (zero mean over seeds 0-4), so that two profiles'
    effects differ by a different amount on each seed, as real ones do."""
    from bnorder.runs.config import make_config

    for s in seeds:
        for b in FACTORIAL_CELLS:
            after = b in AFTER.values()
            own = noise * ((s % 5) - 2) / 2
            acc = 80 + 0.7 * s + (shift + jitter * ((-1) ** s) * (1 + 0.1 * s) + own if after else 0)
            cfg = make_config(dataset="synthetic", arch="mlp", block=b, seed=s, profile=profile, **knobs)
            path = root / profile / "synthetic" / "mlp" / b / f"seed{s}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "status": "ok", "config": cfg.as_dict(),
                "epochs": [{"epoch": 1, "test_acc": acc, "val_acc": acc, "train_loss": 1.0}],
                "summary": {"final_test_acc": acc, "best_val_epoch_test_acc": acc, "max_test_acc": acc}}))


def test_every_variant_is_listed_with_its_status(tmp_path):
    write_variant_records(tmp_path, "factorial", -1.0, seeds=range(6), jitter=0.1)
    write_variant_records(tmp_path, "factorial-nobias", -1.0, jitter=0.1, bias=False)
    write_variant_records(tmp_path, "factorial-cosine", -1.0, seeds=[0], schedule="cosine")
    t = robustness.variant_table(tmp_path, "factorial").set_index("variant")
    assert list(t.index) == ["(base)", *VARIANTS]
    assert t.loc["(base)", "status"] == "ok" and t.loc["(base)", "n"] == 6
    assert t.loc["nobias", "status"] == "ok" and t.loc["cosine", "status"] == "incomplete"
    assert t.loc["depth2", "status"] == "not run" and t.loc["depth2", "records"] == 0


def test_the_change_from_the_base_is_paired_by_seed(tmp_path):
    write_variant_records(tmp_path, "factorial", -1.0, seeds=range(8), jitter=0.3)
    # the same seeds with the same wobble, the effect one point smaller: the change is about +1
    # on every shared seed, resolved although each effect's own interval is wide
    write_variant_records(tmp_path, "factorial-nobias", 0.0, jitter=0.3, noise=0.1, bias=False)
    row = robustness.variant_table(tmp_path, "factorial").set_index("variant").loc["nobias"]
    assert row["change"].n == 5 and row["change_seeds"] == [0, 1, 2, 3, 4]
    assert row["change"].mean == pytest.approx(1.0)
    assert row["change"].state == "resolved" and row["change"].direction == 1
    assert row["change_values"] == pytest.approx([0.9, 0.95, 1.0, 1.05, 1.1])
    assert row["position"].state == "unresolved"


def test_a_change_within_the_margin_is_equivalent(tmp_path):
    write_variant_records(tmp_path, "factorial", -1.0, seeds=range(5), jitter=0.3)
    write_variant_records(tmp_path, "factorial-head-bn", -1.0, jitter=0.3, noise=0.1, head="bn-linear")
    row = robustness.variant_table(tmp_path, "factorial").set_index("variant").loc["head-bn"]
    assert row["change"].state == "equivalent" and row["change"].margin == robustness.MARGIN


def test_the_margin_is_the_registrys_one_margin():
    from bnorder.runs import registry

    assert robustness.MARGIN == registry.margin()
