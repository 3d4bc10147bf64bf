"""`make gpu-check`: the paper workloads' CUDA paths, eager and torch.compile.

ResNet-50 (bf16 autocast, channels_last), ViT-S/16 (bf16) and the 124M modded-nanogpt GPT
(bf16) train for a few dozen steps on one fixed random batch each (so the loss must fall),
with the optimizers the papers pair them with (SGD, AdamW, Scion), built by the harness
(parameter groups, schedules' group layout). Reported: samples/s (img/s or tokens/s), MFU
against the card's dense bf16 peak, first and last loss. Then each corrected optimizer's step
time against its base (SGDC/SGD, AdamC/AdamW, ScionC/Scion) on ResNet-50's parameters.

On a GPU the table goes to docs/benchmarks.md (with the card's name). Without one the same
script runs at tiny shapes and prints only: that is how its test runs.

    python benchmarks/gpu_check.py [--steps 30] [--tiny]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from doc import machine, write_section

from harness.cost import forward_flops, peak_tflops
from harness.data import SHAPES
from harness.models import model_for
from harness.optim import build_optimizer, classify, reparameterize
from harness.sweep import RunConfig

FULL = {  # name: (run keys, batch)
    "ResNet-50 224² (SGD)": (dict(model="resnet", depth=50, width=64, dataset="imagenet",
                                  optimizer="sgd", lr=0.1, momentum=0.9), 128),
    "ViT-S/16 224² (AdamW)": (dict(model="vit", depth=12, width=384, patch_size=16,
                                   image_size=224, dataset="imagenet", optimizer="adamw",
                                   lr=1e-3, weight_decay=0.1), 128),
    "GPT 124M modded (Scion)": (dict(model="gpt", depth=12, width=768, gpt_variant="modded",
                                     dataset="fineweb_edu", seq_len=1024, optimizer="scion",
                                     lr=2**-12 * 50, output_lr=2**-12 * 3000, momentum=0.9),
                                16),
}
TINY = {  # the same code paths at CPU-sized shapes
    "ResNet-8 32² (SGD)": (dict(model="resnet", depth=8, width=8, dataset="cifar10",
                                optimizer="sgd", lr=0.1, momentum=0.9), 8),
    "ViT 2×32 32² (AdamW)": (dict(model="vit", depth=2, width=32, patch_size=8, image_size=32,
                                  dataset="cifar10", optimizer="adamw", lr=1e-3), 8),
    "GPT 2×64 modded (Scion)": (dict(model="gpt", depth=2, width=128, gpt_variant="modded",
                                     dataset="stdlib_bytes", seq_len=64, optimizer="scion",
                                     lr=0.01, output_lr=0.05, momentum=0.9), 4),
}
PAIRS = [("sgdc", "sgd"), ("adamc", "adamw"), ("scionc", "scion")]


def _batch(cfg: RunConfig, batch: int, device):
    channels, classes, native = SHAPES[cfg.dataset]
    g = torch.Generator().manual_seed(0)
    if cfg.model == "gpt":
        tokens = torch.randint(0, classes, (batch, (cfg.seq_len or native) + 1), generator=g)
        return tokens[:, :-1].to(device), tokens[:, 1:].to(device)
    side = cfg.image_size or native
    x = torch.randn(batch, channels, side, side, generator=g)
    return (x.to(device, memory_format=torch.channels_last),
            torch.randint(0, classes, (batch,), generator=g).to(device))


def _setup(cfg: RunConfig, device):
    channels, classes, native = SHAPES[cfg.dataset]
    model = model_for(cfg, channels, classes, cfg.image_size or (cfg.seq_len or native))
    model = model.to(device, memory_format=torch.channels_last) if cfg.model != "gpt" \
        else model.to(device)
    x, _ = _batch(cfg, 1, device)
    infos = reparameterize(model, classify(model, x), cfg)
    return model, build_optimizer(cfg.optimizer, model, infos, cfg)


def train_check(name: str, keys: dict, batch: int, steps: int, compile_: bool, device) -> dict:
    cfg = RunConfig(**keys, steps=steps, c2=1.0, precision="bf16")
    torch.manual_seed(0)
    model, opt = _setup(cfg, device)
    forward = torch.compile(model) if compile_ else model
    x, y = _batch(cfg, batch, device)
    losses, times = [], []
    for _ in range(steps):
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16):
            logits = forward(x)
        loss = F.cross_entropy(logits.float().flatten(0, -2), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())  # syncs: the step is done
        times.append(time.perf_counter() - start)
    step_s = statistics.median(times[len(times) // 2:])  # after warm-up / compilation
    per_sample = 3 * forward_flops(cfg.model, cfg.depth, cfg.width, cfg.dataset,
                                   cfg.seq_len or cfg.image_size, cfg.patch_size)
    peak = peak_tflops(device)
    units = batch * (cfg.seq_len if cfg.model == "gpt" else 1)
    return {"workload": name, "mode": "compile" if compile_ else "eager",
            "rate": units / step_s, "unit": "tokens/s" if cfg.model == "gpt" else "img/s",
            "mfu": per_sample * batch / step_s / 1e12 / peak if peak else None,
            "first_loss": losses[0], "last_loss": losses[-1],
            "falls": losses[-1] < losses[0]}


def optimizer_ratios(keys: dict, device, repeats: int) -> list[dict]:
    rows = []
    for corrected, base in PAIRS:
        ms = {}
        for name in (corrected, base):
            cfg = RunConfig(**{**keys, "optimizer": name}, steps=1, c2=1.0, weight_decay=0.1,
                            output_lr=0.05)
            model, opt = _setup(cfg, device)
            for p in model.parameters():
                p.grad = torch.randn_like(p) * 1e-3
            for _ in range(3):
                opt.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(repeats):
                opt.step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            ms[name] = (time.perf_counter() - start) / repeats * 1e3
        rows.append({"pair": f"{corrected} / {base}", "ms": ms[corrected],
                     "base_ms": ms[base], "ratio": ms[corrected] / ms[base]})
    return rows


def main(argv: list[str] | None = None) -> list[str]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--tiny", action="store_true", help="CPU-sized shapes (the test)")
    parser.add_argument("--no-compile", action="store_true")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tiny = args.tiny or device.type != "cuda"
    workloads = TINY if tiny else FULL
    rows = [train_check(name, keys, batch, args.steps, compile_, device)
            for name, (keys, batch) in workloads.items()
            for compile_ in ((False,) if args.no_compile else (False, True))]
    first = next(iter(workloads.values()))[0]
    ratios = optimizer_ratios(first, device, 5 if tiny else 50)
    card = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU (tiny shapes)"
    lines = ["## GPU check", "", f"`make gpu-check` on {card}, {machine()}; {args.steps} steps "
             "on one fixed batch, bf16 autocast, rate = median of the second half.", "",
             "| workload | mode | throughput | MFU | loss first → last | loss falls |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "—"
        lines.append(f"| {r['workload']} | {r['mode']} | {r['rate']:,.0f} {r['unit']} | {mfu} "
                     f"| {r['first_loss']:.3f} → {r['last_loss']:.3f} | "
                     f"{'yes' if r['falls'] else 'NO'} |")
    lines += ["", "| optimizer / base | ms/step | base ms/step | ratio |", "|---|---|---|---|"]
    lines += [f"| {r['pair']} | {r['ms']:.2f} | {r['base_ms']:.2f} | {r['ratio']:.3f}× |"
              for r in ratios]
    if device.type == "cuda" and not tiny:
        write_section("gpu_check", lines)
    print("\n".join(lines))
    return lines


if __name__ == "__main__":
    main()
