"""The data path at cluster size: each rank loads only its rows of the global batch (the same
global batch at any world size), the token stream's state and memory do not grow with the
data, evaluation covers the whole set across ranks, and gradient accumulation equals one
big batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_recipes import _image_folder
from test_tokens import write_shard

from harness.data import BatchStream, TokenStream, build_dataset
from harness.data.batches import SeededSamples, eval_items
from harness.run import backward_in_micro_batches, loader_workers


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    return _image_folder(tmp_path_factory.mktemp("data"), classes=3, per_class=4)


@pytest.fixture
def token_root(tmp_path):
    folder = tmp_path / "fineweb_edu"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for name, n in [("fineweb_train_000001.bin", 16 * 9 + 1), ("fineweb_train_000002.bin",
                                                               16 * 5 + 3),
                    ("fineweb_train_000003.bin", 10), ("fineweb_val_000000.bin", 16 * 6 + 1)]:
        write_shard(folder / name, rng.integers(0, 50257, n))
    return tmp_path


def _ranks(make, world, n):
    """n global batches assembled from `world` streams' local rows."""
    streams = [make(rank, world) for rank in range(world)]
    out = []
    for _ in range(n):
        parts = [next(s) for s in streams]
        out.append(tuple(torch.cat([p[i] for p in parts]) for i in range(2)))
    return out


def test_image_ranks_decode_only_their_share_of_the_same_global_batch(images, monkeypatch):
    data = build_dataset("imagenet", images, 24, randaugment="rand-m9-n2")
    decoded = []
    original = SeededSamples.__getitem__
    monkeypatch.setattr(SeededSamples, "__getitem__",
                        lambda self, item: decoded.append(item) or original(self, item))
    one = _ranks(lambda r, w: BatchStream(data.train, 4, 5, rank=r, world=w), 1, 5)
    assert len(decoded) == 20
    decoded.clear()
    rank1 = BatchStream(data.train, 4, 5, rank=1, world=2)
    for _ in range(5):
        next(rank1)
    assert len(decoded) == 10  # half of each global batch, not all of it
    two = _ranks(lambda r, w: BatchStream(data.train, 4, 5, rank=r, world=w), 2, 5)
    for (x, y), (x2, y2) in zip(one, two):  # same samples, same augmentation
        assert torch.equal(x, x2) and torch.equal(y, y2)


def test_in_memory_ranks_keep_the_draws_of_one_process():
    data = build_dataset("synthetic")
    make = lambda r, w: BatchStream(data.train, 8, 2, "crop", 0.3, 10, rank=r, world=w)  # noqa: E731
    for (x, y), (x2, y2) in zip(_ranks(make, 1, 70), _ranks(make, 2, 70)):
        assert torch.equal(x, x2) and torch.equal(y, y2)


def test_token_stream_visits_every_window_once_per_epoch_and_resumes_exactly(token_root):
    data = build_dataset("fineweb_edu", token_root, 16)
    assert len(data.train) == 9 + 5  # the 10-token shard holds no window of 17
    stream = TokenStream(data.train, 2, seed=4)
    epoch = torch.cat([next(stream)[0] for _ in range(7)])  # 14 windows = one epoch
    every = torch.stack([data.train[i][0] for i in range(len(data.train))])
    assert sorted(map(tuple, epoch.tolist())) == sorted(map(tuple, every.tolist()))
    assert not torch.equal(epoch, every)  # shuffled
    for _ in range(3):  # into the next epoch, mid-shard
        next(stream)
    state = stream.state_dict()
    assert all(isinstance(v, int) for v in state.values())  # O(1), whatever the data
    want = [next(stream) for _ in range(9)]  # across the epoch boundary
    resumed = TokenStream(data.train, 2, seed=4)
    resumed.load_state_dict(state)
    for (x, y), (x2, y2) in zip(want, (next(resumed) for _ in range(9))):
        assert torch.equal(x, x2) and torch.equal(y, y2) and torch.equal(x[:, 1:], y[:, :-1])
    second = torch.cat([w[0] for w in want[:4]])  # the rest of epoch 2 differs from epoch 1
    assert not torch.equal(second, epoch[6:])


def test_token_ranks_read_their_rows_of_the_same_global_batch(token_root):
    data = build_dataset("fineweb_edu", token_root, 16)
    make = lambda r, w: TokenStream(data.train, 4, 0, r, w)  # noqa: E731
    for (x, y), (x2, y2) in zip(_ranks(make, 1, 8), _ranks(make, 2, 8)):
        assert torch.equal(x, x2) and torch.equal(y, y2)
    assert len(next(make(1, 2))[0]) == 2


def test_evaluation_items_spread_over_a_class_sorted_set_and_split_over_ranks():
    assert eval_items(10, 4, spread=False).tolist() == [0, 1, 2, 3]  # tokens: a prefix
    spread = eval_items(1000, 10, spread=True)
    assert spread.tolist() == list(range(0, 1000, 100))  # every "class" of 100
    shares = [eval_items(1000, None, True, r, 3) for r in range(3)]
    assert sorted(np.concatenate(shares).tolist()) == list(range(1000))  # disjoint, complete


def test_image_evaluation_scores_every_class(images):
    from harness.data import eval_batches

    data = build_dataset("imagenet", images, 24)
    labels = torch.cat([y for _, y in eval_batches(data.test, 2, 0, limit=3)])
    assert sorted(labels.tolist()) == [0, 1, 2]  # the first 3 would all be class 0


def test_loader_workers_come_from_the_cpus_slurm_gives_each_task(images, monkeypatch):
    data = build_dataset("imagenet", images, 24)
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "9")
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "8")  # a task's CPUs are its own: not divided
    assert loader_workers(data.train) == 8
    monkeypatch.delenv("SLURM_CPUS_PER_TASK")
    assert loader_workers(data.train) == 1  # torchrun: this node's CPUs shared by 8 ranks
    assert loader_workers(build_dataset("synthetic").train) == 0


def test_accumulated_micro_batches_equal_one_batch_in_float64():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(),
                                torch.nn.Linear(16, 4)).double()
    x, y = torch.randn(12, 6, dtype=torch.float64), torch.randint(0, 4, (12,))

    def grads(micro):
        model.zero_grad()
        loss = backward_in_micro_batches(model, x, y, micro, torch.device("cpu"),
                                         torch.preserve_format, False)
        return loss, [p.grad.clone() for p in model.parameters()]

    loss, whole = grads(None)
    for micro in (1, 3, 4):
        loss_k, parts = grads(micro)
        assert float(loss_k) == pytest.approx(float(loss), abs=1e-12)
        for a, b in zip(whole, parts):
            assert torch.allclose(a, b, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="does not split into micro-batches of 5"):
        grads(5)


def test_token_shards_open_lazily_and_only_a_few_at_once(tmp_path, monkeypatch):
    folder = tmp_path / "fineweb_edu"
    folder.mkdir()
    for i in range(12):
        kind = "val" if i == 0 else "train"
        write_shard(folder / f"fineweb_{kind}_{i:06d}.bin", np.arange(40) + i)
    data = build_dataset("fineweb_edu", tmp_path, 16)
    assert not data.train._open  # headers read, nothing mapped yet
    monkeypatch.setattr(type(data.train), "OPEN_SHARDS", 3)
    stream = TokenStream(data.train, 2, seed=0)
    for _ in range(11):  # 11 shards × 2 windows: every shard read
        x, _ = next(stream)
        assert len(data.train._open) <= 3
    assert x.shape == (2, 16)


def test_a_micro_batch_above_a_ranks_share_is_the_share():
    model = torch.nn.Linear(3, 2)
    x, y = torch.randn(4, 3), torch.randint(0, 2, (4,))
    loss = backward_in_micro_batches(model, x, y, 16, torch.device("cpu"),
                                     torch.preserve_format, False)
    assert torch.isfinite(loss)
