"""Throughput benchmark: the original study's training loop against bnorder's, in one process.

    python -m bnorder bench [--full] [--dataset fashion-mnist|synthetic|cifar10] [--arch mlp|cnn|seed-mlp]
                            [--seeds 5] [--epochs 1] [--max-batches N] [--out results/bench/NAME.json]

With no arguments it takes about a minute on a 2-core CPU (:data:`QUICK`: the mlp of width 256 on
40 batches of Fashion-MNIST, 5 seeds, median of 3 timings); ``--full`` is the measurement the
README reports (:data:`FULL`: the same work, median of 7). Any option given overrides either.

Three paths do the same work, K seeds x ``epochs`` passes over the same ``n`` training images
(the first ``max_batches * batch_size`` images when ``--max-batches`` is given), one after the
other on the same machine:

    original  the study's loop: a torchvision-style data set that turns each uint8 image into a
              PIL image and applies ToTensor + Normalize(0.5, 0.5), a DataLoader (batch 128,
              shuffle, 2 workers), one model at a time, ``.item()`` every step
    single    bnorder's single path: images normalized once and kept on the device as one
              tensor, batches by permutation indexing (:func:`bnorder.train.single.train_epoch`),
              one model at a time
    fused     bnorder's fused path: the K seeds as one stacked model
              (:func:`bnorder.train.fused.fused_train_epoch`), optionally with bf16 autocast,
              channels_last, torch.compile and fused Adam (``--amp-bf16 --channels-last
              --compile [MODE] --fused-adam``)

Only training steps are timed (no evaluation); each path first runs a short untimed warm-up,
and with ``--repeats R`` the paths are timed R times in turn (round robin, so a change in the
machine's load hits every path) and the median is reported.
Throughput is model-images per second (K x epochs x n / seconds). The FLOPs of one training
image (forward and backward, matrix products and convolutions, counted by
``torch.utils.flop_counter.FlopCounterMode``) turn it into achieved TFLOP/s, set next to the
device's dense bf16 peak on CUDA (``--peak-tflops``, default the H100 SXM's 989).
A JSON record with provenance and the exact command is written to ``--out``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..runs.config import ARCHS, make_config
from ..runs.records import provenance, write_json_atomic
from .data import DATASETS, load_dataset, load_raw
from .fused import SpeedFlags, build_fused, fused_train_epoch, make_adam
from .networks import build_for
from .single import pick_device, train_epoch

H100_BF16_DENSE_TFLOPS = 989.0
PATHS = ("original", "single", "fused")
# The command line's defaults: QUICK without --full, FULL with it (options given override both).
QUICK = {"seeds": 5, "max_batches": 40, "repeats": 3}
FULL = {**QUICK, "repeats": 7}
MLP_WIDTH = 256  # the mlp's width in both; the other networks keep their default width
# The cnn is measured at the converged CNN's size (bnorder.runs.profiles.CNN_CONVERGED: 16 channels,
# 8 blocks), with fewer seeds and batches (a CPU step takes ~0.25 s), and with the breakdown of a
# whole run (bnorder.train.breakdown) unless --no-breakdown.
CNN = {"width": 16, "seeds": 2, "max_batches": 20}


# ---------------------------------------------------------------- the original study's data path

class OriginalStyleDataset(torch.utils.data.Dataset):
    """What ``torchvision.datasets.FashionMNIST``/``CIFAR10`` do per sample: uint8 array ->
    PIL image -> ``transform``. ``images`` is (N, C, H, W) uint8, C in {1, 3}."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform=None):
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        from PIL import Image

        img = self.images[i]
        img = Image.fromarray(img[0]) if img.shape[0] == 1 else Image.fromarray(img.transpose(1, 2, 0))
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.labels[i])


def original_transform(channels: int):
    import torchvision.transforms as transforms

    return transforms.Compose([transforms.ToTensor(),
                               transforms.Normalize((0.5,) * channels, (0.5,) * channels)])


def raw_train_arrays(dataset: str, data_root: str = "data", download: bool = True):
    """The uint8 training images (N, C, H, W) and labels that :mod:`bnorder.train.data` reads."""
    tx, ty, *_ = load_raw(dataset, data_root, download)
    return np.ascontiguousarray(tx), np.asarray(ty)


def original_train(model, loader, criterion, optimizer, device):
    """The study's ``train`` function, verbatim in what it computes and syncs."""
    model.train()
    correct, total, loss_sum = 0, 0, 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        loss_sum += loss.item()
        _, preds = outputs.max(1)
        correct += (preds == labels).sum().item()
        total += labels.size(0)
    return loss_sum / len(loader), 100. * correct / total


# ---------------------------------------------------------------- the three paths

def _sync(device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _net(cfg, seed, input_shape, num_classes, device):
    torch.manual_seed(seed)
    return build_for(cfg, input_shape, num_classes).to(device)


def run_original(cfg, seeds, images, labels, input_shape, num_classes, device, num_workers):
    dataset = OriginalStyleDataset(images, labels, original_transform(input_shape[0]))
    for seed in seeds:
        model = _net(cfg, seed, input_shape, num_classes, device)
        optimizer = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        criterion = nn.CrossEntropyLoss()
        loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True,
                                             num_workers=num_workers)
        for _ in range(cfg.epochs):
            original_train(model, loader, criterion, optimizer, device)
    _sync(device)


def run_single(cfg, seeds, x, y, input_shape, num_classes, device):
    for seed in seeds:
        model = _net(cfg, seed, input_shape, num_classes, device)
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
        order = torch.Generator().manual_seed(seed)
        for _ in range(cfg.epochs):
            train_epoch(model, opt, x, y, cfg.batch_size, order)
    _sync(device)


def run_fused(cfg, seeds, x, y, input_shape, num_classes, device, flags, built=None):
    """With ``flags.compile``, ``built`` keeps the compiled model and its optimizer between
    calls, so that it compiles once (in the warm-up), not in every timed run; otherwise the K
    models are built in every run, as the other paths build theirs."""
    built = {} if built is None or not flags.compile else built
    if "model" not in built:
        fused, built["model"], _ = build_fused(cfg, seeds, input_shape, num_classes, device, flags)
        built["opt"] = make_adam(fused, cfg.lr, flags)
    generators = [torch.Generator().manual_seed(s) for s in seeds]
    for _ in range(cfg.epochs):
        fused_train_epoch(built["model"], built["opt"], x, y, cfg.batch_size, generators, device, flags)
    _sync(device)


def train_flops_per_image(cfg, input_shape, num_classes, batch: int = 8) -> float:
    """FLOPs of one training image: forward + backward of matrix products and convolutions."""
    from torch.utils.flop_counter import FlopCounterMode

    model = _net(cfg, 0, input_shape, num_classes, torch.device("cpu"))
    x = torch.randn(batch, *input_shape)
    y = torch.zeros(batch, dtype=torch.long)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() / batch


# ---------------------------------------------------------------- the benchmark

def _check(paths, seeds, epochs, repeats, max_batches, warmup_batches) -> None:
    unknown = [p for p in paths if p not in PATHS]
    if unknown or not paths:
        raise ValueError(f"unknown path(s) {unknown or paths}; valid paths: {', '.join(PATHS)}")
    if min(seeds, epochs, repeats) < 1 or (max_batches is not None and max_batches < 1) \
            or warmup_batches < 0:
        raise ValueError("seeds, epochs, repeats and max_batches must be positive, warmup_batches >= 0")


def _time_paths(jobs: dict, n: int, batch_size: int, warmup_batches: int, repeats: int) -> dict:
    """Warm every path up on a few batches, then time each ``repeats`` times, round robin (a
    change in the machine's load hits every path). ``jobs[path](m, epochs)`` runs the path's
    work on the first ``m`` images."""
    if warmup_batches:  # a few batches, and a last one of the size the timed runs end with
        m = min(n, warmup_batches * batch_size)
        m += n % batch_size if n > m else 0
        for job in jobs.values():
            job(m, 1)
    times = {path: [] for path in jobs}
    for _ in range(repeats):
        for path, job in jobs.items():
            t0 = time.perf_counter()
            job(n, None)
            times[path].append(time.perf_counter() - t0)
    return times


def _results(times: dict, work: int, flops: float, cuda: bool, peak_tflops: float) -> dict:
    """Images/s, TFLOP/s, the ratio to the original loop and the share of peak, per path."""
    results = {}
    for path, each in times.items():
        seconds = float(np.median(each))
        results[path] = {"seconds": round(seconds, 4), "seconds_each": [round(t, 4) for t in each],
                         "images": work, "images_per_s": work / seconds,
                         "achieved_tflops": flops * work / seconds / 1e12}
    base = results.get("original", {}).get("images_per_s")
    for r in results.values():
        r["ratio_vs_original"] = r["images_per_s"] / base if base else None
        if cuda:
            r["fraction_of_peak"] = r["achieved_tflops"] / peak_tflops
    return results


def _print_table(results: dict, cuda: bool, peak_tflops: float, log) -> None:
    log(f"{'path':<10}{'images/s':>12}{'vs original':>13}{'TFLOP/s':>10}"
        + (f"{'of peak':>9}" if cuda else "") + f"{'seconds':>10}")
    for path, r in results.items():
        ratio = f"{r['ratio_vs_original']:.2f}x" if r["ratio_vs_original"] else "-"
        peak = f"{100 * r['fraction_of_peak']:8.2f}%" if cuda else ""
        log(f"{path:<10}{r['images_per_s']:>12.1f}{ratio:>13}{r['achieved_tflops']:>10.4f}{peak}"
            f"{r['seconds']:>10.2f}")
    if cuda:
        log(f"peak: {peak_tflops:g} TFLOP/s dense bf16 (--peak-tflops)")


def bench(dataset: str = "fashion-mnist", arch: str = "mlp", block: str = "bn-relu",
          seeds: int = 5, epochs: int = 1, max_batches: int | None = None, batch_size: int = 128,
          width: int | None = None, depth: int = 8, num_workers: int = 2, device: str = "auto",
          data_root: str = "data", download: bool = True, paths=PATHS, warmup_batches: int = 2,
          amp_bf16: bool = False, channels_last: bool = False, compile: bool | str = False,
          fused_adam: bool = False, repeats: int = 1, threads: int | None = None,
          peak_tflops: float = H100_BF16_DENSE_TFLOPS, run_breakdown: bool = False,
          out: str | Path | None = None, command: str | None = None, log=print) -> dict:
    """Run the benchmark, print a table with ``log`` and write the JSON record; returns it."""
    started = dt.datetime.now(dt.timezone.utc)
    t_start = time.perf_counter()
    _check(paths, seeds, epochs, repeats, max_batches, warmup_batches)
    if threads:
        torch.set_num_threads(threads)
    cfg = make_config(dataset=dataset, arch=arch, block=block, epochs=epochs, batch_size=batch_size,
                      width=width, depth=depth, val_fraction=0.0, data_root=data_root,
                      download=download, device=device)
    dev = pick_device(cfg.device)
    flags = SpeedFlags(bool(amp_bf16), bool(channels_last), compile, bool(fused_adam))
    seed_list = list(range(seeds))
    data = load_dataset(dataset, data_root, download, val_fraction=0.0)
    n = len(data.train_x) if max_batches is None else min(len(data.train_x), max_batches * batch_size)
    x, y = data.train_x[:n].to(dev), data.train_y[:n].to(dev)
    shape, classes = data.input_shape, data.num_classes
    if "original" in paths:
        raw_x, raw_y = (a[:n] for a in raw_train_arrays(dataset, data_root, download))
    flops = train_flops_per_image(cfg, shape, classes)
    built = {}  # with --compile: the fused model, compiled once
    runners = {
        "original": lambda c, m: run_original(c, seed_list, raw_x[:m], raw_y[:m], shape, classes, dev, num_workers),
        "single": lambda c, m: run_single(c, seed_list, x[:m], y[:m], shape, classes, dev),
        "fused": lambda c, m: run_fused(c, seed_list, x[:m], y[:m], shape, classes, dev, flags, built),
    }
    jobs = {path: (lambda m, ep, path=path: runners[path](dataclasses.replace(cfg, epochs=ep) if ep else cfg, m))
            for path in paths}
    times = _time_paths(jobs, n, batch_size, warmup_batches, repeats)
    cuda = dev.type == "cuda"
    results = _results(times, seeds * epochs * n, flops, cuda, peak_tflops)
    log(f"bench {dataset} {arch} {cfg.block} width {cfg.width} depth {cfg.depth}: {seeds} seeds x "
        f"{epochs} epoch(s) x {n} images, batch {batch_size}, median of {repeats}, on {dev} "
        f"({torch.get_num_threads()} torch threads); {flops / 1e6:.2f} MFLOP per training image")
    _print_table(results, cuda, peak_tflops, log)
    settings = {"dataset": dataset, "arch": arch, "block": cfg.block, "width": cfg.width,
                "depth": cfg.depth, "seeds": seeds, "epochs": epochs, "max_batches": max_batches,
                "images_per_epoch": n, "batch_size": batch_size, "lr": cfg.lr,
                "num_workers": num_workers, "warmup_batches": warmup_batches, "repeats": repeats,
                "paths": list(paths), "torch_threads": torch.get_num_threads(),
                "fused_flags": flags.as_dict(), "fused_seeds": seeds}
    record = {"kind": "bench", "command": command, "settings": settings, "train_flops_per_image": flops,
              "peak_tflops": peak_tflops if cuda else None, "results": results,
              "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}
    if run_breakdown:
        run_cfg = make_config(dataset=dataset, arch=arch, block=block, batch_size=batch_size,
                              width=width, depth=depth, probe=512, data_root=data_root,
                              download=download, device=device)
        record["run_breakdown"] = _breakdown(run_cfg, dev, repeats, log)
    record["provenance"] = provenance(str(dev), time.perf_counter() - t_start, started)
    if out is None:
        out = Path("results") / "bench" / f"{dataset}-{arch}-{dev.type}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    return _save(record, Path(out), log)


def _breakdown(run_cfg, dev, repeats: int, log) -> dict:
    """Where one whole run's time goes (:mod:`.breakdown`), the eager path against the fast one."""
    from .breakdown import breakdown
    from .data import load_for

    return breakdown(run_cfg, load_for(run_cfg).to(dev), repeats=repeats, log=log)


def _save(record: dict, out: Path, log) -> dict:
    record["path"] = str(out)
    write_json_atomic(out, record)
    log(f"wrote {out}")
    return record


# ---------------------------------------------------------------- command line

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--full", action="store_true",
                   help=f"the README's measurement: median of {FULL['repeats']} instead of "
                        f"{QUICK['repeats']} (about a minute without it on a 2-core CPU)")
    p.add_argument("--dataset", default="fashion-mnist", choices=DATASETS)
    p.add_argument("--arch", default="mlp", choices=ARCHS)
    p.add_argument("--block", default="bn-relu")
    p.add_argument("--seeds", type=int, default=None, help=f"K seeds (0..K-1) per path (default {QUICK['seeds']})")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-batches", type=int, default=None,
                   help=f"use only the first N batches' images per epoch (default {QUICK['max_batches']}; "
                        f"0: all)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--width", type=int, default=None,
                   help=f"units (mlp) or channels (cnn) (default: {MLP_WIDTH} for the mlp, the "
                        f"network's default otherwise; 0: the network's default)")
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--num-workers", type=int, default=2, help="original loop's DataLoader workers")
    p.add_argument("--device", default="auto")
    p.add_argument("--data-root", default="data")
    p.add_argument("--paths", default=",".join(PATHS), help="comma list of original,single,fused")
    p.add_argument("--warmup-batches", type=int, default=2)
    p.add_argument("--repeats", type=int, default=None,
                   help=f"time every path this many times, round robin; report the median "
                        f"(default {QUICK['repeats']}, with --full {FULL['repeats']})")
    p.add_argument("--amp-bf16", action="store_true", help="fused path: bf16 autocast")
    p.add_argument("--channels-last", action="store_true", help="fused path: channels_last")
    p.add_argument("--compile", nargs="?", const="default", default=None, metavar="MODE|BACKEND",
                   help="fused path: torch.compile; an inductor mode (default, reduce-overhead, "
                        "max-autotune) or a backend name (eager, aot_eager); bare: default")
    p.add_argument("--fused-adam", action="store_true", help="fused path: Adam(fused=True)")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads for all paths")
    p.add_argument("--peak-tflops", type=float, default=H100_BF16_DENSE_TFLOPS,
                   help="device's dense bf16 peak for the comparison on CUDA (default H100: 989)")
    p.add_argument("--no-breakdown", action="store_true",
                   help="cnn: skip the breakdown of a whole run's time, eager against fast path")
    p.add_argument("--out", default=None, help="JSON record (default results/bench/<name>.json)")


def resolve_defaults(args: argparse.Namespace) -> argparse.Namespace:
    """Fill the options not given from :data:`FULL` (``--full``) or :data:`QUICK`."""
    defaults = {**(FULL if args.full else QUICK), **(CNN if args.arch == "cnn" else {})}
    for key, value in defaults.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    if args.width is None and args.arch == "mlp":
        args.width = MLP_WIDTH
    return args


def command_of(args: argparse.Namespace) -> str:
    """The exact command, every option spelled out."""
    words = ["python", "-m", "bnorder", "bench"]
    for key in ("dataset", "arch", "block", "seeds", "epochs", "max_batches", "batch_size", "width",
                "depth", "num_workers", "device", "data_root", "paths", "warmup_batches", "repeats", "threads",
                "peak_tflops", "compile", "out"):
        value = getattr(args, key)
        if value is not None:
            words += [f"--{key.replace('_', '-')}", str(value)]
    for key in ("amp_bf16", "channels_last", "fused_adam", "no_breakdown"):
        if getattr(args, key):
            words.append(f"--{key.replace('_', '-')}")
    return shlex.join(words)


def main_from_args(args: argparse.Namespace) -> int:
    resolve_defaults(args)
    bench(dataset=args.dataset, arch=args.arch, block=args.block, seeds=args.seeds,
          epochs=args.epochs, max_batches=args.max_batches or None, batch_size=args.batch_size,
          width=args.width or None, depth=args.depth, num_workers=args.num_workers, device=args.device,
          data_root=args.data_root, paths=[p for p in args.paths.split(",") if p],
          warmup_batches=args.warmup_batches, amp_bf16=args.amp_bf16,
          channels_last=args.channels_last, compile=args.compile or False,
          fused_adam=args.fused_adam, repeats=args.repeats, threads=args.threads,
          peak_tflops=args.peak_tflops, run_breakdown=args.arch == "cnn" and not args.no_breakdown,
          out=args.out, command=command_of(args))
    sys.stdout.flush()
    return 0
