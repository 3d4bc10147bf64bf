"""`harness data prepare imagenet`: ILSVRC-2012 as downloaded → `ROOT/imagenet/{train,val}/<wnid>/`,
the class folders `harness/data/images.py` reads.

Sources, found under `--source DIR` (each either as the official archive or extracted):
- train: `ILSVRC2012_img_train.tar` (one tar per class inside), or class folders `train/<wnid>/`
  (also Kaggle's `ILSVRC/Data/CLS-LOC/train/`);
- val images: `ILSVRC2012_img_val.tar`, or the flat folder `val/` (Kaggle: `.../CLS-LOC/val/`);
- val labels: Kaggle's `LOC_val_solutions.csv`, or the devkit (`ILSVRC2012_devkit_t12.tar.gz`
  or its folder: `data/meta.mat` + `data/ILSVRC2012_validation_ground_truth.txt`, whose class
  ids are the devkit's own order, not sorted wnids; meta.mat needs scipy).

Extracted sources are linked, not copied: a symlink per train class, a hard link per val image
(a symlink across filesystems). Archives are extracted. Idempotent and resumable: a train class
is extracted under `<wnid>.partial/` and renamed when whole; val images present are skipped;
`.prepared.json` records the counts once everything is there.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tarfile
from pathlib import Path

from .images import DataError

TRAIN_TAR, VAL_TAR = "ILSVRC2012_img_train.tar", "ILSVRC2012_img_val.tar"
DEVKIT = "ILSVRC2012_devkit_t12"
KAGGLE = Path("ILSVRC") / "Data" / "CLS-LOC"
KAGGLE_LABELS = "LOC_val_solutions.csv"
MARKER = ".prepared.json"


def _find(source: Path, *candidates: Path | str) -> Path | None:
    return next((source / c for c in candidates if (source / c).exists()), None)


def val_labels(source: Path, scratch: Path) -> dict[str, str]:
    """Validation file stem (ILSVRC2012_val_00000001) → wnid. A devkit archive is unpacked
    under `scratch` (the source may be a read-only mount)."""
    kaggle = _find(source, KAGGLE_LABELS)
    if kaggle is not None:
        with open(kaggle, newline="") as f:
            return {row["ImageId"]: row["PredictionString"].split()[0]
                    for row in csv.DictReader(f)}
    devkit = _find(source, DEVKIT, f"{DEVKIT}.tar.gz")
    if devkit is None:
        raise DataError(f"{source}: no validation labels: expected {KAGGLE_LABELS} or the devkit "
                        f"({DEVKIT}.tar.gz or its folder)")
    if devkit.is_file():
        with tarfile.open(devkit) as tar:
            tar.extractall(scratch, filter="data")
        devkit = scratch / DEVKIT
    try:
        from scipy.io import loadmat
    except ImportError:
        raise DataError("the ImageNet devkit's meta.mat needs scipy (pip install scipy), or "
                        f"give {KAGGLE_LABELS} instead") from None
    synsets = loadmat(devkit / "data" / "meta.mat", squeeze_me=True)["synsets"]
    wnid_of = {int(s["ILSVRC2012_ID"]): str(s["WNID"]) for s in synsets
               if int(s["num_children"]) == 0}  # the 1000 leaves are the classes
    truth = (devkit / "data" / "ILSVRC2012_validation_ground_truth.txt").read_text().split()
    return {f"ILSVRC2012_val_{i:08d}": wnid_of[int(c)] for i, c in enumerate(truth, start=1)}


def _link(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another filesystem, or no hard links there
        os.symlink(src.resolve(), dst)


def _train_from_folders(folder: Path, dest: Path) -> None:
    for cls in sorted(p for p in folder.iterdir() if p.is_dir()):
        target = dest / cls.name
        if not target.exists():
            os.symlink(cls.resolve(), target, target_is_directory=True)


def _train_from_archive(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as outer:
        for member in outer:
            wnid = Path(member.name).name.removesuffix(".tar")
            if not member.isfile() or (dest / wnid).is_dir():
                continue  # done in an earlier, interrupted call
            partial = dest / f"{wnid}.partial"
            shutil.rmtree(partial, ignore_errors=True)
            with tarfile.open(fileobj=outer.extractfile(member)) as inner:
                inner.extractall(partial, filter="data")
            partial.rename(dest / wnid)


def _place_val(stem_to_wnid: dict[str, str], dest: Path, name: str) -> Path | None:
    """The destination of one val image (its class folder made), None if already there."""
    stem = Path(name).stem
    if stem not in stem_to_wnid:
        raise DataError(f"validation image {name} has no label")
    folder = dest / stem_to_wnid[stem]
    folder.mkdir(exist_ok=True)
    target = folder / Path(name).name
    return None if target.exists() else target


def _val_from_folder(folder: Path, labels: dict[str, str], dest: Path) -> None:
    for image in sorted(folder.iterdir()):
        if image.is_file() and (target := _place_val(labels, dest, image.name)):
            _link(image, target)


def _val_from_archive(archive: Path, labels: dict[str, str], dest: Path) -> None:
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and (target := _place_val(labels, dest, member.name)):
                partial = target.with_name(target.name + ".partial")
                with tar.extractfile(member) as src, open(partial, "wb") as out:
                    shutil.copyfileobj(src, out)
                partial.rename(target)


def count_images(folder: Path) -> tuple[int, int]:
    """(class folders, files in them): directory listings only, no image is opened."""
    classes = [d for d in folder.iterdir() if d.is_dir() and not d.name.endswith(".partial")]
    return len(classes), sum(1 for d in classes for f in os.scandir(d) if f.is_file())


def prepare_imagenet(source: str | Path, root: str | Path) -> dict:
    """Build `root/imagenet/{train,val}/<wnid>/` from `source`; returns the counts."""
    source, out = Path(source), Path(root) / "imagenet"
    if (out / MARKER).is_file():
        return json.loads((out / MARKER).read_text()) | {"already_prepared": True}
    train_src = _find(source, TRAIN_TAR, "train", KAGGLE / "train")
    val_src = _find(source, VAL_TAR, "val", KAGGLE / "val")
    for what, found, expected in (("train", train_src, f"{TRAIN_TAR} or train/<wnid>/"),
                                  ("val", val_src, f"{VAL_TAR} or val/ (flat)")):
        if found is None:
            raise DataError(f"{source}: no ImageNet {what} images (expected {expected})")
    (out / "train").mkdir(parents=True, exist_ok=True)
    labels = val_labels(source, out / ".devkit")
    (out / "val").mkdir(exist_ok=True)
    if train_src.is_file():
        _train_from_archive(train_src, out / "train")
    else:
        _train_from_folders(train_src, out / "train")
    if val_src.is_file():
        _val_from_archive(val_src, labels, out / "val")
    else:
        _val_from_folder(val_src, labels, out / "val")
    counts = {split: dict(zip(("classes", "images"), count_images(out / split)))
              for split in ("train", "val")}
    (out / MARKER).write_text(json.dumps(counts, indent=2) + "\n")
    return counts
