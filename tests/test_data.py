"""Loaders read the real file formats, normalize like the study and split without leaks."""

import gzip
import pickle

import numpy as np
import pytest
import torch

from bnorder.train import data
from bnorder.train.data import load_dataset, read_idx


def write_cifar(root, n_per_batch=6, seed=0):
    """Small files in the real CIFAR-10 python format (pickled dicts with bytes keys)."""
    rng = np.random.default_rng(seed)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"batch_label": name.encode(),
                 b"labels": rng.integers(0, 10, n_per_batch).tolist(),
                 b"data": rng.integers(0, 256, (n_per_batch, 3072), dtype=np.uint8),
                 b"filenames": [b"x.png"] * n_per_batch}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f, protocol=2)
    return folder


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_fashion(folder, n_train=20, n_test=10, gz=True):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
              "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
              "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test)}
    for name, arr in arrays.items():
        raw = idx_bytes(arr)
        if gz:
            with gzip.open(folder / (name + ".gz"), "wb") as f:
                f.write(raw)
        else:
            (folder / name).write_bytes(raw)
    return arrays


def test_cifar10_pickle_files_load_as_normalized_tensors(tmp_path):
    write_cifar(tmp_path)
    d = load_dataset("cifar10", tmp_path, download=False, val_fraction=0.0)
    assert d.train_x.shape == (30, 3, 32, 32) and d.test_x.shape == (6, 3, 32, 32)
    assert d.train_x.dtype == torch.float32 and d.train_y.dtype == torch.int64
    assert d.train_x.min() >= -1 and d.train_x.max() <= 1  # (x/255 - 0.5) / 0.5
    assert d.num_classes == 10 and d.input_shape == (3, 32, 32)


def test_cifar10_pixels_keep_their_channel_layout(tmp_path):
    folder = write_cifar(tmp_path)
    with open(folder / "test_batch", "rb") as f:
        raw = pickle.load(f, encoding="bytes")[b"data"][0]
    d = load_dataset("cifar10", tmp_path, download=False, val_fraction=0.0)
    expected = torch.from_numpy(raw.reshape(3, 32, 32).astype(np.float32)) / 127.5 - 1
    assert torch.allclose(d.test_x[0], expected, atol=1e-6)


def test_missing_cifar10_without_download_says_where_to_put_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="cifar-10-batches-py"):
        load_dataset("cifar10", tmp_path, download=False)


def test_missing_cifar10_with_failed_download_fails_with_the_same_advice(tmp_path, monkeypatch):
    import torchvision

    def offline(*a, **k):
        raise OSError("network is unreachable")
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    with pytest.raises(FileNotFoundError, match="could not be downloaded.*cifar-10-batches-py"):
        load_dataset("cifar10", tmp_path, download=True)


def test_truncated_cifar_batch_is_reported_as_corrupt(tmp_path):
    folder = write_cifar(tmp_path)
    (folder / "data_batch_3").write_bytes((folder / "data_batch_3").read_bytes()[:100])
    with pytest.raises(ValueError, match="corrupt CIFAR-10 batch .*data_batch_3"):
        load_dataset("cifar10", tmp_path, download=False)


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_idx_files_load_from_torchvisions_layout(tmp_path, gz, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "nowhere")
    arrays = write_fashion(tmp_path / "FashionMNIST" / "raw", gz=gz)
    d = load_dataset("fashion-mnist", tmp_path, download=False, val_fraction=0.0)
    assert d.train_x.shape == (20, 1, 28, 28) and d.test_x.shape == (10, 1, 28, 28)
    assert torch.equal(d.test_y, torch.from_numpy(arrays["t10k-labels-idx1-ubyte"].astype(np.int64)))


def test_corrupt_idx_file_is_reported_with_its_path(tmp_path):
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(idx_bytes(np.zeros((4, 28, 28)))[:-10])
    with pytest.raises(ValueError, match="corrupt idx file .*train-images-idx3-ubyte"):
        read_idx(bad)
    bad.write_bytes(b"garbage!")
    with pytest.raises(ValueError, match="bad magic number"):
        read_idx(bad)


def test_missing_fashion_mnist_without_download_says_where_to_put_the_files(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "DEBIAN_FASHION_MNIST", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="FashionMNIST"):
        load_dataset("fashion-mnist", tmp_path, download=False)


def test_validation_split_is_fixed_disjoint_and_held_out_of_training():
    a = load_dataset("synthetic", val_fraction=0.25)
    b = load_dataset("synthetic", val_fraction=0.25)
    assert torch.equal(a.val_x, b.val_x)
    assert len(a.val_x) == 256 and len(a.train_x) == 768
    train_rows = {tuple(r.tolist()) for r in a.train_x.flatten(1)[:, :16]}
    assert not any(tuple(r.tolist()) in train_rows for r in a.val_x.flatten(1)[:, :16])


def test_val_fraction_zero_keeps_the_whole_training_set():
    d = load_dataset("synthetic", val_fraction=0.0)
    assert len(d.val_x) == 0 and len(d.train_x) == 1024


def test_train_subset_keeps_that_many_images():
    assert len(load_dataset("synthetic", val_fraction=0.1, train_subset=100).train_x) == 100


def test_centred_inputs_have_zero_mean_per_pixel_over_training_and_keep_their_differences():
    plain = load_dataset("synthetic", val_fraction=0.25)
    centred = load_dataset("synthetic", val_fraction=0.25, center_inputs=True)
    assert centred.train_x.mean(dim=0).abs().max() < 1e-5
    assert plain.train_x.mean(dim=0).abs().max() > 0.1
    shift = plain.train_x.mean(dim=0, keepdim=True)
    for split in ("train_x", "val_x", "test_x"):
        assert torch.allclose(getattr(centred, split), getattr(plain, split) - shift, atol=1e-6)


def test_unknown_dataset_error_names_the_valid_datasets():
    with pytest.raises(ValueError, match="cifar10, fashion-mnist, synthetic"):
        load_dataset("imagenet")
