"""Where one training run's time goes, for the eager path and the fast one, in one process.

A run is more than its training steps: every epoch also evaluates the validation and test
splits, re-estimates BatchNorm's statistics for the precise reading (a pass over
:data:`bnorder.train.bn_eval.PRECISE_IMAGES` training images, then the test split), reads the test
split with batch statistics, and measures the diagnostics on the probe; the end adds the
training split's fit and the Hessian's top eigenvalue. :func:`breakdown` times each part on a
sample (a few steps, a few thousand images), scales it to the counts of a whole run of the
configuration, and does so for two paths, alternately (``repeats`` rounds, medians):

    eager   the training step as PyTorch runs it, evaluation in chunks of 1000 images
            (bnorder's path before 2026-12-05)
    fast    the training step through ``torch.compile`` (``cfg.compile``) and evaluation in
            chunks of :func:`bnorder.train.bn_eval.eval_chunk` images

A training step's time is split further by a profiler pass into the operations that take it:
convolution (or matrix product), BatchNorm, the activation, the optimizer, the rest.
``python -m bnorder bench --arch cnn`` prints both and writes them into its record.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import torch.nn.functional as F

from . import bn_eval
from . import diagnostics as diag
from .loop import batch_slices
from .single import SingleTrainer, compile_step, epoch_diagnostics, evaluate

PATHS = {"eager": {"compile": False, "chunk": 1000}, "fast": {"compile": True, "chunk": None}}
# Operation name fragments -> the part of a training step they belong to (first match wins).
OP_KINDS = (("convolution", ("conv", "mm", "addmm", "bmm")),
            ("batchnorm", ("batch_norm",)),
            ("activation", ("threshold", "relu", "leaky", "clamp")),
            ("optimizer", ("adam", "optimizer", "_foreach", "sqrt", "addcdiv", "lerp")))


def _timed(fn, repeat: int = 1) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def _steps(model, opt, x, y, batch_size: int, n: int) -> None:
    model.train()
    for i in range(n):
        xb, yb = x[i * batch_size:(i + 1) * batch_size], y[i * batch_size:(i + 1) * batch_size]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def step_operations(trainer: SingleTrainer, data, batch_size: int, steps: int = 5) -> dict:
    """Share of a training step's time per kind of operation (profiler self time)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        _steps(trainer.model, trainer.opt, data.train_x, data.train_y, batch_size, steps)
    totals = {kind: 0.0 for kind, _ in OP_KINDS} | {"other": 0.0}
    for event in prof.key_averages():
        name = event.key.lower()
        kind = next((k for k, parts in OP_KINDS if any(p in name for p in parts)), "other")
        totals[kind] += event.self_cpu_time_total
    whole = sum(totals.values()) or 1.0
    return {kind: t / whole for kind, t in totals.items()}


def _unit_times(cfg, data, trainer: SingleTrainer, step_module, chunk: int | None, steps: int,
                images: int, hessian: bool = True) -> dict:
    """Seconds per training step, per evaluated image and per fixed pass, for one path (the
    Hessian's, a minute or two on a CPU and once per run, only when ``hessian``)."""
    x, y, bs = data.train_x, data.train_y, cfg.batch_size
    test_x, test_y = data.test_x[:images], data.test_y[:images]
    chunk = chunk or bn_eval.eval_chunk(x.device)
    model = trainer.model
    _steps(step_module, trainer.opt, x, y, bs, 2)   # warm-up (and the compilation)
    out = {"train_step": _timed(lambda: _steps(step_module, trainer.opt, x, y, bs, steps)) / steps,
           "eval_image": _timed(lambda: evaluate(model, test_x, test_y, chunk)) / len(test_x)}
    precise = bn_eval.with_precise_statistics(model, x, bs)
    out["precise_pass"] = _timed(lambda: bn_eval.with_precise_statistics(model, x, bs))
    out["precise_image"] = _timed(lambda: bn_eval._loss_acc(precise, test_x, test_y, chunk)) / len(test_x)
    out["batch_image"] = _timed(lambda: bn_eval.batch_statistics_evaluation(model, test_x, test_y)) / len(test_x)
    if trainer.probe:
        start = diag.weight_snapshot(model)
        out["diagnostics"] = _timed(lambda: epoch_diagnostics(model, trainer.probe, start, bs))
        if hessian:
            out["hessian"] = _timed(lambda: diag.top_hessian_eigenvalue(
                model, trainer.probe["train_x"], trainer.probe["train_y"]))
    return out


def projected(cfg, data, unit: dict) -> dict:
    """Seconds a whole run of ``cfg`` spends in each part, from the per-unit times: a run with
    the probe (every reading every epoch), or, with ``cfg.final_readings`` and no probe, a
    confirmatory run (both splits read with precise statistics once, at the end)."""
    steps = len(batch_slices(len(data.train_x), cfg.batch_size))
    epochs, n_val, n_test, n_train = cfg.epochs, len(data.val_x), len(data.test_x), len(data.train_x)
    if cfg.final_readings and not cfg.probe:
        parts = {
            "training steps": epochs * steps * unit["train_step"],
            "evaluation (validation, test)": epochs * (n_val + n_test) * unit["eval_image"],
            "final fit, running and precise statistics":
                n_train * unit["eval_image"] + unit["precise_pass"] + (n_test + n_train) * unit["precise_image"],
        }
        return {**parts, "whole run": sum(parts.values())}
    parts = {
        "training steps": epochs * steps * unit["train_step"],
        "evaluation (validation, test)": epochs * (n_val + n_test) * unit["eval_image"],
        "precise statistics": epochs * (unit["precise_pass"] + n_test * unit["precise_image"]),
        "batch statistics": epochs * n_test * unit["batch_image"],
        "diagnostics": epochs * unit.get("diagnostics", 0.0),
        "final fit and Hessian": n_train * unit["eval_image"] + unit.get("hessian", 0.0),
    }
    return {**parts, "whole run": sum(parts.values())}


def breakdown(cfg, data, steps: int = 20, images: int = 2000, repeats: int = 3, log=print) -> dict:
    """Both paths' projected run times (medians of ``repeats`` alternating rounds), the ratio,
    and the operations of an eager training step."""
    device = data.train_x.device
    trainers, modules = {}, {}
    for path, how in PATHS.items():
        trainers[path] = SingleTrainer(dataclasses.replace(cfg, compile=False), data, device)
        modules[path] = compile_step(trainers[path].model) if how["compile"] else trainers[path].model
    rounds = {path: [] for path in PATHS}
    for i in range(repeats):   # the Hessian timed in the first round only
        for path, how in PATHS.items():
            rounds[path].append(_unit_times(cfg, data, trainers[path], modules[path], how["chunk"],
                                            steps, images, hessian=i == 0))
    runs = {}
    for path, each in rounds.items():
        unit = {k: float(np.median([r[k] for r in each if k in r])) for k in each[0]}
        runs[path] = {"per_unit": unit, "projected_seconds": projected(cfg, data, unit),
                      # the same run as the confirmatory profiles measure it (final readings, no probe)
                      "projected_seconds_confirmatory": projected(
                          dataclasses.replace(cfg, probe=0, final_readings=True), data, unit)}
    ops = step_operations(trainers["eager"], data, cfg.batch_size)
    ratio = runs["eager"]["projected_seconds"]["whole run"] / runs["fast"]["projected_seconds"]["whole run"]
    log(f"one run of {cfg.arch} {cfg.block} width {cfg.width} depth {cfg.depth}, {cfg.epochs} epochs, "
        f"probe {cfg.probe} (projected from {steps} steps and {images} images, median of {repeats}):")
    log(f"{'part':<32}{'eager s':>10}{'fast s':>10}{'eager':>8}{'fast':>8}")
    whole = {p: runs[p]["projected_seconds"]["whole run"] for p in PATHS}
    for part in runs["eager"]["projected_seconds"]:
        e, f = (runs[p]["projected_seconds"][part] for p in PATHS)
        log(f"{part:<32}{e:>10.0f}{f:>10.0f}{100 * e / whole['eager']:>7.0f}%{100 * f / whole['fast']:>7.0f}%")
    log(f"fast path: {ratio:.2f}x the eager path's speed for the whole run")
    confirm = runs["fast"]["projected_seconds_confirmatory"]["whole run"]
    log(f"a confirmatory run (final readings, no probe) on the fast path: {confirm:.0f} s, "
        f"{whole['fast'] / confirm:.2f}x faster than the run above")
    log("an eager training step: " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in ops.items()))
    return {"paths": {p: dict(PATHS[p]) for p in PATHS}, "runs": runs, "speedup": ratio,
            "step_operations": ops, "steps": steps, "images": images, "repeats": repeats}
