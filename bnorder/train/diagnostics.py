"""Mechanisms, measured during training on a fixed probe batch.

Each function answers one question the literature raises about the order of BatchNorm and
the activation, and never changes the training itself: BatchNorm's running statistics are
restored after every probe and no optimizer step is taken.

    block_stats        what the next layer receives from each block: its mean (the mean shift
                       of LeCun et al. 1998 / Clevert et al. 2016), its std, and the fraction of
                       units or channels whose activation input is negative for the whole probe
                       batch (dead ReLU units: zero output, zero gradient)
    layer_stats        per order-carrying layer: gradient norm, weight norm, and the effective
                       step (update norm over the epoch / weight norm; van Laarhoven 2017)
    bn_mode_gap        accuracy with BatchNorm in training mode (batch statistics) minus in eval
                       mode (running statistics): how far the running statistics lag
    top_hessian_eigenvalue   sharpness of the loss on the probe batch (power iteration on
                       Hessian-vector products; Santurkar et al. 2018)
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F

from .networks import blocks_of


@contextlib.contextmanager
def bn_stats_restored(model: nn.Module, mode_train: bool = True):
    """Run the model in train (or eval) mode, then restore BatchNorm buffers and the mode."""
    was_training = model.training
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in bns]
    model.train(mode_train)
    try:
        yield model
    finally:
        for m, (mean, var, n) in zip(bns, saved):
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(n)
        model.train(was_training)


def _activation_of(block) -> nn.Module | None:
    acts = [m for m in block.norm_act if isinstance(m, (nn.ReLU, nn.LeakyReLU))]
    return acts[0] if acts else None


@torch.no_grad()
def block_stats(model: nn.Module, x: torch.Tensor) -> list[dict]:
    """Mean, std and dead fraction of each block's output on ``x`` (batch statistics)."""
    outputs, dead = {}, {}
    hooks = []
    for i, block in enumerate(blocks_of(model)):
        hooks.append(block.register_forward_hook(lambda m, inp, out, i=i: outputs.__setitem__(i, out)))
        act = _activation_of(block)
        if act is not None:
            def record_dead(m, inp, out, i=i):
                neg = inp[0] <= 0  # (N, units) or (N, channels, H, W)
                dead[i] = neg.all(0) if neg.dim() == 2 else neg.flatten(2).all(-1).all(0)
            hooks.append(act.register_forward_hook(record_dead))
    try:
        with bn_stats_restored(model, mode_train=True):
            model(x)
    finally:
        for h in hooks:
            h.remove()
    stats = []
    for i in sorted(outputs):
        out = outputs[i]
        stats.append({"mean": out.mean().item(), "std": out.std().item(),
                      "dead_frac": dead[i].float().mean().item() if i in dead else 0.0})
    return stats


def order_layers(model: nn.Module) -> list[nn.Module]:
    """The conv/linear layer of each block, input to output."""
    return [b.layer for b in blocks_of(model)]


def weight_snapshot(model: nn.Module) -> list[torch.Tensor]:
    return [layer.weight.detach().clone() for layer in order_layers(model)]


def layer_stats(model: nn.Module, x: torch.Tensor, y: torch.Tensor, start: list[torch.Tensor]) -> list[dict]:
    """Gradient norm on the probe batch, weight norm, and effective step since ``start``."""
    layers = order_layers(model)
    with bn_stats_restored(model, mode_train=True):
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, [l.weight for l in layers])
    out = []
    for layer, g, w0 in zip(layers, grads, start):
        w = layer.weight.detach()
        w_norm = w.norm().item()
        out.append({"grad_norm": g.norm().item(), "weight_norm": w_norm,
                    "eff_step": (w - w0).norm().item() / max(w0.norm().item(), 1e-12)})
    return out


@torch.no_grad()
def bn_mode_gap(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int) -> dict:
    """Accuracy (percent) in train mode with batches of ``batch_size`` vs in eval mode."""
    correct_train = correct_eval = 0
    with bn_stats_restored(model, mode_train=True):
        for i in range(0, len(x) - 1, batch_size):
            correct_train += (model(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
    with bn_stats_restored(model, mode_train=False):
        correct_eval = (model(x).argmax(1) == y).sum().item()
    n = len(x)
    acc_train, acc_eval = 100.0 * correct_train / n, 100.0 * correct_eval / n
    return {"acc_batch_stats": acc_train, "acc_running_stats": acc_eval, "gap": acc_train - acc_eval}


def top_hessian_eigenvalue(model: nn.Module, x: torch.Tensor, y: torch.Tensor, iters: int = 20,
                           seed: int = 0) -> float:
    """Largest-magnitude eigenvalue of the loss Hessian w.r.t. all parameters, on ``x``."""
    params = [p for p in model.parameters() if p.requires_grad]
    gen = torch.Generator().manual_seed(seed)
    v = [torch.randn(p.shape, generator=gen).to(p.device) for p in params]
    norm = torch.sqrt(sum((t * t).sum() for t in v))
    v = [t / norm for t in v]
    eig = 0.0
    with bn_stats_restored(model, mode_train=True):
        loss = F.cross_entropy(model(x), y)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        for _ in range(iters):
            hv = torch.autograd.grad(grads, params, grad_outputs=v, retain_graph=True)
            eig = sum((a * b).sum() for a, b in zip(hv, v)).item()
            norm = torch.sqrt(sum((t * t).sum() for t in hv))
            if norm.item() == 0:
                return 0.0
            v = [t.detach() / norm for t in hv]
    return eig


def probe_indices(n: int, size: int) -> torch.Tensor:
    """A fixed probe batch: the same images for every seed and block order."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(7))[:size]
