"""The Replication chapter's logic, computed without building the book: which edition each
network comes from, the findings its tables show, and the numbers it glues."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

matplotlib.use("Agg")

from bnorder import findings
from bnorder.analysis import replication, verdicts
from bnorder.runs.records import configuration_key
from bnorder.report import replication as rp  # noqa: E402

CPU_CNN = dict(width=16, depth=8, train_subset=4000, epochs=5)
CONVERGED_CNN = dict(width=16, depth=8, train_subset=0, epochs=10)


def make_runs(profile, arch, blocks, seeds, acc=lambda block, seed: 80.0, **config):
    """Completed synthetic records of one network: ``acc(block, seed)`` is the final test
    accuracy (the best-validation epoch's is 0.5 above it)."""
    config = {"width": 256, "depth": 8, "train_subset": 0, "epochs": 10, **config}
    rows = []
    for seed in seeds:
        for block in blocks:
            a = acc(block, seed)
            history = [{"epoch": e, "train_acc": a - 5 + e / 2, "test_acc": a - 1 + e / 10}
                       for e in range(1, config["epochs"] + 1)]
            rows.append({"profile": profile, "path": f"/records/{profile}/{arch}/{block}/seed{seed}.json",
                         "dataset": "fashion-mnist", "arch": arch, "block": block,
                         "seed": seed, "status": "ok", "batch_size": 128, "lr": 1e-3,
                         "val_fraction": 0.1, "final_test_acc": a, "best_val_epoch_test_acc": a + 0.5,
                         "history": history, **config})
    return pd.DataFrame(rows)


def loader(frames):
    """``load(profile)`` over a dict of synthetic records (a missing profile has none)."""
    return lambda profile: frames.get(profile, pd.DataFrame())


def cpu_profile(cnn_seeds=range(5)):
    return pd.concat([make_runs("cpu", "seed-mlp", replication.CASES, range(5), width=512),
                      make_runs("cpu", "mlp", replication.CASES, range(5)),
                      make_runs("cpu", "cnn", replication.CASES, cnn_seeds, **CPU_CNN)], ignore_index=True)


FACTORIAL_BLOCKS = ("bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu")


# ------------------------------------------------------------------ which edition

def test_without_a_converged_edition_the_cnn_is_the_base_profiles_and_says_it_is_early():
    runs, editions = replication.replication_runs(None, "cpu", load=loader({"cpu": cpu_profile()}))
    assert editions == {"seed-mlp": "cpu", "mlp": "cpu", "cnn": "cpu"}
    assert "early training only" in rp.edition_label(runs, editions, "cnn")
    assert "early training only" not in rp.edition_label(runs, editions, "mlp")
    table = rp.setting_table(runs, editions)
    assert list(table.index) == ["cnn", "seed-mlp", "mlp"]
    cnn = table.loc["cnn"]
    assert (cnn["profile"], cnn["size"], cnn["training images"], cnn["epochs"], cnn["paired seeds"],
            cnn["early training only"]) == ("cpu", "8 blocks of 16 channels", "4,000", 5, 5, "yes")
    assert table.loc["seed-mlp", "size"] == "the study's MLP" and table.loc["mlp", "early training only"] == "no"
    assert rp.run_settings(runs) == {"rerun_data": "Fashion-MNIST", "rerun_batch": "128",
                                     "rerun_lr": "0.001", "rerun_val": "10%"}


def test_the_converged_cnn_replaces_the_early_one_and_brings_only_the_three_cases():
    converged = make_runs("cnn-converged", "cnn", FACTORIAL_BLOCKS, range(3), **CONVERGED_CNN)
    frames = {"cpu": cpu_profile(), "cnn-converged": converged}
    runs, editions = replication.replication_runs(None, "cpu", load=loader(frames))
    assert editions == {"seed-mlp": "cpu", "mlp": "cpu", "cnn": "cnn-converged"}
    cnn = runs[runs["arch"] == "cnn"]
    assert set(cnn["profile"]) == {"cnn-converged"} and set(cnn["block"]) == set(replication.CASES)
    assert set(runs.loc[runs["arch"] != "cnn", "profile"]) == {"cpu"}
    assert rp.edition_label(runs, editions, "cnn") == "profile `cnn-converged`"
    cnn = rp.setting_table(runs, editions).loc["cnn"]
    assert (cnn["profile"], cnn["training images"], cnn["epochs"], cnn["paired seeds"],
            cnn["early training only"]) == ("cnn-converged", "all", 10, 3, "no")
    # the base's line about its early CNN no longer describes the chapter
    reductions = rp.reductions(editions, "cpu")
    assert "4,000 training images" not in reductions and "cnn: 16 channels instead of 64" in reductions
    assert reductions.count("Fashion-MNIST") == 1


def test_the_full_size_edition_comes_first():
    frames = {"cpu": cpu_profile(),
              "cnn-converged": make_runs("cnn-converged", "cnn", FACTORIAL_BLOCKS, range(3), **CONVERGED_CNN),
              "factorial-gpu": make_runs("factorial-gpu", "cnn", FACTORIAL_BLOCKS, range(2), width=64,
                                         depth=8, train_subset=0, epochs=10)}
    _, editions = replication.replication_runs(None, "cpu", load=loader(frames))
    assert editions["cnn"] == "factorial-gpu" and editions["mlp"] == "cpu"


def test_an_edition_needs_two_seeds_with_all_three_cases():
    # cnn-converged so far: seed 0 complete, seed 1 without lrelu-bn, failed runs not counted
    partial = pd.concat([make_runs("cnn-converged", "cnn", replication.CASES, [0], **CONVERGED_CNN),
                         make_runs("cnn-converged", "cnn", ["bn-relu", "relu-bn"], [1], **CONVERGED_CNN),
                         make_runs("cnn-converged", "cnn", ["lrelu-bn"], [1],
                                   **CONVERGED_CNN).assign(status="failed")])
    assert replication.complete_seeds(partial) == 1
    frames = {"cpu": cpu_profile(), "cnn-converged": partial}
    runs, editions = replication.replication_runs(None, "cpu", load=loader(frames))
    assert editions["cnn"] == "cpu" and set(runs.loc[runs["arch"] == "cnn", "profile"]) == {"cpu"}


def test_the_base_cnn_is_kept_whatever_its_seeds_and_nothing_gives_nothing():
    one_seed = cpu_profile(cnn_seeds=[0])
    _, editions = replication.replication_runs(None, "cpu", load=loader({"cpu": one_seed}))
    assert editions["cnn"] == "cpu"
    runs, editions = replication.replication_runs(None, "cpu", load=loader({}))
    assert runs.empty and editions == {} and rp.setting_table(runs, editions).empty
    assert set(rp.run_settings(runs).values()) == {"—"}
    assert "cnn: 16 channels instead of 64, 4,000 training images, 5 epochs" in rp.reductions({}, "cpu")


# ------------------------------------------------------------------ the claims as findings

def relu_bn_ahead(block, seed):
    """relu-bn about 1 point ahead of bn-relu in every seed, lrelu-bn level with bn-relu."""
    return (80 + seed / 10 + (1.0 + 0.05 * (seed - 2) if block == "relu-bn" else 0.0)
            + (0.05 * (-1) ** seed if block == "lrelu-bn" else 0))


def synthetic_findings(frames, base="cpu"):
    return {**findings.original_findings(), **findings.replication_findings("/records", base, load=loader(frames))}


def test_unpaired_verdicts_use_welchs_interval_and_count_runs():
    a, b = np.array([80.1, 81.0, 80.5, 81.4, 80.9]), np.array([75.0, 78.2, 76.1, 72.3, 77.0])
    v = verdicts.unpaired_verdict(a, b)
    ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (v.low, v.high) == pytest.approx((ci.low, ci.high))
    assert v.state == "resolved" and v.direction == 1 and v.agree == 5 and v.n == 5


def test_each_claim_of_the_study_has_its_comparison_from_both_experiments_and_from_the_rerun():
    runs = pd.concat([make_runs("cpu", "cnn", replication.CASES, range(5), relu_bn_ahead, **CPU_CNN),
                      make_runs("cpu", "seed-mlp", replication.CASES, range(5), relu_bn_ahead),
                      make_runs("cpu", "mlp", replication.CASES, range(5), relu_bn_ahead)], ignore_index=True)
    found = synthetic_findings({"cpu": runs})
    for arch, block, ref in rp.CLAIMS:
        table = rp.claims_table(arch, found)
        label = rp.comparison_label(block, ref)
        rows = [r for r in table.index if r.startswith(label)]
        studied = {"cnn": ["study, Exp. 1", "study, Exp. 2"], "seed-mlp": ["study, Exp. 2"], "mlp": []}[arch]
        assert rows == [f"{label}, {s}" for s in [*studied, *rp.HERE.values()]], (arch, rows)
        assert (table.loc[rows, "state"] != "not run yet").all()
    cnn = rp.claims_table("cnn", found)
    assert cnn.loc["case 2 − case 1, study, Exp. 1", "state"] == "positive"       # the study's data
    assert cnn.loc["case 2 − case 1, here, last epoch", "state"] == "positive"    # the synthetic rerun
    assert cnn.loc["case 2 − case 1, here, last epoch", "seeds"] == 5
    # the MLPs carry the margin of "hardly matters": lrelu-bn level with bn-relu is equivalent
    assert rp.claims_table("mlp", found).loc["case 3 − case 1, here, last epoch", "state"] == "equivalent"


def test_a_network_with_no_runs_shows_not_run_yet():
    runs = make_runs("cpu", "cnn", replication.CASES, range(5), relu_bn_ahead, **CPU_CNN)
    found = synthetic_findings({"cpu": runs})
    table = rp.claims_table("seed-mlp", found)
    here = [r for r in table.index if ", here," in r]
    assert here and (table.loc[here, "state"] == "not run yet").all()
    assert (table.drop(index=here)["state"] != "not run yet").all()              # the study's runs are data


def test_the_rerun_findings_are_the_paired_differences_of_the_records():
    runs = make_runs("cpu", "mlp", replication.CASES, range(5), relu_bn_ahead)
    found = synthetic_findings({"cpu": runs})
    d = replication.paired(runs, "mlp", "relu-bn", "bn-relu")
    entry = found["replication-mlp-case2-vs-case1"]
    assert entry["n"] == 5 and entry["mean"] == pytest.approx(d.mean()) and entry["seeds"] == list(range(5))
    assert entry["profile"] == "cpu" and entry["records"] == {f"cpu/mlp/{b}": list(range(5))
                                                             for b in ("bn-relu", "relu-bn")}
    assert found["replication-mlp-case2-vs-case1-best-val"]["mean"] == pytest.approx(d.mean())  # both +0.5
    assert entry["margin"] == replication.HARDLY and "replication-cnn-case2-vs-case1" not in found


def test_a_chapter_on_another_profile_computes_its_own_rerun_findings(monkeypatch, tmp_path):
    from bnorder import report

    monkeypatch.setattr(report, "findings", lambda: {"replication-mlp-case2-vs-case1": {"n": 99}})
    monkeypatch.setattr(findings, "replication_findings", lambda results, base: {"from": base})
    assert rp.chapter_findings(report.ROOT / "results", findings.REPLICATION_BASE) == {
        "replication-mlp-case2-vs-case1": {"n": 99}}                          # the committed file
    assert rp.chapter_findings(report.ROOT / "results", "seed")["from"] == "seed"
    assert rp.chapter_findings(tmp_path, findings.REPLICATION_BASE)["from"] == findings.REPLICATION_BASE


def test_the_study_cannot_show_its_mlp_claim_even_with_the_margin():
    """The chapter says the study's MLP intervals are too wide to fit inside the margin; the
    figure's comparisons carry the margin, the findings do not."""
    t = rp.comparisons(pd.DataFrame()).set_index(["arch", "block", "ref", "source"])["state"].sort_index()
    assert (t.loc["seed-mlp"] == "unresolved").all()
    facts = rp.study_facts()
    assert facts["study_runs"] == "5" and facts["study_epochs"] == "10"
    assert (facts["sd_low"], facts["sd_high"]) == ("0.60", "2.87")


def test_the_rerun_mlp_is_the_network_the_factorial_design_and_the_conclusion_train():
    """The chapter sets the rerun's mlp beside the factorial design's and the Conclusion's MLP."""
    import json

    from bnorder.runs.config import RunConfig

    def key(profile):
        path = findings.ROOT / "results" / profile / "fashion-mnist" / "mlp" / "bn-relu" / "seed0.json"
        return configuration_key({**RunConfig().as_dict(), **json.loads(path.read_text())["config"]})

    assert key("cpu") == key("factorial") == key("why-bn-eval")


# ------------------------------------------------------------------ spread

def test_a_spread_ratio_whose_interval_excludes_one_is_a_resolved_finding():
    def acc(block, seed):   # relu-bn barely moves between seeds, bn-relu by several points
        return 80 + (seed * 3.0 * (-1) ** seed if block == "bn-relu" else seed * 0.01)

    runs = make_runs("cpu", "mlp", replication.CASES, range(8), acc)
    rows = replication.spread_rows(runs)
    here = rows[(rows["source"] == "here") & (rows["block"] == "relu-bn")].iloc[0]
    assert here["n"] == 8 and here["high"] < 1
    found = synthetic_findings({"cpu": runs})
    entry = found["replication-mlp-case2-vs-case1-spread"]
    assert entry["mean"] == pytest.approx(here["ratio"]) and findings.claim_state(entry) == "negative"
    assert findings.claim_state(found["original-exp1-cnn-case2-vs-case1-spread"]) == "unresolved"
    table = rp.spread_table(rows)
    assert list(table.columns) == ["study, Exp. 1", "study, Exp. 2", "here"]


# ------------------------------------------------------------------ status

def test_without_records_the_chapter_says_so_and_how_to_make_them():
    note = rp.status_note(pd.DataFrame(), "smoke", "/tmp/none").data
    assert "**No completed run records of profile `smoke` were found**" in note
    assert "`python -m bnorder sweep --profile smoke`" in note


def test_the_figures_draw():
    runs = cpu_profile()
    fig = rp.claims_figure(rp.comparisons(runs))
    assert [ax.get_title() for ax in fig.axes] == ["cnn", "seed-mlp", "mlp"]
    assert [ax.get_title() for ax in rp.curves_figure(runs).axes[:3]] == ["cnn", "seed-mlp", "mlp"]


def test_every_spread_the_chapter_can_cite_is_a_finding():
    found = findings.read()
    assert set(rp.spread_ids()) <= set(found)
    assert len(rp.spread_ids()) == 2 * (2 + 1) + 2 * (1 + 1) + 2 * 1    # cnn, seed-mlp, mlp
