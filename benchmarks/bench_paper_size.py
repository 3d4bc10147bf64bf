"""`make bench-paper-size`: the harness around a paper-size model against a bare loop.

Defazio Fig. 4's paper run (the 12 × 768 Llama-style GPT, AdamW, 1024-token windows), cut to
a batch of 2 windows and 4 steps so it fits 2 CPU cores, on generated `.bin` shards. The
harness run (`harness.run.train`: per-layer logging on every step, schedules, Parquet, the
evaluation at the last step, micro-batch 2) and a bare PyTorch loop (the same model, torch
AdamW with nanoGPT's decay/no-decay groups, random tokens, no logging) each run in a fresh
process. Compared: peak RSS and
the median time of the steps that neither warm up nor evaluate. Goal: both ≤ 1.1×.

    python benchmarks/bench_paper_size.py [--steps 4]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from doc import machine, write_section

from harness.data.fake import fake_fineweb

SWEEP = "experiments/defazio2025/figure-4.yaml"
BATCH = 2

PROBE = """
import json, sys, time
import torch
B = int(sys.argv[5])
torch.set_num_threads(2)
from harness.sweep import expand
cfg = expand(sys.argv[1], "paper")[0].config.model_copy(update={
    "steps": int(sys.argv[4]), "batch_size": B, "warmup_steps": 0, "log_every": 1,
    "eval_every": None, "eval_tokens": B * 1024})
if sys.argv[2] == "harness":
    import pandas as pd
    from harness.run import train
    train(cfg, sys.argv[3] + "/run", data_root=sys.argv[3], progress=False,
          micro_batch=B)
    m = pd.read_parquet(sys.argv[3] + "/run/metrics.parquet")
    times = (B / m["samples_per_s"]).tolist()
else:
    import torch.nn.functional as F
    from harness.models import model_for
    torch.manual_seed(0)
    model = model_for(cfg, 50304, 50304, 1024)
    # nanoGPT's two groups: matrices decayed, vectors not (as the harness's policy does)
    groups = [{"params": [p for p in model.parameters() if p.dim() >= 2]},
              {"params": [p for p in model.parameters() if p.dim() < 2], "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, betas=(cfg.momentum, cfg.beta2),
                            weight_decay=cfg.weight_decay)
    times = []
    for _ in range(cfg.steps):
        start = time.perf_counter()
        x = torch.randint(0, 50257, (B, 1025))
        loss = F.cross_entropy(model(x[:, :-1]).flatten(0, 1), x[:, 1:].flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - start)
params = sum(p.numel() for p in model.parameters()) if sys.argv[2] == "bare" else None
print(json.dumps({"times": times, "params": params}))
"""


def _measure(kind: str, root: Path, steps: int) -> dict:
    out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-c", PROBE, SWEEP,
                          kind, str(root), str(steps), str(BATCH)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{kind} run failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # steady steps: not the first (warm-up), not the last (the harness evaluates there)
    steady = sorted(result["times"][1:-1])
    return {"rss_gb": int(out.stderr.strip().splitlines()[-1]) / 1024**2,
            "step_s": steady[len(steady) // 2], "params": result["params"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        fake_fineweb(root)
        bare = _measure("bare", root, args.steps)
        harness = _measure("harness", root, args.steps)
    lines = ["## The harness at the paper's model size", "",
             f"`make bench-paper-size` on {machine()}: Defazio Fig. 4's paper GPT "
             f"({bare['params'] / 1e6:.0f}M parameters), AdamW, batch {BATCH} × 1024 tokens, "
             f"{args.steps} steps; step time = median of the steps between the first and the "
             "last (the harness evaluates at the last); peak RSS of the whole process.", "",
             "| what | harness | bare loop | ratio | goal |", "|---|---|---|---|---|",
             f"| peak RSS | {harness['rss_gb']:.2f} GB | {bare['rss_gb']:.2f} GB | "
             f"{harness['rss_gb'] / bare['rss_gb']:.3f}× | ≤ 1.1× |",
             f"| s/step | {harness['step_s']:.2f} | {bare['step_s']:.2f} | "
             f"{harness['step_s'] / bare['step_s']:.3f}× | ≤ 1.1× |"]
    write_section("paper_size", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
