"""What a sweep will cost before it is submitted: FLOPs per run from one counted forward pass
(torch.utils.flop_counter), ×3 for forward + backward, × samples; GPU-hours at a stated MFU."""

from __future__ import annotations

from functools import cache

import torch
from torch.utils.flop_counter import FlopCounterMode

from .data import SHAPES, example_input, input_size
from .models import build_model
from .sweep import RunConfig

# Training-set sizes of the file-backed sets (for runs whose length is given in epochs).
TRAIN_SIZE = {"imagenet": 1_281_167, "cifar10": 50_000, "mnist5k": 4_500, "synthetic": 512}
H100_BF16_TFLOPS = 989.0  # dense bf16 peak; pass another with --gpu-tflops


@cache
def forward_flops(model: str, depth: int, width: int, dataset: str, size: int | None,
                  patch_size: int) -> float:
    """FLOPs of one forward pass on one example (multiply-add = 2 FLOPs)."""
    channels, classes, native = SHAPES[dataset]
    net = build_model(model, depth, width, channels, classes, image_size=size or native,
                      patch_size=patch_size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        net(example_input(dataset, size))
    return float(counter.get_total_flops())


def run_cost(cfg: RunConfig, gpu_tflops: float = H100_BF16_TFLOPS, mfu: float = 0.4) -> dict:
    size = input_size(cfg)
    if cfg.steps is not None:
        steps = cfg.steps
    elif cfg.dataset in TRAIN_SIZE:
        steps = round(cfg.epochs * TRAIN_SIZE[cfg.dataset] / cfg.batch_size)
    else:
        raise ValueError(f"dataset {cfg.dataset}: give steps, not epochs, for a cost estimate")
    flops = 3 * forward_flops(cfg.model, cfg.depth, cfg.width, cfg.dataset, size,
                              cfg.patch_size) * cfg.batch_size * steps
    return {"steps": steps, "pflops": flops / 1e15,
            "gpu_hours": flops / (gpu_tflops * 1e12 * mfu) / 3600}
