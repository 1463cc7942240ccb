"""Training one run: Adam, cross-entropy, data kept as tensors on the device.

Seeding is paired: ``torch.manual_seed(seed)`` right before the network is built gives every
block order the same initial weights (BatchNorm and activations draw no random numbers), and a
separate generator seeded with ``seed`` gives every block order the same data order.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..runs.config import RunConfig
from . import diagnostics as diag
from .bn_eval import bn_evaluations, eval_chunk, precise_fit, training_fit
from .data import Splits, load_for
from .loop import batch_slices, run_epochs
from .networks import build_for


def pick_device(name: str = "auto") -> torch.device:
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@torch.no_grad()
def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int | None = None):
    """Mean loss and accuracy (percent) in eval mode (BatchNorm uses running statistics),
    ``chunk`` images per forward pass (default :func:`bnorder.train.bn_eval.eval_chunk`)."""
    chunk = chunk or eval_chunk(x.device)
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


class SingleTrainer:
    """One network, trained as :func:`bnorder.train.loop.run_epochs` asks (``k = 1``)."""

    k = 1

    def __init__(self, cfg: RunConfig, data: Splits, device: torch.device):
        self.cfg, self.data = cfg, data
        torch.manual_seed(cfg.seed)
        self.model = build_for(cfg, data.input_shape, data.num_classes).to(device)
        # The training step may run compiled (cfg.compile); everything else calls the module
        # itself, which shares its parameters and buffers.
        self.step_module = compile_step(self.model) if cfg.compile else self.model
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        self.order = torch.Generator().manual_seed(cfg.seed)
        self.probe = make_probe(data, cfg.probe) if cfg.probe else None

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "order": self.order.get_state()}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.order.set_state(state["order"])

    def train_epoch(self, on_step):
        losses, acc = train_epoch(self.step_module, self.opt, self.data.train_x, self.data.train_y,
                                  self.cfg.batch_size, self.order, on_step=on_step)
        return losses[:, None], [acc]

    def evaluate(self, x, y):
        loss, acc = evaluate(self.model, x, y)
        return [loss], [acc]

    def before_epoch(self):
        return diag.weight_snapshot(self.model) if self.probe else None

    def epoch_extras(self, start_weights) -> list[dict]:
        if not self.probe:
            return [{}]
        d = self.data
        return [{"diagnostics": epoch_diagnostics(self.model, self.probe, start_weights, self.cfg.batch_size),
                 "bn_eval": bn_evaluations(self.model, d.train_x, d.test_x, d.test_y, self.cfg.batch_size)}]

    def final_extras(self, status: list[str]) -> list[dict]:
        if status[0] != "ok":
            return [{}]
        d = self.data
        out = training_fit(self.model, d.train_x, d.train_y)
        if self.cfg.final_readings:
            out.update(precise_fit(self.model, d.train_x, d.train_y, d.test_x, d.test_y, self.cfg.batch_size))
        if self.probe:
            out["hessian_top_eig"] = diag.top_hessian_eigenvalue(self.model, self.probe["train_x"],
                                                                 self.probe["train_y"])
        return [out]


def compile_step(model: torch.nn.Module) -> torch.nn.Module:
    """``torch.compile`` of ``model`` for the training step: the same fp32 operations, with
    BatchNorm, the activation and their gradients fused into fewer passes over memory. Static
    shapes: the epoch's last, smaller batch gets a graph of its own instead of turning every
    step's graph dynamic."""
    return torch.compile(model, dynamic=False)


def train_run(cfg: RunConfig, data: Splits | None = None, progress: bool = True,
              checkpoint: tuple | None = None) -> dict:
    """Train one network as ``cfg`` says and return its metrics (no provenance, no file).

    Returns ``{"status", "epochs": [...], "summary": {...}, "n_params", "failure"}`` where
    status is ``"ok"`` or ``"diverged"`` (a NaN/inf loss; ``failure`` says at which epoch/step).
    ``checkpoint``: ``(path, identity)``, to checkpoint every epoch and resume (bnorder.train.checkpoint).
    """
    device = pick_device(cfg.device)
    if data is None:
        data = load_for(cfg)
    data = data.to(device)
    trainer = SingleTrainer(cfg, data, device)
    result = run_epochs(cfg, trainer, data, f"{cfg.arch} {cfg.block} seed {cfg.seed}", progress,
                        checkpoint)[0]
    return {**result, "n_params": sum(p.numel() for p in trainer.model.parameters()),
            "device": str(device)}


def make_probe(data: Splits, size: int) -> dict:
    """Fixed probe batches from the training and (when there is one) the validation split."""
    t = diag.probe_indices(len(data.train_x), size).to(data.train_x.device)
    probe = {"train_x": data.train_x[t], "train_y": data.train_y[t]}
    held_x, held_y = (data.val_x, data.val_y) if len(data.val_x) else (data.test_x, data.test_y)
    v = diag.probe_indices(len(held_x), size).to(held_x.device)
    probe["held_x"], probe["held_y"] = held_x[v], held_y[v]
    return probe


def epoch_diagnostics(model, probe: dict, start_weights, batch_size: int) -> dict:
    """The mechanism measurements of one epoch (see bnorder.train.diagnostics)."""
    return {"blocks": diag.block_stats(model, probe["train_x"]),
            "layers": diag.layer_stats(model, probe["train_x"], probe["train_y"], start_weights),
            "bn_mode": diag.bn_mode_gap(model, probe["held_x"], probe["held_y"], batch_size)}
