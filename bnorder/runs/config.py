"""One run's configuration: every knob, its default, and the checks that name valid values.

The names a knob accepts (data sets, architectures, heads, ...) are defined here, without torch,
so that the analysis side can read them; :mod:`bnorder.train.data` and :mod:`bnorder.train.networks` use
them from here.
"""

from __future__ import annotations

import hashlib
import json
import typing
from dataclasses import asdict, dataclass, fields

from ..orders import canonical_block

DATASETS = ("cifar10", "fashion-mnist", "synthetic")  # bnorder.train.data
ARCHS = ("cnn", "mlp", "seed-mlp")                    # bnorder.train.networks
DEFAULT_WIDTH = {"cnn": 64, "mlp": 512, "seed-mlp": 512}
DEFAULT_DEPTH = 8
HEADS = ("linear", "bn-linear")
DEVICES = ("auto", "cpu", "cuda", "mps")
SCHEDULES = ("constant", "cosine")
SPLIT_SEED = 20240  # fixed: the validation split never depends on the run's seed
# A run outside any sweep profile (the notebook's default) is ad hoc: with the default
# results_dir its record goes to an ignored folder that no reader of results/ (the book) sees.
ADHOC_PROFILE = "adhoc"
ADHOC_RESULTS_DIR = "runs-adhoc"


@dataclass
class RunConfig:
    dataset: str = "cifar10"      # cifar10 | fashion-mnist | synthetic
    arch: str = "cnn"             # cnn | mlp | seed-mlp
    block: str = "bn-relu"        # bn-relu | relu-bn | lrelu-bn | bn-lrelu | relu (or case1..case3)
    seed: int = 0                 # initial weights and data order; paired across blocks
    epochs: int = 10              # passes over the training split
    batch_size: int = 128         # the study's code used 128 (its text says 64)
    lr: float = 1e-3              # Adam learning rate
    width: int | None = None      # channels (cnn) or units (mlp); None: cnn 64, mlp 512
    depth: int = DEFAULT_DEPTH    # number of order-carrying blocks (cnn, mlp)
    val_fraction: float = 0.1     # share of training images held out for validation; 0 = the study
    train_subset: int = 0         # keep only this many training images (0: all)
    bias: bool = True             # bias of the conv/linear layer inside each block
    leaky_slope: float = 0.01     # negative slope of LeakyReLU
    bn_momentum: float = 0.1      # BatchNorm's running-statistics momentum (PyTorch's default)
    head: str = "linear"          # classifier: linear (the study) | bn-linear (same input for every order)
    first_block: str = ""         # another order for the first block only ("": block everywhere)
    center_inputs: bool = False   # subtract the training split's mean image from every image
    schedule: str = "constant"    # learning rate: constant (the study) | cosine (to 0 over the run)
    probe: int = 0                # images in the fixed probe batch for mechanism diagnostics (0: off)
    data_root: str = "data"       # where data sets are looked for and downloaded to
    download: bool = True         # download a missing data set (CIFAR-10, Fashion-MNIST)
    device: str = "auto"          # auto | cpu | cuda | mps
    compile: bool = False         # torch.compile the training step (same fp32 math, fused kernels)
    final_readings: bool = False  # at the end, read both splits with precise BatchNorm statistics too
    profile: str = "adhoc"        # sweep profile this run belongs to (names the results folder)
    results_dir: str = "results"  # root of the results tree

    def as_dict(self) -> dict:
        return asdict(self)


# Knobs that change where or how a run executes or what it measures, never its numbers.
NOT_IN_HASH = ("data_root", "download", "device", "profile", "results_dir", "probe", "compile",
               "final_readings")


def _type_ok(value, kind) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, kind)


def _kind(hint):
    """The type a knob's value must have, from its annotation (``int | None`` -> int)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


# Each knob's type, read from the dataclass: the knobs are declared once, in RunConfig.
_KINDS = {name: _kind(hint) for name, hint in typing.get_type_hints(RunConfig).items()}


def knob_names() -> list[str]:
    """Every knob of a run, in the order RunConfig declares them (the notebook's parameters)."""
    return [f.name for f in fields(RunConfig)]


def injected_names(history) -> list[str]:
    """The names papermill set with ``-p``: the assignments of its injected-parameters cell,
    found in the kernel's input history (IPython's ``In``) by the comment papermill opens it
    with, ``# Parameters``. Empty when the notebook was not run by papermill."""
    import ast

    names: list[str] = []
    for source in history:
        if not isinstance(source, str) or source.split("\n", 1)[0].strip() != "# Parameters":
            continue
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name) and t.id not in names]
    return names


def check_parameter_names(names, extra=()) -> None:
    """Raise ``ValueError`` naming every name in ``names`` that is neither a knob of a run nor
    in ``extra`` (the notebook's own parameters), with the valid names."""
    import difflib

    valid = [*knob_names(), *extra]
    unknown = [n for n in names if n not in valid]
    if unknown:
        close = {n: difflib.get_close_matches(n, valid, n=1) for n in unknown}
        named = ", ".join(f"{n} (did you mean {close[n][0]}?)" if close[n] else n for n in unknown)
        raise ValueError(f"unknown parameter(s) {named}; valid parameters: {', '.join(sorted(valid))}")


def make_config(**params) -> RunConfig:
    """Check ``params`` and return a :class:`RunConfig` with the canonical block name.

    An ad-hoc run (profile ``adhoc``) with the default ``results_dir`` gets
    :data:`ADHOC_RESULTS_DIR`, outside the published results tree.
    Raises ``ValueError`` naming the bad knob and its valid values.
    """
    known = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; valid parameters: {', '.join(sorted(known))}")
    for name, value in params.items():
        if name == "width" and value is None:
            continue
        if not _type_ok(value, _KINDS[name]):
            raise ValueError(f"{name} must be of type {_KINDS[name].__name__}, got {value!r} "
                             f"({type(value).__name__})")
    cfg = RunConfig(**params)
    if cfg.dataset not in DATASETS:
        raise ValueError(f"unknown dataset {cfg.dataset!r}; valid datasets: {', '.join(DATASETS)}")
    if cfg.arch not in ARCHS:
        raise ValueError(f"unknown arch {cfg.arch!r}; valid archs: {', '.join(ARCHS)}")
    cfg.block = canonical_block(cfg.block)  # ValueError naming the valid blocks
    if cfg.first_block:
        cfg.first_block = canonical_block(cfg.first_block)
    if cfg.head not in HEADS:
        raise ValueError(f"unknown head {cfg.head!r}; valid heads: {', '.join(HEADS)}")
    if cfg.schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {cfg.schedule!r}; valid schedules: {', '.join(SCHEDULES)}")
    if cfg.probe < 0 or cfg.probe == 1:
        raise ValueError(f"probe must be 0 (off) or at least 2 images, got {cfg.probe}")
    if cfg.device not in DEVICES:
        raise ValueError(f"unknown device {cfg.device!r}; valid devices: {', '.join(DEVICES)}")
    positive = {"epochs": cfg.epochs, "batch_size": cfg.batch_size, "depth": cfg.depth}
    for name, value in positive.items():
        if value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")
    if cfg.width is not None and cfg.width < 1:
        raise ValueError(f"width must be a positive integer or None, got {cfg.width}")
    if not cfg.lr > 0:
        raise ValueError(f"lr must be positive, got {cfg.lr}")
    if cfg.seed < 0:
        raise ValueError(f"seed must be >= 0, got {cfg.seed}")
    if not 0 <= cfg.val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {cfg.val_fraction}")
    if cfg.train_subset < 0:
        raise ValueError(f"train_subset must be >= 0 (0 keeps all), got {cfg.train_subset}")
    if cfg.leaky_slope < 0:
        raise ValueError(f"leaky_slope must be >= 0, got {cfg.leaky_slope}")
    if not 0 < cfg.bn_momentum <= 1:
        raise ValueError(f"bn_momentum must be in (0, 1], got {cfg.bn_momentum}")
    if cfg.width is None:
        cfg.width = DEFAULT_WIDTH[cfg.arch]
    if cfg.profile == ADHOC_PROFILE and cfg.results_dir == RunConfig.results_dir:
        cfg.results_dir = ADHOC_RESULTS_DIR
    cfg.lr = float(cfg.lr)
    cfg.val_fraction = float(cfg.val_fraction)
    cfg.leaky_slope = float(cfg.leaky_slope)
    cfg.bn_momentum = float(cfg.bn_momentum)
    return cfg


# Knobs added after records were first written: left out of the hash at these values, so a run
# that does not use them keeps the hash its record has always had.
LATER_KNOBS = {"first_block": "", "center_inputs": False, "bn_momentum": 0.1}


def config_hash(cfg: RunConfig) -> str:
    """Hash of everything that determines a run's numbers (seed included)."""
    d = {k: v for k, v in cfg.as_dict().items()
         if k not in NOT_IN_HASH and not (k in LATER_KNOBS and v == LATER_KNOBS[k])}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]
