"""`harness data check`: is the data on disk what a sweep's runs need?

Counts come from directory listings and shard headers, never from contents, so a 200B-token
shard set is checked in seconds. Too little data is a problem (the caller exits 2), unless the
sweep says `data_repeat: allow`: a 100B-token set under a 200B-token run would otherwise be
read twice without a word.
"""

from __future__ import annotations

import math
from pathlib import Path

from . import TOKENS, check_available, data_root, eval_limit
from .images import DataError
from .prepare_imagenet import count_images
from .tokens import shard_paths, shard_tokens

# ILSVRC-2012-CLS, as released: what an ImageNet-1k run expects to find.
IMAGENET_FULL = {"classes": 1000, "train": 1_281_167, "val": 50_000}
EMBEDDED = {"mnist5k", "stdlib_bytes", "synthetic"}


def token_inventory(folder: Path, seq_len: int) -> dict[str, int]:
    """Tokens and whole windows of seq_len + 1 per split, from the shards' headers."""
    out = {}
    for split, paths in shard_paths(folder).items():
        counts = [shard_tokens(p) for p in paths]
        out[f"{split}_tokens"] = sum(counts)
        out[f"{split}_windows"] = sum(max((c - 1) // seq_len, 0) for c in counts)
        out[f"{split}_shards"] = len(paths)
    return out


def _token_rows(cfg, found: dict, eval_items: int | None) -> list[tuple[str, int, int]]:
    """(what, found, needed) for one token run; windows are seq_len tokens of training."""
    seq = cfg.seq_len or 1024
    if cfg.steps is not None:
        train_windows = cfg.steps * cfg.batch_size
    else:  # epochs of the set: whole epochs repeat it by design
        train_windows = math.ceil(min(cfg.epochs, 1.0) * found["train_windows"])
    rows = [("train tokens", found["train_windows"] * seq, train_windows * seq)]
    # the val set's size when the whole set is evaluated; at least one window in any case
    rows.append(("val tokens", found["val_windows"] * seq, (eval_items or 1) * seq))
    return rows


def check_runs(runs, root: str | Path | None, data_repeat: str = "refuse") -> tuple[list, list]:
    """(table rows, problems) for every run's dataset under `root`."""
    rows, problems, inventories = [], [], {}
    for run in runs:
        cfg = run.config
        if cfg.dataset in EMBEDDED:
            rows.append({"run": run.run_id, "dataset": cfg.dataset, "what": "embedded",
                         "found": "-", "needed": "-", "verdict": "ok"})
            continue
        check_available(cfg.dataset, root)
        folder = data_root(cfg.dataset, root)
        if cfg.dataset not in TOKENS and cfg.dataset != "imagenet":  # cifar10: the files
            rows.append({"run": run.run_id, "dataset": cfg.dataset, "what": "files",
                         "found": "present", "needed": "-", "verdict": "ok"})
            continue
        key = (cfg.dataset, cfg.seq_len if cfg.dataset in TOKENS else None)
        if key not in inventories:
            inventories[key] = (token_inventory(folder, cfg.seq_len or 1024)
                                if cfg.dataset in TOKENS else _image_inventory(folder))
        found = inventories[key]
        if cfg.dataset in TOKENS:
            checks = _token_rows(cfg, found, eval_limit(cfg))
        else:  # imagenet
            checks = [(f"{split} {what}", found[f"{split}_{what}"],
                       IMAGENET_FULL[what if what == "classes" else split])
                      for split in ("train", "val") for what in ("classes", "images")]
        for what, have, need in checks:
            short = have < need
            repeat = short and what == "train tokens" and data_repeat == "allow"
            verdict = "repeats (allowed)" if repeat else "TOO LITTLE" if short else "ok"
            rows.append({"run": run.run_id, "dataset": cfg.dataset, "what": what,
                         "found": have, "needed": need, "verdict": verdict})
            if short and not repeat:
                hint = (" (or data_repeat: allow in the sweep to read it more than once)"
                        if what == "train tokens" else "")
                problems.append(f"dataset {cfg.dataset} at {folder}: {what}: found {have:,}, "
                                f"run {run.run_id} needs {need:,}{hint}")
    return rows, problems


def _image_inventory(folder: Path) -> dict[str, int]:
    out = {}
    for split in ("train", "val"):
        if not (folder / split).is_dir():
            raise DataError(f"{folder / split} not found (expected class folders)")
        out[f"{split}_classes"], out[f"{split}_images"] = count_images(folder / split)
    return out
