"""Token data (llm.c `.bin` shards, embedded stdlib bytes) and the GPT workload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from harness.data import BatchStream, DataError, build_dataset, check_available
from harness.data.tokens import HEADER_INTS, SHARD_MAGIC, read_shard
from harness.optim import classify
from harness.run import train
from harness.sweep import RunConfig


def write_shard(path, tokens, magic=SHARD_MAGIC, version=1, count=None):
    header = np.zeros(HEADER_INTS, dtype=np.int32)
    header[:3] = magic, version, len(tokens) if count is None else count
    path.write_bytes(header.tobytes() + np.asarray(tokens, dtype=np.uint16).tobytes())
    return path


@pytest.fixture
def shards(tmp_path):
    folder = tmp_path / "fineweb_edu"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name, n in [("fineweb_train_000001.bin", 3000), ("fineweb_train_000002.bin", 2000),
                    ("fineweb_val_000000.bin", 800)]:
        write_shard(folder / name, rng.integers(0, 50257, n))
    return tmp_path


def test_shards_are_read_exactly_and_windows_cross_shards(shards):
    folder = shards / "fineweb_edu"
    raw = [np.fromfile(folder / f"fineweb_train_00000{i}.bin", dtype=np.uint16)[512:]
           for i in (1, 2)]
    assert np.array_equal(read_shard(folder / "fineweb_train_000001.bin"), raw[0])
    check_available("fineweb_edu", shards)
    data = build_dataset("fineweb_edu", shards, 64)
    assert len(data.train) == (3000 - 1) // 64 + (2000 - 1) // 64
    x, y = data.train[46]  # the first window of the second shard
    assert torch.equal(x, torch.from_numpy(raw[1][:64].astype(np.int64)))
    assert torch.equal(y, torch.from_numpy(raw[1][1:65].astype(np.int64)))
    stream = BatchStream(data.train, 8, seed=0)
    xb, yb = next(stream)
    assert xb.shape == (8, 64) and torch.equal(xb[:, 1:], yb[:, :-1])


def test_bad_shards_are_refused_naming_the_path(tmp_path):
    folder = tmp_path / "fineweb_edu"
    folder.mkdir()
    bad = write_shard(folder / "fineweb_train_000001.bin", [1, 2, 3], magic=1234)
    with pytest.raises(DataError, match=f"{bad}.*magic 1234"):
        read_shard(bad)
    short = write_shard(folder / "fineweb_train_000002.bin", [1, 2, 3], count=10)
    with pytest.raises(DataError, match=f"{short}.*truncated"):
        read_shard(short)
    empty = tmp_path / "empty" / "fineweb_edu"
    empty.mkdir(parents=True)
    with pytest.raises(DataError, match="no \\*train\\*.bin shards"):
        build_dataset("fineweb_edu", tmp_path / "empty")


def test_stdlib_bytes_is_real_python_text():
    data = build_dataset("stdlib_bytes", size=64)
    x, y = data.train[0]
    assert x.dtype == torch.uint8 and len(data.train) > 100_000
    assert b"def " in bytes(data.train.tensors[0][:2000].flatten().tolist())


def test_gpt_policy_treats_hidden_linears_as_normalized():
    from harness.models import build_model

    model = build_model("gpt", 2, 64, 256, 256)
    infos = {i.name: i for i in classify(model, torch.zeros(1, 8, dtype=torch.long))}
    assert infos["head.weight"].output and not infos["head.weight"].normalized
    assert infos["blocks.0.attn.qkv.weight"].normalized
    assert infos["blocks.1.mlp.down.weight"].normalized
    assert infos["embed.weight"].kind == "embedding" and not infos["embed.weight"].normalized
    assert not infos["blocks.0.attn_norm.weight"].decayed


@pytest.mark.parametrize("optimizer", ["adamc", "muonmd"])
def test_gpt_trains_on_shards(shards, tmp_path, optimizer):
    cfg = RunConfig(model="gpt", depth=2, width=64, dataset="fineweb_edu", seq_len=32,
                    batch_size=4, steps=6, optimizer=optimizer, lr=1e-2, momentum=0.9,
                    weight_decay=0.1, schedule="cosine", eval_every=3)
    train(cfg, tmp_path / "run", data_root=shards, progress=False)
    metrics = pd.read_parquet(tmp_path / "run" / "metrics.parquet")
    assert metrics["loss"].iloc[0] == pytest.approx(np.log(50304), rel=0.05)  # uniform start
    assert metrics["eval_loss"].notna().sum() == 2

