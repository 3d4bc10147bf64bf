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

from .data import check_available
from .metrics import atomic_write_text
from .run import is_complete, train
from .sweep import Run, run_dir

EXECUTORS = ("local", "inline")
PROGRESS = ".progress"


def pending(runs: list[Run], results: str | Path, force: bool = False) -> list[Run]:
    """Runs that still have to be executed (all of them with `force`)."""
    return [r for r in runs if force or not is_complete(run_dir(results, r))]


def write_config(run: Run, folder: Path, meta: dict) -> None:
    record = {**meta, **run.as_dict()}
    atomic_write_text(yaml.safe_dump(record, sort_keys=False), folder / "config.yaml")


def _train_with_progress(run: Run, folder: Path, data_root) -> dict:
    """What a local job executes: train without a tty bar, reporting progress to a file."""
    return train(run.config, folder, data_root, progress=False, progress_file=folder / PROGRESS)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _wait_local(job, folder: Path, label: str) -> dict:
    """Poll a local job, mirroring its progress file; cancel it if we are interrupted, so a
    killed `harness run` never leaves an orphan training process behind."""
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
        job.cancel(check=False)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
        bar.close()
    return job.result()  # re-raises the run's exception with its traceback


def launch(runs: list[Run], results: str | Path, meta: dict, executor: str = "local",
           force: bool = False, data_root: str | Path | None = None) -> list[Run]:
    """Execute every pending run; returns the runs executed. Creates nothing if none pend."""
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
        if folder.exists():
            shutil.rmtree(folder)  # an incomplete or forced run starts from scratch
        folder.mkdir(parents=True)
        write_config(run, folder, meta)
        if local is None:
            train(run.config, folder, data_root, progress=True)
        else:
            job = local.submit(_train_with_progress, run, folder, data_root)
            _wait_local(job, folder, run.run_id)
        (folder / PROGRESS).unlink(missing_ok=True)
    return todo
