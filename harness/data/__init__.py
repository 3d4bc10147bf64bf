"""Dataset registry and batch iteration."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from .images import DataError, ImageData, cifar10, imagenet, mnist5k, synthetic

DATASETS = {"mnist5k": mnist5k, "cifar10": cifar10, "imagenet": imagenet, "synthetic": synthetic}
# (channels, classes, native side) of each set, for building a model without loading data.
SHAPES = {"mnist5k": (1, 10, 32), "cifar10": (3, 10, 32), "imagenet": (3, 1000, 224),
          "synthetic": (3, 10, 16)}
# Datasets that read files under a data root (the others ship with a package or are generated).
NEEDS_ROOT = {"cifar10": "cifar-10-batches-py", "imagenet": "train"}

__all__ = ["DATASETS", "SHAPES", "DataError", "ImageData", "build_dataset", "check_available",
           "data_root", "train_batches", "eval_batches"]


def data_root(dataset: str, root: str | Path | None = None) -> Path | None:
    """`<root or $WDLAB_DATA>/<dataset>`, or None when neither is set."""
    base = root or os.environ.get("WDLAB_DATA")
    return Path(base) / dataset if base else None


def check_available(dataset: str, root: str | Path | None = None) -> None:
    """Fail before launching anything when a file-backed dataset is not where it should be."""
    if dataset in NEEDS_ROOT:
        folder = data_root(dataset, root)
        if folder is None or not (folder / NEEDS_ROOT[dataset]).exists():
            raise DataError(f"dataset {dataset}: {folder or '(no data root)'}/"
                            f"{NEEDS_ROOT[dataset]} not found; set --data-root or WDLAB_DATA "
                            f"to the folder holding {dataset}/")


def build_dataset(name: str, root: str | Path | None = None,
                  image_size: int | None = None) -> ImageData:
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")
    return DATASETS[name](data_root(name, root), image_size)


def random_crop(x: torch.Tensor, pad: int, g: torch.Generator) -> torch.Tensor:
    """Per-image random translation by up to `pad` pixels (pad with edge values, crop back)."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad,) * 4, mode="replicate")
    top = torch.randint(0, 2 * pad + 1, (b, 1, 1, 1), generator=g)
    left = torch.randint(0, 2 * pad + 1, (b, 1, 1, 1), generator=g)
    rows = top + torch.arange(h).view(1, 1, h, 1)
    cols = left + torch.arange(w).view(1, 1, 1, w)
    return padded[torch.arange(b).view(b, 1, 1, 1), torch.arange(c).view(1, c, 1, 1), rows, cols]


def train_batches(dataset, batch_size: int, seed: int, augment: str = "none",
                  label_noise: float = 0.0, num_classes: int = 10, workers: int = 0) -> Iterator:
    """Endless shuffled batches (last partial batch dropped), reproducible from `seed`.

    For in-memory sets: `augment="crop"` translates each image by up to 4 px, and
    `label_noise=p` replaces each drawn label by a uniformly random class with probability p,
    afresh at every draw, so the loss has a floor that no amount of memorization removes.
    """
    g = torch.Generator().manual_seed(seed)
    if isinstance(dataset, TensorDataset):
        x, y = dataset.tensors
        while True:
            order = torch.randperm(len(x), generator=g)
            for i in range(0, len(order) - batch_size + 1, batch_size):
                idx = order[i:i + batch_size]
                xb, yb = x[idx], y[idx]
                if augment == "crop":
                    xb = random_crop(xb, 4, g)
                if label_noise > 0:
                    flip = torch.rand(len(yb), generator=g) < label_noise
                    yb = torch.where(flip, torch.randint(0, num_classes, yb.shape, generator=g),
                                     yb)
                yield xb, yb
    if augment != "none" or label_noise > 0:
        raise ValueError("augment/label_noise apply to in-memory datasets; file-backed ones "
                         "use their own standard transforms")
    loader = DataLoader(dataset, batch_size, shuffle=True, drop_last=True, generator=g,
                        num_workers=workers, persistent_workers=workers > 0, pin_memory=True)
    while True:
        yield from loader


def eval_batches(dataset, batch_size: int, workers: int = 0) -> Iterator:
    if isinstance(dataset, TensorDataset):
        x, y = dataset.tensors
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]
        return
    yield from DataLoader(dataset, batch_size, num_workers=workers)
