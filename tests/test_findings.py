"""The findings file: every quantity the chapters cite, computed from the records, and the
claims the chapters make about them held to the records."""

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from bnorder import findings
from bnorder.runs.config import RunConfig

ROOT = Path(__file__).resolve().parent.parent


def record(folder: Path, profile: str, block: str, seed: int, acc: float, **knobs) -> Path:
    """A minimal completed run record of the converged CNN, filed under ``profile``."""
    config = {**RunConfig().as_dict(), "profile": profile, "dataset": "fashion-mnist",
              "arch": "cnn", "block": block, "seed": seed, **knobs}
    path = folder / profile / "fashion-mnist" / "cnn" / block / f"seed{seed}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    epochs = [{"epoch": 1, "test_acc": acc - 1, "bn_eval": {"test_acc_precise": acc}},
              {"epoch": 2, "test_acc": acc, "bn_eval": {"test_acc_precise": acc + 0.5}}]
    path.write_text(json.dumps({"schema": 1, "status": "ok", "failure": None, "config": config,
                                "config_hash": "x", "n_params": 1, "epochs": epochs,
                                "summary": {"final_test_acc": acc}, "provenance": {}}))
    return path


def test_the_committed_findings_are_what_the_records_give_byte_for_byte():
    text = findings.dumps(findings.compute(ROOT / "results"))
    assert text == (ROOT / "book" / "findings.json").read_text(encoding="utf-8"), \
        "book/findings.json is out of date: run python -m bnorder findings"
    assert findings.dumps(findings.compute(ROOT / "results")) == text     # and deterministic


def test_every_finding_names_what_it_was_computed_from():
    for key, entry in findings.read().items():   # a prediction whose runs have not landed: none
        assert entry.get("records") or entry.get("data") or (entry["kind"] in ("prediction", "primary")
                                                             and entry["n"] == 0), key
        for folder in entry.get("records", {}):
            assert not Path(folder).is_absolute() and (ROOT / "results" / folder).is_dir(), folder


def test_numbers_are_rounded_and_missing_values_are_null():
    entry = {"mean": 1 / 3, "low": float("nan"), "high": np.float64(2.0), "seeds_needed": math.inf,
             "n": np.int64(4)}
    text = findings.dumps({"x": entry})
    back = json.loads(text)["findings"]["x"]
    assert back == {"mean": round(1 / 3, findings.DIGITS), "low": None, "high": 2.0,
                    "seeds_needed": "inf", "n": 4}
    assert list(json.loads(findings.dumps({"b": {}, "a": {}}))["findings"]) == ["a", "b"]


def test_runs_of_one_configuration_are_pooled_wherever_they_were_filed(tmp_path):
    for seed in range(3):
        record(tmp_path, "cnn-converged", "bn-relu", seed, 90.0 + seed)
        record(tmp_path, "cnn-converged", "relu-bn", seed, 91.0 + seed)
    for seed in (3, 4):                           # the same configuration, filed by another profile
        record(tmp_path, "why-cnn-bn-eval", "bn-relu", seed, 90.0 + seed)
        record(tmp_path, "why-cnn-bn-eval", "relu-bn", seed, 90.5 + seed)
    record(tmp_path, "why-cnn-bn-eval", "relu-bn", 2, 50.0)   # seed 2 filed twice: counted once
    record(tmp_path, "why-other", "bn-relu", 5, 10.0, lr=0.1)    # another configuration: not pooled
    record(tmp_path, "why-other", "relu-bn", 5, 99.0, lr=0.1)
    out = findings.order_findings(tmp_path)
    order = out["cnn-order"]
    assert order["seeds"] == [0, 1, 2, 3, 4] and order["n"] == 5
    assert order["mean"] == pytest.approx((1 + 1 + 1 + 0.5 + 0.5) / 5)
    assert set(order["records"]) == {"cnn-converged/fashion-mnist/cnn/bn-relu",
                                     "cnn-converged/fashion-mnist/cnn/relu-bn",
                                     "why-cnn-bn-eval/fashion-mnist/cnn/bn-relu",
                                     "why-cnn-bn-eval/fashion-mnist/cnn/relu-bn"}
    assert order["records"]["why-cnn-bn-eval/fashion-mnist/cnn/relu-bn"] == [3, 4]
    assert out["cnn-order-precise"]["n"] == 5
    spread = out["cnn-pooled-accuracy-bn-relu"]          # each block's seed spread, pooled too
    assert spread["n"] == 5 and spread["sd"] == pytest.approx(np.std([90, 91, 92, 93, 94], ddof=1))


def test_a_one_knob_arm_of_the_cnn_is_read_under_its_own_id_from_its_own_runs(tmp_path):
    for seed in (10, 11, 12):
        record(tmp_path, "cnn-converged", "bn-relu", seed, 90.0)
        record(tmp_path, "cnn-converged", "relu-bn", seed, 90.5)
        record(tmp_path, "cnn-converged-momentum0.01", "bn-relu", seed, 85.0 + seed, bn_momentum=0.01)
        record(tmp_path, "cnn-converged-momentum0.01", "relu-bn", seed, 89.0 + seed, bn_momentum=0.01)
    out = findings.order_findings(tmp_path)
    arm = out["cnn-momentum0.01-order"]
    assert arm["seeds"] == [10, 11, 12] and arm["mean"] == pytest.approx(4.0)
    assert {folder.split("/")[0] for folder in arm["records"]} == {"cnn-converged-momentum0.01"}
    assert out["cnn-order"]["mean"] == pytest.approx(0.5)           # the base is not mixed with it
    assert "cnn-width32-order" not in out                              # an arm with no runs: absent
    # what the running statistics cost each block, read the same way for the arm and the base
    assert out["cnn-momentum0.01-pooled-running-cost-bn-relu"]["mean"] == pytest.approx(0.5)


def test_the_last_epochs_gain_of_training_accuracy_says_whether_a_run_was_still_fitting():
    rising = {"history": [{"epoch": 9, "train_acc": 90.0}, {"epoch": 10, "train_acc": 90.4}]}
    flat = {"history": [{"epoch": 10, "train_acc": 91.0}, {"epoch": 9, "train_acc": 91.0}]}
    assert findings.last_epoch_train_gain(rising) == pytest.approx(0.4)
    assert findings.last_epoch_train_gain(flat) == 0.0
    assert math.isnan(findings.last_epoch_train_gain({"history": [{"epoch": 1, "train_acc": 50.0}]}))


def test_the_headline_cnn_pools_every_seed_of_its_configuration_in_the_records():
    order = findings.read()["cnn-order"]
    profiles = {folder.split("/")[0] for folder in order["records"]}
    assert {"cnn-converged", "why-cnn-bn-eval"} <= profiles and order["n"] >= 7


@pytest.mark.parametrize("entry,state", [
    ({"state": "resolved", "direction": -1}, "negative"),
    ({"state": "resolved", "direction": 1}, "positive"),
    ({"state": "equivalent", "direction": 1}, "equivalent"),
    ({"state": "unresolved", "direction": 1}, "unresolved"),
    ({"state": "resolved", "direction": -1, "outcome": "refuted"}, "refuted"),
    ({"mean": 1.0}, None),
])
def test_a_claim_asserts_the_sign_of_a_resolved_difference_or_a_predictions_outcome(entry, state):
    assert findings.claim_state(entry) == state


# ------------------------------------------------------------------ claims

def test_every_claim_of_the_chapters_holds_on_the_committed_records():
    found = findings.claims()
    chapters = {chapter for chapter, _, _ in found}
    assert {"intro.md", "conclusion.md", "mechanisms.md"} <= chapters
    assert findings.check(findings.read()) == []


def test_a_rerun_that_flips_a_claimed_finding_fails_the_check_naming_it(tmp_path, capsys):
    from bnorder.__main__ import main

    results = tmp_path / "results"
    shutil.copytree(ROOT / "results", results)
    assert {c for c, _, t in findings.claims() if t == "factorial-mlp-position:negative"}   # a chapter claims it
    for block in ("relu-bn", "lrelu-bn"):    # BatchNorm after the activation now 3 points ahead
        for path in (results / "factorial" / "fashion-mnist" / "mlp" / block).glob("seed*.json"):
            rec = json.loads(path.read_text())
            rec["summary"]["final_test_acc"] += 3.0
            path.write_text(json.dumps(rec))
    assert main(["findings", "--check", "--results-dir", str(results)]) == 1
    out = capsys.readouterr().out
    assert "factorial-mlp-position was claimed negative; the records now give positive" in out
    assert "cnn-order was claimed" not in out                 # the claims still supported pass


def test_a_malformed_claim_or_one_naming_no_finding_is_reported(tmp_path):
    (tmp_path / "chapter.md").write_text(
        "A holds{claim}`a:negative`. B{claim}`b:resolved`. C{claim}`nothing:unresolved`.\n"
        "An example in a code span, `` {claim}`a:positive` ``, is not a claim.\n"
        "```{code-cell} ipython3\n# {claim}`a:positive` in code\n```\n")
    problems = findings.check({"a": {"state": "resolved", "direction": -1}}, book=tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("chapter.md:1:") and "b:resolved" in problems[0]
    assert "nothing:unresolved names no finding" in problems[1]


def test_a_claim_reads_id_colon_state():
    assert findings.parse_claim("cnn-order-precise:unresolved") == ("cnn-order-precise", "unresolved")
    for bad in ("cnn-order", "cnn-order:maybe", ":unresolved"):
        with pytest.raises(ValueError):
            findings.parse_claim(bad)


def test_the_claim_role_renders_nothing_and_warns_of_a_malformed_or_unknown_claim():
    import sys
    from types import SimpleNamespace

    sys.path.insert(0, str(ROOT / "_ext"))
    try:
        from claims import claim_role
    finally:
        sys.path.remove(str(ROOT / "_ext"))
    warned = []
    inliner = SimpleNamespace(
        reporter=SimpleNamespace(warning=lambda msg, line=None: warned.append(msg) or msg),
        document=SimpleNamespace(settings=SimpleNamespace(env=SimpleNamespace(srcdir=str(ROOT)))))
    assert claim_role("claim", "", "cnn-order:unresolved", 1, inliner) == ([], [])
    assert not warned
    claim_role("claim", "", "cnn-order:maybe", 1, inliner)
    claim_role("claim", "", "no-such-finding:unresolved", 1, inliner)
    assert len(warned) == 2 and "no-such-finding" in warned[1]


def test_a_prediction_pooling_several_profiles_is_judged_on_every_seed_filed(tmp_path):
    for seed in range(3):
        record(tmp_path, "cnn-converged", "bn-relu", seed, 90.0)
        record(tmp_path, "cnn-converged", "relu-bn", seed, 91.0 + 0.1 * seed)
    for seed in (3, 4):
        record(tmp_path, "why-cnn-bn-eval", "bn-relu", seed, 90.0)
        record(tmp_path, "why-cnn-bn-eval", "relu-bn", seed, 91.0 + 0.1 * seed)
    pooled = {"profile": ["cnn-converged", "why-cnn-bn-eval"]}
    prediction = {"id": "p", "question": "q", "reasoning": "r", "prediction": "relu-bn ahead",
                  "arm": {**pooled, "block": "relu-bn"}, "base": {**pooled, "block": "bn-relu"},
                  "metric": "final_test_acc", "expect": "positive"}
    path = tmp_path / "predictions.yml"
    import yaml
    path.write_text(yaml.safe_dump([prediction]))
    entry = findings.prediction_findings(tmp_path, path)["p"]
    assert entry["seeds"] == [0, 1, 2, 3, 4], entry
    assert entry["outcome"] == "confirmed" and entry["mean"] == pytest.approx(1.2)
    assert entry["records"]["why-cnn-bn-eval/fashion-mnist/cnn/relu-bn"] == [3, 4]


def test_the_cosine_schedules_change_of_the_order_effect_is_paired_on_the_seeds_both_schedules_hold(tmp_path):
    for seed in range(4):
        record(tmp_path, "cnn-converged", "bn-relu", seed, 88.0 + 0.2 * seed)
        record(tmp_path, "cnn-converged", "relu-bn", seed, 89.0 + 0.2 * seed + 0.1 * seed)
    for seed in range(3):                          # seed 3 has no cosine run: left out
        record(tmp_path, "cnn-converged-cosine", "bn-relu", seed, 90.0 + 0.3 * seed, schedule="cosine")
        record(tmp_path, "cnn-converged-cosine", "relu-bn", seed, 90.2 + 0.3 * seed, schedule="cosine")
    out = findings.schedule_findings(tmp_path)
    change = out["cnn-order-cosine-change"]
    assert change["seeds"] == [0, 1, 2]
    assert change["mean"] == pytest.approx(0.2 - np.mean([1.0, 1.1, 1.2]))
    assert change["state"] == "resolved" and change["direction"] == -1
    assert out["cnn-cosine-order"]["mean"] == pytest.approx(0.2)
    import pandas as pd
    assert findings.schedule_findings(tmp_path, every=pd.DataFrame(columns=["status"])) == {}


def test_an_early_contrast_is_read_on_the_seeds_its_hypothesis_was_built_on_alone():
    from bnorder.analysis import predictions
    from bnorder.runs.records import load_records

    found = findings.compute(ROOT / "results")

    def per_seed(profile, block, metric, first_block=None):
        runs = load_records(ROOT / "results", profile)
        runs = runs[(runs["status"] == "ok") & (runs["block"] == block) & (runs["arch"] == "cnn")]
        first = runs["first_block"].fillna("") if "first_block" in runs else ""
        runs = runs[first == (first_block or "")]
        return {int(r["seed"]): predictions.METRICS[metric](r) for _, r in runs.iterrows()}

    precise = per_seed("cnn-converged", "bn-relu", "final_test_acc_precise")
    running = per_seed("cnn-converged", "bn-relu", "final_test_acc")
    cost = found["cnn-running-cost-bn-relu-seeds-0-3"]
    assert cost["seeds"] == [0, 1, 2, 3] and cost["n"] == 4 and len(running) > 4   # later seeds left out
    assert cost["mean"] == pytest.approx(np.mean([precise[s] - running[s] for s in range(4)]))
    assert cost["records"] == {"cnn-converged/fashion-mnist/cnn/bn-relu": [0, 1, 2, 3]}
    swapped = per_seed("why-cnn-first-block", "bn-relu", "final_test_acc", first_block="relu-bn")
    swap = found["cnn-first-block-seeds-0-3"]
    assert swap["mean"] == pytest.approx(np.mean([swapped[s] - running[s] for s in range(4)]))
    assert found["cnn-first-block"]["n"] > swap["n"]     # the same contrast on every seed now


def test_the_replication_findings_are_what_the_records_and_the_studys_data_give():
    from bnorder.analysis import original_study
    from bnorder.runs.records import load_records

    found = findings.read()
    entry = found["replication-cnn-case2-vs-case1"]
    runs = load_records(ROOT / "results", entry["profile"])
    ok = runs[(runs["status"] == "ok") & (runs["arch"] == "cnn")]
    wide = ok.pivot_table(index="seed", columns="block", values="final_test_acc")
    d = (wide["relu-bn"] - wide["bn-relu"]).dropna()
    assert entry["n"] == len(d) and entry["seeds"] == [int(s) for s in d.index]
    assert entry["mean"] == pytest.approx(d.mean(), abs=1e-4)
    both = wide.loc[d.index]
    ratio = both["relu-bn"].std(ddof=1) / both["bn-relu"].std(ddof=1)
    assert found["replication-cnn-case2-vs-case1-spread"]["mean"] == pytest.approx(ratio, abs=1e-4)
    best = original_study.run_scores(None, "exp1").groupby("case")["best"].mean()
    assert found["original-exp1-cnn-case2-vs-case1-best"]["mean"] == pytest.approx(
        best["case2"] - best["case1"], abs=1e-4)
    assert found["original-exp1-cnn-case2-vs-case1-best"]["runs"] == [5, 5]


def mlp_cells(folder: Path, profile: str, seed: int, position: float, **knobs) -> None:
    """The four cells of the MLP's 2x2 design for one seed, filed under ``profile``: BatchNorm
    after the activation ``position`` points ahead of BatchNorm before it."""
    for block in ("bn-relu", "bn-lrelu", "relu-bn", "lrelu-bn"):
        acc = 85.0 + 0.5 * seed + (position if block in ("relu-bn", "lrelu-bn") else 0.0)
        config = {**RunConfig().as_dict(), "profile": profile, "dataset": "fashion-mnist",
                  "arch": "mlp", "block": block, "seed": seed, **knobs}
        path = folder / profile / "fashion-mnist" / "mlp" / block / f"seed{seed}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"schema": 1, "status": "ok", "failure": None, "config": config,
                                    "config_hash": "x", "n_params": 1,
                                    "epochs": [{"epoch": 1, "test_acc": acc}],
                                    "summary": {"final_test_acc": acc}, "provenance": {}}))


def test_the_robustness_findings_pair_each_variant_with_the_base_by_seed(tmp_path):
    from bnorder.analysis import robustness as rb

    base = {s: -1.0 - 0.1 * s for s in range(6)}           # the base's position effect per seed
    nobias = {s: -0.5 + 0.05 * s for s in (1, 2, 3, 7)}   # seed 7: no base run to pair with
    for s, p in base.items():
        mlp_cells(tmp_path, "factorial", s, p)
    for s, p in nobias.items():
        mlp_cells(tmp_path, "factorial-nobias", s, p, bias=False)
    mlp_cells(tmp_path, "factorial-depth2", 0, -1.0, depth=2)   # one seed: no finding
    out = findings.robustness_findings(tmp_path, "factorial")
    assert set(out) == {"robustness-nobias-position", "robustness-nobias-change"}

    position = out["robustness-nobias-position"]
    assert position["kind"] == "robustness" and position["seeds"] == [1, 2, 3, 7]
    assert position["n"] == 4 and position["mean"] == pytest.approx(np.mean(list(nobias.values())))
    assert set(position["records"]) == {f"factorial-nobias/fashion-mnist/mlp/{b}"
                                        for b in ("bn-relu", "bn-lrelu", "relu-bn", "lrelu-bn")}

    change = out["robustness-nobias-change"]
    shared = [1, 2, 3]
    assert change["seeds"] == shared and change["n"] == 3
    assert change["mean"] == pytest.approx(np.mean([nobias[s] - base[s] for s in shared]))
    assert change["margin"] == rb.MARGIN and change["direction"] == 1
    assert change["records"]["factorial/fashion-mnist/mlp/relu-bn"] == shared
    assert change["records"]["factorial-nobias/fashion-mnist/mlp/relu-bn"] == shared
    assert findings.claim_state(change) == "positive"     # +0.65, +0.80, +0.95: resolved
