"""What a sweep will cost before it is submitted: FLOPs per run from one counted forward pass
(torch.utils.flop_counter), ×3 for forward + backward, × samples; GPU-hours at a stated MFU."""

from __future__ import annotations

import os
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
    # On the meta device: shapes only, no memory and no arithmetic, so a 1B model costs
    # nothing to count.
    with torch.device("meta"):
        net = build_model(model, depth, width, channels, classes, image_size=size or native,
                          patch_size=patch_size)
        example = example_input(dataset, size).to("meta")
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            net(example)
    return float(counter.get_total_flops())


# Dense bf16 peak TFLOP/s by GPU name (vendor datasheets); $WDLAB_PEAK_TFLOPS overrides.
PEAK_BF16_TFLOPS = {"H200": 989.0, "H100": 989.0, "A100": 312.0, "L40S": 362.0, "A10": 125.0}


def peak_tflops(device: torch.device) -> float | None:
    if os.environ.get("WDLAB_PEAK_TFLOPS"):
        return float(os.environ["WDLAB_PEAK_TFLOPS"])
    if device.type != "cuda":
        return None  # CPUs have no meaningful datasheet peak: MFU left empty
    name = torch.cuda.get_device_name(device)
    return next((v for k, v in PEAK_BF16_TFLOPS.items() if k in name), None)


class Throughput:
    """Achieved model TFLOP/s (3 × forward FLOPs per sample × samples/s, the same count
    `harness plan --cost` bills) and MFU against the device's peak, for metrics rows."""

    def __init__(self, cfg: RunConfig, device: torch.device, world: int = 1):
        self.flops_per_sample = 3 * forward_flops(cfg.model, cfg.depth, cfg.width, cfg.dataset,
                                                  input_size(cfg), cfg.patch_size)
        peak = peak_tflops(device)
        self.peak = peak * world if peak else None  # samples/s counts every rank's samples

    def row(self, samples_per_s: float) -> dict:
        tflops = self.flops_per_sample * samples_per_s / 1e12
        return {"samples_per_s": samples_per_s, "model_tflops_per_s": tflops,
                "mfu": tflops / self.peak if self.peak else None}


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
