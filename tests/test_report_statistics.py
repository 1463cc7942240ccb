"""The Statistics chapter's tables, figures and numbers, computed without building the book."""

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from bnorder.report import statistics as st  # noqa: E402

CELL = {"bn-relu": 82.0, "relu-bn": 81.0, "bn-lrelu": 82.0, "lrelu-bn": 81.0, "relu": 70.0}


def runs(seeds=6, arch="mlp", seed_noise=(0.9, -0.6, 0.3, 0.0, -0.3, 0.6, 0.1, -0.1),
         cell_noise=0.2):
    """The 2x2 cells plus the baseline; BatchNorm after the activation costs one point. Each seed
    shifts every block by the same amount, and each cell gets a little noise of its own."""
    rng = np.random.default_rng(0)
    rows = [{"arch": arch, "block": b, "seed": s, "status": "ok",
             "final_test_acc": v + seed_noise[s] + cell_noise * rng.normal()}
            for s in range(seeds) for b, v in CELL.items()]
    return pd.DataFrame(rows)


def original(final=None):
    """A hand-made original study: Experiment 1 (CNN, three epochs per run) and Experiment 2."""
    final = final or {"case1": 75.0, "case2": 80.0, "case3": 81.0}
    rows = []
    for case, level in final.items():
        for run in range(1, 6):
            noise = (run - 3) * 0.4
            for epoch, lift in ((1, -5.0), (2, 0.5), (3, 0.0)):
                rows.append(("exp1", "cnn", case, run, epoch, level + lift + noise))
            rows.append(("exp2", "cnn", case, run, 3, level + noise))
            rows.append(("exp2", "mlp", case, run, 3, 55.0 + noise * (1 + len(rows) % 3)))
    frame = pd.DataFrame(rows, columns=["experiment", "arch", "case", "run", "epoch", "test_acc"])
    from bnorder.analysis.original_study import _named

    return _named(frame)


def test_effects_carry_the_verdict_and_the_spread_over_seeds():
    eff = st.effects(runs()).set_index("label")
    pos = eff.loc["position"]
    assert pos["mean"] == pytest.approx(-1.0, abs=0.3) and pos["state"] == "resolved"
    assert pos["sd"] == pytest.approx(np.std(pos["values"], ddof=1))
    assert np.isfinite(pos["seeds_needed"]) and pos["seeds_needed"] <= 6


def test_power_table_shows_position_and_activation_without_p_values():
    table = st.power_table(st.effects(runs()))
    assert list(table["effect"]) == ["position", "activation"]
    assert not any("p" == c or "Holm" in c for c in table.columns)
    pos = table.iloc[0]
    assert pos["power now"] == "> 0.99" and float(pos["detectable now (points)"]) < 1.0
    assert st.power_text(5, 0.0) == "0.05" and st.power_text(5, np.nan) == "—"


def test_seeds_figure_draws_one_row_per_effect_and_says_so_when_empty():
    fig = st.seeds_figure(st.effects(runs()))
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[-1] == "mlp: position" and len(labels) == 4
    empty = st.seeds_figure(st.effects(pd.DataFrame()))
    assert "no complete paired seeds yet" in [t.get_text() for t in empty.axes[0].texts]


def test_coverage_is_read_from_its_record_with_one_value_per_population_seeds_and_method(tmp_path):
    import pytest

    from bnorder.analysis import interval_coverage as coverage_record
    with pytest.raises(FileNotFoundError, match="python -m bnorder coverage"):
        st.coverage(tmp_path)
    coverage_record.write(tmp_path, reps=20)
    cov, reps = st.coverage(tmp_path)
    assert reps == 20 and coverage_record.load(tmp_path)["provenance"]["scipy_version"]
    assert len(cov) == 2 * len(st.COVERAGE_SEEDS) * len(st.COVERAGE_METHODS)
    assert cov["coverage"].between(0, 1).all()
    facts = st.coverage_facts(cov, reps=20)
    assert facts["few"] == st.FEW_SEEDS and facts["t_few"].endswith("%")
    assert len(st.coverage_figure(cov, reps=20).axes) == 2


def test_interval_table_sets_the_bootstrap_beside_the_t_interval():
    table = st.interval_table(st.effects(runs()))
    assert list(table["effect"]) == ["position", "activation"]
    assert (table["width, BCa / t"] < 1).all()      # the bootstrap is narrower with six seeds
    assert st.ratio_range(table).count("–") <= 1 and st.ratio_range(table.iloc[:0]) == "—"


def test_permutation_floor_is_two_over_two_to_the_n():
    assert st.permutation_floor(5) == "1/16" and st.permutation_floor(3) == "1/4"
    assert st.fewest_seeds(st.effects(runs(seeds=4))) == 4
    assert st.fewest_seeds(st.effects(pd.DataFrame())) == st.FEW_SEEDS


def test_probability_of_improvement_is_resolved_when_its_interval_excludes_one_half():
    assert st.improvement_state({"prob_improvement": 0.1, "ci_low": 0.0, "ci_high": 0.3}, "a", "b") == ("resolved", "b")
    assert st.improvement_state({"prob_improvement": 0.9, "ci_low": 0.7, "ci_high": 1.0}, "a", "b") == ("resolved", "a")
    assert st.improvement_state({"prob_improvement": 0.6, "ci_low": 0.3, "ci_high": 0.9}, "a", "b") == ("unresolved", "a")
    assert st.improvement_state({"prob_improvement": 0.5, "ci_low": np.nan, "ci_high": np.nan}, "a", "b") == ("—", "—")
    table = st.improvement_table(runs())
    row = table.set_index("what differs").loc["position, with ReLU"]
    assert row["A vs B"] == "relu-bn vs bn-relu" and (row["state"], row["leans to"]) == ("resolved", "bn-relu")
    assert st.improvement_counts(table) == (len(st.PAIRS), int((table["state"] == "resolved").sum()))


def test_pairing_table_shows_what_pairing_removes():
    row = st.pairing_table(runs(cell_noise=0.05)).loc["mlp"]
    assert row["seeds"] == 6
    assert int(row["variance pairing removes"].rstrip("%")) >= 95    # the seed sets almost all of it
    assert float(row["seeds, paired / unpaired"]) < 0.05
    assert float(row["sd of a paired difference"]) < float(row["sd of one block"])
    assert st.pairing_table(pd.DataFrame()).empty


def test_consistency_finds_which_standard_deviation_the_tables_printed():
    orig = original()
    final = orig[orig["epoch"] == 3]
    g = final.groupby(["experiment", "arch", "case"])["test_acc"]
    printed = pd.DataFrame([(e, a, c, f"{m:.2f}", f"{s:.2f}") for (e, a, c), m, s in
                            zip(g.mean().index, g.mean(), g.std(ddof=0))],
                           columns=["experiment", "arch", "case", "mean", "std"])
    cons = st.consistency(orig, printed)
    facts = st.consistency_facts(cons)
    assert cons["ddof0_matches"].all() and not cons["ddof1_matches"].any()
    assert (facts["ddof0"], facts["ddof1"], facts["means_match"]) == (len(cons), 0, len(cons))
    assert facts["ratio"] == f"{np.sqrt(5 / 4):.3f}"
    assert list(st.consistency_table(cons).columns)[-2:] == ["sd, ddof=0", "sd, ddof=1"]


def test_the_ranking_check_is_stated_per_score():
    table = st.ranking_table(original())
    assert list(table["score"]) == list(st.SCORE_NAMES.values())
    assert (table["cases, best first"] == "case3 > case2 > case1").all()
    assert (table["ranking survives"] == "yes").all()
    facts = st.ranking_facts(original())
    assert facts["final"] == "case3 > case2 > case1" and float(facts["optimism"]) > 0
    # a best epoch that reorders the cases: case 1 peaks high at epoch 2 in every run
    flipped = original()
    flipped.loc[(flipped["case"] == "case1") & (flipped["epoch"] == 2), "test_acc"] += 10
    t = st.ranking_table(flipped).set_index("score")
    assert t.loc["best test epoch (peeks)", "ranking survives"] == "no"


def test_original_power_gives_intervals_and_power_but_no_p_values():
    table = st.original_power(original())
    assert len(table) == len(st.INTERPRETED_DIFFERENCES)
    assert "power with 5 runs" in table.columns and "Welch p" not in table.columns
    first = table.iloc[0]
    assert first["comparison"] == "Exp. 1 CNN: case2 − case1" and first["verdict"] == "resolved"
    assert first["power with 5 runs"] == "> 0.99"
    assert st.low_power_count(table) == f"{len(table) - 2} of {len(table)}"
    facts = st.original_detectable(original())
    assert facts["runs"] == 5 and float(facts["d80"]) == pytest.approx(2.02, abs=0.01)


def test_the_original_protocol_is_read_from_the_runs():
    assert st.original_facts(original()) == {"epochs": 3}
    assert st.original_detectable(original())["runs"] == 5


def test_replication_and_statistics_count_the_same_runs_needed_for_the_same_original_contrasts():
    from bnorder.analysis.original_study import load_original_runs
    from bnorder.report import replication as rp

    orig = load_original_runs()
    blocks = {"case1": "bn-relu", "case2": "relu-bn", "case3": "lrelu-bn"}
    here = rp.comparisons(pd.DataFrame(columns=["arch", "block", "seed", "status", "final_test_acc"]))
    stat = st.original_power(orig).set_index("comparison")
    compared = 0
    for exp, arch, a, b in st.INTERPRETED_DIFFERENCES:
        rows = here[(here["source"] == exp) & (here["block"] == blocks[a]) & (here["ref"] == blocks[b])
                    & (here["arch"] == ("cnn" if arch == "cnn" else "seed-mlp"))]
        counted = stat.loc[f"Exp. {exp[-1]} {arch.upper()}: {a} − {b}", "runs for 80% power"]
        assert len(rows) == 1 and counted == an_text(rows.iloc[0]["seeds_needed"])
        compared += 1
    assert compared == len(st.INTERPRETED_DIFFERENCES)


def an_text(needed):
    from bnorder.report.style import seeds_needed_text

    return seeds_needed_text(needed)
