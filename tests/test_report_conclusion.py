"""The Conclusion's figure and tables follow the records; its argument is prose, held to the
records by its claims (tests/test_findings.py)."""

import json

import matplotlib
import pytest

from bnorder.findings.order_effects import cnn_readings
from bnorder.report import conclusion as cc

matplotlib.use("Agg")


def test_the_cnn_is_read_twice_per_run_pooling_every_record_of_its_configuration():
    table = cnn_readings("results")
    from bnorder import findings

    found = findings.read()
    for block in ("bn-relu", "relu-bn"):
        for reading, measure in (("running", "accuracy"), ("precise", "accuracy-precise")):
            values = table[(table["block"] == block) & (table["reading"] == reading)]["test_acc"]
            entry = found[f"cnn-pooled-{measure}-{block}"]
            assert len(values) == entry["n"] and values.mean() == pytest.approx(entry["mean"], abs=1e-3)
    labels = [t.get_text() for t in cc.cnn_readings_figure(table).axes[0].get_xticklabels()]
    # each block's label counts that block's own seeds, which may exceed the paired count
    # while a partner run is still training
    assert labels[0].startswith("bn-relu") and f"{found['cnn-pooled-accuracy-bn-relu']['n']} seeds" in labels[0]


def test_no_records_give_an_empty_figure_not_an_error(tmp_path):
    table = cnn_readings(tmp_path)
    assert table.empty
    cc.cnn_readings_figure(table)


def test_the_rerun_table_says_whether_each_full_size_edition_has_records(tmp_path):
    assert set(cc.rerun_table(tmp_path / "none")["records"]) == {"not run yet"}
    record = tmp_path / "factorial-gpu" / "cifar10" / "cnn" / "bn-relu" / "seed0.json"
    record.parent.mkdir(parents=True)
    from bnorder.runs.config import RunConfig
    record.write_text(json.dumps({"schema": 1, "status": "ok", "failure": None, "config_hash": "x",
                                  "config": {**RunConfig().as_dict(), "profile": "factorial-gpu"},
                                  "n_params": 1, "epochs": [], "summary": {"final_test_acc": 1.0},
                                  "provenance": {}}))
    assert cc.rerun_table(tmp_path).loc["factorial-gpu", "records"] == "present"


def test_a_one_knob_arm_is_read_from_its_own_profiles_runs(tmp_path):
    from test_findings import record

    record(tmp_path, "cnn-converged", "bn-relu", 10, 90.0)
    record(tmp_path, "cnn-converged-width32", "bn-relu", 10, 80.0, width=32)
    record(tmp_path, "cnn-converged-width32", "relu-bn", 10, 81.0, width=32)
    table = cnn_readings(tmp_path, "cnn-width32")
    running = table[table["reading"] == "running"].set_index("block")["test_acc"].to_dict()
    assert running == {"bn-relu": 80.0, "relu-bn": 81.0}
    assert set(cnn_readings(tmp_path)["test_acc"]) == {90.0, 90.5}     # the base: its own runs
