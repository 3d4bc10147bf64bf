"""Turn expanded runs into finished runs: skip what is done, then execute the rest.

Executors: `inline` (in this process, for debugging) and `local` (submitit's LocalExecutor,
one subprocess per run, one at a time since a 2-core machine gains nothing from two). The
SLURM executor plugs into the same `_submit` seam.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pyarrow.parquet as pq
import yaml
from tqdm import tqdm

from . import provenance, slurm
from .checkpoint import Preempted
from .data import check_available
from .filesystems import node_local_lock_warning
from .index import write_index
from .run import train
from .runfolder import CHECKPOINT, CONFIG, PROGRESS, atomic_write_text, is_complete
from .simulate import simulate
from .sweep import Run, SimConfig, SweepError, run_dir
from .warm_start import has_final_state, parent_run, with_parents

EXECUTORS = ("local", "inline", "slurm")


def intact(folder: Path, warn: bool = True) -> bool:
    """DONE is there and every Parquet file of the run opens (footer and schema): a file
    truncated or damaged after the run finished makes the run pending again (_prepare then
    starts it over: a finished run keeps no checkpoint). Reads only."""
    if not is_complete(folder):
        return False
    for path in folder.glob("*.parquet"):
        try:
            pq.read_metadata(path)
        except Exception:  # pyarrow raises several types for damaged files
            if warn:
                print(f"warning: {path} is unreadable; the run will be trained again",
                      file=sys.stderr)
            return False
    return True


def made_by_other_code(folder: Path) -> bool:
    """A complete run whose DONE records other training code than this checkout's, or none
    (made before runs recorded it): what --rerun-stale trains again."""
    return provenance.code_status(folder) in ("stale", "unknown")


def pending(runs: list[Run], results: str | Path, force: bool = False,
            rerun_stale: bool = False, warn: bool = True) -> list[Run]:
    """Runs that still have to be executed (all of them with `force`; with `rerun_stale`,
    complete ones made by other training code too; a parent finished without the final
    state its children start from, e.g. trained first for another sweep)."""
    return [r for r in runs if force or not intact(run_dir(results, r), warn)
            or (rerun_stale and made_by_other_code(run_dir(results, r)))
            or (r.keep_final and not has_final_state(run_dir(results, r)))]


def adopt_twins(runs: list[Run], results: str | Path, meta: dict) -> int:
    """Copy in runs another sweep already trained: the same config has the same content
    address (run id), so an intact folder RESULTS/<other sweep>/<scale>/<run id> is this run,
    trained once (Kosson's figures share their centre runs). Its config.yaml is rewritten to
    name this sweep; DONE, and with it the training code's provenance, is kept. Returns how
    many were copied."""
    copied = 0
    for run in runs:
        folder = run_dir(results, run)
        if is_complete(folder):
            continue
        twins = (t for t in sorted(Path(results).glob(f"*/{run.scale}/{run.run_id}"))
                 if t != folder and intact(t, warn=False))
        if (twin := next(twins, None)) is None:
            continue
        staging = folder.with_name(f".{run.run_id}.copying")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(twin, staging)
        write_config(run, staging, meta)
        if folder.exists():
            shutil.rmtree(folder)  # an unfinished attempt: the twin is the finished run
        staging.rename(folder)
        copied += 1
    if copied:
        print(f"{runs[0].sweep} [{runs[0].scale}]: {copied} run(s) copied from other sweeps' "
              "identical runs (same config, same run id), not trained again", file=sys.stderr)
    return copied


def stale_note(runs: list[Run], results: str | Path, force: bool = False,
               rerun_stale: bool = False) -> str | None:
    """The one line saying how many complete runs other training code made (None: none, or
    `force`, which trains every run again anyway)."""
    if force:
        return None
    return provenance.stale_note([run_dir(results, r) for r in runs], rerun_stale)


@contextmanager
def run_lock(results: Path, run: Run, wait: bool = False):
    """Exclusive claim on a run across processes (two `harness run` on one results folder):
    yields False when another process holds it (`wait`: blocks until it is released). The
    lock file lives beside the run folder, which _prepare may delete and recreate."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        yield True  # torchrun's ranks train the run together: none may skip it
        return
    locks = Path(results) / run.sweep / run.scale / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{run.run_id}.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        except OSError as e:  # e.g. Lustre without -o flock: ENOSYS / EINVAL
            raise SweepError(f"{locks}: the filesystem refuses flock ({e.strerror}); the run "
                             "lock needs it (Lustre: mount with -o flock; see "
                             "harness/filesystems.py), or use a results folder on local "
                             "disk") from None
        yield True


def write_config(run: Run, folder: Path, meta: dict) -> None:
    record = {**meta, **run.as_dict()}
    atomic_write_text(yaml.safe_dump(record, sort_keys=False), folder / CONFIG)


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


def _prepare(run: Run, results, meta: dict, force: bool) -> Path:
    """The run's folder, ready to train into: kept if it holds a checkpoint to resume. A
    complete run prepared again (forced, damaged or stale) starts over, whatever it holds."""
    folder = run_dir(results, run)
    resumable = (folder / CHECKPOINT).is_file() and not force and not is_complete(folder)
    first_rank = os.environ.get("RANK", "0") == "0"  # under torchrun, one rank cleans up
    if folder.exists() and not resumable and first_rank:
        shutil.rmtree(folder)  # an incomplete run without a checkpoint starts over
    folder.mkdir(parents=True, exist_ok=True)
    write_config(run, folder, meta)
    return folder


def launch(runs: list[Run], results: str | Path, meta: dict, executor: str = "local",
           force: bool = False, data_root: str | Path | None = None,
           checkpoint_every: int | None = None, profile=None, wait: bool = False,
           micro_batch: int | None = None, rerun_stale: bool = False) -> list[Run]:
    """Execute (or, on SLURM, submit) every pending run; returns the runs this call executed
    or submitted. Creates nothing if none pend. `micro_batch` (else the profile's
    micro_batch_size): rows per forward/backward on each rank (gradient accumulation).

    A run interrupted after a checkpoint resumes from it (unless `force`); one without a
    checkpoint starts over. A preempted local run (signal -> checkpoint) raises Preempted.
    Complete runs made by other training code are said in one line on stderr and kept, or,
    with `rerun_stale`, trained again from scratch."""
    results = Path(results).resolve()  # jobs may start in another working directory
    runs = with_parents(runs)  # a child alone brings its parent (init_from)
    if not force and runs and int(os.environ.get("WORLD_SIZE", "1")) == 1:
        adopt_twins(runs, results, meta)
    if note := stale_note(runs, results, force, rerun_stale):
        print(note, file=sys.stderr)
    todo, waiting = pending(runs, results, force, rerun_stale), []
    if executor == "slurm":
        data_root = data_root or profile.data_root
        micro_batch = micro_batch or profile.micro_batch_size
        _check_split(todo, profile.nodes * max(profile.gpus_per_node, 1), micro_batch)
        queued = _queued([run_dir(results, r) for r in todo])
        todo = [r for r in todo if run_dir(results, r) not in queued]
        # a child waits for its parent's final state, also where the parent trains again
        # (forced, or it lost the file): SLURM would run them side by side
        again = {r.run_id for r in todo}
        waiting = [r for r in todo if (p := parent_run(r)) and (
            p.run_id in again or not has_final_state(run_dir(results, p)))]
        todo = [r for r in todo if r not in waiting]
    for dataset in sorted({r.config.dataset for r in todo + waiting
                           if hasattr(r.config, "dataset")}):
        check_available(dataset, data_root)  # before any folder exists
    if executor == "slurm":
        def submit(these):
            logs = results / these[0].sweep / these[0].scale / ".submitit"
            _submit_slurm(these, results, meta, force, data_root, checkpoint_every, profile,
                          logs, micro_batch)
        if todo:
            submit(todo)
        if wait:  # on everything of this sweep still queued, not only what we just submitted
            _wait_slurm([run_dir(results, r) for r in runs if r not in waiting])
            if waiting:  # their parents have finished (_wait_slurm raises if not): now them
                submit(waiting)
                _wait_slurm([run_dir(results, r) for r in waiting])
                todo = todo + waiting
        elif waiting:
            print(f"{len(waiting)} run(s) start from a parent run still training (init_from): "
                  "run this again once it has finished", file=sys.stderr)
        write_index(runs, results)
        return todo
    if not todo:
        write_index(runs, results)
        return []
    if warning := node_local_lock_warning(results):
        print(warning, file=sys.stderr)
    logs = results / todo[0].sweep / todo[0].scale / ".submitit"

    local = None
    if executor == "local":
        import submitit

        local = submitit.LocalExecutor(folder=logs)
        local.update_parameters(timeout_min=24 * 60)
    executed = []
    for run in tqdm(todo, desc=f"{todo[0].sweep} [{todo[0].scale}]", unit="run"):
        with run_lock(results, run) as mine:
            if not mine or not pending([run], results, force, rerun_stale, warn=False):
                continue  # another process trains it, or finished it while we waited
            if (parent := parent_run(run)) is not None:
                with run_lock(results, parent, wait=True):
                    pass  # another process may train the parent: its final state comes first
            folder = _prepare(run, results, meta, force)
            target = simulate if isinstance(run.config, SimConfig) else train
            extra = {} if target is simulate else {"micro_batch": micro_batch,
                                                   "keep_final": run.keep_final}
            if local is None:
                target(run.config, folder, data_root, True, checkpoint_every, **extra)
            else:
                job = local.submit(target, run.config, folder, data_root, False,
                                   checkpoint_every, **extra)
                _wait_local(job, folder, run.run_id)
            executed.append(run)
    if len(executed) < len(todo):
        print(f"{len(todo) - len(executed)} run(s) left to another process training into "
              f"{results}", file=sys.stderr)
    write_index(runs, results)
    return executed


ACTIVE = {"PENDING", "RUNNING", "REQUEUED", "CONFIGURING", "COMPLETING", "SUSPENDED",
          "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING"}


def _check_split(runs: list[Run], world: int, micro_batch: int | None) -> None:
    """Refuse, before submission, global batches the job could not split: over the GPUs, and
    each GPU's share into micro-batches."""
    for run in runs:
        batch = getattr(run.config, "batch_size", None)
        if batch is None:
            continue
        if batch % world:
            raise SweepError(f"run {run.run_id}: batch_size {batch} does not split over the "
                             f"profile's {world} GPUs (nodes × gpus_per_node)")
        share = batch // world
        if micro_batch and share % min(micro_batch, share):
            raise SweepError(f"run {run.run_id}: each GPU's {share} rows do not split into "
                             f"micro-batches of {micro_batch} (micro_batch_size)")


def _queued(folders: list[Path]) -> set[Path]:
    """Runs whose job is still queued or running: submitting them again would race them.
    One sacct/squeue query for the whole sweep."""
    jobs = slurm.recorded_jobs(folders)
    states = slurm.job_states(list(jobs.values()))
    return {f for f, job in jobs.items() if states[job] in ACTIVE}


def _submit_slurm(todo, results, meta, force, data_root, checkpoint_every, profile,
                  logs, micro_batch=None) -> None:
    """One job array for all of `todo`; each run folder records its job id."""
    ex = slurm.executor(profile, logs)
    folders = [_prepare(run, results, meta, force) for run in todo]
    task = slurm.SlurmTrain(profile.max_requeues, micro_batch)
    with ex.batch():
        # Plain data, not the pydantic object: a job still queued when the harness is
        # upgraded rebuilds its config with the new code (new keys take their defaults).
        jobs = [ex.submit(task, run.config.model_dump(), folder, data_root, checkpoint_every,
                          run.keep_final) for run, folder in zip(todo, folders)]
    for job, folder in zip(jobs, folders):
        slurm.record_job(folder, job.job_id)
    print(f"submitted {len(jobs)} run(s) as SLURM array {jobs[0].job_id.split('_')[0]} "
          f"(logs: {logs})")


def _wait_slurm(folders: list[Path]) -> None:
    """Poll until every submitted run is complete or its job has ended; raise if any failed."""
    submitted = slurm.recorded_jobs(folders)
    while True:
        states = slurm.job_states(list(submitted.values()))
        # UNKNOWN: sacct has not caught up with a job squeue no longer shows; keep waiting.
        if all(is_complete(f) or states[j] not in ACTIVE | {"UNKNOWN"}
               for f, j in submitted.items()):
            break
        time.sleep(1)
    failed = [f.name for f in submitted if not is_complete(f)]
    if failed:
        raise RuntimeError(f"{len(failed)} run(s) did not complete: {', '.join(failed)}; "
                           "see `harness status`")
