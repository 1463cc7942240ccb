"""One run as a user starts it by hand: where its record goes, what it never replaces, what a
misspelt parameter and a missing data set say. (The notebook end to end: tests/test_notebook.py.)"""

import json
import subprocess
import sys

import pytest

from bnorder.runs.config import (
    ADHOC_RESULTS_DIR,
    check_parameter_names,
    config_hash,
    injected_names,
    make_config,
)
from bnorder.runs.records import RecordExistsError, record_path, write_json_atomic
from bnorder.train import run as run_mod
from bnorder.train.run import run_and_record, to_terminal

TINY = dict(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=1, device="cpu")


def test_an_adhoc_run_writes_outside_the_published_results_tree(repo_root):
    assert make_config().results_dir == ADHOC_RESULTS_DIR
    assert record_path(make_config(block="case3")).as_posix() == \
        "runs-adhoc/adhoc/cifar10/cnn/lrelu-bn/seed0.json"
    # a sweep's profile writes results/ as before; a folder given explicitly is kept
    assert make_config(profile="factorial").results_dir == "results"
    assert make_config(results_dir="elsewhere").results_dir == "elsewhere"
    # and git ignores the ad-hoc folder, so it never reaches the published book
    ignored = subprocess.run(["git", "check-ignore", "-q", "runs-adhoc/adhoc/cifar10/cnn/bn-relu/seed0.json"],
                             cwd=repo_root)
    assert ignored.returncode == 0


def test_the_adhoc_folder_does_not_change_the_config_hash():
    assert config_hash(make_config(**TINY)) == config_hash(make_config(**TINY, profile="p"))


def test_injected_names_are_read_from_papermills_injected_cell_only():
    history = ["", '# Parameters: papermill overrides any of these with -p NAME VALUE.\nepochs = 10\n',
               '# Parameters\nblock = "case3"\nepoch = 1\n', "cfg = make_config()"]
    assert injected_names(history) == ["block", "epoch"]
    assert injected_names(["", "epochs = 10", "x = 1"]) == []  # not run by papermill


def test_a_misspelt_parameter_is_named_with_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) epoch \(did you mean epochs\?\); "
                                         r"valid parameters: .*n_seeds.*width"):
        check_parameter_names(["block", "epoch"], extra=("progress", "n_seeds"))
    check_parameter_names(["block", "epochs", "n_seeds"], extra=("progress", "n_seeds"))


def test_a_run_of_another_configuration_refuses_before_training(tmp_path, monkeypatch):
    first, path = run_and_record(make_config(**TINY, results_dir=str(tmp_path)), progress=False)
    monkeypatch.setattr(run_mod, "train_run", lambda *a, **k: pytest.fail("trained"))
    other = make_config(**TINY, lr=3e-3, results_dir=str(tmp_path))
    with pytest.raises(RecordExistsError, match=f"{path} holds the record of another configuration.*"
                                                f"-p results_dir {tmp_path}/other"):
        run_and_record(other, progress=False)
    assert json.loads(path.read_text()) == first  # untouched


def test_the_same_configuration_and_a_failed_record_are_replaced(tmp_path):
    cfg = make_config(**TINY, results_dir=str(tmp_path))
    first, path = run_and_record(cfg, progress=False)
    again, _ = run_and_record(cfg, progress=False)  # the same run written again
    assert again["config_hash"] == first["config_hash"]
    # a failed record (the sweep's "run me again"; no numbers) of another configuration
    write_json_atomic(path, {**first, "status": "failed", "config_hash": "0" * 16})
    record, _ = run_and_record(cfg, progress=False)
    assert json.loads(path.read_text())["status"] == "ok" == record["status"]


def test_a_missing_data_set_renders_as_one_line_saying_how_to_get_it(tmp_path):
    from bnorder.train.data import load_dataset

    with pytest.raises(FileNotFoundError) as e:
        load_dataset("cifar10", tmp_path / "empty", download=False)
    lines = e.value._render_traceback_()  # what IPython, so the notebook and papermill, shows
    assert len(lines) == 1 and "\n" not in lines[0]
    assert lines[0].startswith("FileNotFoundError: CIFAR-10 is not in")
    assert "cifar-10-python.tar.gz" in lines[0] and "-p data_root" in lines[0]


def test_to_terminal_writes_to_the_process_streams(capfd):
    with to_terminal(True):
        assert sys.stdout is sys.__stdout__ and sys.stderr is sys.__stderr__
        print("record: here")
    assert "record: here" in capfd.readouterr().out
    before = sys.stdout
    with to_terminal(False):
        assert sys.stdout is before
