"""Training batches as a resumable stream: the epoch order, the position in it and the
random generator are the whole state, so a run restored from a checkpoint draws exactly the
batches an uninterrupted run would have drawn."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset


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
    """

    def __init__(self, dataset, batch_size: int, seed: int, augment: str = "none",
                 label_noise: float = 0.0, num_classes: int = 10, workers: int = 0):
        self.in_memory = isinstance(dataset, TensorDataset)
        if not self.in_memory and (augment != "none" or label_noise > 0):
            raise ValueError("augment/label_noise apply to in-memory datasets; file-backed "
                             "ones use their own standard transforms")
        self.dataset, self.batch_size, self.workers = dataset, batch_size, workers
        self.augment, self.label_noise, self.num_classes = augment, label_noise, num_classes
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
        return x, y

    def _next_from_loader(self):
        if self._loader is None:  # the rest of this epoch, in order
            start = self.position - self.batch_size
            pairs = list(zip(self.order[start:].tolist(), self.sample_seeds[start:].tolist()))
            batches = [pairs[i:i + self.batch_size]
                       for i in range(0, len(pairs) - self.batch_size + 1, self.batch_size)]
            self._loader = iter(DataLoader(SeededSamples(self.dataset), batch_sampler=batches,
                                           num_workers=self.workers,
                                           # its own base seed, not one drawn from torch's
                                           # global generator (which checkpoints restore)
                                           generator=torch.Generator().manual_seed(0),
                                           pin_memory=torch.cuda.is_available()))
        return next(self._loader)


def eval_batches(dataset, batch_size: int, workers: int = 0) -> Iterator:
    if isinstance(dataset, TensorDataset):
        x, y = dataset.tensors
        for i in range(0, len(x), batch_size):
            yield x[i:i + batch_size], y[i:i + batch_size]
        return
    yield from DataLoader(dataset, batch_size, num_workers=workers,
                          generator=torch.Generator().manual_seed(0))
