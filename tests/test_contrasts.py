"""The factorial's contrasts separate the position of BatchNorm from the activation, per seed."""

import pandas as pd
import pytest

from bnorder.analysis.contrasts import (
    ACTIVATION,
    INTERACTION,
    MIXED,
    POSITION,
    by_seed,
    factorial_contrasts,
)

CELL = {"bn-relu": 80.0, "relu-bn": 82.0, "bn-lrelu": 81.0, "lrelu-bn": 83.0, "relu": 70.0}


def runs(n_seeds=6, noise=(0.3, -0.2, 0.1, 0.0, -0.1, 0.2)):
    rows = [{"arch": "mlp", "block": b, "seed": s, "status": "ok", "final_test_acc": v + noise[s]}
            for s in range(n_seeds) for b, v in CELL.items()]
    return pd.DataFrame(rows)


def test_contrasts_recover_position_activation_and_interaction_per_seed():
    c = factorial_contrasts(runs(), "final_test_acc")
    mean = c.groupby("contrast")["value"].mean()
    assert mean[POSITION] == pytest.approx(2.0)
    assert mean[ACTIVATION] == pytest.approx(1.0)
    assert mean[INTERACTION] == pytest.approx(0.0)
    assert mean[MIXED] == pytest.approx(3.0)
    assert (c.groupby("contrast")["seed"].count() == 6).all()


def test_seed_noise_shared_by_all_cells_cancels_in_paired_contrasts():
    c = factorial_contrasts(runs(), "final_test_acc")
    assert c[c["contrast"] == POSITION]["value"].to_numpy() == pytest.approx([2.0] * 6)


def test_failed_runs_and_incomplete_seeds_are_left_out_of_contrasts():
    df = runs()
    df.loc[(df["seed"] == 0) & (df["block"] == "relu-bn"), "status"] = "diverged"
    c = factorial_contrasts(df, "final_test_acc")
    assert 0 not in set(c["seed"])
    assert pd.isna(by_seed(df, "final_test_acc", "mlp").loc[0, "relu-bn"])


def test_each_contrast_gets_the_verdict_of_its_per_seed_values():
    from bnorder.analysis.contrasts import contrast_verdicts

    df = runs()
    wobble = {0: 0.2, 1: -0.1, 2: 0.1, 3: -0.2, 4: 0.0, 5: 0.05}   # relu-bn alone moves per seed
    df.loc[df["block"] == "relu-bn", "final_test_acc"] += df.loc[df["block"] == "relu-bn", "seed"].map(wobble)
    v = contrast_verdicts(df, "final_test_acc").set_index("contrast")
    assert v.loc[POSITION, "n"] == 6 and v.loc[POSITION, "state"] == "resolved"
    assert v.loc[POSITION, "mean"] == pytest.approx(2.0 + sum(wobble.values()) / 12)
    assert v.loc[INTERACTION, "state"] == "unresolved"
    assert contrast_verdicts(pd.DataFrame(), "final_test_acc").empty
