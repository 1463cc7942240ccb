"""The training loop: the epoch skeleton shared by the single and the fused path.

Both paths train ``k`` models at once (the single path ``k = 1``) and differ only in how a step
and an evaluation run, which a *trainer* object provides: :class:`Trainer`, which
:class:`bnorder.train.single.SingleTrainer` and :class:`bnorder.train.fused.FusedTrainer` satisfy.

The loop owns the rest, written once: the learning-rate schedule, the progress bar, the
divergence check (a model whose loss turns non-finite stops, the others train on), the per-epoch
row, the summary, and a checkpoint after every epoch (:mod:`bnorder.train.checkpoint`) from which an
interrupted run goes on.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Protocol, runtime_checkable

import torch
from tqdm import tqdm

from ..runs.records import summarize
from . import checkpoint as ckpt


@runtime_checkable
class Trainer(Protocol):
    """What :func:`run_epochs` asks of a path that trains ``k`` models at once."""

    k: int                          # models trained together
    opt: torch.optim.Optimizer      # the optimizer (its learning rate is scheduled here)

    def train_epoch(self, on_step: Callable[[], None]) -> tuple[torch.Tensor, list[float]]:
        """One pass: per-step losses (steps, k) and k running accuracies (percent)."""

    def evaluate(self, x: torch.Tensor, y: torch.Tensor) -> tuple[list[float], list[float]]:
        """k losses and k accuracies (percent) in eval mode."""

    def before_epoch(self) -> Any:
        """State the epoch's measurements need (e.g. the weights at its start)."""

    def epoch_extras(self, state: Any) -> list[dict]:
        """k dicts added to each model's epoch row (diagnostics, BatchNorm readings)."""

    def final_extras(self, status: list[str]) -> list[dict]:
        """k dicts added to each model's summary (the training split's fit, final readings)."""

    def state_dict(self) -> dict:
        """Everything the trainer needs to go on: weights, optimizer, BatchNorm buffers, the
        data-order generators."""

    def load_state_dict(self, state: dict) -> None:
        """Restore what :meth:`state_dict` returned."""


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Consecutive slices of a permutation; a last batch of one image is dropped (BatchNorm
    cannot normalize a single sample)."""
    slices = [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    if slices and slices[-1].stop - slices[-1].start < 2:
        slices.pop()
    return slices


def make_schedule(opt, schedule: str, total_steps: int):
    """None for a constant learning rate; for ``cosine`` a per-step decay to 0 over the run."""
    if schedule == "constant":
        return None
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)))


def first_non_finite(losses: torch.Tensor, epoch: int, status: list[str], failure: list) -> None:
    """Mark each model whose per-step losses (steps, k) hold a NaN/inf as diverged, in place."""
    finite = torch.isfinite(losses).cpu()
    for j in range(len(status)):
        if status[j] == "ok" and not bool(finite[:, j].all()):
            step = int((~finite[:, j]).nonzero()[0]) + 1
            status[j] = "diverged"
            failure[j] = {"epoch": epoch, "step": step,
                          "error": f"non-finite loss at epoch {epoch}, step {step}"}


def _restore(saved: dict, trainer: Trainer, sched) -> None:
    """Put the models, the optimizer, the schedule and the random generators back as the
    checkpoint ``saved`` left them."""
    trainer.load_state_dict(saved["trainer"])
    if sched is not None:
        sched.load_state_dict(saved["schedule"])
    ckpt.restore_random_states(saved["random"])


def _train_one_epoch(trainer: Trainer, data, on_step, epoch: int, status: list, failure: list):
    """Train every model one epoch and read it: one row per model, or ``None`` when no model is
    left that has not diverged (``status`` and ``failure`` say which, and where)."""
    t0 = time.perf_counter()
    state = trainer.before_epoch()
    losses, train_acc = trainer.train_epoch(on_step)
    first_non_finite(losses, epoch, status, failure)
    if "ok" not in status:
        return None
    val_loss, val_acc = trainer.evaluate(data.val_x, data.val_y)
    test_loss, test_acc = trainer.evaluate(data.test_x, data.test_y)
    extras = trainer.epoch_extras(state)
    mean_loss = losses.mean(0).tolist()
    seconds = time.perf_counter() - t0
    return [{"epoch": epoch, "train_loss": mean_loss[j], "train_acc": train_acc[j],
             "val_loss": val_loss[j], "val_acc": val_acc[j], "test_loss": test_loss[j],
             "test_acc": test_acc[j], "lr": trainer.opt.param_groups[0]["lr"], "seconds": seconds,
             **extras[j]} for j in range(trainer.k)]


def run_epochs(cfg, trainer: Trainer, data, desc: str, progress: bool = True,
               checkpoint: tuple | None = None) -> list[dict]:
    """Train ``trainer``'s k models for ``cfg.epochs`` epochs on ``data``.

    Returns one dict per model: ``status`` (``ok`` or ``diverged``), ``failure``, ``epochs``
    (one row per completed epoch), ``summary`` and ``resumed_from_epoch`` (``None``, or the
    epoch of the checkpoint this run went on from). ``seconds`` in a row is the epoch's wall
    time for all k models together. ``checkpoint``: ``(path, identity)`` to write a checkpoint
    after every epoch and to resume from a matching one (:mod:`bnorder.train.checkpoint`)."""
    k = trainer.k
    steps_per_epoch = len(batch_slices(len(data.train_x), cfg.batch_size))
    total_steps = cfg.epochs * steps_per_epoch
    sched = make_schedule(trainer.opt, cfg.schedule, total_steps)
    bar = tqdm(total=total_steps, disable=not progress, mininterval=2, desc=desc, unit="step")

    def on_step():
        bar.update()
        if sched is not None:
            sched.step()

    epochs: list[list[dict]] = [[] for _ in range(k)]
    status, failure = ["ok"] * k, [None] * k
    path, ident = checkpoint or (None, None)
    saved = ckpt.load(path, ident)
    first, before = 1, 0.0
    if saved is not None:
        _restore(saved, trainer, sched)
        epochs, status, failure = saved["epochs"], saved["status"], saved["failure"]
        first, before = saved["epoch"] + 1, saved["elapsed"]
        bar.update((first - 1) * steps_per_epoch)
        bar.write(f"resumed from the checkpoint of epoch {saved['epoch']} ({path})")
    t_start = time.perf_counter()
    for epoch in range(first, cfg.epochs + 1):
        rows = _train_one_epoch(trainer, data, on_step, epoch, status, failure)
        if rows is None:
            break
        ok = [j for j in range(k) if status[j] == "ok"]
        for j in ok:
            epochs[j].append(rows[j])
        bar.set_postfix(epoch=epoch, ok=f"{len(ok)}/{k}",
                        test_acc=f"{sum(rows[j]['test_acc'] for j in ok) / len(ok):.2f}")
        if path is not None:
            ckpt.save(path, {"identity": ident, "epoch": epoch, "trainer": trainer.state_dict(),
                             "schedule": sched.state_dict() if sched is not None else None,
                             "random": ckpt.random_states(), "epochs": epochs, "status": status,
                             "failure": failure, "elapsed": before + time.perf_counter() - t_start})
    bar.close()
    finals = trainer.final_extras(status)
    resumed = saved["epoch"] if saved is not None else None
    return [{"status": status[j], "failure": failure[j], "epochs": epochs[j],
             "summary": {**summarize(epochs[j]), **finals[j]}, "resumed_from_epoch": resumed,
             "seconds_before_resume": before} for j in range(k)]
