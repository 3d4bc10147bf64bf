"""`harness status` and `harness cancel`: what each run of a sweep is doing, from its folder
(DONE, checkpoint, progress, metrics) and, for submitted runs, from SLURM. A complete run's
`code` says whether the training code checked out now made it (current), other code did
(stale), or its DONE records none (unknown: made before runs recorded it)."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from . import provenance, slurm
from .runfolder import CHECKPOINT, METRICS, PROGRESS, ResultsError, is_complete, read_done
from .sweep import Run, run_dir

SLURM_STATES = {"PENDING": "pending", "CONFIGURING": "pending", "RUNNING": "running",
                "COMPLETING": "running", "REQUEUED": "requeued", "REQUEUE_HOLD": "requeued",
                "FAILED": "failed", "NODE_FAIL": "failed", "OUT_OF_MEMORY": "failed",
                "TIMEOUT": "failed", "CANCELLED": "cancelled", "PREEMPTED": "requeued",
                "COMPLETED": "failed"}  # COMPLETED without DONE: the run itself failed


def run_status(runs: list[Run], results: str | Path) -> list[dict]:
    folders = [run_dir(results, r) for r in runs]
    jobs = slurm.recorded_jobs(folders)
    states = slurm.job_states(list(jobs.values()))
    rows = []
    for run, folder in zip(runs, folders):
        job = jobs.get(folder)
        if is_complete(folder):
            state = "done"
        elif job:
            state = SLURM_STATES.get(states.get(job, ""), states.get(job, "unknown").lower())
        elif (folder / CHECKPOINT).is_file():
            state = "interrupted"
        elif folder.exists():
            state = "incomplete"
        else:
            state = "todo"
        rows.append({"run_id": run.run_id, "state": state, "step": _last_step(folder),
                     "loss": _last_loss(folder), "code": provenance.code_status(folder) or "-",
                     "job": job or "-",
                     "error": _error_tail(results, run, job) if state == "failed" else ""})
    return rows


# States that will change by themselves: watching stops when no run is in one of them.
MOVING = {"pending", "running", "requeued", "submitted"}


def watch(runs: list[Run], results: str | Path, every: float, show, clock=time.monotonic,
          sleep=time.sleep) -> list[dict]:
    """Redraw the status every `every` seconds (through `show(rows)`) with a line of state
    counts and an ETA from the rate runs finish at, until no run is queued or training (or
    Ctrl-C). A local run training in this machine's other process counts as running while
    its progress file moves."""
    started, done_at_start, rows = clock(), None, []
    try:
        while True:
            rows = run_status(runs, results)
            for row in rows:  # a local run has no job state: its progress file says it trains
                if row["state"] in ("incomplete", "interrupted") and "/" in row["step"]:
                    row["state"] = "running"
            counts = Counter(r["state"] for r in rows)
            done = counts.get("done", 0)
            done_at_start = done if done_at_start is None else done_at_start
            elapsed, finished = clock() - started, done - done_at_start
            left = sum(counts.get(s, 0) for s in MOVING)
            eta = (f"ETA {elapsed / finished * (len(rows) - done) / 60:.0f} min"
                   if finished and left else "ETA ?" if left else "nothing queued or training")
            print(time.strftime("%H:%M:%S"), ", ".join(f"{n} {s}" for s, n in
                                                       sorted(counts.items())), "—", eta)
            show(rows)
            if not left:
                return rows
            sleep(every)
    except KeyboardInterrupt:
        return rows


def _last_step(folder: Path) -> str:
    if is_complete(folder):
        try:
            return str(read_done(folder).get("steps", "-"))
        except ResultsError:  # status must never fail on one garbled file
            return "-"
    try:
        step, total = json.loads((folder / PROGRESS).read_text())
        return f"{step}/{total}"
    except (OSError, ValueError):
        return "-"


def _last_loss(folder: Path) -> str:
    try:
        loss = pq.read_table(folder / METRICS, columns=["loss"]).column(0)
        return f"{loss[-1].as_py():.4f}" if len(loss) else "-"
    except Exception:  # missing or being replaced: status must never fail on it
        return "-"


def _error_tail(results, run: Run, job: str | None, lines: int = 5) -> str:
    if not job:
        return ""
    log = Path(results) / run.sweep / run.scale / ".submitit" / job / f"{job}_0_log.err"
    try:
        text = [ln for ln in log.read_text().splitlines() if ln.strip()]
    except OSError:
        return f"(no log at {log})"
    return " | ".join(text[-lines:])


def cancel(runs: list[Run], results: str | Path) -> list[str]:
    """scancel every submitted run that is not done; returns the job ids cancelled."""
    unfinished = [run_dir(results, r) for r in runs if not is_complete(run_dir(results, r))]
    jobs = list(slurm.recorded_jobs(unfinished).values())
    if jobs:
        subprocess.run(["scancel", *jobs], check=False)
    return jobs
