"""`make bench-loader`: the paper-scale data path, measured on this machine.

- Images per second of one decoding worker, for the ResNet recipe (RandomResizedCrop 224 +
  flip) and the ViT recipe (+ RandAugment m10 n2), on generated ImageNet-sized JPEGs
  (500×375): wdlab's BatchStream (per-sample seeds, exact resume) against a bare torchvision
  ImageFolder DataLoader with the same transforms, batch and worker count. Goal ≥ 0.95×.
- The cores per GPU each paper image workload needs, from those rates and a cited GPU
  throughput.
- The token stream over sparse shards holding 200.1B train tokens (2 001 × 100M + a val
  shard, 4 KiB of disk each): peak RSS and seconds of a fresh process from start to its
  first batch of 256 × 1024, the stream's checkpointed state, and `harness data check` on
  Defazio Fig. 4's paper sweep (200B tokens) over the same set. Goals: ≤ 1 GB and ≤ 10 s each.

    python benchmarks/bench_loader.py [--images 384] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from doc import machine, write_section

from harness.data import BatchStream, build_dataset
from harness.data.fake import jpeg_bytes
from harness.data.images import imagenet_train_transform
from harness.data.prepare_fineweb import shard_name
from harness.data.tokens import HEADER_INTS, shard_header

BATCH = 32
RATES = Path("docs/loader_rates.json")
SHARDS, SHARD_TOKENS = 2002, 100_000_000  # val + 200.1B train tokens
# Cited training throughputs of one GPU (mixed precision), for the cores-per-GPU estimate.
GPU_RATES = {
    "ResNet-50 (Defazio Figs. 2–3, 5)": (
        "resnet", 2470, "1× A100 80GB, AMP: NVIDIA DeepLearningExamples, PyTorch ResNet50 "
        "v1.5 README"),
    "ViT-S/16 (Chou Table 2)": (
        "vit", 1800, "estimate: ViT-B/16 at 3 583 img/s on 8× A100 (PaddlePaddle PLSC "
        "benchmark) = 448 per GPU, × 4 for ViT-S/16's 4.6 vs ViT-B's 17.6 GFLOPs"),
}


def _jpegs(root: Path, n: int) -> Path:
    rng = np.random.default_rng(0)
    for i in range(n):
        folder = root / "imagenet" / "train" / f"n{i % 4:08d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{i}.JPEG").write_bytes(jpeg_bytes(rng))
    val = root / "imagenet" / "val" / "n00000000"
    val.mkdir(parents=True, exist_ok=True)
    (val / "0.JPEG").symlink_to(root / "imagenet" / "train" / "n00000000" / "0.JPEG")
    return root


def _rate(batches, n_batches: int) -> float:
    next(batches)  # worker start-up is not the steady state
    start = time.perf_counter()
    for _ in range(n_batches):
        next(batches)
    return n_batches * BATCH / (time.perf_counter() - start)


def _endless(loader):
    while True:
        yield from loader


def image_rates(root: Path, n: int, repeats: int) -> list[dict]:
    from torchvision import datasets

    rows = []
    for recipe, kwargs in (("resnet", {}),
                           ("vit", {"crop_scale_min": 0.05, "randaugment": "rand-m10-n2"})):
        data = build_dataset("imagenet", root, 224, **kwargs)
        bare = datasets.ImageFolder(str(root / "imagenet" / "train"),
                                    imagenet_train_transform(224, **kwargs))
        ours, theirs = [], []
        for r in range(repeats):  # interleaved, best of `repeats`
            steps = 2 * n // BATCH - 2
            ours.append(_rate(iter(BatchStream(data.train, BATCH, r, workers=1)), steps))
            loader = torch.utils.data.DataLoader(bare, BATCH, shuffle=True, num_workers=1,
                                                 drop_last=True)
            theirs.append(_rate(_endless(loader), steps))
        rows.append({"recipe": recipe, "ours": max(ours), "bare": max(theirs)})
    return rows


STREAM_PROBE = """
import json, resource, sys, time, pickle
start = time.perf_counter()
from harness.data import build_dataset
from harness.data.tokens import TokenStream
data = build_dataset("fineweb_edu", sys.argv[1], 1024)
stream = TokenStream(data.train, 256, 0)
x, y = next(stream)
print(json.dumps({"seconds": time.perf_counter() - start, "tokens": data.train.tokens,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "state_bytes": len(pickle.dumps(stream.state_dict())),
                  "shape": list(x.shape)}))
"""


def _sparse_shards(root: Path) -> Path:
    folder = root / "fineweb_edu"
    folder.mkdir(parents=True)
    for i in range(SHARDS):
        with open(folder / shard_name(i), "wb") as f:
            f.write(shard_header(SHARD_TOKENS))
            f.truncate(HEADER_INTS * 4 + 2 * SHARD_TOKENS)  # a hole: no disk used
    return root


def _peak(cmd: list[str]) -> tuple[float, float, int, str]:
    """(peak RSS MB, seconds, exit code, stdout) of a fresh process."""
    out = subprocess.run(["/usr/bin/time", "-f", "%M %e", *cmd], capture_output=True, text=True)
    rss_kb, seconds = out.stderr.strip().splitlines()[-1].split()
    return int(rss_kb) / 1024, float(seconds), out.returncode, out.stdout


def token_stream(root: Path) -> dict:
    _sparse_shards(root)
    rss, seconds, _, stdout = _peak([sys.executable, "-c", STREAM_PROBE, str(root)])
    probe = json.loads(stdout)
    check = _peak([sys.executable, "-m", "harness", "data", "check",
                   "experiments/defazio2025/figure-4.yaml", "--scale", "paper", "--data-root",
                   str(root)])
    return {"stream_rss": rss, "stream_s": seconds, "tokens": probe["tokens"],
            "state_bytes": probe["state_bytes"], "check_rss": check[0], "check_s": check[1],
            "check_rc": check[2]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=384)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        images = image_rates(_jpegs(Path(tmp) / "img", args.images), args.images, args.repeats)
        tokens = token_stream(Path(tmp) / "tok")
    by_recipe = {r["recipe"]: r for r in images}
    lines = ["## Data loading at paper scale", "",
             f"`make bench-loader` on {machine()}. One decoding worker, batch {BATCH}, "
             f"{args.images} generated 500×375 JPEGs, best of {args.repeats} interleaved.", "",
             "| recipe | wdlab img/s per core | bare ImageFolder DataLoader | ratio | goal |",
             "|---|---|---|---|---|"]
    for r in images:
        lines.append(f"| {r['recipe']} | {r['ours']:.0f} | {r['bare']:.0f} | "
                     f"{r['ours'] / r['bare']:.3f}× | ≥ 0.95× |")
    lines += ["", "| paper workload | GPU img/s (source) | decoding cores per GPU |",
              "|---|---|---|"]
    for name, (recipe, rate, source) in GPU_RATES.items():
        cores = rate / by_recipe[recipe]["ours"]
        lines.append(f"| {name} | {rate} ({source}) | {cores:.1f} |")
    gb = 1024
    lines += ["", f"Token stream over {SHARDS} sparse shards = {tokens['tokens'] / 1e9:.1f}B "
              "tokens (a fresh process, torch import included):", "",
              "| what | peak RSS | seconds | goal |", "|---|---|---|---|",
              f"| start-up to the first 256 × 1024 batch | {tokens['stream_rss'] / gb:.2f} GB | "
              f"{tokens['stream_s']:.1f} | ≤ 1 GB, ≤ 10 s |",
              f"| `harness data check` Defazio Fig. 4 paper (exit {tokens['check_rc']}) | "
              f"{tokens['check_rss'] / gb:.2f} GB | {tokens['check_s']:.1f} | ≤ 1 GB, ≤ 10 s |",
              "", f"The stream's checkpointed state: {tokens['state_bytes']} bytes (epoch, "
              "shard visit, offset), whatever the token count."]
    write_section("loader", lines)
    # harness plan --cost holds ImageNet runs to what their decoding cores can feed
    RATES.write_text(json.dumps({"resnet": round(by_recipe["resnet"]["ours"]),
                                 "vit": round(by_recipe["vit"]["ours"]),
                                 "unit": "img/s per decoding core", "measured": machine()},
                                indent=2) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
