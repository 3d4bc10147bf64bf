"""Token datasets for the GPT workloads: byte-level Python standard library sources (embedded:
every machine with Python has them) and FineWeb(-Edu) shards in the llm.c/modded-nanogpt
`.bin` format, memory-mapped.

Both are cut into non-overlapping windows of seq_len + 1 tokens (input, next-token target).
The embedded bytes sit in memory and BatchStream shuffles them like the digits; shards are
read by TokenStream, whose memory and checkpointed state do not grow with the token count
(a 200B-token set is 195M windows: one permutation of them alone would be 1.5 GB).
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


def shard_header(count: int) -> bytes:
    """The 1 KiB header of a shard of `count` tokens."""
    header = np.zeros(HEADER_INTS, dtype=np.int32)
    header[:3] = SHARD_MAGIC, SHARD_VERSION, count
    return header.tobytes()


def shard_tokens(path: Path) -> int:
    """The token count of one `.bin` shard from its header (256 int32: magic, version,
    count; then uint16 tokens), checked against the file's size; reads 1 KiB."""
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
    return count


def read_shard(path: Path) -> np.ndarray:
    """Tokens of one `.bin` shard, memory-mapped (nothing is read until used)."""
    return np.memmap(path, dtype=np.uint16, mode="r", offset=HEADER_INTS * 4,
                     shape=(shard_tokens(path),))


def shard_paths(root: Path | None) -> dict[str, list[Path]]:
    """`<root>/*train*.bin` and `<root>/*val*.bin`, sorted; refused if either is missing."""
    if root is None:
        raise DataError("token shards need a data root (--data-root or WDLAB_DATA)")
    splits = {s: sorted(Path(root).glob(f"*{s}*.bin")) for s in ("train", "val")}
    for split, paths in splits.items():
        if not paths:
            raise DataError(f"{root}: no *{split}*.bin shards (expected llm.c-format files "
                            f"such as fineweb_{split}_000001.bin)")
    return splits


class ShardWindows(Dataset):
    """Windows over several shards, indexed across shard boundaries (a window never spans two
    shards). Counts come from the headers; a shard is memory-mapped when first read and only
    the last OPEN_SHARDS stay open (each map holds a file descriptor: a 200B-token set is
    2 000 shards, more than a common limit of 1 024 open files)."""

    OPEN_SHARDS = 8

    def __init__(self, paths: list[Path], seq_len: int):
        self.paths, self.seq_len = list(paths), seq_len
        self.sizes = [shard_tokens(p) for p in self.paths]  # checks every header now
        self.counts = [max((n - 1) // seq_len, 0) for n in self.sizes]
        self.starts = np.cumsum([0] + self.counts)
        self._open: dict[int, np.ndarray] = {}

    @property
    def tokens(self) -> int:
        return sum(self.sizes)

    def shard(self, i: int) -> np.ndarray:
        if i not in self._open:
            if len(self._open) >= self.OPEN_SHARDS:
                self._open.pop(next(iter(self._open)))  # the oldest: unmapped when unused
            self._open[i] = read_shard(self.paths[i])
        return self._open[i]

    def window(self, shard: int, index: int) -> np.ndarray:
        begin = index * self.seq_len
        return self.shard(shard)[begin:begin + self.seq_len + 1]

    def __len__(self) -> int:
        return int(self.starts[-1])

    def __getitem__(self, i: int):
        shard = int(np.searchsorted(self.starts, i, side="right") - 1)
        w = torch.from_numpy(self.window(shard, i - int(self.starts[shard])).astype(np.int64))
        return w[:-1], w[1:]


class TokenStream:
    """Endless global batches of windows from shards; this rank reads only its rows.

    Each epoch visits the shards in a shuffled order and each shard's windows in a shuffled
    order, both drawn from (seed, epoch, shard): the state is three counters, memory is one
    shard's permutation (100M tokens: 0.8 MB), and a resumed run draws exactly the batches an
    uninterrupted one would. Batches run on across shard and epoch boundaries (llm.c and
    modded-nanogpt read shards through; `harness data check` says when a run repeats data).
    """

    def __init__(self, windows: ShardWindows, batch_size: int, seed: int, rank: int = 0,
                 world: int = 1):
        if batch_size % world:
            raise ValueError(f"global batch {batch_size} does not split over {world} ranks")
        if len(windows) == 0:
            raise ValueError(f"no window of {windows.seq_len + 1} tokens in any shard")
        self.windows, self.batch_size, self.seed = windows, batch_size, seed
        self.rank, self.world = rank, world
        self.epoch = self.visit = self.offset = 0  # epoch, shard visit in it, window in shard
        self._orders: dict = {}

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "visit": self.visit, "offset": self.offset}

    def load_state_dict(self, state: dict) -> None:
        self.epoch, self.visit, self.offset = state["epoch"], state["visit"], state["offset"]

    def _shard_order(self) -> np.ndarray:
        return np.random.default_rng([self.seed, self.epoch]).permutation(
            len(self.windows.paths))

    def _window_order(self, shard: int) -> np.ndarray:
        key = (self.epoch, shard)
        if key not in self._orders:
            self._orders = {key: np.random.default_rng([self.seed, self.epoch, shard + 1])
                            .permutation(self.windows.counts[shard])}  # keep one shard's only
        return self._orders[key]

    def _positions(self, n: int) -> list[tuple[int, int]]:
        """The next n (shard, window) pairs of the stream; advances it."""
        out: list[tuple[int, int]] = []
        shards = self._shard_order()
        while len(out) < n:
            shard = int(shards[self.visit])
            order = self._window_order(shard)
            take = order[self.offset:self.offset + n - len(out)]
            out += [(shard, int(w)) for w in take]
            self.offset += len(take)
            if self.offset >= len(order):
                self.visit, self.offset = self.visit + 1, 0
                if self.visit == len(shards):
                    self.epoch, self.visit = self.epoch + 1, 0
                    shards = self._shard_order()
        return out

    def __iter__(self):
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        per = self.batch_size // self.world
        mine = self._positions(self.batch_size)[self.rank * per:(self.rank + 1) * per]
        w = torch.from_numpy(np.stack([self.windows.window(s, i) for s, i in mine])
                             .astype(np.int64))
        return w[:, :-1], w[:, 1:]


def fineweb(root: Path | None, seq_len: int | None = None, vocab: int = 50304) -> ImageData:
    """`<root>/*train*.bin` and `<root>/*val*.bin` shards (GPT-2 tokens; vocab padded to 50304
    as in modded-nanogpt)."""
    splits = shard_paths(root)
    seq_len = seq_len or 1024
    train, val = (ShardWindows(splits[s], seq_len) for s in ("train", "val"))
    for split, windows in (("train", train), ("val", val)):
        if len(windows) == 0:
            raise DataError(f"{root}: the {split} shards hold no window of {seq_len + 1} "
                            f"tokens ({windows.tokens} tokens in all)")
    return ImageData(train, val, vocab, vocab, seq_len)
