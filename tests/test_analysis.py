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


def test_volatility_is_the_late_epoch_change_and_ignores_the_early_learning_steps():
    test = [40, 70, 80, 82, 83, 84, 82, 83, 85, 84]      # epochs 1-10: a big early step, then noise
    hist = [{"epoch": k + 1, "val_acc": a + 1, "test_acc": a} for k, a in enumerate(test)]
    df = pd.DataFrame([{"arch": "cnn", "block": "bn-relu", "seed": 0, "status": "ok", "history": hist}])
    v = volatility(df).iloc[0]
    # epochs 6-10: |82-84|, |83-82|, |85-83|, |84-85| -> 6/4
    assert v["test_volatility"] == pytest.approx(1.5) and v["val_volatility"] == pytest.approx(1.5)


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


# --------------------------------------------------------------------------- book helpers

import json

import numpy as np

from bnorder import analysis as an


def test_setting_names_dataset_profile_and_per_arch_seeds_and_epochs():
    ok = pd.DataFrame([{"dataset": "fashion-mnist", "profile": "factorial", "arch": a, "seed": s, "epochs": e}
                       for a, seeds, e in (("mlp", range(10), 10), ("cnn", range(5), 5)) for s in seeds])
    assert an.setting(ok) == ("Fashion-MNIST, profile factorial; mlp: seeds 0–9, 10 epochs; "
                              "cnn: seeds 0–4, 5 epochs")
    same = ok[ok["arch"] == "cnn"]
    assert an.setting(same) == "Fashion-MNIST, profile factorial, cnn, seeds 0–4, 5 epochs"
    assert an.span([0, 2]) == "0, 2" and an.span([]) == "—"



def test_not_run_sentence_gives_the_command_only_for_a_defined_profile():
    text = an.not_run_sentence("factorial-nobias")
    assert "has not been run yet" in text and "python -m bnorder sweep --profile factorial-nobias" in text
    text = an.not_run_sentence("nonsense-nobias")
    assert "has not been run yet" in text and "not defined" in text and "sweep" not in text


def test_ranking_agreement():
    base = ["relu-bn", "lrelu-bn", "bn-relu", "bn-lrelu"]
    assert an.ranking_agreement(base, list(base)) == {"same": True, "top_same": True, "tau": 1.0}
    other = ["relu-bn", "bn-relu", "lrelu-bn", "bn-lrelu"]
    a = an.ranking_agreement(base, other)
    assert not a["same"] and a["top_same"] and 0 < a["tau"] < 1


def test_detectable_effect_inverts_power():
    from bnorder import stats

    d = an.detectable_effect(10)
    assert stats.power(10, d) == pytest.approx(0.8, abs=1e-6)
    assert an.detectable_effect(5, paired=False) > an.detectable_effect(5)
    assert an.seeds_needed_text(34.0) == "34" and an.seeds_needed_text(1200.0) == "1,200"
    assert an.seeds_needed_text(np.inf).startswith("more than")
    assert an.seeds_needed_text(np.nan) == "—"


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
        for b in an.BLOCK_ORDER:
            h = history(b)
            rows.append({"profile": "p", "dataset": "synthetic", "arch": "mlp", "block": b, "seed": s,
                         "epochs": 3, "status": "ok", "history": h,
                         "hessian_top_eig": (10.0 if b == "relu" else 2.0) * (1 + 0.01 * s)})
    return pd.DataFrame(rows)


def test_run_measures_without_diagnostics_leaves_them_missing():
    runs = fake_runs(range(2))
    runs["history"] = [[{k: v for k, v in e.items() if k != "diagnostics"} for e in h] for h in runs["history"]]
    m = an.run_measures(runs)
    assert m["out_mean"].isna().all() and m["train_loss_first"].notna().all()


def write_records(root, profile, shift, seeds=range(5), **knobs):
    """Minimal records of the 2x2 cells: BN after the activation is ``shift`` points better."""
    from bnorder.config import make_config

    for s in seeds:
        for b in an.FACTORIAL_CELLS:
            acc = 80 + s * 0.7 + (shift if b in an.AFTER.values() else 0) + (0.01 * s if "lrelu" in b else 0)
            cfg = make_config(dataset="synthetic", arch="mlp", block=b, seed=s, profile=profile, **knobs)
            path = root / profile / "synthetic" / "mlp" / b / f"seed{s}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps({
                "status": "ok", "config": cfg.as_dict(), "epochs": history(b),
                "summary": {"final_test_acc": acc, "best_val_epoch_test_acc": acc, "max_test_acc": acc}}))


def test_robustness_table_compares_variants_with_the_base_and_lists_the_rest(tmp_path):
    write_records(tmp_path, "factorial", 1.0)
    write_records(tmp_path, "factorial-nobias", -1.0, bias=False)
    t = an.robustness_table(tmp_path, "factorial").set_index("variant")
    assert t.loc["(base)", "status"] == "ok" and t.loc["(base)", "position_mean"] == pytest.approx(1.0)
    nb = t.loc["nobias"]
    assert nb["status"] == "ok" and nb["position_mean"] == pytest.approx(-1.0)
    assert nb["position_change_mean"] == pytest.approx(-2.0)
    assert not nb["same"] and nb["reversed"]
    assert nb["position_hi"] < 0                              # resolved: BatchNorm before ahead
    assert (t.drop(["(base)", "nobias"])["status"] == "not run").all()


def test_load_profile_runs_of_a_missing_profile_is_empty(tmp_path):
    d = an.load_profile_runs(tmp_path, "factorial")
    assert not d.have and d.archs == [] and d.status_counts() == {"ok": 0, "diverged": 0, "failed": 0}


def test_a_variant_with_one_complete_seed_is_incomplete_not_compared(tmp_path):
    write_records(tmp_path, "factorial", 1.0)
    write_records(tmp_path, "factorial-cosine", 1.0, seeds=[0], schedule="cosine")
    row = an.robustness_table(tmp_path, "factorial").set_index("variant").loc["cosine"]
    assert row["status"] == "incomplete" and row["n"] == 1 and pd.isna(row.get("position_mean"))
