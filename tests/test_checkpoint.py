"""A run killed in the middle goes on from its last completed epoch and writes the record an
uninterrupted run writes; a finished run leaves no checkpoint."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch

from bnorder.runs.config import make_config
from bnorder.train import checkpoint as ckpt
from bnorder.train import single as train_mod
from bnorder.train.fused import run_and_record_fused
from bnorder.train.run import run_and_record

# A cnn with the probe on: diagnostics and BatchNorm's three readings are checkpointed too.
RUN = dict(dataset="synthetic", arch="cnn", width=4, depth=2, epochs=4, batch_size=64, probe=32,
           device="cpu", profile="ckpt-test")


def comparable(record: dict) -> dict:
    """A record without what differs between any two executions (wall times, dates)."""
    epochs = [{k: v for k, v in e.items() if k != "seconds"} for e in record["epochs"]]
    return {"status": record["status"], "config_hash": record["config_hash"], "epochs": epochs,
            "summary": record["summary"]}


def interrupt_at_epoch(monkeypatch, epoch: int):
    """Make the training pass of ``epoch`` raise KeyboardInterrupt halfway (as Ctrl-C would)."""
    real, calls = train_mod.train_epoch, []

    def interrupted(model, opt, x, y, batch_size, generator, on_step=lambda: None):
        calls.append(1)
        if len(calls) == epoch:
            steps = []

            def step():
                steps.append(1)
                if len(steps) == 2:
                    raise KeyboardInterrupt
            return real(model, opt, x, y, batch_size, generator, on_step=step)
        return real(model, opt, x, y, batch_size, generator, on_step=on_step)

    monkeypatch.setattr(train_mod, "train_epoch", interrupted)


def test_an_interrupted_run_resumes_and_writes_the_uninterrupted_record(tmp_path, monkeypatch):
    whole, _ = run_and_record(make_config(**RUN, results_dir=str(tmp_path / "a" / "results")), False)
    cfg = make_config(**RUN, results_dir=str(tmp_path / "b" / "results"))
    interrupt_at_epoch(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_and_record(cfg, progress=False)
    assert torch.load(ckpt.checkpoint_path(cfg), weights_only=False)["epoch"] == 2
    monkeypatch.undo()
    resumed, path = run_and_record(cfg, progress=False)
    assert resumed["provenance"]["resumed_from_epoch"] == 2
    assert comparable(resumed) == comparable(whole)
    assert json.loads(path.read_text())["provenance"]["resumed_from_epoch"] == 2
    assert not ckpt.checkpoint_path(cfg).exists()


def test_a_finished_run_deletes_its_checkpoint(tmp_path):
    cfg = make_config(**{**RUN, "epochs": 2}, results_dir=str(tmp_path / "results"))
    record, _ = run_and_record(cfg, progress=False)
    assert "resumed_from_epoch" not in record["provenance"]
    assert not ckpt.checkpoint_path(cfg).exists()


def test_a_checkpoint_of_another_configuration_is_not_resumed(tmp_path, monkeypatch):
    cfg = make_config(**RUN, results_dir=str(tmp_path / "results"))
    interrupt_at_epoch(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run_and_record(cfg, progress=False)
    monkeypatch.undo()
    other = make_config(**{**RUN, "lr": 3e-3}, results_dir=str(tmp_path / "results"))
    assert ckpt.checkpoint_path(other) == ckpt.checkpoint_path(cfg)  # the same file name
    record, _ = run_and_record(other, progress=False)
    assert "resumed_from_epoch" not in record["provenance"]
    assert len(record["epochs"]) == RUN["epochs"]


def test_a_fused_group_resumes_too(tmp_path, monkeypatch):
    base = dict(RUN, arch="mlp", width=8, probe=0)
    whole = run_and_record_fused(make_config(**base, results_dir=str(tmp_path / "a" / "results")), 2,
                                 progress=False)
    cfg = make_config(**base, results_dir=str(tmp_path / "b" / "results"))
    import bnorder.train.fused as fused_mod

    real, calls = fused_mod.fused_train_epoch, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(fused_mod, "fused_train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_and_record_fused(cfg, 2, progress=False)
    monkeypatch.undo()
    resumed = run_and_record_fused(cfg, 2, progress=False)
    for (a, _), (b, _) in zip(whole, resumed):
        assert b["provenance"]["resumed_from_epoch"] == 1
        assert comparable(a) == comparable(b)


KILLED_CHILD = textwrap.dedent("""
    import os, signal, sys
    from bnorder.train import single as train
    from bnorder.runs.config import make_config
    from bnorder.train.run import run_and_record

    real, calls = train.train_epoch, []

    def killed(model, opt, x, y, batch_size, generator, on_step=lambda: None):
        calls.append(1)
        if len(calls) == 3:   # epoch 3: SIGKILL after two steps, no clean-up of any kind
            steps = []
            def step():
                steps.append(1)
                if len(steps) == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
            return real(model, opt, x, y, batch_size, generator, on_step=step)
        return real(model, opt, x, y, batch_size, generator, on_step=on_step)

    train.train_epoch = killed
    run_and_record(make_config(**eval(sys.argv[1])), progress=False)
""")


@pytest.mark.slow
def test_a_run_killed_mid_epoch_resumes_in_a_new_process(tmp_path, repo_root):
    params = {**RUN, "results_dir": str(tmp_path / "results")}
    env = {**os.environ, "PYTHONPATH": str(repo_root), "OMP_NUM_THREADS": "1"}
    child = subprocess.run([sys.executable, "-c", KILLED_CHILD, repr(params)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    cfg = make_config(**params)
    assert torch.load(ckpt.checkpoint_path(cfg), weights_only=False)["epoch"] == 2
    resume = ("import sys; from bnorder.runs.config import make_config; from bnorder.train.run import "
              "run_and_record; run_and_record(make_config(**eval(sys.argv[1])), progress=False)")
    subprocess.run([sys.executable, "-c", resume, repr(params)], env=env, check=True, timeout=300)
    whole_params = {**params, "results_dir": str(tmp_path / "whole" / "results")}
    subprocess.run([sys.executable, "-c", resume, repr(whole_params)], env=env, check=True, timeout=300)
    read = lambda p: json.loads(next((p).rglob("seed0.json")).read_text())  # noqa: E731
    resumed, whole = read(tmp_path / "results"), read(tmp_path / "whole" / "results")
    assert resumed["provenance"]["resumed_from_epoch"] == 2
    assert comparable(resumed) == comparable(whole)
    assert not ckpt.checkpoint_path(cfg).exists()
