"""The Replication chapter's logic, computed without building the book: which edition each
network comes from, and the facts and sentences the chapter glues."""

import matplotlib
import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

matplotlib.use("Agg")

from bnorder import reference  # noqa: E402
from bnorder import verdicts  # noqa: E402
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
            rows.append({"profile": profile, "dataset": "fashion-mnist", "arch": arch, "block": block,
                         "seed": seed, "status": "ok", "batch_size": 128, "lr": 1e-3,
                         "val_fraction": 0.1, "final_test_acc": a, "best_val_epoch_test_acc": a + 0.5,
                         "history": history, **config})
    return pd.DataFrame(rows)


def loader(frames):
    """``load(profile)`` over a dict of synthetic records (a missing profile has none)."""
    return lambda profile: frames.get(profile, pd.DataFrame())


def cpu_profile(cnn_seeds=range(5)):
    return pd.concat([make_runs("cpu", "seed-mlp", rp.CASES, range(5), width=512),
                      make_runs("cpu", "mlp", rp.CASES, range(5)),
                      make_runs("cpu", "cnn", rp.CASES, cnn_seeds, **CPU_CNN)], ignore_index=True)


FACTORIAL_BLOCKS = ("bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu")


# ------------------------------------------------------------------ which edition

def test_without_a_converged_edition_the_cnn_is_the_base_profiles_and_says_it_is_early():
    runs, editions = rp.replication_runs(None, "cpu", load=loader({"cpu": cpu_profile()}))
    assert editions == {"seed-mlp": "cpu", "mlp": "cpu", "cnn": "cpu"}
    assert "early training only" in rp.edition_label(runs, editions, "cnn")
    assert "early training only" not in rp.edition_label(runs, editions, "mlp")
    text = rp.setting(runs, editions)
    assert ("the cnn from profile `cpu`: 8 blocks of 16 channels, 4,000 training images, 5 epochs "
            "(early training only), 5 paired seeds") in text
    assert "the seed-mlp from profile `cpu`: the study's MLP" in text
    assert "Fashion-MNIST" in text and "10% of the training images" in text


def test_the_converged_cnn_replaces_the_early_one_and_brings_only_the_three_cases():
    converged = make_runs("cnn-converged", "cnn", FACTORIAL_BLOCKS, range(3), **CONVERGED_CNN)
    frames = {"cpu": cpu_profile(), "cnn-converged": converged}
    runs, editions = rp.replication_runs(None, "cpu", load=loader(frames))
    assert editions == {"seed-mlp": "cpu", "mlp": "cpu", "cnn": "cnn-converged"}
    cnn = runs[runs["arch"] == "cnn"]
    assert set(cnn["profile"]) == {"cnn-converged"} and set(cnn["block"]) == set(rp.CASES)
    assert set(runs.loc[runs["arch"] != "cnn", "profile"]) == {"cpu"}
    assert rp.edition_label(runs, editions, "cnn") == "profile `cnn-converged`"
    text = rp.setting(runs, editions)
    assert ("the cnn from profile `cnn-converged`: 8 blocks of 16 channels, the full training split, "
            "10 epochs, 3 paired seeds") in text
    assert "early training only" not in text
    # the base's line about its early CNN no longer describes the chapter
    reductions = rp.reductions(editions, "cpu")
    assert "4,000 training images" not in reductions and "cnn: 16 channels instead of 64" in reductions
    assert reductions.count("Fashion-MNIST") == 1


def test_the_full_size_edition_comes_first():
    frames = {"cpu": cpu_profile(),
              "cnn-converged": make_runs("cnn-converged", "cnn", FACTORIAL_BLOCKS, range(3), **CONVERGED_CNN),
              "factorial-gpu": make_runs("factorial-gpu", "cnn", FACTORIAL_BLOCKS, range(2), width=64,
                                         depth=8, train_subset=0, epochs=10)}
    _, editions = rp.replication_runs(None, "cpu", load=loader(frames))
    assert editions["cnn"] == "factorial-gpu" and editions["mlp"] == "cpu"


def test_an_edition_needs_two_seeds_with_all_three_cases():
    # cnn-converged so far: seed 0 complete, seed 1 without lrelu-bn, failed runs not counted
    partial = pd.concat([make_runs("cnn-converged", "cnn", rp.CASES, [0], **CONVERGED_CNN),
                         make_runs("cnn-converged", "cnn", ["bn-relu", "relu-bn"], [1], **CONVERGED_CNN),
                         make_runs("cnn-converged", "cnn", ["lrelu-bn"], [1],
                                   **CONVERGED_CNN).assign(status="failed")])
    assert rp.complete_seeds(partial) == 1
    frames = {"cpu": cpu_profile(), "cnn-converged": partial}
    runs, editions = rp.replication_runs(None, "cpu", load=loader(frames))
    assert editions["cnn"] == "cpu" and set(runs.loc[runs["arch"] == "cnn", "profile"]) == {"cpu"}


def test_the_base_cnn_is_kept_whatever_its_seeds_and_nothing_gives_nothing():
    one_seed = cpu_profile(cnn_seeds=[0])
    _, editions = rp.replication_runs(None, "cpu", load=loader({"cpu": one_seed}))
    assert editions["cnn"] == "cpu"
    runs, editions = rp.replication_runs(None, "cpu", load=loader({}))
    assert runs.empty and editions == {} and rp.setting(runs, editions) == ""
    assert "cnn: 16 channels instead of 64, 4,000 training images, 5 epochs" in rp.reductions({}, "cpu")


# ------------------------------------------------------------------ verdicts and sentences

def test_unpaired_verdicts_use_welchs_interval_and_count_runs():
    a, b = np.array([80.1, 81.0, 80.5, 81.4, 80.9]), np.array([75.0, 78.2, 76.1, 72.3, 77.0])
    v = verdicts.unpaired_verdict(a, b)
    ci = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (v.low, v.high) == pytest.approx((ci.low, ci.high))
    assert v.state == "resolved" and v.direction == 1 and v.agree == 5 and v.n == 5
    text = rp.describe_runs(v, "case 2 scores higher", "case 2 scores lower")
    assert text.startswith("case 2 scores higher by") and "5 of 5 runs agree" in text
    close = verdicts.unpaired_verdict(a, a[::-1] + 0.3)
    text = rp.describe_runs(close, "case 2 scores higher", "case 2 scores lower")
    assert close.state == "unresolved" and "leans towards 'case 2 scores lower'" in text
    assert "runs per case would resolve" in text and "seeds" not in text


def test_claims_follow_the_data_here_and_in_the_study():
    def acc(block, seed):   # relu-bn about 1 point ahead of bn-relu in every seed, lrelu-bn level with it
        return (80 + seed / 10 + (1.0 + 0.05 * (seed - 2) if block == "relu-bn" else 0.0)
                + (0.05 * (-1) ** seed if block == "lrelu-bn" else 0))

    runs = pd.concat([make_runs("cpu", "cnn", rp.CASES, range(5), acc, **CPU_CNN),
                      make_runs("cpu", "mlp", rp.CASES, range(5), acc)], ignore_index=True)
    editions = {"cnn": "cpu", "mlp": "cpu"}
    text = rp.claims_text(runs, editions)
    cnn = text.split("- **")[1]
    assert ("Here (cnn, profile `cpu`, early training only): at the last epoch, case 2 scores "
            "higher than case 1 by 1.00 points") in cnn
    assert "in Experiment 1, case 2 scores higher than case 1 by 5.37 points" in cnn       # the study's data
    mlp_case3 = text.split("- **")[6]
    assert "at the last epoch, equivalent within ±0.50 points" in mlp_case3    # the MLP's margin
    assert "Here: not run yet." in text.split("- **")[3]                      # no seed-mlp runs
    summary = rp.rerun_summary(runs, editions)
    assert summary.startswith("At the last epoch of our rerun, the cnn (profile `cpu`, early training only) "
                              "resolves case 2 ahead of case 1")
    assert "At the best-validation epoch, the cnn" in summary
    assert "the mlp (profile `cpu`) resolves case 2 ahead of case 1" in summary
    assert "puts case 3 − case 1 within the margin" in summary


def test_the_summary_says_when_there_are_too_few_seeds():
    runs = make_runs("smoke", "mlp", rp.CASES, [0])
    summary = rp.rerun_summary(runs, {"mlp": "smoke"})
    assert "has too few paired seeds to judge (1)" in summary
    assert rp.rerun_summary(pd.DataFrame(), {}).startswith("*Our rerun has no")


def test_the_prose_about_the_studys_own_runs_holds():
    """The chapter states these about the study's fixed data in plain words; they must stay true."""
    t = rp.comparisons(pd.DataFrame()).set_index(["arch", "block", "ref", "source"])["state"].sort_index()
    assert t[("cnn", "relu-bn", "bn-relu", "exp1")] == "resolved"            # case 1 behind in Exp. 1
    assert t[("cnn", "lrelu-bn", "bn-relu", "exp1")] == "resolved"
    assert t[("cnn", "relu-bn", "bn-relu", "exp2")] == "unresolved"          # not resolvably in Exp. 2
    assert t[("cnn", "lrelu-bn", "bn-relu", "exp2")] == "unresolved"
    assert (t.loc[("cnn", "lrelu-bn", "relu-bn")] == "unresolved").all()       # case 3 over 2: neither
    assert (t.loc["seed-mlp"] == "unresolved").all()                           # MLP: none resolved or equivalent
    facts = rp.study_facts()
    assert facts["study_runs"] == "5" and facts["study_epochs"] == "10"
    assert (facts["sd_low"], facts["sd_high"]) == ("0.60", "2.87")


# ------------------------------------------------------------------ spread

def test_sd_ratio_intervals_unpaired_f_and_paired_pitman_morgan():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 8), rng.normal(0, 2, 8)
    ratio, low, high = rp.sd_ratio(a, b, paired_runs=False)
    f = a.var(ddof=1) / b.var(ddof=1)
    assert ratio == pytest.approx(np.sqrt(f))
    assert low ** 2 == pytest.approx(f / sps.f.ppf(0.975, 7, 7))
    assert high ** 2 == pytest.approx(f / sps.f.ppf(0.025, 7, 7))
    # Pitman-Morgan: at either end the test of that variance ratio sits exactly at the t bound
    x = rng.normal(0, 1, 10)
    y = 0.6 * x + rng.normal(0, 1, 10)
    ratio, low, high = rp.sd_ratio(x, y, paired_runs=True)
    r, n, t = np.corrcoef(x, y)[0, 1], 10, sps.t.ppf(0.975, 8)
    for bound in (low, high):
        u = ratio ** 2 / bound ** 2
        assert abs(u - 1) * np.sqrt(n - 2) / (2 * np.sqrt(u * (1 - r ** 2))) == pytest.approx(t)
    assert np.isnan(rp.sd_ratio([1.0, 2.0], [1.0, 3.0], paired_runs=True)[0])


def test_the_spread_sentence_names_the_direction_of_a_resolved_ratio():
    def acc(block, seed):   # relu-bn barely moves between seeds, bn-relu by several points
        return 80 + (seed * 3.0 * (-1) ** seed if block == "bn-relu" else seed * 0.01)

    runs = make_runs("cpu", "mlp", rp.CASES, range(8), acc)
    rows = rp.spread_rows(runs)
    text = rp.spread_text(rows)
    assert "and here, 2 of 2 ratios are resolved" in text
    assert "mlp's case 2 spreads less than case 1" in text
    table = rp.spread_table(rows)
    assert list(table.columns) == ["study, Exp. 1", "study, Exp. 2", "here"]


# ------------------------------------------------------------------ the study's runs, epoch by epoch

def test_epoch_facts_of_the_studys_runs():
    facts = rp.epoch_facts()
    assert facts["ep_final_d"] == "-5.78" and facts["ep_final_dir"] == "below"
    assert facts["ep_tables_verdict"].endswith(
        "disagree about case 1's deficit by more than the spread of their runs allows")
    assert facts["ep_survive"].startswith(
        "Case 1 worse than case 2 and case 1 worse than case 3 are resolved under every score")
    assert set(facts) >= {"ep_last3_epochs", "ep_rank_exp2_steps", "ep_change_dip_share", "ep_n"}


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
    assert len(rp.epochs_figure().axes) == 3
