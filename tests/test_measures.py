"""One row per run of what the probe measured, and the late-epoch volatility of its accuracy."""

import pandas as pd
import pytest

from bnorder.analysis.measures import run_measures, volatility
from bnorder.report.style import BLOCK_ORDER


def test_volatility_is_the_late_epoch_change_and_ignores_the_early_learning_steps():
    test = [40, 70, 80, 82, 83, 84, 82, 83, 85, 84]      # epochs 1-10: a big early step, then noise
    hist = [{"epoch": k + 1, "val_acc": a + 1, "test_acc": a} for k, a in enumerate(test)]
    df = pd.DataFrame([{"arch": "cnn", "block": "bn-relu", "seed": 0, "status": "ok", "history": hist}])
    v = volatility(df).iloc[0]
    # epochs 6-10: |82-84|, |83-82|, |85-83|, |84-85| -> 6/4
    assert v["test_volatility"] == pytest.approx(1.5) and v["val_volatility"] == pytest.approx(1.5)


def history(block, epochs=3):
    """Per-epoch records with diagnostics shaped like the training loop's."""
    before = block.startswith("bn-")
    has_bn = block != "relu"
    out = []
    for e in range(1, epochs + 1):
        out.append({
            "epoch": e, "train_loss": 1.0 / e + (0.1 if before else 0.0), "val_acc": 80 + e,
            "test_acc": 79 + e + (0.5 if e == 2 else 0),
            "diagnostics": {
                "blocks": [{"mean": 0.4 if before or not has_bn else 0.0, "std": 0.6,
                            "dead_frac": 0.0 if before else 0.05} for _ in range(2)],
                "layers": [{"grad_norm": 1.0, "weight_norm": 1.0 + 0.1 * e, "eff_step": 0.1}
                           for _ in range(2)],
                "bn_mode": {"acc_batch_stats": 90.0, "acc_running_stats": 89.0 if has_bn else 90.0,
                            "gap": 1.0 if has_bn else 0.0},
            }})
    return out


def fake_runs(seeds=range(6)):
    rows = []
    for s in seeds:
        for b in BLOCK_ORDER:
            rows.append({"profile": "p", "dataset": "synthetic", "arch": "mlp", "block": b, "seed": s,
                         "epochs": 3, "status": "ok", "history": history(b),
                         "hessian_top_eig": (10.0 if b == "relu" else 2.0) * (1 + 0.01 * s)})
    return pd.DataFrame(rows)


def test_run_measures_reads_the_last_epoch_and_the_growth_of_the_weights():
    m = run_measures(fake_runs(range(2))).set_index(["block", "seed"])
    assert m.loc[("relu-bn", 0), "dead_frac"] == pytest.approx(0.05)
    assert m.loc[("bn-relu", 0), "out_mean"] == pytest.approx(0.4)
    assert m.loc[("bn-relu", 1), "weight_growth"] == pytest.approx(1.3 / 1.1)


def test_run_measures_without_diagnostics_leaves_them_missing():
    runs = fake_runs(range(2))
    runs["history"] = [[{k: v for k, v in e.items() if k != "diagnostics"} for e in h] for h in runs["history"]]
    m = run_measures(runs)
    assert m["out_mean"].isna().all() and m["train_loss_first"].notna().all()
