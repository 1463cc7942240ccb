"""notebooks/train.ipynb: one papermill execution per run, bad parameters stop it at once."""

import json

import papermill as pm
import pytest

pytestmark = pytest.mark.slow

SMOKE = dict(dataset="synthetic", arch="mlp", width=8, depth=2, epochs=1, profile="nbtest", progress=False)


def execute(repo_root, tmp_path, **params):
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(str(repo_root / "notebooks" / "train.ipynb"), str(out), kernel_name="python3",
                        parameters={"results_dir": str(tmp_path / "results"), **params},
                        progress_bar=False, cwd=str(tmp_path))
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

    from bnorder.config import RunConfig
    nb = json.loads((repo_root / "notebooks" / "train.ipynb").read_text())
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    declared = {node.targets[0].id: ast.literal_eval(node.value)
                for node in ast.parse("".join(cell["source"])).body if isinstance(node, ast.Assign)}
    for f in fields(RunConfig):
        assert declared[f.name] == f.default, f.name
    assert set(declared) - {f.name for f in fields(RunConfig)} == {"progress", "n_seeds"}
