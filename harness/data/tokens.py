"""Token datasets for the GPT workloads: byte-level Python standard library sources (embedded:
every machine with Python has them) and FineWeb(-Edu) shards in the llm.c/modded-nanogpt
`.bin` format, memory-mapped.

Both are cut into non-overlapping windows of seq_len + 1 tokens (input, next-token target),
which BatchStream shuffles per epoch like images: one resumable order for every workload.
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from .images import DataError, ImageData

SHARD_MAGIC, SHARD_VERSION, HEADER_INTS = 20240520, 1, 256
SKIP_DIRS = {"test", "tests", "idle_test", "site-packages"}


def windows(tokens: torch.Tensor, seq_len: int) -> TensorDataset:
    """(input, target) pairs from consecutive windows; views of `tokens`, no copy."""
    n = (len(tokens) - 1) // seq_len
    w = tokens[: n * seq_len + 1].unfold(0, seq_len + 1, seq_len)
    return TensorDataset(w[:, :-1], w[:, 1:])


def stdlib_bytes(root: Path | None = None, seq_len: int | None = None) -> ImageData:
    """The running interpreter's standard library sources (tests excluded), byte-level.

    Real, varied text that ships with Python (≈13 MB for 3.11): no download, no licence
    question. Its exact bytes depend on the Python version, which DONE records via torch's.
    The last 5 % of the bytes are the validation split."""
    lib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in lib.rglob("*.py")
                   if not SKIP_DIRS.intersection(p.relative_to(lib).parts))
    if not files:
        raise DataError(f"dataset stdlib_bytes: no .py files under {lib}")
    data = b"\n".join(p.read_bytes() for p in files)
    tokens = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    split = int(len(tokens) * 0.95)
    seq_len = seq_len or 256
    return ImageData(windows(tokens[:split], seq_len), windows(tokens[split:], seq_len),
                     256, 256, seq_len)


def read_shard(path: Path) -> np.ndarray:
    """Tokens of one `.bin` shard: 256 int32 header (magic, version, count), then uint16."""
    header = np.fromfile(path, dtype=np.int32, count=HEADER_INTS)
    if len(header) < HEADER_INTS or header[0] != SHARD_MAGIC:
        found = header[0] if len(header) else "nothing"
        raise DataError(f"{path}: not a token shard (magic {found}, expected {SHARD_MAGIC})")
    if header[1] != SHARD_VERSION:
        raise DataError(f"{path}: shard version {header[1]}, expected {SHARD_VERSION}")
    count = int(header[2])
    size = Path(path).stat().st_size
    if size < HEADER_INTS * 4 + 2 * count:
        raise DataError(f"{path}: truncated: header says {count} tokens, file holds "
                        f"{(size - HEADER_INTS * 4) // 2}")
    return np.memmap(path, dtype=np.uint16, mode="r", offset=HEADER_INTS * 4, shape=(count,))


class ShardWindows(Dataset):
    """Windows over several memory-mapped shards, indexed across shard boundaries."""

    def __init__(self, shards: list[np.ndarray], seq_len: int):
        self.shards, self.seq_len = shards, seq_len
        counts = [max((len(s) - 1) // seq_len, 0) for s in shards]
        self.starts = np.cumsum([0] + counts)

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, i: int):
        shard = int(np.searchsorted(self.starts, i, side="right") - 1)
        begin = (i - int(self.starts[shard])) * self.seq_len
        w = torch.from_numpy(self.shards[shard][begin:begin + self.seq_len + 1].astype(np.int64))
        return w[:-1], w[1:]


def fineweb(root: Path | None, seq_len: int | None = None, vocab: int = 50304) -> ImageData:
    """`<root>/*train*.bin` and `<root>/*val*.bin` shards (GPT-2 tokens; vocab padded to 50304
    as in modded-nanogpt)."""
    if root is None:
        raise DataError("token shards need a data root (--data-root or WDLAB_DATA)")
    splits = {s: sorted(Path(root).glob(f"*{s}*.bin")) for s in ("train", "val")}
    for split, paths in splits.items():
        if not paths:
            raise DataError(f"{root}: no *{split}*.bin shards (expected llm.c-format files "
                            f"such as fineweb_{split}_000001.bin)")
    seq_len = seq_len or 1024
    train, val = (ShardWindows([read_shard(p) for p in splits[s]], seq_len)
                  for s in ("train", "val"))
    return ImageData(train, val, vocab, vocab, seq_len)
