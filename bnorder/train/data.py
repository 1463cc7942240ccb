"""Data sets as tensors: decoded once, normalized once, split once.

    cifar10        CIFAR-10 in its python pickle format (``<data_root>/cifar-10-batches-py``),
                   downloaded through torchvision when missing and allowed.
    fashion-mnist  Fashion-MNIST in its idx format (``train-images-idx3-ubyte[.gz]`` …), read from
                   ``<data_root>/FashionMNIST/raw`` (torchvision's layout), ``<data_root>/fashion-mnist``
                   or Debian's ``/usr/share/datasets/fashion-mnist``; downloaded when missing and allowed.
    synthetic      small generated images with class templates, for tests and smoke runs.

Every image is scaled like the original study, ``(x / 255 - 0.5) / 0.5``. A validation split
is held out of the training set with a fixed split seed, so the test set is only read for
reporting; ``val_fraction=0`` keeps the study's protocol (no validation set).
"""

from __future__ import annotations

import functools
import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..runs.config import DATASETS, SPLIT_SEED  # noqa: F401  (defined without torch, for the analysis side)

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
CIFAR_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"


@dataclass
class Splits:
    """Normalized float images (N, C, H, W) and int64 labels for each split."""
    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_x.shape[1:])

    def to(self, device) -> "Splits":
        moved = {k: v.to(device) for k, v in vars(self).items() if isinstance(v, torch.Tensor)}
        return Splits(name=self.name, num_classes=self.num_classes, **moved)


# ---------------------------------------------------------------- file formats

def read_cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 python batch: uint8 images (N, 3, 32, 32) and labels (N,)."""
    try:
        with open(path, "rb") as f:
            d = pickle.load(f, encoding="bytes")
        data = np.asarray(d[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(d[b"labels"], dtype=np.int64)
    except Exception as e:  # truncated pickle, wrong keys, wrong size
        raise ValueError(f"corrupt CIFAR-10 batch {path}: {e!r}; delete the folder and download again") from e
    if len(data) != len(labels):
        raise ValueError(f"corrupt CIFAR-10 batch {path}: {len(data)} images but {len(labels)} labels")
    return data, labels


def read_idx(path: Path) -> np.ndarray:
    """An idx file (the MNIST format), gzipped or not, as a uint8 array."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise ValueError(f"corrupt idx file {path}: {e}; delete it and download again") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"corrupt idx file {path}: bad magic number; delete it and download again")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    expected = int(np.prod(shape))
    if len(raw) - offset != expected:
        raise ValueError(f"corrupt idx file {path}: {len(raw) - offset} bytes of data, header says "
                         f"{expected}; delete it and download again")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape).copy()


# ---------------------------------------------------------------- data sets

def _one_line(message: str) -> list[str]:
    return [f"FileNotFoundError: {message}"]


def missing_data(message: str) -> FileNotFoundError:
    """The error of a data set that is not on disk (and could not be downloaded): ``message``
    says where it was looked for and how to get it. IPython (the notebook, so papermill's
    terminal) shows it as that one line instead of the stack of calls that reached it."""
    error = FileNotFoundError(message)
    error._render_traceback_ = functools.partial(_one_line, message)
    return error


def _download(dataset: str, root: Path, missing: str, hint: str) -> None:
    """Download torchvision's ``dataset`` into ``root``; on failure raise :func:`missing_data` saying
    what is ``missing``, why the download failed, and the ``hint`` on where to put the files."""
    try:
        import torchvision
        getattr(torchvision.datasets, dataset)(str(root), train=True, download=True)
    except Exception as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        raise missing_data(f"{missing} and could not be downloaded ({reason}). {hint}") from e


def _cifar10(root: Path, download: bool):
    folder = root / "cifar-10-batches-py"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    if not all((folder / n).exists() for n in names):
        if download:
            _download("CIFAR10", root, f"CIFAR-10 is not in {folder}",
                      f"Download {CIFAR_URL}, unpack it into {root} so that {folder}/data_batch_1 "
                      f"exists, or set data_root to the folder holding cifar-10-batches-py "
                      f"(papermill: -p data_root DIR).")
        else:
            raise missing_data(
                f"CIFAR-10 is not in {folder}. Unpack {CIFAR_URL} into {root} so that "
                f"{folder}/data_batch_1 … test_batch exist, set data_root to the folder holding "
                f"cifar-10-batches-py (papermill: -p data_root DIR), or allow the download.")
    parts = [read_cifar_batch(folder / n) for n in names[:5]]
    train_x = np.concatenate([p[0] for p in parts])
    train_y = np.concatenate([p[1] for p in parts])
    test_x, test_y = read_cifar_batch(folder / "test_batch")
    return train_x, train_y, test_x, test_y, 10


FASHION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _find_idx(folder: Path, name: str) -> Path | None:
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.exists():
            return candidate
    return None


def fashion_mnist_folder(root: Path) -> Path | None:
    """The first folder holding all four Fashion-MNIST files, or None."""
    for folder in (root / "FashionMNIST" / "raw", root / "fashion-mnist", root, DEBIAN_FASHION_MNIST):
        if all(_find_idx(folder, n) for n in FASHION_FILES):
            return folder
    return None


def _fashion_mnist(root: Path, download: bool):
    folder = fashion_mnist_folder(root)
    if folder is None and download:
        _download("FashionMNIST", root,
                  f"Fashion-MNIST is not in {root / 'FashionMNIST' / 'raw'} or {DEBIAN_FASHION_MNIST}",
                  f"Put the four idx files ({', '.join(FASHION_FILES)}, optionally .gz) in "
                  f"{root / 'fashion-mnist'}, or install Debian's package dataset-fashion-mnist.")
        folder = fashion_mnist_folder(root)
    if folder is None:
        raise missing_data(
            f"Fashion-MNIST is not in {root / 'FashionMNIST' / 'raw'} or {DEBIAN_FASHION_MNIST}; put the "
            f"four idx files there or allow the download.")
    tx, ty, sx, sy = (read_idx(_find_idx(folder, n)) for n in FASHION_FILES)
    if len(tx) != len(ty) or len(sx) != len(sy):
        raise ValueError(f"corrupt Fashion-MNIST in {folder}: image and label counts differ")
    return tx[:, None], ty.astype(np.int64), sx[:, None], sy.astype(np.int64), 10


def _synthetic(n_train: int = 1024, n_test: int = 256, classes: int = 4, size: int = 8):
    """Class templates plus noise: learnable in one epoch, generated the same way every time."""
    g = torch.Generator().manual_seed(0)
    templates = torch.randn(classes, 1, size, size, generator=g)

    def make(n):
        y = torch.randint(0, classes, (n,), generator=g)
        x = 128 + 50 * templates[y] + 40 * torch.randn(n, 1, size, size, generator=g)
        return x.clamp(0, 255).to(torch.uint8).numpy(), y.numpy()

    tx, ty = make(n_train)
    sx, sy = make(n_test)
    return tx, ty, sx, sy, classes


def _normalize(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x)).float().div_(255).sub_(0.5).div_(0.5)


def load_raw(name: str, data_root: str | Path = "data", download: bool = True):
    """The data set as stored: uint8 images (N, C, H, W) and int64 labels for training and
    test, and the number of classes."""
    root = Path(data_root)
    if name == "cifar10":
        return _cifar10(root, download)
    if name == "fashion-mnist":
        return _fashion_mnist(root, download)
    if name == "synthetic":
        return _synthetic()
    raise ValueError(f"unknown dataset {name!r}; valid datasets: {', '.join(DATASETS)}")


def load_dataset(name: str, data_root: str | Path = "data", download: bool = True,
                 val_fraction: float = 0.1, train_subset: int = 0,
                 center_inputs: bool = False) -> Splits:
    """Load ``name`` as normalized tensors with a validation split held out of training.

    ``train_subset`` > 0 keeps only that many training images (after the validation split),
    the same images for every seed. ``center_inputs`` subtracts the training split's mean image
    (per pixel and channel) from every split.
    """
    train_x, train_y, test_x, test_y, classes = load_raw(name, data_root, download)
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(SPLIT_SEED)).numpy()
    n_val = int(round(val_fraction * len(train_x)))
    val_idx, train_idx = np.sort(order[:n_val]), np.sort(order[n_val:])
    if train_subset:
        train_idx = np.sort(order[n_val:][:train_subset])
    splits = Splits(
        name=name,
        train_x=_normalize(train_x[train_idx]), train_y=torch.from_numpy(train_y[train_idx]),
        val_x=_normalize(train_x[val_idx]), val_y=torch.from_numpy(train_y[val_idx]),
        test_x=_normalize(test_x), test_y=torch.from_numpy(np.asarray(test_y)),
        num_classes=classes,
    )
    return center(splits) if center_inputs else splits


def center(splits: Splits) -> Splits:
    """Every split minus the training split's mean image: each pixel has mean zero over the
    training images, so no image-independent offset reaches the first layer."""
    mean = splits.train_x.mean(dim=0, keepdim=True)
    for key in ("train_x", "val_x", "test_x"):
        setattr(splits, key, getattr(splits, key) - mean)
    return splits


def load_for(cfg) -> Splits:
    """The splits a run's configuration (:class:`bnorder.runs.config.RunConfig`) asks for."""
    return load_dataset(cfg.dataset, cfg.data_root, cfg.download, cfg.val_fraction,
                        cfg.train_subset, cfg.center_inputs)
