"""One run: build data, model and optimizer from a RunConfig, train, log, write results.

Reads top to bottom like the loop it is. Results land in the run's folder as
`metrics.parquet`, `layers.parquet` and, last, the `DONE` marker that makes a run complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset
from torchvision.transforms.v2 import MixUp
from tqdm import tqdm

from . import checkpoint, distributed, provenance, warm_start
from .cost import Throughput
from .data import (
    ShardWindows,
    build_dataset,
    decoding_workers,
    eval_batch_size,
    eval_batches,
    eval_limit,
    input_size,
    train_stream,
)
from .metrics import LayerLogger
from .models import model_for
from .optim import build_optimizer, classify, effective_lr, reparameterize, schedule_groups
from .runfolder import (  # noqa: F401  (DONE, PROGRESS, is_complete: re-exported)
    DONE,
    LAYERS,
    LAYERS_SCHEMA,
    METRICS,
    METRICS_SCHEMA,
    PROGRESS,
    atomic_write_parquet,
    atomic_write_text,
    is_complete,
)
from .sweep import RunConfig

CHECKPOINT_SECONDS = 60 * float(os.environ.get("WDLAB_CHECKPOINT_MINUTES", "10"))
# A training run's Parquet is rewritten (atomically) at most this often, so that `harness
# status` and readers see its curve while it trains; 0: only at checkpoints and the end.
FLUSH_SECONDS = float(os.environ.get("WDLAB_FLUSH_SECONDS", "60"))
# Fault injection (make rehearse): rank 0 sends itself a time-limit warning (SIGUSR2) after
# this step, so a run under SLURM checkpoints and requeues itself there; 0 = never.
PREEMPT_AT_STEP = int(os.environ.get("WDLAB_PREEMPT_AT_STEP", "0"))


def length_in_steps(cfg: RunConfig, steps_per_epoch: int) -> tuple[int, int]:
    """(total steps, warmup steps) from whichever units the config uses."""
    total = cfg.steps if cfg.steps is not None else round(cfg.epochs * steps_per_epoch)
    warmup = (cfg.warmup_steps if cfg.warmup_steps is not None
              else round((cfg.warmup_epochs or 0.0) * steps_per_epoch))
    return max(total, 1), min(warmup, max(total - 1, 0))


def to_device(x, y, device, memory_format=torch.preserve_format):
    """Images keep their dtype; token windows (stored as uint8/int) become int64 indices;
    soft labels (Mixup) stay probabilities."""
    if not x.is_floating_point():
        x = x.long()
    x = x.to(device, non_blocking=True, memory_format=memory_format)
    return x, (y if y.is_floating_point() else y.long()).to(device, non_blocking=True)


def loss_fn(logits: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Cross-entropy for classes (B, C), next tokens (B, T, V) and soft labels (B, C)."""
    target = y.flatten(0, -2) if y.is_floating_point() else y.flatten()
    return F.cross_entropy(logits.flatten(0, -2), target, reduction=reduction)


def cpus_per_rank() -> int:
    """The CPUs this rank may use: SLURM's per-task allotment (each task is one rank), else
    this process's CPUs shared by the ranks torchrun started on this node."""
    if os.environ.get("SLURM_CPUS_PER_TASK"):
        return int(os.environ["SLURM_CPUS_PER_TASK"])
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max((cpus or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", "1")), 1)


def loader_workers(dataset) -> int:
    """Decoding processes for image folders (JPEG decode and RandAugment: ~300–400 img/s per
    core, so a GPU needs several): this rank's CPUs but one, at most 16; none for in-memory
    tensors and token shards (a memory-mapped slice needs no worker)."""
    if isinstance(dataset, (TensorDataset, ShardWindows)):
        return 0
    return decoding_workers(cpus_per_rank())


@torch.no_grad()
def evaluate(model, dataset, batch_size: int, device, limit: int | None = None,
             rank: int = 0, world: int = 1):
    """(mean loss, accuracy) per predicted item (image or token) over `limit` items (None:
    the whole set, as paper tables need); each rank scores its share, the sums are reduced."""
    model.eval()
    loss_sum, correct, count = 0.0, 0, 0
    for x, y in eval_batches(dataset, batch_size, loader_workers(dataset), limit, rank, world):
        x, y = to_device(x, y, device)
        logits = model(x)
        loss_sum += loss_fn(logits, y, reduction="sum").item()
        correct += (logits.argmax(-1) == y).sum().item()
        count += y.numel()
    model.train()
    loss_sum, correct, count = distributed.sum_over_ranks([loss_sum, correct, count], device)
    return loss_sum / count, correct / count


def backward_in_micro_batches(forward, x, y, micro: int | None, device, memory_format,
                              bf16: bool, auxiliary=None) -> torch.Tensor:
    """Forward and backward this rank's batch in micro-batches of `micro` rows (None: in one
    go). Each micro-batch's mean loss is weighted by its share, so the gradients add up to
    the whole batch's; under DDP only the last backward all-reduces. `auxiliary()`, if given,
    is a loss the model adds after each forward (MoE balance): backpropagated, not logged.
    Returns the mean loss."""
    n = len(y)
    micro = min(micro or n, n)  # a profile's micro-batch may exceed a small sweep's share
    if n % micro:
        raise ValueError(f"this rank's batch of {n} does not split into micro-batches of "
                         f"{micro}; choose a micro_batch_size that divides it")
    parts = list(zip(x.split(micro), y.split(micro)))
    total = torch.zeros((), device=device)
    for i, (xm, ym) in enumerate(parts):
        xm, ym = to_device(xm, ym, device, memory_format)
        defer = i < len(parts) - 1 and hasattr(forward, "no_sync")
        with forward.no_sync() if defer else contextlib.nullcontext():
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                loss = loss_fn(forward(xm), ym)
                extra = 0.0 if auxiliary is None else auxiliary()
            share = len(ym) / n
            (share * (loss + extra) if len(parts) > 1 else loss + extra).backward()
            if len(parts) > 1:
                loss = loss * share
        total = total + loss.detach()
    return total


def _flush(out_dir: Path, metric_rows: list[dict], layer_rows: list[dict]) -> None:
    atomic_write_parquet(metric_rows, METRICS_SCHEMA, out_dir / METRICS)
    atomic_write_parquet(layer_rows, LAYERS_SCHEMA, out_dir / LAYERS)


def _rows_before(path: Path, step: int) -> list[dict]:
    """Rows a checkpoint at `step` had flushed (later ones may exist if a flush outran it)."""
    return [r for r in pq.read_table(path).to_pylist() if r["step"] < step]


def train(cfg: RunConfig, out_dir: str | Path, data_root: str | Path | None = None,
          progress: bool = True, checkpoint_every: int | None = None,
          micro_batch: int | None = None, keep_final: bool = False) -> dict:
    """Train one run into `out_dir`, resuming from its checkpoint if one is there; a run
    with `init_from` otherwise starts from its parent's final state (harness/warm_start.py).

    `micro_batch`: rows per forward/backward on each rank (gradient accumulation: the global
    batch stays cfg.batch_size whatever the GPU count; None = this rank's whole share).

    Checkpoints every `checkpoint_every` steps (default: every $WDLAB_CHECKPOINT_MINUTES,
    10, of wall-clock time: checkpoints are not free, and preemption signals are caught) and
    when a preemption signal arrives (then raises Preempted). `keep_final`: keep the final
    state for runs that start from it (init_from). Returns the summary in DONE.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rank, world, device = distributed.setup()
    if os.environ.get("SLURM_CPUS_PER_TASK"):  # torch would take every core of the node
        torch.set_num_threads(int(os.environ["SLURM_CPUS_PER_TASK"]))
    # Denormal floats are ~100× slower on x86 CPUs; decayed weights and momenta drift into
    # that range (measured: a mini GPT under Scion fell from 80 to 5 samples/s). Flush them.
    torch.set_flush_denormal(True)
    writer = rank == 0  # only rank 0 writes files
    # The code this process runs, taken before training: later edits to the tree are not it.
    made_by = provenance.current() if writer else None
    if device.type == "cuda" and cfg.precision == "fp32":
        # TF32 tensor cores for fp32 matmuls and convolutions, as nanoGPT and NVIDIA's
        # references train (`harness plan --cost` prices fp32 runs at the TF32 peak).
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(cfg.seed)

    size = input_size(cfg)
    data = build_dataset(cfg.dataset, data_root, size, crop_scale_min=cfg.crop_scale_min,
                         randaugment=cfg.randaugment, holdout=cfg.train_holdout)
    model = model_for(cfg, data.channels, data.num_classes, data.image_size)
    # channels_last: ~20 % faster convs on CPU (oneDNN) and on tensor-core GPUs.
    first = data.train[0][0]
    memory_format = torch.channels_last if first.dim() == 3 else torch.preserve_format
    model = model.to(device, memory_format=memory_format)
    example, _ = to_device(first[None], torch.zeros(1), device)
    infos = reparameterize(model, classify(model, example), cfg)
    optimizer = build_optimizer(cfg.optimizer, model, infos, cfg)
    auxiliary = getattr(model, "auxiliary_loss", None)  # e.g. a MoE's balance loss
    after_step = getattr(model, "after_optimizer_step", None)  # e.g. nGPT's renormalization
    layers = LayerLogger(list(model.named_parameters()), infos)
    ddp = distributed.wrap(model, device)  # DDP averages gradients across ranks
    forward = torch.compile(ddp) if cfg.torch_compile else ddp
    if hasattr(ddp, "no_sync"):  # the compiled wrapper hides it; accumulation needs it
        forward.no_sync = ddp.no_sync
    # Mixup draws from torch's global generator, which checkpoints save: resume stays exact.
    mixup = MixUp(alpha=cfg.mixup, num_classes=data.num_classes) if cfg.mixup else None
    speed = Throughput(cfg, device, world)

    # bf16 autocast: matmuls/convs in bfloat16, weights, optimizer state and loss in fp32.
    bf16 = cfg.precision == "bf16"
    steps_per_epoch = max(len(data.train) // cfg.batch_size, 1)
    total, warmup = length_in_steps(cfg, steps_per_epoch)
    batches = train_stream(data, cfg, rank, world, loader_workers(data.train))
    last_checkpoint = last_flush = time.monotonic()
    metric_rows: list[dict] = []
    start = 0
    had_checkpoint = (out_dir / checkpoint.CHECKPOINT).is_file()
    # the size of the last checkpoint written or read, for DONE (rehearsals report it)
    checkpoint_bytes = [(out_dir / checkpoint.CHECKPOINT).stat().st_size] if had_checkpoint \
        else [None]
    state = checkpoint.load_or_discard(out_dir / checkpoint.CHECKPOINT, set_aside=writer)
    if distributed.any_rank(had_checkpoint and state is None, device):
        state = None  # a rank could not read it: every rank starts over, together
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        batches.load_state_dict(state["batches"])
        checkpoint.set_rng_state(state["rng"])
        layers.load_state_dict(state.get("layers", {}))  # older checkpoints: iterate afresh
        start = state["step"]
        metric_rows = _rows_before(out_dir / METRICS, start)
        layers.rows = _rows_before(out_dir / LAYERS, start)
    elif cfg.init_from:
        warm_start.start_from_parent(cfg, out_dir, model, optimizer, batches)
    # The group whose lr/decay we report: normalized layers are where the papers' effects
    # live. Picked after loading: load_state_dict replaces the group dicts.
    report_group = next((g for g in optimizer.param_groups if g.get("normalized")),
                        optimizer.param_groups[0])

    def save_checkpoint(next_step: int) -> None:
        if not writer:
            return
        _flush(out_dir, metric_rows, layers.rows)
        checkpoint.save(out_dir / checkpoint.CHECKPOINT, {
            "step": next_step, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "batches": batches.state_dict(), "rng": checkpoint.rng_state(),
            "layers": layers.state_dict()})
        checkpoint_bytes[0] = (out_dir / checkpoint.CHECKPOINT).stat().st_size

    started = last_log = time.perf_counter()
    samples_since_log, data_wait = 0, 0.0
    report_every = max(total // 100, 1)
    model.train()
    with checkpoint.preemption_guard() as stop:
        for step in tqdm(range(start, total), desc=out_dir.name, disable=not progress,
                         leave=False, initial=start, total=total):
            schedule_groups(optimizer, step, total, cfg, warmup)
            waited = time.perf_counter()
            x, y = next(batches)  # this rank's rows of the global batch
            data_wait += time.perf_counter() - waited
            if mixup is not None:
                x, y = mixup(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss = backward_in_micro_batches(forward, x, y, micro_batch, device,
                                             memory_format, bf16, auxiliary)

            is_last = step == total - 1
            logging = step % cfg.log_every == 0 or is_last
            if logging:
                layers.before_step(step)  # the loss gradient as it is, before clipping
            if cfg.grad_clip_norm is not None:  # DDP: gradients are all-reduced already
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip_norm,
                                               foreach=True)
            optimizer.step()
            if after_step is not None:
                after_step()
            samples_since_log += len(y) * world
            if logging:
                layers.after_step()
                now = time.perf_counter()
                row = {"step": step, "lr": report_group["lr"],
                       "effective_lr": effective_lr(cfg.optimizer, report_group["lr"],
                                                    report_group.get("momentum", cfg.momentum)),
                       "weight_decay": report_group["weight_decay"],
                       "loss": distributed.mean(loss.item(), device),
                       **speed.row(samples_since_log / max(now - last_log, 1e-9)),
                       "data_wait_fraction": data_wait / max(now - last_log, 1e-9)}
                last_log, samples_since_log, data_wait = now, 0, 0.0
                if is_last or (cfg.eval_every and step > 0 and step % cfg.eval_every == 0):
                    # Scored micro-batch by micro-batch where one is set (a GPT's logits
                    # for 32 × 1024 tokens are 6.6 GB of floats).
                    row["eval_loss"], row["eval_accuracy"] = evaluate(
                        model, data.test, micro_batch or eval_batch_size(cfg), device,
                        eval_limit(cfg), rank, world)
                metric_rows.append(row)
                if writer and FLUSH_SECONDS and time.monotonic() - last_flush >= FLUSH_SECONDS:
                    _flush(out_dir, metric_rows, layers.rows)  # a resume drops rows past it
                    last_flush = time.monotonic()
            if writer and step % report_every == 0:
                (out_dir / PROGRESS).write_text(json.dumps([step + 1, total]))
            # Rank 0's clock decides a timed checkpoint, so every rank takes it at one step;
            # one collective carries both flags.
            if step + 1 == PREEMPT_AT_STEP and rank == 0:
                signal.raise_signal(signal.SIGUSR2)
            timed = not checkpoint_every and rank == 0 and \
                time.monotonic() - last_checkpoint >= CHECKPOINT_SECONDS
            stopping, due = distributed.any_rank_each([stop.requested is not None, timed], device)
            if checkpoint_every:
                due = (step + 1) % checkpoint_every == 0
            if stopping or (due and not is_last):
                save_checkpoint(step + 1)
                last_checkpoint = time.monotonic()
                if stopping:
                    raise checkpoint.Preempted(f"signal {stop.requested} at step {step + 1}; "
                                               f"checkpoint saved in {out_dir}",
                                               stop.requested)

    last = metric_rows[-1]
    # Identical on every rank under DDP (the test holds them to it).
    checksum = float(sum(p.detach().double().sum() for p in model.parameters()))
    peaks = [[0.0] * world, [0.0] * world]  # MB per rank: process RSS, GPU memory
    # KB on Linux; the loader workers (children) count too: `mem_gb` must hold both
    peaks[0][rank] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                      + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    if device.type == "cuda":
        peaks[1][rank] = torch.cuda.max_memory_allocated(device) / 2**20
    peaks = distributed.sum_over_ranks(peaks[0] + peaks[1], device)
    distributed.barrier()
    if not writer:
        return {"rank": rank, "final_loss": last["loss"], "param_checksum": checksum}
    _flush(out_dir, metric_rows, layers.rows)
    if keep_final:  # before DONE: a complete parent always has it
        checkpoint.save(out_dir / warm_start.FINAL_STATE,
                        warm_start.final_state(model, optimizer, batches))
    summary = {"steps": total, "warmup_steps": warmup, "steps_per_epoch": steps_per_epoch,
               "resumed_from": start, "seconds": round(time.perf_counter() - started, 2),
               "final_loss": last["loss"], "eval_loss": last.get("eval_loss"),
               "eval_accuracy": last.get("eval_accuracy"), "device": str(device),
               "world_size": world, "param_checksum": checksum,
               "peak_rss_mb": [round(v) for v in peaks[:world]],
               "peak_gpu_mb": [round(v) for v in peaks[world:]] if device.type == "cuda"
               else None, "checkpoint_bytes": checkpoint_bytes[0],
               "torch": torch.__version__, "provenance": made_by}
    atomic_write_text(json.dumps(summary, indent=2) + "\n", out_dir / DONE)
    (out_dir / checkpoint.CHECKPOINT).unlink(missing_ok=True)
    (out_dir / PROGRESS).unlink(missing_ok=True)
    return summary
