"""Training one run: Adam, cross-entropy, data kept as tensors on the device.

Seeding is paired: ``torch.manual_seed(seed)`` right before the network is built gives every
block order the same initial weights (BatchNorm and activations draw no random numbers), and a
separate generator seeded with ``seed`` gives every block order the same data order.
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from tqdm import tqdm

from . import diagnostics as diag
from .bn_eval import bn_evaluations, training_fit
from .config import RunConfig
from .data import Splits, load_dataset
from .networks import build_network


def pick_device(name: str = "auto") -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def batch_slices(n: int, batch_size: int) -> list[slice]:
    """Consecutive slices of a permutation; a last batch of one image is dropped (BatchNorm
    cannot normalize a single sample)."""
    slices = [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    if slices and slices[-1].stop - slices[-1].start < 2:
        slices.pop()
    return slices


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int = 1000):
    """Mean loss and accuracy (percent) in eval mode (BatchNorm uses running statistics)."""
    if len(x) == 0:
        return None, None
    model.eval()
    loss_sum = torch.zeros((), device=x.device)
    correct = torch.zeros((), device=x.device)
    for i in range(0, len(x), chunk):
        out = model(x[i:i + chunk])
        loss_sum += F.cross_entropy(out, y[i:i + chunk], reduction="sum")
        correct += (out.argmax(1) == y[i:i + chunk]).sum()
    return loss_sum.item() / len(x), 100.0 * correct.item() / len(x)


def train_epoch(model, opt, x, y, batch_size, generator, on_step=lambda: None):
    """One pass in a fresh random order. Returns per-step losses (a tensor, so a NaN is
    found without a device sync every step) and the running training accuracy (percent)."""
    model.train()
    perm = torch.randperm(len(x), generator=generator).to(x.device)
    slices = batch_slices(len(x), batch_size)
    losses = torch.empty(len(slices), device=x.device)
    correct = torch.zeros((), device=x.device)
    seen = 0
    for step, s in enumerate(slices):
        idx = perm[s]
        xb, yb = x[idx], y[idx]
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[step] = loss.detach()
        correct += (out.argmax(1) == yb).sum()
        seen += len(idx)
        on_step()
    return losses, 100.0 * correct.item() / seen


def make_schedule(opt, schedule: str, total_steps: int):
    """None for a constant learning rate; for ``cosine`` a per-step decay to 0 over the run."""
    if schedule == "constant":
        return None
    return torch.optim.lr_scheduler.LambdaLR(
        opt, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)))


def train_run(cfg: RunConfig, data: Splits | None = None, progress: bool = True) -> dict:
    """Train one network as ``cfg`` says and return its metrics (no provenance, no file).

    Returns ``{"status", "epochs": [...], "summary": {...}, "n_params", "failure"}`` where
    status is ``"ok"`` or ``"diverged"`` (a NaN/inf loss; ``failure`` says at which epoch/step).
    """
    device = pick_device(cfg.device)
    if data is None:
        data = load_dataset(cfg.dataset, cfg.data_root, cfg.download, cfg.val_fraction, cfg.train_subset)
    data = data.to(device)
    torch.manual_seed(cfg.seed)
    model = build_network(cfg.arch, cfg.block, data.input_shape, data.num_classes, cfg.width,
                          cfg.depth, cfg.bias, cfg.leaky_slope, cfg.head, cfg.first_block).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    order = torch.Generator().manual_seed(cfg.seed)

    steps_per_epoch = len(batch_slices(len(data.train_x), cfg.batch_size))
    total_steps = cfg.epochs * steps_per_epoch
    sched = make_schedule(opt, cfg.schedule, total_steps)
    probe = make_probe(data, cfg.probe) if cfg.probe else None
    bar = tqdm(total=total_steps, disable=not progress, mininterval=2,
               desc=f"{cfg.arch} {cfg.block} seed {cfg.seed}", unit="step")
    epochs, status, failure = [], "ok", None
    for epoch in range(1, cfg.epochs + 1):
        t0 = time.perf_counter()
        start_weights = diag.weight_snapshot(model) if probe else None

        def on_step():
            bar.update()
            if sched is not None:
                sched.step()
        losses, train_acc = train_epoch(model, opt, data.train_x, data.train_y, cfg.batch_size,
                                        order, on_step=on_step)
        finite = torch.isfinite(losses)
        if not bool(finite.all()):
            step = int((~finite).nonzero()[0]) + 1
            status, failure = "diverged", {"epoch": epoch, "step": step,
                                           "error": f"non-finite loss at epoch {epoch}, step {step}"}
            break
        val_loss, val_acc = evaluate(model, data.val_x, data.val_y)
        test_loss, test_acc = evaluate(model, data.test_x, data.test_y)
        epochs.append({"epoch": epoch, "train_loss": losses.mean().item(), "train_acc": train_acc,
                       "val_loss": val_loss, "val_acc": val_acc,
                       "test_loss": test_loss, "test_acc": test_acc,
                       "lr": opt.param_groups[0]["lr"], "seconds": time.perf_counter() - t0})
        if probe:
            epochs[-1]["diagnostics"] = epoch_diagnostics(model, probe, start_weights, cfg.batch_size)
            epochs[-1]["bn_eval"] = bn_evaluations(model, data.train_x, data.test_x, data.test_y,
                                                   cfg.batch_size)
        bar.set_postfix(epoch=epoch, train_loss=f"{epochs[-1]['train_loss']:.3f}",
                        val_acc=val_acc if val_acc is None else f"{val_acc:.2f}",
                        test_acc=f"{test_acc:.2f}")
    bar.close()
    summary = summarize(epochs)
    if status == "ok":
        summary.update(training_fit(model, data.train_x, data.train_y))
    if probe and status == "ok":
        summary["hessian_top_eig"] = diag.top_hessian_eigenvalue(model, probe["train_x"], probe["train_y"])
    return {"status": status, "failure": failure, "epochs": epochs, "summary": summary,
            "n_params": sum(p.numel() for p in model.parameters()), "device": str(device)}


def make_probe(data: Splits, size: int) -> dict:
    """Fixed probe batches from the training and (when there is one) the validation split."""
    t = diag.probe_indices(len(data.train_x), size).to(data.train_x.device)
    probe = {"train_x": data.train_x[t], "train_y": data.train_y[t]}
    held_x, held_y = (data.val_x, data.val_y) if len(data.val_x) else (data.test_x, data.test_y)
    v = diag.probe_indices(len(held_x), size).to(held_x.device)
    probe["held_x"], probe["held_y"] = held_x[v], held_y[v]
    return probe


def epoch_diagnostics(model, probe: dict, start_weights, batch_size: int) -> dict:
    """The mechanism measurements of one epoch (see bnorder.diagnostics)."""
    return {"blocks": diag.block_stats(model, probe["train_x"]),
            "layers": diag.layer_stats(model, probe["train_x"], probe["train_y"], start_weights),
            "bn_mode": diag.bn_mode_gap(model, probe["held_x"], probe["held_y"], batch_size)}


def summarize(epochs: list[dict]) -> dict:
    """Final-epoch and validation-selected accuracies (percent, like the study).

    ``best_val_epoch_test_acc`` is the honest selection: the epoch with the best validation
    accuracy, its test accuracy reported. ``max_test_acc`` selects on the test set itself (an
    optimistic number, kept only to show how much peeking adds).
    """
    if not epochs:
        return {"final_test_acc": None, "final_val_acc": None, "final_train_acc": None,
                "best_val_epoch": None, "best_val_epoch_test_acc": None, "max_test_acc": None}
    last = epochs[-1]
    has_val = last["val_acc"] is not None
    best = max(epochs, key=lambda e: e["val_acc"]) if has_val else None
    return {
        "final_test_acc": last["test_acc"],
        "final_val_acc": last["val_acc"],
        "final_train_acc": last["train_acc"],
        "best_val_epoch": best["epoch"] if best else None,
        "best_val_epoch_test_acc": best["test_acc"] if best else None,
        "max_test_acc": max(e["test_acc"] for e in epochs),
    }
