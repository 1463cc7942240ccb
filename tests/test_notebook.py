"""notebooks/train.ipynb: one papermill execution per run, bad parameters stop it at once."""

import json

import papermill as pm
import pytest

from bnorder.runs.execute import KERNEL_START_TIMEOUT

pytestmark = pytest.mark.slow

SMOKE = dict(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=1, profile="nbtest", progress=False)


def execute(repo_root, tmp_path, **params):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(repo_root / "notebooks" / "train.ipynb"), str(out), kernel_name="python3",
                        parameters={"results_dir": str(tmp_path / "results"), **params},
                        progress_bar=False, cwd=str(tmp_path), start_timeout=KERNEL_START_TIMEOUT)
    return out


def test_source_notebook_is_committed_without_outputs(repo_root):
    nb = json.loads((repo_root / "notebooks" / "train.ipynb").read_text())
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    assert sum("parameters" in c["metadata"].get("tags", []) for c in nb["cells"]) == 1


def test_papermill_run_with_smoke_parameters_writes_a_valid_record(repo_root, tmp_path):
    execute(repo_root, tmp_path, block="case3", **SMOKE)
    path = tmp_path / "results" / "nbtest" / "synthetic" / "mlp" / "lrelu-bn" / "seed0.json"
    record = json.loads(path.read_text())
    assert record["status"] == "ok" and record["config"]["block"] == "lrelu-bn"
    assert len(record["epochs"]) == 1 and record["summary"]["final_test_acc"] is not None


@pytest.mark.parametrize("params,message", [
    (dict(block="case9"), "valid blocks: bn-relu"),
    (dict(arch="resnet"), "valid archs: cnn, mlp, seed-mlp"),
    (dict(epochs=0), "epochs must be a positive integer"),
    (dict(lr=-1), "lr must be positive"),
    (dict(n_seeds=0), "n_seeds must be a positive integer"),
])
def test_bad_parameter_stops_the_notebook_before_training_with_the_valid_values(repo_root, tmp_path,
                                                                                params, message):
    with pytest.raises(pm.PapermillExecutionError, match=message) as e:
        execute(repo_root, tmp_path, **{**SMOKE, **params})
    assert e.value.exec_count <= 3  # stopped in the validation cell, before training
    assert not (tmp_path / "results").exists()


def test_n_seeds_trains_seeds_together_and_writes_one_record_per_seed(repo_root, tmp_path):
    execute(repo_root, tmp_path, block="relu-bn", n_seeds=2, seed=3, **SMOKE)
    folder = tmp_path / "results" / "nbtest" / "synthetic" / "mlp" / "relu-bn"
    records = [json.loads((folder / f"seed{k}.json").read_text()) for k in (3, 4)]
    assert [r["config"]["seed"] for r in records] == [3, 4]
    assert all(r["provenance"]["fused_seeds"] == 2 for r in records)
    assert records[0]["epochs"][0]["test_acc"] != records[1]["epochs"][0]["test_acc"]


def test_the_parameters_cell_declares_every_knob_of_the_config_with_its_default(repo_root):
    import ast
    from dataclasses import fields

    from bnorder.runs.config import RunConfig
    nb = json.loads((repo_root / "notebooks" / "train.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    declared = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse("".join(cell["source"])).body if isinstance(node, ast.Assign)}
    for f in fields(RunConfig):
        assert declared[f.name] == f.default, f.name
    assert set(declared) - {f.name for f in fields(RunConfig)} == {"progress", "n_seeds"}


# --- as a user runs it: the papermill command in a terminal, in a folder of its own -------------

TINY_CLI = ["-p", "dataset", "synthetic", "-p", "arch", "mlp", "-p", "width", "8", "-p", "depth", "2",
            "-p", "epochs", "1", "-p", "block", "case3"]


def papermill_cli(repo_root, cwd, *args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "papermill", str(repo_root / "notebooks" / "train.ipynb"),
                           "out.ipynb", "--start-timeout", str(KERNEL_START_TIMEOUT), *args], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def adhoc_run(tmp_path_factory):
    """One ad-hoc run (no profile, results_dir left alone) in a folder that has a published
    results tree."""
    from pathlib import Path

    folder = tmp_path_factory.mktemp("adhoc")
    published = folder / "results" / "factorial" / "seed0.json"
    published.parent.mkdir(parents=True)
    published.write_text('{"published": true}')
    return folder, papermill_cli(Path(__file__).resolve().parent.parent, folder, *TINY_CLI)


def test_an_adhoc_run_leaves_the_published_results_tree_untouched(adhoc_run):
    folder, done = adhoc_run
    assert done.returncode == 0, done.stderr[-3000:]
    assert sorted(p.relative_to(folder).as_posix() for p in (folder / "results").rglob("*")) == \
        ["results/factorial", "results/factorial/seed0.json"]
    record = folder / "runs-adhoc" / "adhoc" / "synthetic" / "mlp" / "lrelu-bn" / "seed0.json"
    assert json.loads(record.read_text())["status"] == "ok"


def test_the_terminal_shows_the_progress_and_where_the_record_went(adhoc_run):
    _, done = adhoc_run
    assert "record: runs-adhoc/adhoc/synthetic/mlp/lrelu-bn/seed0.json" in done.stdout
    assert "mlp lrelu-bn seed 0: 100%" in done.stderr  # the training's progress bar


def test_a_second_adhoc_run_of_another_config_refuses_rather_than_replaces(repo_root, adhoc_run):
    folder, _ = adhoc_run
    record = folder / "runs-adhoc" / "adhoc" / "synthetic" / "mlp" / "lrelu-bn" / "seed0.json"
    before = record.read_text()
    done = papermill_cli(repo_root, folder, *TINY_CLI, "-p", "lr", "0.003")
    assert done.returncode != 0
    assert ("RecordExistsError: runs-adhoc/adhoc/synthetic/mlp/lrelu-bn/seed0.json holds the record of "
            "another configuration") in done.stderr
    assert "-p results_dir runs-adhoc/other" in done.stderr
    assert "step/s" not in done.stderr  # stopped before training
    assert record.read_text() == before


def test_a_misspelt_parameter_fails_at_once_naming_it(repo_root, tmp_path):
    done = papermill_cli(repo_root, tmp_path, *TINY_CLI, "-p", "epoch", "1")
    assert done.returncode != 0
    assert ("ValueError: unknown parameter(s) epoch (did you mean epochs?); valid parameters: "
            "arch, batch_size") in done.stderr
    assert 'Exception encountered at "In [3]"' in done.stderr  # the check cell, before any training
    assert not (tmp_path / "runs-adhoc").exists()


def test_a_missing_cifar10_fails_with_one_line_saying_how_to_get_it(repo_root, tmp_path):
    (tmp_path / "empty").mkdir()
    done = papermill_cli(repo_root, tmp_path, "-p", "data_root", str(tmp_path / "empty"),
                         "-p", "download", "False")
    assert done.returncode != 0
    kernel_part = done.stderr.split("Exception encountered at", 1)[1].strip().splitlines()[1:]
    assert [line for line in kernel_part if line.strip()] == [
        f"FileNotFoundError: CIFAR-10 is not in {tmp_path}/empty/cifar-10-batches-py. Unpack "
        f"https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz into {tmp_path}/empty so that "
        f"{tmp_path}/empty/cifar-10-batches-py/data_batch_1 … test_batch exist, set data_root to the "
        f"folder holding cifar-10-batches-py (papermill: -p data_root DIR), or allow the download."]
