"""Optimizer step time: each corrected/new rule against the torch optimizer it builds on, on
the mini ResNet and mini GPT parameter sets, measured in one process with interleaved repeats
(ratios are what matter: absolute times depend on the machine). Writes docs/benchmarks.md.

    python benchmarks/bench_optim.py [--repeats 30] [--out docs/benchmarks.md]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

import torch
from doc import machine, write_section  # benchmarks/doc.py, beside this script

from harness.data import SHAPES, example_input
from harness.models import build_model
from harness.optim import build_optimizer, classify, reparameterize
from harness.sweep import RunConfig

WORKLOADS = {  # name: (model, depth, width, dataset)
    "ResNet-14 w16 (mini)": ("resnet", 14, 16, "mnist5k"),
    "GPT 4×128 (mini)": ("gpt", 4, 128, "stdlib_bytes"),
}
PAIRS = [("sgdc", "sgd"), ("adamc", "adamw"), ("renormalized_adamw", "adamw"),
         ("scion", "muon"), ("scionc", "muon"), ("muonmd", "muon"), ("adammd", "adamw")]


NOTES = ["", "Repeat-to-repeat noise on the 2-core machines is ±3–4 % (the SGDC/AdamC rows swing "
         "either side of 1.00× between runs). SGDC/AdamC only rewrite `group[\"weight_decay\"]` "
         "in a step pre-hook and call torch's foreach step once."]


def make(optimizer: str, workload: tuple):
    model_name, depth, width, dataset = workload
    cfg = RunConfig(model=model_name, depth=depth, width=width, dataset=dataset, steps=1,
                    optimizer=optimizer, lr=0.01, momentum=0.9, weight_decay=0.1, c2=1.0)
    torch.manual_seed(0)
    channels, classes, _ = SHAPES[dataset]
    model = build_model(model_name, depth, width, channels, classes)
    infos = reparameterize(model, classify(model, example_input(dataset, 32)), cfg)
    opt = build_optimizer(optimizer, model, infos, cfg)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-2
    return opt


def step_ms(opt, n: int = 5) -> float:
    start = time.perf_counter()
    for _ in range(n):
        opt.step()
    return (time.perf_counter() - start) / n * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--out", default="docs/benchmarks.md")
    args = parser.parse_args()
    lines = ["## Optimizer step time", "",
             f"`make bench-optim` on {machine()}; median of {args.repeats} repeats of 5 steps, "
             "interleaved in "
             "shuffled order. Goal for the corrected variants (SGDC, AdamC, ScionC): ≤ 1.02× "
             "their base. Renormalized AdamW and MD pay for extra work by design (a weight "
             "copy and per-tensor norms; a parametrization and a projection).", "",
             "| workload | optimizer | base | ms/step | base ms/step | ratio |",
             "|---|---|---|---|---|---|"]
    for label, workload in WORKLOADS.items():
        names = sorted({n for pair in PAIRS for n in pair})
        opts = {n: make(n, workload) for n in names}
        times = {n: [] for n in names}
        for n in names:
            step_ms(opts[n], 2)  # warm up: state allocation, first-call overheads
        order = random.Random(0)
        for _ in range(args.repeats):
            order.shuffle(names)  # no optimizer always runs right after the same one
            for n in names:
                times[n].append(step_ms(opts[n]))
        median = {n: statistics.median(t) for n, t in times.items()}
        for new, base in PAIRS:
            lines.append(f"| {label} | {new} | {base} | {median[new]:.2f} | "
                         f"{median[base]:.2f} | {median[new] / median[base]:.3f}× |")
            print(lines[-1], flush=True)
    write_section("optim", lines + NOTES, Path(args.out))


if __name__ == "__main__":
    main()
