"""Dataset registry and batch iteration."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch

from .batches import BatchStream, eval_batches
from .images import DataError, ImageData, cifar10, imagenet, mnist5k, synthetic
from .tokens import ShardWindows, TokenStream, fineweb, stdlib_bytes

DATASETS = {"mnist5k": mnist5k, "cifar10": cifar10, "imagenet": imagenet,
            "synthetic": synthetic, "stdlib_bytes": stdlib_bytes, "fineweb_edu": fineweb,
            "fineweb10b": fineweb}
# (channels, classes, native side) of each set, for building a model without loading data.
# For token sets: (vocabulary, vocabulary, default sequence length).
SHAPES = {"mnist5k": (1, 10, 32), "cifar10": (3, 10, 32), "imagenet": (3, 1000, 224),
          "synthetic": (3, 10, 16), "stdlib_bytes": (256, 256, 256),
          "fineweb_edu": (50304, 50304, 1024), "fineweb10b": (50304, 50304, 1024)}
TOKENS = {"stdlib_bytes", "fineweb_edu", "fineweb10b"}
# Datasets that read files under a data root (the others ship with a package or are generated).
NEEDS_ROOT = {"cifar10": "cifar-10-batches-py", "imagenet": "train", "fineweb_edu": ".",
              "fineweb10b": "."}

__all__ = ["DATASETS", "SHAPES", "TOKENS", "BatchStream", "DataError", "ImageData",
           "ShardWindows", "TokenStream", "build_dataset", "check_available", "data_root",
           "decoding_workers", "eval_batch_size", "eval_batches", "eval_limit",
           "example_input", "input_size", "train_stream"]


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


def input_size(cfg) -> int | None:
    """The config's size knob for its dataset: sequence length for tokens, else image side."""
    return cfg.seq_len if cfg.dataset in TOKENS else cfg.image_size


def eval_batch_size(cfg) -> int:
    """The evaluation batch `eval_batches` counts: 32 token windows or 256 images."""
    return 32 if cfg.dataset in TOKENS else 256


def eval_limit(cfg) -> int | None:
    """Items per evaluation: `eval_tokens` worth of windows for token sets, else
    `eval_batches` batches (None: the whole set)."""
    if cfg.eval_tokens is not None:
        return math.ceil(cfg.eval_tokens / (cfg.seq_len or SHAPES[cfg.dataset][2]))
    return None if cfg.eval_batches is None else cfg.eval_batches * eval_batch_size(cfg)


def example_input(dataset: str, size: int | None = None) -> torch.Tensor:
    """A zero batch of one, shaped like the dataset's inputs (for tracing a model)."""
    channels, _, native = SHAPES[dataset]
    if dataset in TOKENS:
        return torch.zeros(1, size or native, dtype=torch.long)
    return torch.zeros(1, channels, size or native, size or native)


def build_dataset(name: str, root: str | Path | None = None, size: int | None = None,
                  **transforms) -> ImageData:
    """`size`: image side or sequence length (None: the dataset's native one); `transforms`
    (crop_scale_min, randaugment) reach the file-backed image sets only."""
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")
    return DATASETS[name](data_root(name, root), size, **(transforms if name == "imagenet"
                                                          else {}))


def decoding_workers(cpus: int) -> int:
    """Loader workers for image folders from a rank's CPUs: all but one (the training loop's),
    at least one, at most 16. `harness plan --cost` counts the same."""
    return max(1, min(16, cpus - 1))


def train_stream(data: ImageData, cfg, rank: int = 0, world: int = 1, workers: int = 0):
    """The run's batches, this rank's rows of each global batch: TokenStream over shards,
    BatchStream for everything else."""
    if isinstance(data.train, ShardWindows):
        return TokenStream(data.train, cfg.batch_size, cfg.seed, rank, world)
    return BatchStream(data.train, cfg.batch_size, cfg.seed, cfg.augment, cfg.label_noise,
                       data.num_classes, workers, rank, world)
