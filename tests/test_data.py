"""Datasets: CIFAR-10's file format on a generated file, the embedded digits, clear errors."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from harness.data import BatchStream, DataError, build_dataset, check_available


def _write_cifar(folder, per_batch=20, seed=0):
    """Files in CIFAR-10's python format: pickled dicts of uint8 rows (3072) and labels."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8),
                 b"labels": rng.integers(0, 10, per_batch).tolist(),
                 b"batch_label": name.encode()}
        with open(folder / name, "wb") as f:
            pickle.dump(batch, f)
    return folder


def test_cifar10_reads_generated_files_in_cifar_format(tmp_path):
    folder = _write_cifar(tmp_path / "cifar10" / "cifar-10-batches-py")
    check_available("cifar10", tmp_path)
    data = build_dataset("cifar10", tmp_path)
    x, y = data.train.tensors
    assert x.shape == (100, 3, 32, 32) and len(data.test) == 20
    assert (data.channels, data.num_classes) == (3, 10)
    with open(folder / "data_batch_1", "rb") as f:
        raw = pickle.load(f)
    # Rows are channel-major (R plane, G plane, B plane), as CIFAR documents.
    first = raw[b"data"][0].reshape(3, 32, 32).astype(np.float64)
    for c in range(3):  # standardization is affine per channel: correlation stays 1
        assert np.corrcoef(x[0, c].flatten().numpy(), first[c].flatten())[0, 1] > 0.999
    assert y[:20].tolist() == raw[b"labels"]


def test_cifar10_corrupt_and_missing_files_name_the_path(tmp_path):
    folder = _write_cifar(tmp_path / "cifar10" / "cifar-10-batches-py")
    (folder / "data_batch_3").write_bytes(b"not a pickle")
    with pytest.raises(DataError, match="data_batch_3"):
        build_dataset("cifar10", tmp_path)
    (folder / "data_batch_3").unlink()
    with pytest.raises(DataError, match="missing .*data_batch_3"):
        build_dataset("cifar10", tmp_path)
    with pytest.raises(DataError, match="cifar10"):
        check_available("cifar10", tmp_path / "elsewhere")


def test_embedded_mnist_digits():
    data = build_dataset("mnist5k")
    x, y = data.train.tensors
    assert x.shape == (4500, 1, 32, 32) and len(data.test) == 500
    assert torch.bincount(y).tolist() == [450] * 10
    assert abs(x.mean().item()) < 1e-3 and abs(x.std().item() - 1) < 1e-2


def test_batches_are_reproducible_and_cover_an_epoch():
    data = build_dataset("synthetic")
    a, b = BatchStream(data.train, 64, seed=3), BatchStream(data.train, 64, seed=3)
    first_epoch = [next(a)[1] for _ in range(8)]
    assert all(torch.equal(y, next(b)[1]) for y in first_epoch)
    assert sorted(torch.cat(first_epoch).tolist()) == sorted(data.train.tensors[1].tolist())
