"""Records of one configuration and seed filed twice measure the rerun noise."""

import math

import numpy as np
import pandas as pd
import pytest

from bnorder.analysis.reruns import rerun_noise, rerun_pairs


def run(profile, block, seed, acc, started, status="ok"):
    return {"profile": profile, "arch": "mlp", "block": block, "seed": seed, "status": status,
            "final_test_acc": acc, "config_hash": f"{block}-{seed}", "prov_started_utc": started}


def test_a_configuration_filed_twice_gives_the_later_minus_the_earlier():
    runs = pd.DataFrame([run("b", "bn-relu", 0, 88.0, "2026-11-02"), run("a", "bn-relu", 0, 86.5, "2026-11-01"),
                         run("a", "relu-bn", 0, 85.0, "2026-11-01"),            # filed once: no pair
                         run("b", "relu-bn", 1, 80.0, "2026-11-02", "failed"),
                         run("a", "relu-bn", 1, 84.0, "2026-11-01")])          # a failed rerun: no pair
    pairs = rerun_pairs(runs)
    assert pairs.drop(columns="config_hash").to_dict("records") == [
        {"arch": "mlp", "block": "bn-relu", "seed": 0, "earlier": "a", "later": "b", "difference": 1.5}]


def test_the_noise_is_the_spread_of_the_differences():
    d = np.array([0.5, -0.3, 0.9, -1.1, 0.2])
    noise = rerun_noise(pd.DataFrame({"difference": d}))
    assert noise["n"] == 5 and noise["mean"] == pytest.approx(d.mean())
    assert noise["sd_difference"] == pytest.approx(d.std(ddof=1))
    assert noise["sd_run"] == pytest.approx(d.std(ddof=1) / math.sqrt(2))
    assert noise["low"] < d.mean() < noise["high"]
    assert math.isnan(rerun_noise(pd.DataFrame({"difference": [0.4]}))["sd_run"])
