"""What the harness costs around training, each as a ratio measured in one process:

- per-layer logging on the mini GPT step (LayerLogger before/after `step`), goal ≤ 1.03×;
- the harness loop (`harness.run.train`: schedules, logging, Parquet, checkpoints, eval)
  against a bare loop with the same model, data and optimizer, goal ≤ 1.05×;
- analysis: loading a sweep of 100 runs × 10 000 logged steps × 50 layers, goal ≤ 5 s;
- expanding a sweep of 10 000 points (validation + run ids), goal ≤ 1 s;
- the live Parquet flush of a paper-length run (its largest, at the end), as a share of the
  flush interval ($WDLAB_FLUSH_SECONDS), goal ≤ 1 %.

    python benchmarks/bench_harness.py [--repeats 15] [--runs 100] [--steps 10000]
    python benchmarks/bench_harness.py --only-logging [--repeats 15]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
import yaml
from doc import machine, write_section

from harness.data import BatchStream, build_dataset
from harness.launch import write_config
from harness.metrics import LayerLogger
from harness.models import model_for
from harness.optim import build_optimizer, classify, reparameterize
from harness.run import FLUSH_SECONDS, _flush, loss_fn, train
from harness.runfolder import DONE, LAYERS, LAYERS_SCHEMA, METRICS, METRICS_SCHEMA
from harness.sweep import RunConfig, expand, run_dir

# Defazio Fig. 4's mini workload: the loop every mini GPT figure runs.
GPT = dict(model="gpt", depth=4, width=128, dataset="stdlib_bytes", seq_len=128, batch_size=16,
           optimizer="adamw", lr=0.004, weight_decay=0.1, momentum=0.9, beta2=0.95)


def _setup(cfg: RunConfig):
    torch.manual_seed(0)
    data = build_dataset(cfg.dataset, None, cfg.seq_len)
    model = model_for(cfg, data.channels, data.num_classes, data.image_size)
    infos = reparameterize(model, classify(model, data.train[0][0][None].long()), cfg)
    return data, model, infos, build_optimizer(cfg.optimizer, model, infos, cfg)


def logging_overhead(repeats: int) -> list[str]:
    cfg = RunConfig(**GPT, steps=1)
    data, model, infos, opt = _setup(cfg)
    named = list(model.named_parameters())
    # Without Chou Table 1's norms (power iteration included) too: what they add to logging.
    loggers = {norms: LayerLogger(named, infos, table1_norms=norms) for norms in (True, False)}
    batches = BatchStream(data.train, cfg.batch_size, 0)

    def steps(n: int, log_every: int | None, norms: bool = True) -> float:
        logger = loggers[norms]
        start = time.perf_counter()
        for i in range(n):
            x, y = next(batches)
            loss = loss_fn(model(x.long()), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            logged = log_every is not None and i % log_every == 0
            if logged:
                logger.before_step(i)
            opt.step()
            if logged:
                logger.after_step()
        logger.rows.clear()
        return (time.perf_counter() - start) / n

    variants = {"no logging": (None, True), "every step, without Table 1 norms": (1, False),
                "every step": (1, True), "every 5 steps (mini)": (5, True)}
    times = {k: [] for k in variants}
    steps(3, None)
    for _ in range(repeats):
        for name, (every, norms) in variants.items():
            times[name].append(steps(5, every, norms))
    base = statistics.median(times["no logging"])
    rows = [f"| per-layer logging, mini GPT step, {name} | "
            f"{statistics.median(t) * 1e3:.1f} ms | {statistics.median(t) / base:.3f}× | ≤ 1.03× |"
            for name, t in times.items() if name != "no logging"]
    # The logger's own calls, timed alone (gradients of the last step), fastest of the repeats:
    # less noisy than the small difference of two step times on shared cores.
    alone = {norms: [] for norms in loggers}
    for _ in range(3 * repeats):
        for norms, logger in loggers.items():
            start = time.perf_counter()
            for i in range(10):
                logger.before_step(i)
                logger.after_step()
            logger.rows.clear()
            alone[norms].append((time.perf_counter() - start) / 10)
    with_, without = min(alone[True]), min(alone[False])
    return rows + [f"| LayerLogger calls alone, with / without Table 1 norms | {with_ * 1e3:.2f}"
                   f" / {without * 1e3:.2f} ms | {with_ / without:.2f}× | — |"]


def loop_overhead(steps: int) -> list[str]:
    cfg = RunConfig(**GPT, steps=steps, log_every=5, eval_batches=1)

    def bare() -> float:
        start = time.perf_counter()
        data, model, _, opt = _setup(cfg)
        batches = BatchStream(data.train, cfg.batch_size, cfg.seed)
        for _ in range(steps):
            x, y = next(batches)
            loss = loss_fn(model(x.long()), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    def harness() -> float:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            train(cfg, out, progress=False)
            return time.perf_counter() - start

    bare(), harness()  # warm caches (corpus read, allocator)
    pairs = [(bare(), harness()) for _ in range(5)]  # 2-core timing noise is ±5 %
    b, h = statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)
    return [f"| harness loop vs bare loop, mini GPT, {steps} steps (incl. setup, Parquet, "
            f"checkpoints, final eval) | {h:.2f} s vs {b:.2f} s | {h / b:.3f}× | ≤ 1.05× |"]


def live_flush(logged_steps: int = 500, tensors: int = 150) -> list[str]:
    """One flush as a paper run ends (50 000 steps logged every 100, a 124M GPT's ~150
    tensors): the most rows it ever rewrites, so the worst share of the interval."""
    metrics = [{f.name: (i if f.name == "step" else 0.5) for f in METRICS_SCHEMA}
               for i in range(logged_steps)]
    layers = [{**{f.name: 0.5 for f in LAYERS_SCHEMA}, "step": i, "layer": f"blocks.{j}.w",
               "kind": "linear", "normalized": True}
              for i in range(logged_steps) for j in range(tensors)]
    with tempfile.TemporaryDirectory() as out:
        _flush(Path(out), metrics, layers)  # warm
        took = min(_timed(lambda: _flush(Path(out), metrics, layers)) for _ in range(5))
    interval = FLUSH_SECONDS or 60.0
    return [f"| live Parquet flush, {logged_steps} logged steps × {tensors} tensors "
            f"({len(layers):,} layer rows), every {interval:.0f} s | {took * 1e3:.0f} ms | "
            f"{took / interval * 100:.2f} % of the interval | ≤ 1 % |"]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def analysis_load(runs: int, steps: int, layers: int) -> list[str]:
    from analysis.load import load_runs

    with tempfile.TemporaryDirectory() as tmp:
        sweep = Path(tmp) / "bench.yaml"
        sweep.write_text(yaml.safe_dump({
            "name": "bench", "model": "gpt", "dataset": "stdlib_bytes", "optimizer": "adamw",
            "lr": 0.004, "steps": steps, "grid": {"seed": list(range(runs))}}))
        logged = np.arange(steps, dtype=np.int64)
        names = [f"blocks.{i // 5}.w{i % 5}" for i in range(layers)]
        rng = np.random.default_rng(0)
        layer_table = pa.table({
            "step": np.repeat(logged, layers), "layer": pa.array(names * steps),
            "kind": pa.array(["linear"] * (steps * layers)),
            "normalized": np.ones(steps * layers, dtype=bool),
            **{c: rng.random(steps * layers) for c in ("weight_norm", "grad_norm",
                                                        "update_norm")}})
        layer_table = layer_table.cast(pa.schema([LAYERS_SCHEMA.field(n)
                                                  for n in layer_table.column_names]))
        metric_table = pa.table({"step": logged, "lr": rng.random(steps),
                                 "loss": rng.random(steps)}).cast(
            pa.schema([METRICS_SCHEMA.field(n) for n in ("step", "lr", "loss")]))
        for run in expand(sweep, "mini"):
            folder = run_dir(Path(tmp) / "results", run)
            folder.mkdir(parents=True)
            write_config(run, folder, {})
            pq.write_table(layer_table, folder / LAYERS)
            pq.write_table(metric_table, folder / METRICS)
            (folder / DONE).write_text("{}")
        start = time.perf_counter()
        loaded = load_runs(sweep, "mini", Path(tmp) / "results")
        seconds = time.perf_counter() - start
    rows = sum(len(r["layers"]) for r in loaded)
    return [f"| analysis: load {runs} runs × {steps} steps × {layers} layers ({rows:,} layer "
            f"rows) | {seconds:.2f} s | — | ≤ 5 s |"]


def expansion(points: int) -> list[str]:
    side = int(points ** 0.5)
    with tempfile.TemporaryDirectory() as tmp:
        sweep = Path(tmp) / "big.yaml"
        sweep.write_text(yaml.safe_dump({
            "name": "big", "model": "resnet", "dataset": "mnist5k", "optimizer": "sgd",
            "steps": 100, "lr": 0.1,
            "grid": {"lr": [0.001 * (i + 1) for i in range(side)],
                     "weight_decay": [1e-5 * (i + 1) for i in range(side)]}}))
        start = time.perf_counter()
        runs = expand(sweep, "mini")
        seconds = time.perf_counter() - start
    return [f"| sweep expansion, {len(runs):,} points (validate + hash) | {seconds:.2f} s | — | "
            "≤ 1 s |"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10000)
    parser.add_argument("--layers", type=int, default=50)
    parser.add_argument("--only-analysis", action="store_true",
                        help="only the analysis load time (make bench-analysis)")
    parser.add_argument("--only-logging", action="store_true",
                        help="only the per-layer logging rows, printed (docs left as they are)")
    args = parser.parse_args()
    if args.only_logging:
        print(*logging_overhead(args.repeats), sep="\n")
        return
    if args.only_analysis:
        rows = analysis_load(args.runs, args.steps, args.layers)
        print(rows[-1], flush=True)
        write_section("analysis", ["## Analysis load", "", f"`make bench-analysis` on "
                                   f"{machine()}.", "", "| what | measured | ratio | goal |",
                                   "|---|---|---|---|", *rows])
        return
    rows = []
    for part in (lambda: expansion(10_000), lambda: logging_overhead(args.repeats),
                 lambda: loop_overhead(200), live_flush,
                 lambda: analysis_load(args.runs, args.steps, args.layers)):
        rows += part()
        print(rows[-1], flush=True)
    write_section("harness", ["## Harness overheads", "", f"`make bench` on {machine()}.", "",
                              "| what | measured | ratio | goal |", "|---|---|---|---|", *rows])


if __name__ == "__main__":
    main()
