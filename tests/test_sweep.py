"""The sweep runs a profile through the notebook, skips finished runs and survives a kill."""

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from bnorder.runs.profiles import PROFILES, get_profile, match_profiles
from bnorder.runs.sweep import parse_filters, plan, sweep
from bnorder.runs.tuning import SelectionPending

pytestmark = pytest.mark.slow


def test_profiles_expand_to_valid_runs_with_canonical_blocks():
    for name, profile in PROFILES.items():
        try:
            runs = profile.runs()
        except SelectionPending:   # a tuned profile before its selection's records exist
            assert profile.per_block is not None, name
            continue
        expected = sum(len(arm.get("seeds", profile.seeds)) * len(arm.get("blocks", profile.blocks))
                       for arm in profile.arms)  # an arm may carry its own seeds and blocks
        assert len(runs) == expected, name
        assert len({(r["arch"], r["block"], r["seed"]) for r in runs}) == len(runs)  # one record path each
    seed = get_profile("seed").runs()
    assert {r["arch"] for r in seed} == {"cnn", "seed-mlp"} and {r["seed"] for r in seed} == set(range(5))
    assert {r["block"] for r in seed} == {"bn-relu", "relu-bn", "lrelu-bn"}


def test_only_filters_runs_and_accepts_aliases():
    runs = plan("smoke", ["arch=mlp", "block=case1,case2"])
    assert {(r["arch"], r["block"]) for r in runs} == {("mlp", "bn-relu"), ("mlp", "relu-bn")}


@pytest.mark.parametrize("only,message", [(["arch"], "malformed filter"), (["colour=red"], "unknown filter key"),
                                          (["block=case9"], "valid blocks")])
def test_malformed_filters_are_rejected_with_the_valid_keys(only, message):
    with pytest.raises(ValueError, match=message):
        parse_filters(only)


def test_unknown_profile_names_the_valid_profiles():
    with pytest.raises(ValueError, match="valid profiles: smoke, seed, cpu"):
        get_profile("huge")
    with pytest.raises(ValueError, match="valid profiles: smoke, seed, cpu"):
        match_profiles("nothing-*")


def test_profile_patterns_select_several_profiles():
    assert match_profiles("factorial-lr*") == ["factorial-lr1e-4", "factorial-lr3e-4", "factorial-lr3e-3"]
    assert match_profiles("smoke,cpu") == ["smoke", "cpu"]


def test_variants_group_names_every_confound_and_robustness_profile_and_nothing_else():
    from bnorder.runs.profiles import VARIANTS

    names = match_profiles("variants")
    assert names == [f"factorial-{v}" for v in VARIANTS]
    assert "factorial-gpu" not in names and "cifar10-factorial" not in names
    assert match_profiles("variants,factorial") == [*names, "factorial"]


def test_cifar10_factorial_runs_the_design_at_the_original_size_on_cifar10():
    runs = get_profile("cifar10-factorial").runs()
    assert {r["dataset"] for r in runs} == {"cifar10"}
    assert {r["block"] for r in runs} == {"bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu"}
    cnn = [r for r in runs if r["arch"] == "cnn"]
    assert {(r["width"], r["depth"], r["epochs"], r["batch_size"]) for r in cnn} == {(64, 8, 10, 128)}
    assert all(r["probe"] for r in runs) and len({r["seed"] for r in runs}) == 10


def test_factorial_design_crosses_position_and_activation_with_paired_seeds():
    runs = get_profile("factorial").runs()
    mlp = [r for r in runs if r["arch"] == "mlp"]
    assert {r["block"] for r in mlp} == {"bn-relu", "relu-bn", "bn-lrelu", "lrelu-bn", "relu"}
    per_block = {b: sorted(r["seed"] for r in mlp if r["block"] == b) for b in {r["block"] for r in mlp}}
    assert all(seeds == list(range(10)) for seeds in per_block.values())


def test_cli_reports_bad_input_in_one_line_and_exits_nonzero(repo_root):
    out = subprocess.run([sys.executable, "-m", "bnorder", "sweep", "--profile", "huge"], cwd=repo_root,
                         capture_output=True, text=True)
    assert out.returncode == 2 and out.stderr.strip().startswith("error: unknown profile 'huge'")


def test_sweep_writes_records_and_titled_notebooks_and_skips_finished_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = sweep("smoke", only=["arch=seed-mlp"], results_dir="results", runs_dir="runs", progress=False)
    assert len(first.done) == 3 and not first.failed
    record = tmp_path / "results/smoke/synthetic/seed-mlp/relu-bn/seed0.json"
    nb = nbformat.read(tmp_path / "runs/smoke/synthetic-seed-mlp-relu-bn-seed0.ipynb", as_version=4)
    assert nb.cells[0].source.startswith("# Run: smoke · synthetic · seed-mlp · relu-bn · seed 0")
    mtime = record.stat().st_mtime_ns
    again = sweep("smoke", only=["block=relu-bn"], results_dir="results", runs_dir="runs", progress=False)
    assert len(again.skipped) == 1 and len(again.done) == 2
    assert record.stat().st_mtime_ns == mtime


def finished_notebooks(root):
    return [p for p in (root / "runs").glob("smoke/*.ipynb") if not p.name.startswith(".")]


def test_sweep_killed_mid_run_resumes_without_redoing_finished_runs(tmp_path, repo_root):
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    cmd = [sys.executable, "-m", "bnorder", "sweep", "--profile", "smoke", "--only", "arch=mlp",
           "--results-dir", "results", "--runs-dir", "runs"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 180
    while not finished_notebooks(tmp_path) and time.time() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for p in (tmp_path / "results").rglob("seed*.json"):  # nothing half-written
        json.loads(p.read_text())
    notebooks = finished_notebooks(tmp_path)
    for p in notebooks:
        nbformat.read(p, as_version=4)
    # a run is finished once its notebook is renamed into place (its record is written before)
    records = {p: (tmp_path / "results/smoke/synthetic/mlp" / p.stem.split("-mlp-")[1].rsplit("-seed", 1)[0]
                   / "seed0.json") for p in notebooks}
    mtimes = {p: r.stat().st_mtime_ns for p, r in records.items()}
    resumed = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{3 - len(notebooks)} ran, {len(notebooks)} already done, 0 failed" in resumed.stdout
    assert len(finished_notebooks(tmp_path)) == 3
    assert not list((tmp_path / "runs").glob("smoke/.*"))  # no temporary leftovers
    assert {p: r.stat().st_mtime_ns for p, r in records.items()} == mtimes


def test_a_run_that_raises_is_recorded_as_failed_and_the_sweep_carries_on(tmp_path, monkeypatch):
    from bnorder.runs import profiles
    from bnorder.runs.records import load_record

    broken = profiles.Profile(
        name="broken", description="one run cannot find its data", common=dict(epochs=1, download=False),
        arms=[dict(arch="seed-mlp", dataset="synthetic"),
              dict(arch="seed-mlp", dataset="cifar10", data_root=str(tmp_path / "empty"))],
        blocks=("bn-relu",), seeds=(0,))
    monkeypatch.setitem(profiles.PROFILES, "broken", broken)
    monkeypatch.chdir(tmp_path)
    result = sweep("broken", results_dir="results", runs_dir="runs", progress=False)
    assert len(result.done) == 1 and len(result.failed) == 1
    params, message = result.failed[0]
    assert params["dataset"] == "cifar10" and message.startswith("FileNotFoundError: CIFAR-10 is not in")
    record = load_record(tmp_path / "results/broken/cifar10/seed-mlp/bn-relu/seed0.json")
    assert record["status"] == "failed" and "cifar-10-batches-py" in record["failure"]["error"]
    again = sweep("broken", results_dir="results", runs_dir="runs", progress=False)
    assert len(again.skipped) == 1 and len(again.failed) == 1  # a failed run is tried again


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BAD_INPUT = [  # (arguments, the problem named, the fix named)
    (["--profile", "huge"], "unknown profile 'huge'", "valid profiles: smoke"),
    (["--only", "arch=resnet"], "unknown arch 'resnet'", "valid archs: cnn, mlp, seed-mlp"),
    (["--only", "block=case9"], "unknown block 'case9'", "valid blocks: bn-relu"),
    (["--only", "dataset=mnist"], "unknown dataset 'mnist'", "valid datasets: cifar10"),
    (["--only", "seed=first"], "seed 'first'", "write non-negative integers"),
    (["--only", "arch"], "malformed filter 'arch'", "write key=value"),
    (["--only", "colour=red"], "unknown filter key 'colour'", "valid keys: arch, block, seed, dataset"),
    (["--backend", "spark"], "unknown backend 'spark'", "valid backends: local, ray"),
    (["--address", "127.0.0.1:6379"], "--address is for --backend ray", "add --backend ray"),
    (["--jobs", "0"], "--jobs must be a positive integer", "got 0"),
    (["--backend", "ray", "--address", "CLOSED"], "no Ray cluster answers at 127.0.0.1:", "ray start --head"),
]


@pytest.mark.parametrize("args,problem,fix", BAD_INPUT, ids=[" ".join(a) for a, _, _ in BAD_INPUT])
def test_bad_sweep_arguments_get_one_line_naming_problem_and_fix_and_touch_nothing(
        tmp_path, monkeypatch, capsys, args, problem, fix):
    from bnorder.__main__ import main

    if "ray" in args:
        pytest.importorskip("ray", reason="the ray extra is not installed")
    args = [f"127.0.0.1:{free_port()}" if a == "CLOSED" else a for a in args]
    # a finished run, a failed one, and the temporary notebook of a killed sweep (pid 0)
    monkeypatch.chdir(tmp_path)
    for rel, text in {"results/smoke/synthetic/mlp/bn-relu/seed0.json": '{"status": "ok"}',
                      "results/smoke/synthetic/mlp/relu-bn/seed0.json": '{"status": "failed"}',
                      "runs/smoke/synthetic-mlp-bn-relu-seed0.ipynb": "{}",
                      "runs/smoke/.synthetic-mlp-relu-bn-seed0.999999999.tmp.ipynb": "{"}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    argv = ["sweep", "--profile", "smoke", "--results-dir", "results", "--runs-dir", "runs", *args]
    if args[:2] == ["--profile", "huge"]:
        argv = ["sweep", *args, "--results-dir", "results", "--runs-dir", "runs"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: ") and problem in err and fix in err, err
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before


def test_fuse_seeds_trains_each_configuration_once_and_writes_one_record_per_seed(tmp_path, monkeypatch):
    from bnorder.runs import profiles
    from bnorder.runs.records import load_records

    two_seeds = profiles.Profile(name="fused", description="two seeds of two blocks",
                                 common=dict(dataset="synthetic", epochs=1, width=8, depth=2),
                                 arms=[dict(arch="mlp")], blocks=("bn-relu", "relu-bn"), seeds=(0, 1))
    monkeypatch.setitem(profiles.PROFILES, "fused", two_seeds)
    monkeypatch.chdir(tmp_path)
    result = sweep("fused", results_dir="results", runs_dir="runs", progress=False, fuse_seeds=True)
    assert len(result.done) == 4 and not result.failed
    notebooks = sorted(p.name for p in (tmp_path / "runs" / "fused").glob("*.ipynb"))
    assert notebooks == ["synthetic-mlp-bn-relu-seed0-1.ipynb", "synthetic-mlp-relu-bn-seed0-1.ipynb"]
    runs = load_records(tmp_path / "results")
    assert sorted(zip(runs["block"], runs["seed"])) == [("bn-relu", 0), ("bn-relu", 1), ("relu-bn", 0), ("relu-bn", 1)]
    assert set(runs["prov_fused_seeds"]) == {2}
    again = sweep("fused", results_dir="results", runs_dir="runs", progress=False, fuse_seeds=True)
    assert len(again.skipped) == 4 and not again.done


def test_fuse_seeds_groups_profiles_with_a_probe_too():
    from bnorder.runs.sweep import fuse, plan
    groups = fuse(plan("smoke-factorial", only=["arch=mlp"]))
    assert {g["n_seeds"] for g in groups} == {3} and all(g["probe"] for g in groups)
