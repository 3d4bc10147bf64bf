"""Chou et al. 2025, App. A: weight decay against pure noise. No model, no data:

    θ_t = θ_{t−1} − γ_t·(λ·θ_{t−1} + ξ_t),  ξ_t ~ N(0, I),  θ_0 = 0

Its norm follows the same steady state √(n·γ/(λ(2 − γλ))) as a trained layer's, and under a
cosine schedule it shrinks at the end (Fig. 7). Writes `norms.parquet` (step, lr, norm,
expected_norm) and DONE, like a training run; `expected_norm` is the exact expectation from
the variance recursion v_t = (1 − γ_t λ)²·v_{t−1} + γ_t², not a simulation.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import torch

from . import provenance
from .optim.schedules import lr_factor
from .runfolder import DONE, NORMS, NORMS_SCHEMA, atomic_write_parquet, atomic_write_text
from .sweep import SimConfig


def half_life(lr: float, weight_decay: float) -> float:
    return -math.log(2.0) / math.log1p(-lr * weight_decay)


def simulate(cfg: SimConfig, out_dir: str | Path, *_, **__) -> dict:
    """Run the recursion for the configured number of half-lives; same call shape as train."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    made_by = provenance.current()
    t_half = half_life(cfg.lr, cfg.weight_decay)
    total = max(round(cfg.half_lives * t_half), 2)
    warmup = round(cfg.warmup_half_lives * t_half)
    every = max(total // cfg.log_points, 1)
    g = torch.Generator().manual_seed(cfg.seed)
    theta = torch.zeros(cfg.size, dtype=torch.float64)
    variance, rows = 0.0, []
    for step in range(total):
        lr = cfg.lr * lr_factor(step, total, cfg.schedule, warmup)
        noise = torch.randn(cfg.size, generator=g, dtype=torch.float64)
        theta.mul_(1.0 - lr * cfg.weight_decay).add_(noise, alpha=-lr)
        variance = (1.0 - lr * cfg.weight_decay) ** 2 * variance + lr**2
        if step % every == 0 or step == total - 1:
            rows.append({"step": step, "lr": lr, "norm": theta.norm().item(),
                         "expected_norm": math.sqrt(cfg.size * variance)})
    atomic_write_parquet(rows, NORMS_SCHEMA, out_dir / NORMS)
    summary = {"steps": total, "half_life": t_half, "final_norm": rows[-1]["norm"],
               "seconds": round(time.perf_counter() - started, 2), "provenance": made_by}
    atomic_write_text(json.dumps(summary, indent=2) + "\n", out_dir / DONE)
    return summary
