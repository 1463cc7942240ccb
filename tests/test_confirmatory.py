"""The primary family is read on its reserved seeds, on pairs from one machine, and decided with
Holm over the whole family."""

import numpy as np
import pandas as pd
import pytest

from bnorder.analysis import confirmatory


def runs(profile, block, values, device="cpu A"):
    return pd.DataFrame([{"profile": profile, "arch": "mlp", "block": block, "seed": s, "status": "ok",
                          "first_block": None, "final_test_acc": v, "history": [], "compile": False,
                          "prov_device_name": device if s != 3 else f"{device} {block}",
                          "prov_cpu_capability": "AVX512", "path": f"r/{profile}/{block}/seed{s}.json"}
                         for s, v in values.items()])


def question(qid, expect="negative", test="paired", seeds=(0, 1, 2, 3, 4, 5), margin=0.5):
    return {"id": qid, "family": "primary", "test": test, "expect": expect, "margin": margin,
            "seeds": list(seeds), "metric": "final_test_acc",
            "arm": {"profile": qid, "block": "relu-bn"}, "base": {"profile": qid, "block": "bn-relu"}}


def test_pairs_from_two_machines_and_unreserved_seeds_are_not_read():
    data = pd.concat([runs("a", "bn-relu", {s: 90.0 for s in range(8)}),
                      runs("a", "relu-bn", {s: 89.0 + 0.1 * s for s in range(8)})])
    frame, excluded = confirmatory.pairs(question("a", seeds=range(6)), lambda p: data)
    assert list(frame.index) == [0, 1, 2, 4, 5] and excluded == [3]


def test_the_family_is_adjusted_together_and_the_adjusted_state_decides_the_outcome():
    rng = np.random.default_rng(0)
    base = {s: 90 + rng.normal(0, 0.3) for s in range(6)}
    clear = {s: v - 2 + rng.normal(0, 0.1) for s, v in base.items()}         # a large deficit
    weak = {s: v - 0.3 + rng.normal(0, 0.3) for s, v in base.items()}       # p near 0.05
    data = {"clear": pd.concat([runs("clear", "bn-relu", base), runs("clear", "relu-bn", clear)]),
            "weak": pd.concat([runs("weak", "bn-relu", base), runs("weak", "relu-bn", weak)])}
    seeds = (0, 1, 2, 4, 5)
    qs = [question("clear", seeds=seeds), question("weak", seeds=seeds)]
    out = confirmatory.decide(data.__getitem__, qs)
    assert out["clear"]["state_adjusted"] == "resolved" and out["clear"]["outcome"] == "confirmed"
    small, large = sorted(out.values(), key=lambda e: e["p"])
    assert small["p_holm"] == pytest.approx(min(1, 2 * small["p"]))              # Holm over two
    assert large["p_holm"] == pytest.approx(max(small["p_holm"], large["p"]))


def test_an_interval_inside_the_margin_is_equivalent_and_its_p_is_below_005():
    d = np.array([0.05, -0.02, 0.1, 0.0, 0.03, -0.04, 0.02, 0.06])
    t = confirmatory.paired_test(d, 0.5)
    assert t["verdict"].state == "equivalent" and t["p_equiv"] < 0.05
    assert confirmatory.paired_test(d + 0.45, 0.5)["p_equiv"] > 0.05   # the interval crosses +0.5


def test_pitman_morgan_finds_a_smaller_spread_in_paired_samples():
    rng = np.random.default_rng(1)
    shared = rng.normal(0, 1, 40)
    base = shared + rng.normal(0, 2, 40)
    arm = shared + rng.normal(0, 0.3, 40)
    pm = confirmatory.pitman_morgan(arm, base)
    assert pm["ratio"] < 1 and pm["high"] < 1 and pm["p"] < 0.01
    same = confirmatory.pitman_morgan(base, base + rng.normal(0, 0.01, 40))
    assert same["low"] < 1 < same["high"] and same["p"] > 0.05


def test_a_question_is_pending_until_its_seeds_land_and_counts_as_p_one_in_the_correction():
    rng = np.random.default_rng(2)
    base = {s: 90 + rng.normal(0, 0.3) for s in range(6)}
    worse = {s: v - 2 + rng.normal(0, 0.1) for s, v in base.items()}
    data = {"done": pd.concat([runs("done", "bn-relu", base), runs("done", "relu-bn", worse)]),
            "early": pd.concat([runs("early", "bn-relu", base), runs("early", "relu-bn", worse)])}
    qs = [question("done", seeds=(0, 1, 2, 4, 5)), question("early", seeds=range(100, 130))]
    out = confirmatory.decide(data.__getitem__, qs)
    assert out["early"]["state_adjusted"] == "pending" and out["early"]["outcome"] == "unresolved"
    assert out["done"]["p_holm"] == pytest.approx(min(1, 2 * out["done"]["p"]))   # Holm over two, one at p = 1
    assert out["done"]["state_adjusted"] == "resolved"
