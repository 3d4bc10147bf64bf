"""Training batches as a resumable stream: the epoch order, the position in it and the
random generator are the whole state, so a run restored from a checkpoint draws exactly the
batches an uninterrupted run would have drawn."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset, get_worker_info

from .tokens import ShardWindows


def random_crop(x: torch.Tensor, pad: int, g: torch.Generator) -> torch.Tensor:
    """Per-image random translation by up to `pad` pixels (pad with edge values, crop back)."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad,) * 4, mode="replicate")
    top = torch.randint(0, 2 * pad + 1, (b, 1, 1, 1), generator=g)
    left = torch.randint(0, 2 * pad + 1, (b, 1, 1, 1), generator=g)
    rows = top + torch.arange(h).view(1, 1, h, 1)
    cols = left + torch.arange(w).view(1, 1, 1, w)
    return padded[torch.arange(b).view(b, 1, 1, 1), torch.arange(c).view(1, c, 1, 1), rows, cols]


class SeededSamples(Dataset):
    """dataset[(index, seed)]: the sample with its random transforms drawn under `seed`.

    torch's and Python's generators are forked, not reset, so the caller's streams (dropout,
    Mixup, the loop's own draws) are untouched when the loader runs in-process.
    """

    def __init__(self, dataset: Dataset):
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, item: tuple[int, int]):
        index, seed = item
        if get_worker_info() is not None:
            # A loader worker: its generators serve nobody else, so seed them and skip the
            # save/restore below (115 of its 127 µs per sample: 3 % of a ResNet decode).
            torch.default_generator.manual_seed(seed)
            random.seed(seed)
            np.random.seed(seed % 2**32)
            return self.dataset[index]
        python_state, numpy_state = random.getstate(), np.random.get_state()
        try:
            with torch.random.fork_rng(devices=[]):
                torch.default_generator.manual_seed(seed)  # the CPU one: fork_rng restores it
                # timm's RandAugment draws from Python's `random` and from NumPy's.
                random.seed(seed)
                np.random.seed(seed % 2**32)
                return self.dataset[index]
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)


class BatchStream:
    """Endless shuffled batches (last partial batch dropped), reproducible from `seed`.

    For in-memory sets: `augment="crop"` translates each image by up to 4 px, and
    `label_noise=p` replaces each drawn label by a uniformly random class with probability p,
    afresh at every draw, so the loss has a floor that no amount of memorization removes.
    File-backed sets are read through a DataLoader over the same order; each drawn sample also
    gets a seed from the stream's generator that its random transforms run under (crop, flip,
    RandAugment), so a resumed run repeats the augmentation too, whatever the worker count.

    Under DDP every rank walks the same global order and gets its own rows of each global
    batch: in-memory sets draw the whole batch (the draws stay those of one process) and keep
    a slice; file-backed sets decode only this rank's samples, each under its own seed, so
    the global batch and its augmentation are the same at any world size.
    """

    def __init__(self, dataset, batch_size: int, seed: int, augment: str = "none",
                 label_noise: float = 0.0, num_classes: int = 10, workers: int = 0,
                 rank: int = 0, world: int = 1):
        self.in_memory = isinstance(dataset, TensorDataset)
        if not self.in_memory and (augment != "none" or label_noise > 0):
            raise ValueError("augment/label_noise apply to in-memory datasets; file-backed "
                             "ones use their own standard transforms")
        self.dataset, self.batch_size, self.workers = dataset, batch_size, workers
        self.augment, self.label_noise, self.num_classes = augment, label_noise, num_classes
        if batch_size % world:
            raise ValueError(f"global batch {batch_size} does not split over {world} ranks")
        self.rank, self.world = rank, world
        self.generator = torch.Generator().manual_seed(seed)
        self.order: torch.Tensor | None = None
        self.sample_seeds: torch.Tensor | None = None  # file-backed: one per position in order
        self.position = 0
        self._loader: Iterator | None = None

    def state_dict(self) -> dict:
        return {"generator": self.generator.get_state(), "order": self.order,
                "sample_seeds": self.sample_seeds, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self.order, self.position = state["order"], state["position"]
        self.sample_seeds = state.get("sample_seeds")
        if self.sample_seeds is None and self.order is not None and not self.in_memory:
            # a checkpoint from before per-sample seeds: seed the rest of this epoch afresh
            self.sample_seeds = torch.randint(2**62, (len(self.order),),
                                              generator=self.generator)
        self._loader = None

    def __iter__(self):
        return self

    def __next__(self):
        if self.order is None or self.position + self.batch_size > len(self.order):
            self.order = torch.randperm(len(self.dataset), generator=self.generator)
            if not self.in_memory:
                self.sample_seeds = torch.randint(2**62, (len(self.order),),
                                                  generator=self.generator)
            self.position = 0
            self._loader = None
        idx = self.order[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        if not self.in_memory:
            return self._next_from_loader()
        x, y = (t[idx] for t in self.dataset.tensors)
        if self.augment == "crop":
            x = random_crop(x, 4, self.generator)
        if self.label_noise > 0:
            flip = torch.rand(len(y), generator=self.generator) < self.label_noise
            y = torch.where(flip, torch.randint(0, self.num_classes, y.shape,
                                                generator=self.generator), y)
        return self._mine(x), self._mine(y)

    def _mine(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch."""
        per = len(batch) // self.world
        return batch if self.world == 1 else batch[self.rank * per:(self.rank + 1) * per]

    def _local_batches(self, start: int) -> Iterator[list[tuple[int, int]]]:
        """(index, seed) of this rank's samples, batch by batch, from `start` to the epoch's
        end; generated as the loader asks, not listed (ImageNet: 1.28M pairs an epoch)."""
        for begin in range(start, len(self.order) - self.batch_size + 1, self.batch_size):
            end = begin + self.batch_size
            yield list(zip(self._mine(self.order[begin:end]).tolist(),
                           self._mine(self.sample_seeds[begin:end]).tolist()))

    def _next_from_loader(self):
        if self._loader is None:  # the rest of this epoch, in order
            batches = self._local_batches(self.position - self.batch_size)
            self._loader = iter(DataLoader(SeededSamples(self.dataset), batch_sampler=batches,
                                           num_workers=self.workers,
                                           # its own base seed, not one drawn from torch's
                                           # global generator (which checkpoints restore)
                                           generator=torch.Generator().manual_seed(0),
                                           pin_memory=torch.cuda.is_available()))
        return next(self._loader)


def eval_items(n: int, limit: int | None, spread: bool, rank: int = 0,
               world: int = 1) -> np.ndarray:
    """Which of n evaluation items this rank scores: the first `limit` (None: all), or with
    `spread` `limit` items spread evenly over the set (an ImageFolder is sorted by class: its
    first 12 800 images are classes 0–9); then this rank's contiguous share."""
    if limit is None or limit >= n:
        chosen = np.arange(n)
    else:
        chosen = (np.arange(limit) * n) // limit if spread else np.arange(limit)
    return np.array_split(chosen, world)[rank]


def eval_batches(dataset, batch_size: int, workers: int = 0, limit: int | None = None,
                 rank: int = 0, world: int = 1) -> Iterator:
    """This rank's evaluation batches (see eval_items); file-backed image sets are spread."""
    spread = not isinstance(dataset, (TensorDataset, ShardWindows))
    items = eval_items(len(dataset), limit, spread, rank, world)
    if isinstance(dataset, TensorDataset):
        x, y = dataset.tensors
        for i in range(0, len(items), batch_size):
            chunk = items[i:i + batch_size]
            if len(chunk):  # contiguous: a slice, no copy
                yield x[chunk[0]:chunk[-1] + 1], y[chunk[0]:chunk[-1] + 1]
        return
    yield from DataLoader(Subset(dataset, items.tolist()), batch_size, num_workers=workers,
                          generator=torch.Generator().manual_seed(0))
