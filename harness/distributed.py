"""Data parallelism: rank/world from torchrun or SLURM (via submitit), DDP on gloo or NCCL.

Every rank walks the same global batch order (same seed) and loads only its rows of each
batch (harness/data), so the global batch and the lr mean the same at any world size; DDP
averages gradients; rank 0 alone writes files. With world size 1 everything is a no-op.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def setup() -> tuple[int, int, torch.device]:
    """(rank, world size, device); joins the process group when there is more than one."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, world, device


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def mean(value: float, device: torch.device) -> float:
    """The average of a scalar over ranks (for logging the global batch's loss)."""
    return value if world_size() == 1 else sum_over_ranks([value], device)[0] / world_size()


def sum_over_ranks(values: list[float], device: torch.device) -> list[float]:
    """Element-wise sums over ranks, in float64 (evaluation's loss and counts)."""
    if world_size() == 1:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t)
    return t.tolist()


def any_rank(flag: bool, device: torch.device) -> bool:
    """True on every rank if it is true on one (a preemption signal must stop all ranks)."""
    return any_rank_each([flag], device)[0]


def any_rank_each(flags: list[bool], device: torch.device) -> list[bool]:
    """`any_rank` of several flags in one collective (the loop asks two per step)."""
    if world_size() == 1:
        return list(flags)
    t = torch.tensor([int(f) for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def barrier() -> None:
    if world_size() > 1:
        dist.barrier()


def wrap(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    if world_size() == 1:
        return model
    ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)
