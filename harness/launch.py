"""Turn expanded runs into finished runs: skip what is done, then execute the rest.

Executors: `inline` (in this process, for debugging) and `local` (submitit's LocalExecutor,
one subprocess per run, one at a time since a 2-core machine gains nothing from two). The
SLURM executor plugs into the same `_submit` seam.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import yaml
from tqdm import tqdm

from .checkpoint import CHECKPOINT, Preempted
from .data import check_available
from .metrics import atomic_write_text
from .run import PROGRESS, is_complete, train
from .sweep import Run, run_dir

EXECUTORS = ("local", "inline")


def pending(runs: list[Run], results: str | Path, force: bool = False) -> list[Run]:
    """Runs that still have to be executed (all of them with `force`)."""
    return [r for r in runs if force or not is_complete(run_dir(results, r))]


def write_config(run: Run, folder: Path, meta: dict) -> None:
    record = {**meta, **run.as_dict()}
    atomic_write_text(yaml.safe_dump(record, sort_keys=False), folder / "config.yaml")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _wait_local(job, folder: Path, label: str) -> dict:
    """Poll a local job, mirroring its progress file. If we are interrupted, the job is told
    to checkpoint and stop (and we wait for it), so no orphan trains on behind our back."""
    bar = tqdm(desc=label, total=None, leave=False, unit="step")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        while not job.done():
            time.sleep(0.5)
            try:
                step, total = json.loads((folder / PROGRESS).read_text())
                bar.total, bar.n = total, step
                bar.refresh()
            except (OSError, ValueError):
                pass  # not started yet, or caught mid-write
    except BaseException:
        job.cancel(check=False)  # SIGINT: the run saves a checkpoint and raises Preempted
        deadline = time.time() + 120
        while not job.done() and time.time() < deadline:
            time.sleep(0.2)
        raise Preempted(f"interrupted; {folder} keeps its checkpoint") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        bar.close()
    try:
        return job.result()  # re-raises the run's exception with its traceback
    except Exception as e:
        if "Preempted" in str(e):
            raise Preempted(f"{label} was preempted; {folder} keeps its checkpoint") from None
        raise


def launch(runs: list[Run], results: str | Path, meta: dict, executor: str = "local",
           force: bool = False, data_root: str | Path | None = None,
           checkpoint_every: int | None = None) -> list[Run]:
    """Execute every pending run; returns the runs executed. Creates nothing if none pend.

    A run interrupted after a checkpoint resumes from it (unless `force`); one without a
    checkpoint starts over. A preempted run (signal -> checkpoint) raises Preempted."""
    todo = pending(runs, results, force)
    for dataset in sorted({r.config.dataset for r in todo}):
        check_available(dataset, data_root)  # before any folder exists
    if not todo:
        return []

    local = None
    if executor == "local":
        import submitit

        logs = Path(results) / todo[0].sweep / todo[0].scale / ".submitit"
        local = submitit.LocalExecutor(folder=logs)
        local.update_parameters(timeout_min=24 * 60)

    for run in tqdm(todo, desc=f"{todo[0].sweep} [{todo[0].scale}]", unit="run"):
        folder = run_dir(results, run)
        resumable = (folder / CHECKPOINT).is_file() and not force
        if folder.exists() and not resumable:
            shutil.rmtree(folder)  # an incomplete run without a checkpoint starts over
        folder.mkdir(parents=True, exist_ok=True)
        write_config(run, folder, meta)
        if local is None:
            train(run.config, folder, data_root, progress=True,
                  checkpoint_every=checkpoint_every)
        else:
            job = local.submit(train, run.config, folder, data_root, False, checkpoint_every)
            _wait_local(job, folder, run.run_id)
    return todo
