"""DDP on gloo with 2 processes: parameters identical across ranks, and the run equal to one
process with the same global batch (a GPT: no BatchNorm, whose statistics are per rank), with
and without gradient accumulation; the evaluation, split over the ranks, equals one process's."""

from __future__ import annotations

import json
import os
import socket

import pandas as pd
import pytest
import torch.multiprocessing as mp

from harness.run import train
from harness.sweep import RunConfig

CFG = dict(model="gpt", depth=2, width=64, dataset="stdlib_bytes", seq_len=32, batch_size=8,
           steps=6, optimizer="adamw", lr=3e-3, momentum=0.9, weight_decay=0.1,
           schedule="cosine", seed=3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, out: str, micro_batch, options) -> None:
    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                      MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    summary = train(RunConfig(**CFG, **options), out, progress=False, micro_batch=micro_batch)
    with open(f"{out}/rank{rank}.json", "w") as f:
        json.dump(summary, f)


# The MoE GPT without its balance loss is as exact as the dense one (experts that get no token
# on a rank still send zero gradients); the balance loss is each micro-batch's own (DeepSeekMoE
# computes it per device), so with it 2 ranks differ from one process by that definition only.
MOE = dict(moe_experts=4, moe_top_k=2)
CASES = {"dense": ({}, None, 1e-5), "dense, micro-batches": ({}, 2, 1e-5),
         "moe, no balance loss, micro-batches": ({**MOE, "moe_balance": 0.0}, 2, 1e-5),
         "moe, balance loss": (MOE, None, 1e-2)}


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("options, micro_batch, rel", CASES.values(), ids=CASES)
def test_two_gloo_ranks_match_one_process(tmp_path, options, micro_batch, rel):
    single = tmp_path / "single"
    one = train(RunConfig(**CFG, **options), single, progress=False)
    ddp = tmp_path / "ddp"
    ddp.mkdir()
    mp.spawn(_worker, args=(2, _free_port(), str(ddp), micro_batch, options), nprocs=2,
             join=True)
    ranks = [json.loads((ddp / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["param_checksum"] == ranks[1]["param_checksum"]
    assert ranks[0]["world_size"] == 2
    assert ranks[0]["param_checksum"] == pytest.approx(one["param_checksum"], rel=rel / 10)
    got = pd.read_parquet(ddp / "metrics.parquet")
    want = pd.read_parquet(single / "metrics.parquet")
    assert got["loss"].to_numpy() == pytest.approx(want["loss"].to_numpy(), rel=rel)
    assert got["eval_loss"].iloc[-1] == pytest.approx(want["eval_loss"].iloc[-1], rel=rel)
    assert got["eval_accuracy"].iloc[-1] == pytest.approx(want["eval_accuracy"].iloc[-1])
    # per-layer ‖g‖ is the whole global batch's gradient, accumulated and all-reduced
    grads = [pd.read_parquet(d / "layers.parquet")["grad_norm"].to_numpy() for d in (ddp, single)]
    balanced = options.get("moe_experts") and options.get("moe_balance", 0.01)
    if not balanced:  # with it, the router's ‖g‖ is mostly the per-rank balance loss's
        assert grads[0] == pytest.approx(grads[1], rel=rel * 10)
    assert not (ddp / "rank1").exists()  # only rank 0 writes results
