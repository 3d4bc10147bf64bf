"""`make rehearse`: every paper-scale workload once, at the paper's model size, through a real
SLURM as 2 tasks joined by DDP (gloo), on generated data in the paper's on-disk format.

A workload is a model family on a dataset (ResNet-50 on ImageNet, the Scion ViT, the
modded-nanogpt GPT, ...): the first paper run of the first sweep that has it is taken as it
is (model size, optimizer, schedule, recipe, precision), and only its length is cut: a global
batch of 4 (2 per rank, micro-batches of 1: gradient accumulation too), 4 steps, evaluation
on a few hundred images or 4 096 tokens at the end. After step 2 each run is sent SLURM's
time-limit warning (USR2, by WDLAB_PREEMPT_AT_STEP): it checkpoints, requeues itself with
`scontrol requeue` and resumes; it must finish with world size 2, resumed at step 2, evaluated
and its Parquet written. The table goes to stdout and docs/paper_scale.md.

    python -m harness.rehearse [--only defazio2025-resnet50-imagenet] [--results DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .runfolder import CHECKPOINT, DONE, JOB_RECORD, METRICS, read_done
from .sweep import RunConfig, expand, load_sweep

PROFILE = {"partition": "debug", "nodes": 1, "gpus_per_node": 2, "cpus_per_task": 1,
           "mem_gb": 15, "time_min": 30, "array_parallelism": 1, "max_requeues": 3,
           "micro_batch_size": 1}
CUT = {"steps": 4, "epochs": None, "batch_size": 4, "warmup_steps": 1, "warmup_epochs": None,
       "log_every": 1, "eval_every": None}
LENGTHS = ("steps", "epochs", "warmup_epochs", "eval_every")  # an init_from parent's, cut too
DOC = Path("docs/paper_scale.md")
PAIR_TIMEOUT = 2400  # s: both jobs of a pair together (366 s at 148M beside two trainings)
PREEMPT_AT = 2  # the step after which each run is warned of its time limit and requeued


def workloads() -> dict[str, tuple[str, RunConfig, dict]]:
    """name -> (sweep file, the run to rehearse, the sweep) for every distinct workload."""
    found: dict[str, tuple[str, RunConfig, dict]] = {}
    seen: set[str] = set()  # family and dataset: the first paper to have one names it
    for path in sorted(glob.glob("experiments/*/*.yaml")):
        sweep = load_sweep(path)
        if "paper" not in (sweep.get("scales") or {}) or sweep.get("kind") == "simulation":
            continue
        for run in expand(sweep, "paper"):
            c = run.config
            family = {"resnet": f"resnet{c.depth}", "vit": f"vit-{c.vit_norm}",
                      "gpt": f"gpt-{c.gpt_variant}-{c.precision}",
                      "ngpt": f"ngpt-{c.precision}"}[c.model]
            # A run that starts from another's final state is a workload of its own: the
            # pair (parent, then child) goes through SLURM as two jobs.
            key = f"{family}-{c.dataset}" + ("-init_from" if c.init_from else "")
            if key not in seen:
                seen.add(key)
                found[f"{sweep['paper']}-{key}"] = (path, c, sweep)
    return found


def rehearsal_config(cfg: RunConfig) -> dict:
    cut = {**CUT, **({"eval_tokens": 4096, "eval_batches": 50} if cfg.dataset.startswith(
        "fineweb") else {"eval_batches": 1})}
    if cfg.init_from:  # the parent's length is cut as its child's; what else it changes stays
        cut["init_from"] = {k: CUT[k] if k in LENGTHS else v for k, v in cfg.init_from.items()}
    return {**cfg.model_dump(mode="json", exclude_defaults=True), **cut}


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(1)


@contextlib.contextmanager
def _deadline(seconds: int, what: str):
    """TimeoutError in this (main) thread after `seconds`: a job stuck pending must not hang."""
    def expire(*_):
        raise TimeoutError(f"timed out after {seconds} s waiting for {what}")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _squeue_state(job: str) -> str:
    return subprocess.run(["squeue", "-h", "-j", job, "-o", "%T"], capture_output=True,
                          text=True).stdout.strip()


def rehearse_one(name: str, cfg: RunConfig, data_root: Path, results: Path,
                 profile: Path) -> dict:
    """Submit, requeue once mid-run, wait, and measure one workload."""
    from .cli import main as harness

    sweep_file = _rehearsal_sweep(name, cfg, results)
    (run,) = expand(sweep_file, "paper")
    folder = results / run.sweep / "paper" / run.run_id
    started = time.time()
    os.environ["WDLAB_PREEMPT_AT_STEP"] = str(PREEMPT_AT)  # the job inherits it (sbatch)
    try:
        code = harness(["run", str(sweep_file), "--scale", "paper", "--results", str(results),
                        "--cluster", str(profile), "--data-root", str(data_root),
                        "--force"])  # a rehearsal reports this run, never an older one
    finally:
        del os.environ["WDLAB_PREEMPT_AT_STEP"]
    if code:
        raise RuntimeError(f"{name}: harness run exited {code}")
    job = json.loads((folder / JOB_RECORD).read_text())["job_id"]
    # At step PREEMPT_AT the job gets a time-limit warning, checkpoints and requeues itself;
    # SLURM then holds it (BeginTime) for a while: release it as soon as it is pending.
    def requeued() -> bool:
        state = _squeue_state(job)
        if not state and not (folder / DONE).exists():
            raise RuntimeError(f"{name}: job {job} ended before its requeue (logs in "
                               f"{results / run.sweep / 'paper' / '.submitit'})")
        return state == "PENDING" and (folder / CHECKPOINT).exists() or \
            (folder / DONE).exists()

    _wait(requeued, 900, f"{name} to requeue itself")
    if not (folder / DONE).exists():
        subprocess.run(["scontrol", "update", f"JobId={job}", "StartTime=now"], check=True)
    _wait(lambda: (folder / DONE).exists() or _squeue_state(job) in ("", "FAILED"), 1200,
          f"{name} DONE")
    if not (folder / DONE).exists():
        raise RuntimeError(f"{name}: job {job} ended without DONE (logs in "
                           f"{results / run.sweep / 'paper' / '.submitit'})")
    done = read_done(folder)
    metrics = _metrics(folder)
    checks = {"world size 2": done["world_size"] == 2,
              "resumed after requeue": done["resumed_from"] == PREEMPT_AT,
              "evaluated": metrics["eval_loss"].notna().iloc[-1],
              "all steps logged": len(metrics) == CUT["steps"]}
    return _row(name, cfg, metrics, done, checks, started, resumed_from=done["resumed_from"],
                checkpoint_gb=(done.get("checkpoint_bytes") or 0) / 1024**3)


def _rehearsal_sweep(name: str, cfg: RunConfig, results: Path) -> Path:
    """The one-scale sweep file of a workload's cut run (rehearsal_config)."""
    sweep_file = results / f"{name}.yaml"
    sweep_file.write_text(yaml.safe_dump({"name": f"rehearse-{name}", "paper": "rehearsal",
                                          "scales": {"paper": rehearsal_config(cfg)}}))
    return sweep_file


def _metrics(folder: Path):
    import pandas as pd

    return pd.read_parquet(folder / METRICS)


def _row(name: str, cfg: RunConfig, metrics, done: dict, checks: dict, started: float,
         resumed_from, checkpoint_gb: float) -> dict:
    """A workload's row of the table: what was measured and which checks failed."""
    from .models import count_parameters

    train_rows = metrics[metrics["eval_loss"].isna()].iloc[1:]  # not warm-up, not eval
    return {"workload": name, "model": f"{cfg.model} {cfg.depth}×{cfg.width}",
            "params": count_parameters(cfg),
            "s_per_step": float(CUT["batch_size"] / train_rows["samples_per_s"].median()),
            "peak_rss_gb": [r / 1024 for r in done.get("peak_rss_mb", [])],
            "checkpoint_gb": checkpoint_gb,
            "data_wait": float(train_rows["data_wait_fraction"].median()),
            "wall_s": time.time() - started, "resumed_from": resumed_from,
            "ok": all(checks.values()), "failed": [k for k, v in checks.items() if not v]}


def rehearse_pair(name: str, cfg: RunConfig, data_root: Path, results: Path,
                  profile: Path) -> dict:
    """A child run and the parent it starts from (`init_from`), each as 2 DDP ranks: the
    parent keeps its final state, the child is submitted once the parent is done (`--wait`)
    and loads it. No requeue here: the other workloads rehearse it on the same models."""
    from .cli import main as harness
    from .warm_start import FINAL_STATE, parent_run

    sweep_file = _rehearsal_sweep(name, cfg, results)
    parent, child = expand(sweep_file, "paper")
    if parent_run(child).run_id != parent.run_id:
        raise RuntimeError(f"{name}: expand did not list the child's parent first")
    folders = [results / r.sweep / "paper" / r.run_id for r in (parent, child)]
    started = time.time()
    with _deadline(PAIR_TIMEOUT, f"{name} (parent and child)"):  # --wait alone never ends
        code = harness(["run", str(sweep_file), "--scale", "paper", "--results", str(results),
                        "--cluster", str(profile), "--data-root", str(data_root), "--force",
                        "--wait"])
    if code:
        raise RuntimeError(f"{name}: harness run exited {code}")
    done = [read_done(f) if (f / DONE).exists() else {} for f in folders]
    metrics = _metrics(folders[1])
    final = folders[0] / FINAL_STATE
    checks = {"parent and child world size 2": all(d.get("world_size") == 2 for d in done),
              "parent kept its final state": final.is_file(),
              "child evaluated": bool(metrics["eval_loss"].notna().iloc[-1]),
              "child started after its parent finished": all(done) and  # DONE's mtime
              (folders[1] / DONE).stat().st_mtime - done[1]["seconds"]
              >= (folders[0] / DONE).stat().st_mtime}
    return _row(name, cfg, metrics, done[1], checks, started, resumed_from="the parent's end",
                checkpoint_gb=final.stat().st_size / 1024**3 if final.is_file() else 0.0)


def table(rows: list[dict]) -> str:
    """docs/paper_scale.md: one row per workload."""
    lines = ["# Paper scale, rehearsed", "",
             "Generated by `make rehearse` (`python -m harness.rehearse`): each paper-scale "
             "workload at the paper's model size, optimizer, schedule and recipe, on generated "
             "data in the paper's format, through the local SLURM (`slurm/local/up.sh`) as 2 "
             "tasks joined by DDP (gloo, 1 CPU each), global batch 4 in micro-batches of 1, "
             f"{CUT['steps']} steps, requeued once mid-run, evaluated at the end (a run "
             "that starts from another's final state: the parent, then the child from it, "
             "each cut so, not requeued). Times are "
             "2-core CPU times: they show the path works, not how fast a GPU runs it.", "",
             "| workload | sweep | model | parameters (paper) | s/step | peak RSS per rank | "
             "checkpoint | data wait | resumed at | result |", "|" + "---|" * 10]
    for r in rows:
        if "params" not in r:
            lines.append(f"| {r['workload']} | {r.get('sweep', '')} | | | | | | | | "
                         f"FAIL: {'; '.join(r['failed'])} |")
            continue
        paper = r.get("paper_params")
        ratio = f" ({paper / 1e6:.1f}M, {r['params'] / paper:.3f}×)" if paper else \
            " (paper: not stated)"
        rss = " / ".join(f"{g:.1f}" for g in r["peak_rss_gb"]) + " GB"
        verdict = "pass" if r["ok"] else "FAIL: " + ", ".join(r["failed"])
        lines.append(f"| {r['workload']} | {r['sweep']} | {r['model']} | "
                     f"{r['params'] / 1e6:.1f}M{ratio} | {r['s_per_step']:.1f} | {rss} | "
                     f"{r['checkpoint_gb']:.2f} GB | {r['data_wait']:.0%} | "
                     f"{_resumed(r['resumed_from'])} | {verdict} |")
    return "\n".join(lines) + "\n"


def _resumed(at) -> str:
    return f"step {at}" if isinstance(at, int) else str(at)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harness rehearse", description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", help="workload name(s) to rehearse")
    parser.add_argument("--results", default=os.environ.get("WDLAB_REHEARSAL",
                                                            "/tmp/wdlab-rehearsal"))
    parser.add_argument("--doc", default=str(DOC), help="where the table goes ('' = nowhere)")
    args = parser.parse_args(argv)
    if not os.environ.get("SLURM_CONF"):
        print("error: no SLURM: start slurm/local/up.sh and export SLURM_CONF", file=sys.stderr)
        return 2
    from .data.fake import paper_format_data

    results = Path(args.results).resolve()
    results.mkdir(parents=True, exist_ok=True)
    data_root = paper_format_data(results / "data")
    profile = results / "profile.yaml"
    profile.write_text(yaml.safe_dump({**PROFILE, "data_root": str(data_root)}))
    known = workloads()
    chosen = {n: w for n, w in known.items() if not args.only or n in args.only}
    if not chosen:
        print(f"error: --only {' '.join(args.only)}: no such workload; known: "
              + ", ".join(known), file=sys.stderr)
        return 2
    rows = []
    for name, (sweep_path, cfg, sweep) in chosen.items():
        print(f"rehearsing {name} (from {sweep_path}) ...", flush=True)
        try:
            rehearse = rehearse_pair if cfg.init_from else rehearse_one
            row = rehearse(name, cfg, data_root, results, profile)
        except (RuntimeError, TimeoutError, OSError, ValueError) as e:  # a FAIL row, go on
            row = {"workload": name, "ok": False, "failed": [str(e)]}
        row.update(sweep=sweep_path, paper_params=sweep.get(
            "paper_params_init_from" if cfg.init_from else "paper_params"))
        rows.append(row)
        print(json.dumps(row), flush=True)
    text = table(rows)
    print(text)
    if args.doc:
        Path(args.doc).write_text(text)
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
