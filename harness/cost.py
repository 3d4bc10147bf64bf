"""What a sweep will cost before it is submitted: FLOPs per run from one counted forward pass
(torch.utils.flop_counter), ×3 for forward + backward, × samples; GPU-hours at a stated MFU."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

from .data import SHAPES, example_input, input_size
from .models import build_model
from .sweep import RunConfig, SweepError

# Training-set sizes of the file-backed sets (for runs whose length is given in epochs).
TRAIN_SIZE = {"imagenet": 1_281_167, "cifar10": 50_000, "mnist5k": 4_500, "synthetic": 512}


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


# Dense (no sparsity) peak TFLOP/s by GPU name, (bf16, tf32), from the vendors' datasheets.
# fp32 runs on a GPU use TF32 tensor cores (harness/run.py turns them on, as nanoGPT does).
PEAK_TFLOPS = {"H200": (989.0, 494.0), "H100": (989.0, 494.0), "A100": (312.0, 156.0),
               "L40S": (362.0, 183.0), "A10": (125.0, 62.5)}


def gpu_peak(name: str, precision: str = "bf16") -> float | None:
    """The peak for a GPU name (any spelling containing a key: "NVIDIA H100 80GB HBM3")."""
    peaks = next((v for k, v in PEAK_TFLOPS.items() if k.lower() in name.lower()), None)
    return None if peaks is None else peaks[0 if precision == "bf16" else 1]


def peak_tflops(device: torch.device, precision: str = "bf16") -> float | None:
    if os.environ.get("WDLAB_PEAK_TFLOPS"):
        return float(os.environ["WDLAB_PEAK_TFLOPS"])
    if device.type != "cuda":
        return None  # CPUs have no meaningful datasheet peak: MFU left empty
    return gpu_peak(torch.cuda.get_device_name(device), precision)


class Throughput:
    """Achieved model TFLOP/s (3 × forward FLOPs per sample × samples/s, the same count
    `harness plan --cost` bills) and MFU against the device's peak, for metrics rows."""

    def __init__(self, cfg: RunConfig, device: torch.device, world: int = 1):
        self.flops_per_sample = 3 * forward_flops(cfg.model, cfg.depth, cfg.width, cfg.dataset,
                                                  input_size(cfg), cfg.patch_size)
        peak = peak_tflops(device, cfg.precision)
        self.peak = peak * world if peak else None  # samples/s counts every rank's samples

    def row(self, samples_per_s: float) -> dict:
        tflops = self.flops_per_sample * samples_per_s / 1e12
        return {"samples_per_s": samples_per_s, "model_tflops_per_s": tflops,
                "mfu": tflops / self.peak if self.peak else None}


# Published throughputs of paper workloads on one GPU: (model, depth, precision) ->
# (samples/s, GPU, source). The MFU they imply (with our FLOP count) prices those workloads.
CITED_RATES = {
    ("resnet", 50, "bf16"): (2470, "A100", "NVIDIA DeepLearningExamples ResNet50 v1.5 (PyTorch),"
                             " 1× A100 80GB, mixed precision"),
    ("resnet", 50, "fp32"): (938, "A100", "NVIDIA DeepLearningExamples ResNet50 v1.5 (PyTorch),"
                             " 1× A100 80GB, TF32"),
}
ASSUMED_MFU = 0.4
# Images per second one decoding core gives (make bench-loader writes them here).
LOADER_RATES = Path(__file__).resolve().parents[1] / "docs" / "loader_rates.json"


def loader_rate(cfg: RunConfig) -> float | None:
    """Images/s per decoding core for this run's recipe, as bench-loader measured it."""
    if cfg.dataset != "imagenet" or not LOADER_RATES.is_file():
        return None
    rates = json.loads(LOADER_RATES.read_text())
    return rates["vit" if cfg.randaugment else "resnet"]


def run_cost(cfg: RunConfig, gpu_tflops: float | None = None, mfu: float | None = None,
             gpu: str = "H100", workers_per_gpu: int | None = None) -> dict:
    """Steps, parameters, PFLOPs and GPU-hours of one run. The peak is the GPU's for the run's
    precision (or `gpu_tflops`); the MFU is `mfu`, else a cited one for the workload, else
    ASSUMED_MFU (the result says which). With `workers_per_gpu` decoding cores, ImageNet runs
    are held to what they can decode (bench-loader's img/s per core)."""
    size = input_size(cfg)
    if cfg.steps is not None:
        steps = cfg.steps
    elif cfg.dataset in TRAIN_SIZE:
        steps = round(cfg.epochs * TRAIN_SIZE[cfg.dataset] / cfg.batch_size)
    else:
        raise ValueError(f"dataset {cfg.dataset}: give steps, not epochs, for a cost estimate")
    per_sample = 3 * forward_flops(cfg.model, cfg.depth, cfg.width, cfg.dataset, size,
                                   cfg.patch_size)
    flops = per_sample * cfg.batch_size * steps
    peak = gpu_tflops or gpu_peak(gpu, cfg.precision)
    if peak is None:
        raise SweepError(f"--gpu {gpu}: no datasheet peak known; known: "
                         f"{', '.join(PEAK_TFLOPS)}; give --gpu-tflops")
    cited = CITED_RATES.get((cfg.model, cfg.depth, cfg.precision))
    if mfu is not None:
        source = "given"
    elif cited and cfg.dataset == "imagenet":
        rate, on, source = cited
        mfu = rate * per_sample / (gpu_peak(on, cfg.precision) * 1e12)
        if on.lower() not in gpu.lower():
            source += f"; measured on an {on}, assumed to carry over to {gpu}"
    else:
        mfu, source = ASSUMED_MFU, "assumed"
    compute_s = flops / (peak * 1e12 * mfu)
    rate = loader_rate(cfg)
    loader_s = (cfg.batch_size * steps / (rate * workers_per_gpu)
                if rate and workers_per_gpu else 0.0)
    from .models import count_parameters

    return {"steps": steps, "params": count_parameters(cfg), "pflops": flops / 1e15,
            "peak_tflops": peak, "precision": cfg.precision, "mfu": mfu, "mfu_source": source,
            "loader_bound": loader_s > compute_s,
            "gpu_hours": max(compute_s, loader_s) / 3600}


# Effective training throughput of the 2-core CI machines, measured on the mini scales
# (ResNet-14 on digits ≈ 0.08, byte GPTs 0.03–0.07 TFLOP/s): estimates are good to ~2×.
CPU_TFLOPS = 0.06
RUN_OVERHEAD_S = 3.0
SIMULATION_S = 30.0  # simulations: measured 10–30 s each


def run_seconds(run) -> float:
    """Rough seconds for one expanded run on 2 CPU cores."""
    from .sweep import SimConfig

    if isinstance(run.config, SimConfig):
        return SIMULATION_S
    return run_cost(run.config)["pflops"] * 1e3 / CPU_TFLOPS + RUN_OVERHEAD_S


def cpu_minutes(sweep_file: str, scale: str) -> float:
    """Rough minutes for a sweep at `scale` on 2 CPU cores (what `make list` shows)."""
    from .sweep import expand

    return sum(run_seconds(run) for run in expand(sweep_file, scale)) / 60


if __name__ == "__main__":  # python -m harness.cost SCALE SWEEP...: {sweep: minutes} as JSON
    import sys

    print(json.dumps({f: cpu_minutes(f, sys.argv[1]) for f in sys.argv[2:]}))
