"""The factorial analysis separates the position of BatchNorm from the activation."""

import pandas as pd
import pytest

from bnorder.analysis import diagnostics_frame, effects_table, factorial_contrasts, volatility

CELL = {"bn-relu": 80.0, "relu-bn": 82.0, "bn-lrelu": 81.0, "lrelu-bn": 83.0, "relu": 70.0}


def runs(n_seeds=6, noise=(0.3, -0.2, 0.1, 0.0, -0.1, 0.2)):
    rows = [{"arch": "mlp", "block": b, "seed": s, "status": "ok", "final_test_acc": v + noise[s]}
            for s in range(n_seeds) for b, v in CELL.items()]
    return pd.DataFrame(rows)


def test_contrasts_recover_position_activation_and_interaction_per_seed():
    c = factorial_contrasts(runs(), "final_test_acc")
    mean = c.groupby("contrast")["value"].mean()
    assert mean["position (BN after − BN before)"] == pytest.approx(2.0)
    assert mean["activation (LeakyReLU − ReLU)"] == pytest.approx(1.0)
    assert mean["interaction"] == pytest.approx(0.0)
    assert mean["original case 3 − case 1 (both changed)"] == pytest.approx(3.0)
    assert (c.groupby("contrast")["seed"].count() == 6).all()


def test_seed_noise_shared_by_all_cells_cancels_in_paired_contrasts():
    t = effects_table(runs(), "final_test_acc").set_index("contrast")
    pos = t.loc["position (BN after − BN before)"]
    assert pos["ci_low"] == pytest.approx(2.0) and pos["ci_high"] == pytest.approx(2.0)
    assert pos["p"] < 0.05 and pos["p_holm"] >= pos["p"]


def test_failed_runs_and_incomplete_seeds_are_left_out_of_contrasts():
    df = runs()
    df.loc[(df["seed"] == 0) & (df["block"] == "relu-bn"), "status"] = "diverged"
    c = factorial_contrasts(df, "final_test_acc")
    assert 0 not in set(c["seed"])


def test_volatility_is_the_mean_absolute_epoch_to_epoch_change():
    hist = [{"val_acc": 80, "test_acc": 70}, {"val_acc": 82, "test_acc": 74}, {"val_acc": 81, "test_acc": 72}]
    df = pd.DataFrame([{"arch": "cnn", "block": "bn-relu", "seed": 0, "status": "ok", "history": hist}])
    v = volatility(df).iloc[0]
    assert v["val_volatility"] == pytest.approx(1.5) and v["test_volatility"] == pytest.approx(3.0)


def test_diagnostics_frame_has_one_row_per_layer_metric_and_epoch(tmp_path):
    from bnorder.config import make_config
    from bnorder.records import load_records
    from bnorder.run import run_and_record

    run_and_record(make_config(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=2, probe=32,
                               profile="t", results_dir=str(tmp_path), device="cpu"), progress=False)
    d = diagnostics_frame(load_records(tmp_path))
    assert set(d["epoch"]) == {1, 2}
    assert set(d[d["metric"] == "dead_frac"]["layer"]) == {1, 2}
    assert {"mean", "std", "grad_norm", "weight_norm", "eff_step", "bn_gap"} <= set(d["metric"])
