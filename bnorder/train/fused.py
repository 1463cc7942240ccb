"""Training K seeds of one (arch, block, config) at once, as one stacked model.

Every seed's network is built exactly as :func:`bnorder.train.single.train_run` builds it
(``torch.manual_seed(seed)`` then :func:`bnorder.train.networks.build_network`), so it has its own
initial weights; the K networks are then *fused* into one module whose every layer holds the
K models side by side:

    Conv2d(in, out)            -> Conv2d(K*in, K*out, groups=K)      (weights stacked)
    Linear(in, out)            -> FusedLinear: a batched matmul over K weight matrices
    BatchNorm1d/2d(F)          -> BatchNorm1d/2d(K*F)                (per model: per channel,
                                                                      running statistics too)
    ReLU, LeakyReLU, pooling   -> unchanged (elementwise / per channel)

Activations travel as ``(batch, K*features[, H, W])``: model k owns channels
``k*F .. (k+1)*F-1`` of every layer. The fused module is a copy of seed 0's network with its
layers replaced, so it runs that network's own ``forward`` and its blocks keep the order read
from :data:`bnorder.orders.ORDERS`; nothing about the architectures is restated here.

Each seed also keeps its own data order (a ``torch.Generator`` seeded with its seed, the same
permutation and :func:`bnorder.train.single.batch_slices` as :func:`bnorder.train.single.train_epoch`); the
loss is the sum over models of each model's mean cross-entropy, so each model's gradient is the
one its single run computes, and Adam, being elementwise, updates each model's slice of a
stacked parameter exactly as it would update that model alone. Seed k of a fused group
therefore reproduces seed k alone up to floating-point rounding (tests/test_fused.py).

Speed options (default off, each recorded in the result): ``amp_bf16`` (bfloat16 autocast for
convolutions and matmuls, BatchNorm kept in float32), ``channels_last`` (NHWC memory layout for
the CNN), ``compile`` (``torch.compile`` of the fused network; ``True`` or a backend name) and
``fused_adam`` (``torch.optim.Adam(fused=True)``: the same update in one kernel per parameter).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..runs.config import RunConfig
from . import bn_eval
from .blocks import Center, Shift
from .data import Splits, load_for
from .loop import batch_slices, run_epochs
from .networks import build_for
from .single import pick_device

# ---------------------------------------------------------------- fused layers

class FusedLinear(nn.Module):
    """K independent linear maps ``in -> out`` as one batched matrix product.

    Batch-major: input ``(B, K*in)``, output ``(B, K*out)`` (the CNN's classifier).
    Feature-major: input ``(K*in, B)``, output ``(K*out, B)``: ``W_k @ X_k`` needs no transposes.
    """

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, feature_major: bool = False):
        super().__init__()
        self.k, self.out_features, self.in_features = weight.shape
        self.feature_major = feature_major
        self.weight = nn.Parameter(weight)                              # (K, out, in)
        self.bias = nn.Parameter(bias) if bias is not None else None    # (K, out)

    def forward(self, x):
        if self.feature_major:
            b = x.shape[-1]
            xk = x.reshape(self.k, self.in_features, b)                  # (K, in, B), a view
            if self.bias is None:
                y = torch.bmm(self.weight, xk)
            else:
                y = torch.baddbmm(self.bias.unsqueeze(2), self.weight, xk)  # (K, out, B)
            return y.reshape(self.k * self.out_features, b)
        b = x.shape[0]
        xk = x.reshape(b, self.k, self.in_features).transpose(0, 1)     # (K, B, in), a view
        wt = self.weight.transpose(1, 2)                                 # (K, in, out)
        if self.bias is None:
            y = torch.bmm(xk, wt)
        else:
            y = torch.baddbmm(self.bias.unsqueeze(1), xk, wt)             # (K, B, out)
        return y.transpose(0, 1).reshape(b, self.k * self.out_features)

    def extra_repr(self):
        return (f"models={self.k}, in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, feature_major={self.feature_major}")


class _FP32Norm:
    """BatchNorm that always runs in float32, also inside a bfloat16 autocast region."""

    feature_major = False

    def _norm(self, x):
        if self.feature_major:   # (K*F, B) -> (1, K*F, B): statistics over the batch per channel
            return super().forward(x.unsqueeze(0)).squeeze(0)
        return super().forward(x)

    def forward(self, x):
        if torch.is_autocast_enabled(x.device.type):
            with torch.autocast(x.device.type, enabled=False):
                return self._norm(x.float())
        return self._norm(x)


class FusedBatchNorm1d(_FP32Norm, nn.BatchNorm1d):
    pass


class FusedBatchNorm2d(_FP32Norm, nn.BatchNorm2d):
    pass


def _cat(tensors: list[torch.Tensor | None]) -> torch.Tensor | None:
    return None if tensors[0] is None else torch.cat([t.detach() for t in tensors])


def _fuse_leaf(mods: list[nn.Module], feature_major: bool) -> nn.Module:
    """One fused module standing for the K corresponding modules ``mods``."""
    m0, k = mods[0], len(mods)
    if type(m0) is nn.Conv2d:
        if m0.groups != 1:
            raise NotImplementedError("fusing a grouped convolution is not supported")
        fused = nn.Conv2d(k * m0.in_channels, k * m0.out_channels, m0.kernel_size, m0.stride,
                          m0.padding, m0.dilation, groups=k, bias=m0.bias is not None,
                          padding_mode=m0.padding_mode)
        with torch.no_grad():
            fused.weight.copy_(_cat([m.weight for m in mods]))
            if m0.bias is not None:
                fused.bias.copy_(_cat([m.bias for m in mods]))
        return fused
    if type(m0) is nn.Linear:
        return FusedLinear(torch.stack([m.weight.detach() for m in mods]).clone(),
                           None if m0.bias is None else torch.stack([m.bias.detach() for m in mods]).clone(),
                           feature_major)
    if type(m0) in (nn.BatchNorm1d, nn.BatchNorm2d):
        cls = FusedBatchNorm1d if type(m0) is nn.BatchNorm1d else FusedBatchNorm2d
        fused = cls(k * m0.num_features, m0.eps, m0.momentum, m0.affine, m0.track_running_stats)
        fused.feature_major = feature_major and cls is FusedBatchNorm1d
        with torch.no_grad():
            if m0.affine:
                fused.weight.copy_(_cat([m.weight for m in mods]))
                fused.bias.copy_(_cat([m.bias for m in mods]))
            if m0.track_running_stats:
                fused.running_mean.copy_(_cat([m.running_mean for m in mods]))
                fused.running_var.copy_(_cat([m.running_var for m in mods]))
                fused.num_batches_tracked.copy_(m0.num_batches_tracked)
        return fused
    if type(m0) is Center:
        fused = Center(k * len(m0.running_mean), m0.momentum)
        fused.feature_major = feature_major
        fused.running_mean.copy_(_cat([m.running_mean for m in mods]))
        return fused
    if type(m0) in (nn.ReLU, nn.LeakyReLU, nn.AdaptiveAvgPool2d, nn.Identity, Shift):
        return copy.deepcopy(m0)  # elementwise or per channel: the same for K models
    raise NotImplementedError(f"no fused version of {type(m0).__name__}; add one to bnorder.train.fused")


def fuse_models(models: list[nn.Module]) -> nn.Module:
    """One module computing the K structurally identical ``models`` side by side.

    It is a copy of ``models[0]`` (same class, same ``forward``) whose layers are replaced by
    fused ones. Networks with convolutions run *batch-major*: input ``(B, K*C, H, W)``, output
    ``(B, K*classes)``. Networks of linear layers only (mlp, seed-mlp) run *feature-major*:
    input ``(K*C*H*W, B)``, output ``(K*classes, B)``; their ``forward`` only flattens its
    (already flat) input. ``fused.feature_major`` says which; use :func:`stack_batch`,
    :func:`broadcast_batch` and :func:`per_model_logits` to go in and out.
    """
    if not models:
        raise ValueError("fuse_models needs at least one model")
    names = [n for n, _ in models[0].named_modules()]
    for m in models[1:]:
        if [n for n, _ in m.named_modules()] != names:
            raise ValueError("fuse_models needs models of one architecture")
    feature_major = not any(isinstance(m, nn.Conv2d) for m in models[0].modules())
    fused = copy.deepcopy(models[0])
    for name, m0 in list(models[0].named_modules()):
        if name == "" or len(list(m0.children())):
            continue  # the root and containers keep their structure and forward
        parts = [dict(m.named_modules())[name] for m in models]
        parent_name, _, attr = name.rpartition(".")
        parent = fused.get_submodule(parent_name) if parent_name else fused
        setattr(parent, attr, _fuse_leaf(parts, feature_major))
    fused.fused_seeds = len(models)
    fused.feature_major = feature_major
    return fused


def unfuse_state(fused: nn.Module, template: nn.Module, k: int) -> dict[str, torch.Tensor]:
    """Model k's own ``state_dict`` (for ``template``'s architecture) out of a fused module."""
    out = {}
    fused_state = fused.state_dict()
    for name, t in template.state_dict().items():
        f = fused_state[name]
        if name.endswith("num_batches_tracked"):
            out[name] = f.clone()
        elif f.dim() == t.dim():
            n = t.shape[0]
            out[name] = f[k * n:(k + 1) * n].clone()          # concatenated (conv, BatchNorm)
        else:
            out[name] = f[k].clone()                          # stacked (FusedLinear)
    return out


# ---------------------------------------------------------------- options

@dataclasses.dataclass(frozen=True)
class SpeedFlags:
    """How a fused run executes; recorded with every result (bf16 changes the numbers)."""
    amp_bf16: bool = False
    channels_last: bool = False
    compile: bool | str = False   # False, True, an inductor mode or a backend name
    fused_adam: bool = False

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _autocast(device: torch.device, flags: SpeedFlags):
    if flags.amp_bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _layout(x: torch.Tensor, flags: SpeedFlags) -> torch.Tensor:
    if flags.channels_last and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs")


def compile_module(module: nn.Module, how: bool | str) -> nn.Module:
    """``torch.compile(module)``: ``True`` (inductor, default mode), an inductor mode from
    :data:`COMPILE_MODES` (``reduce-overhead`` adds CUDA graphs), or a backend name
    (``eager``, ``aot_eager``, ... as ``torch._dynamo.list_backends()`` gives)."""
    if how is True:
        return torch.compile(module)
    if how in COMPILE_MODES:
        return torch.compile(module, mode=how)
    return torch.compile(module, backend=how)


def build_fused(cfg: RunConfig, seeds: list[int], input_shape, num_classes: int,
                device: torch.device, flags: SpeedFlags = SpeedFlags()):
    """Seed k's network built as the single path builds it, for every k, then fused.

    Returns ``(fused_module, step_module, n_params_per_model)``; ``step_module`` is the module
    to call (``torch.compile``'s wrapper when ``flags.compile``), sharing parameters with
    ``fused_module``.
    """
    models = []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(build_for(cfg, input_shape, num_classes))
    n_params = sum(p.numel() for p in models[0].parameters())
    fused = fuse_models(models).to(device)
    if flags.channels_last:
        fused = fused.to(memory_format=torch.channels_last)
    step_module = fused
    if flags.compile:
        step_module = compile_module(fused, flags.compile)
    return fused, step_module, n_params


def make_adam(model: nn.Module, lr: float, flags: SpeedFlags = SpeedFlags()) -> torch.optim.Adam:
    """Adam as the single path makes it; ``flags.fused_adam``: one kernel per parameter."""
    return torch.optim.Adam(model.parameters(), lr=lr, **({"fused": True} if flags.fused_adam else {}))


def stack_batch(model: nn.Module, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """The fused input holding images ``x[idx[k]]`` for every model k; ``idx`` is (K, B)."""
    if model.feature_major:
        xb = x[idx]                                          # (K, B, C, H, W)
        k, b = idx.shape
        return xb.reshape(k, b, -1).transpose(1, 2).reshape(-1, b)   # (K*C*H*W, B)
    xb = x[idx.t()]                                          # (B, K, C, H, W), contiguous
    return xb.reshape(xb.shape[0], -1, *xb.shape[3:])        # (B, K*C, H, W)


def broadcast_batch(model: nn.Module, x: torch.Tensor, k: int) -> torch.Tensor:
    """The fused input giving the same images ``x`` (B, C, H, W) to all K models."""
    b = len(x)
    if model.feature_major:
        return x.reshape(b, -1).t().unsqueeze(0).expand(k, -1, b).reshape(-1, b)
    return x.unsqueeze(1).expand(b, k, *x.shape[1:]).reshape(b, -1, *x.shape[2:])


def per_model_logits(model: nn.Module, out: torch.Tensor, k: int) -> torch.Tensor:
    """Fused output as per-model logits ``(B, K, classes)`` (a view)."""
    if model.feature_major:
        return out.reshape(k, -1, out.shape[-1]).permute(2, 0, 1)
    return out.reshape(out.shape[0], k, -1)


def per_model_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B, K) per-sample losses of logits ``(B, K, classes)`` against labels ``y`` (B, K)."""
    return F.cross_entropy(logits.transpose(1, 2).float(), y, reduction="none")


# ---------------------------------------------------------------- training

def fused_train_epoch(model, opt, x, y, batch_size, generators, device, flags=SpeedFlags(),
                      on_step=lambda: None, max_steps: int | None = None):
    """One pass for K models, each in the fresh random order of its own generator.

    Returns per-step losses ``(steps, K)`` (a device tensor: no sync per step) and the K
    running training accuracies (percent). ``max_steps`` cuts the pass short (benchmarks).
    """
    k = len(generators)
    model.train()
    perms = torch.stack([torch.randperm(len(x), generator=g) for g in generators]).to(x.device)
    slices = batch_slices(len(x), batch_size)
    if max_steps is not None:
        slices = slices[:max_steps]
    losses = torch.empty(len(slices), k, device=x.device)
    correct = torch.zeros(k, device=x.device)
    seen = 0
    for step, s in enumerate(slices):
        idx = perms[:, s]                                     # (K, B)
        xb, yb = _layout(stack_batch(model, x, idx), flags), y[idx.t()]   # yb: (B, K)
        with _autocast(device, flags):
            logits = per_model_logits(model, model(xb), k)                 # (B, K, classes)
            per_model = per_model_cross_entropy(logits, yb).mean(0)       # (K,) each model's mean
        opt.zero_grad(set_to_none=True)
        per_model.sum().backward()
        opt.step()
        losses[step] = per_model.detach()
        correct += (logits.detach().argmax(2) == yb).sum(0)
        seen += len(yb)
        on_step()
    return losses, [100.0 * c / seen for c in correct.tolist()] if seen else [None] * k


@torch.no_grad()
def fused_evaluate(model, x, y, k, device, flags=SpeedFlags(), chunk: int | None = None,
                   train_mode: bool = False):
    """Per model: mean loss and accuracy (percent) in eval mode (``train_mode``: BatchNorm on
    each chunk's own statistics, running statistics updated), as lists of K numbers."""
    if len(x) == 0:
        return [None] * k, [None] * k
    chunk = chunk or max(1, 1000 // k)   # the single path's memory per chunk
    model.train(train_mode)
    loss_sum = torch.zeros(k, device=x.device)
    correct = torch.zeros(k, device=x.device)
    for i in range(0, len(x), chunk):
        xb, yb = x[i:i + chunk], y[i:i + chunk]
        yk = yb.unsqueeze(1).expand(len(yb), k)
        with _autocast(device, flags):
            logits = per_model_logits(model, model(_layout(broadcast_batch(model, xb, k), flags)), k)
            loss_sum += per_model_cross_entropy(logits, yk).sum(0)
        correct += (logits.argmax(2) == yk).sum(0)
    return ([v / len(x) for v in loss_sum.tolist()],
            [100.0 * c / len(x) for c in correct.tolist()])


def fused_bn_evaluations(fused: nn.Module, data: Splits, k: int, batch_size: int,
                         device: torch.device, flags: SpeedFlags = SpeedFlags()) -> list[dict]:
    """:func:`bnorder.train.bn_eval.bn_evaluations` for each of the K models (on copies)."""
    if not bn_eval.batchnorms(fused):
        return [{} for _ in range(k)]
    precise = bn_eval.with_precise_statistics(
        fused, data.train_x, batch_size, prepare=lambda xb: _layout(broadcast_batch(fused, xb, k), flags))
    p_loss, p_acc = fused_evaluate(precise, data.test_x, data.test_y, k, device, flags)
    b_loss, b_acc = fused_evaluate(copy.deepcopy(fused), data.test_x, data.test_y, k, device, flags,
                                   chunk=bn_eval.BATCH_EVAL_SIZE, train_mode=True)
    return [{"test_loss_precise": p_loss[j], "test_acc_precise": p_acc[j],
             "test_loss_batch": b_loss[j], "test_acc_batch": b_acc[j]} for j in range(k)]


def train_fused(cfg: RunConfig, seeds, data: Splits | None = None, progress: bool = True, *,
                amp_bf16: bool = False, channels_last: bool = False,
                compile: bool | str = False, fused_adam: bool = False,
                checkpoint: tuple | None = None) -> list[dict]:
    """Train ``cfg`` once per seed in ``seeds`` (``cfg.seed`` is ignored), all in one model.

    Returns one dict per seed, in the order of ``seeds``, with the keys of
    :func:`bnorder.train.single.train_run` (``status``, ``failure``, ``epochs``, ``summary``,
    ``n_params``, ``device``) plus ``speed``: the fused group size and the flags used. A seed
    whose loss turns non-finite is marked ``diverged`` (its epochs so far kept) and the others
    train on. ``epochs[i]["seconds"]`` is the wall time of that epoch for the whole group.
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("train_fused needs at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    flags = SpeedFlags(bool(amp_bf16), bool(channels_last), compile or cfg.compile, bool(fused_adam))
    k = len(seeds)
    device = pick_device(cfg.device)
    if data is None:
        data = load_for(cfg)
    data = data.to(device)
    trainer = FusedTrainer(cfg, seeds, data, device, flags)
    results = run_epochs(cfg, trainer, data, f"{cfg.arch} {cfg.block} seeds {','.join(map(str, seeds))}",
                         progress, checkpoint)
    speed = {"fused_seeds": k, **flags.as_dict()}
    return [{**r, "n_params": trainer.n_params, "device": str(device), "speed": dict(speed)}
            for r in results]


class FusedTrainer:
    """K seeds as one stacked model, trained as :func:`bnorder.train.loop.run_epochs` asks."""

    def __init__(self, cfg: RunConfig, seeds: list[int], data: Splits, device: torch.device,
                 flags: SpeedFlags):
        self.cfg, self.data, self.device, self.flags, self.k = cfg, data, device, flags, len(seeds)
        self.fused, self.step_module, self.n_params = build_fused(
            cfg, seeds, data.input_shape, data.num_classes, device, flags)
        self.opt = make_adam(self.fused, cfg.lr, flags)   # one learning rate for every model
        self.generators = [torch.Generator().manual_seed(s) for s in seeds]

    def state_dict(self) -> dict:
        return {"model": self.fused.state_dict(), "opt": self.opt.state_dict(),
                "orders": [g.get_state() for g in self.generators]}

    def load_state_dict(self, state: dict) -> None:
        self.fused.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        for g, order in zip(self.generators, state["orders"]):
            g.set_state(order)

    def train_epoch(self, on_step):
        return fused_train_epoch(self.step_module, self.opt, self.data.train_x, self.data.train_y,
                                 self.cfg.batch_size, self.generators, self.device, self.flags,
                                 on_step=on_step)

    def evaluate(self, x, y):
        return fused_evaluate(self.step_module, x, y, self.k, self.device, self.flags)

    def before_epoch(self):
        return None

    def epoch_extras(self, _state) -> list[dict]:
        """BatchNorm's three evaluations with a probe (the mechanism diagnostics need the single
        path)."""
        if not self.cfg.probe:
            return [{} for _ in range(self.k)]
        readings = fused_bn_evaluations(self.fused, self.data, self.k, self.cfg.batch_size,
                                        self.device, self.flags)
        return [{"bn_eval": r} for r in readings]

    def final_extras(self, status: list[str]) -> list[dict]:
        """The whole training split in eval mode, as :func:`bnorder.train.bn_eval.training_fit`."""
        d = self.data
        loss, acc = fused_evaluate(self.step_module, d.train_x, d.train_y, self.k, self.device, self.flags)
        out = [{"train_eval_loss": loss[j], "train_eval_acc": acc[j]} for j in range(self.k)]
        if self.cfg.final_readings and bn_eval.batchnorms(self.fused):   # bn_eval.precise_fit, per model
            precise = bn_eval.with_precise_statistics(
                self.fused, d.train_x, self.cfg.batch_size,
                prepare=lambda xb: _layout(broadcast_batch(self.fused, xb, self.k), self.flags))
            readings = {"test": fused_evaluate(precise, d.test_x, d.test_y, self.k, self.device, self.flags),
                        "train_eval": fused_evaluate(precise, d.train_x, d.train_y, self.k, self.device,
                                                     self.flags)}
            for j in range(self.k):
                for split, (p_loss, p_acc) in readings.items():
                    out[j].update({f"{split}_loss_precise": p_loss[j], f"{split}_acc_precise": p_acc[j]})
        return [out[j] if status[j] == "ok" else {} for j in range(self.k)]


def run_and_record_fused(cfg: RunConfig, n_seeds: int, progress: bool = True, *,
                         seeds=None, data: Splits | None = None, **flags) -> list[tuple[dict, Path]]:
    """:func:`bnorder.train.run.run_and_record` for seeds ``cfg.seed … cfg.seed + n_seeds - 1`` (or
    ``seeds``) trained as one fused group: one record per seed, each with the provenance of
    the group (``wall_seconds`` is the group's) plus ``fused_seeds`` and the speed flags."""
    from ..runs.records import make_record, provenance, save_record
    from . import checkpoint as ckpt
    from .run import resumed_provenance

    seeds = list(seeds) if seeds is not None else [cfg.seed + i for i in range(n_seeds)]
    if len(seeds) != n_seeds:
        raise ValueError(f"n_seeds is {n_seeds} but {len(seeds)} seeds were given")
    started = dt.datetime.now(dt.timezone.utc)
    t0 = time.perf_counter()
    path = ckpt.checkpoint_path(cfg, seeds)
    results = train_fused(cfg, seeds, data=data, progress=progress,
                          checkpoint=(path, ckpt.identity(cfg, seeds) + repr(sorted(flags.items()))),
                          **flags)
    wall = time.perf_counter() - t0
    prov = {**provenance(results[0]["device"], wall, started), **resumed_provenance(results[0], wall)}
    out = []
    for seed, result in zip(seeds, results):
        record = make_record(dataclasses.replace(cfg, seed=seed), result,
                             {**prov, **result["speed"]})
        out.append((record, save_record(record)))
    ckpt.remove(path)
    return out
