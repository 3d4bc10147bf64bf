"""`harness reproduce`: every sweep at one scale as one resumable job, with overall progress.

What makes it faster than running the artifacts one after another:
- a run several sweeps share (same config, same run id) is trained once and copied to the
  others (launch.adopt_twins);
- `--jobs N` worker processes of cores/N threads each train different runs side by side: the
  mini models are too small for two threads to help one run much (docs/benchmarks.md), so
  two one-thread runs finish sooner than two two-thread runs one after another.

Sweeps are taken cheapest first and each sweep's runs longest first, so an interrupted
reproduce leaves whole artifacts finished, and the workers end close together. Finished runs
are skipped, so running it again resumes. The record (state, wall time, runs complete, shared,
failed, the machine's mean load) is kept up to date in RESULTS/reproduce_<scale>.json, which the
report reads.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .runfolder import atomic_write_text, is_complete
from .sweep import SCALES, Run, SweepError, expand, load_sweep, run_dir

SWEEPS = "experiments/*/*.yaml"


def work_list(sweep_files: list[str], scale: str) -> tuple[list[tuple[Run, dict, float]],
                                                            dict[str, list[Run]]]:
    """The runs to train, each once, in training order, with its sweep's meta and its
    estimated seconds; and every sweep's own runs (to copy the shared ones in afterwards)."""
    from .cost import run_seconds

    per_sweep: dict[str, list[Run]] = {}
    metas: dict[str, dict] = {}
    for path in sweep_files:
        sweep = load_sweep(path)
        per_sweep[path] = expand(sweep, scale)
        metas[path] = {k: sweep.get(k) for k in ("paper", "figure")}
    seconds = {r.run_id: run_seconds(r) for runs in per_sweep.values() for r in runs}
    # cheapest sweep first; a shared run belongs to the first sweep that needs it
    order = sorted(per_sweep, key=lambda p: sum(seconds[r.run_id] for r in per_sweep[p]))
    taken: set[str] = set()
    work = []
    for path in order:
        mine = [r for r in per_sweep[path] if r.run_id not in taken]
        taken.update(r.run_id for r in mine)
        mine.sort(key=lambda r: -seconds[r.run_id])
        work += [(r, metas[path], seconds[r.run_id]) for r in mine]
    return work, per_sweep


def worker(sweep_files: list[str], scale: str, results: str, data_root: str | None,
           retry_s: float = 10.0) -> int:
    """Train the work list's runs that are not complete and that no other process holds
    (launch's run lock); a failing run is said and skipped, not fatal to the others. Runs
    another process held are looked at again until they are complete or free: that process
    may stop (an interrupted `reproduce` beside this one) and leave them unfinished."""
    from .checkpoint import Preempted
    from .launch import launch

    todo, failed = work_list(sweep_files, scale)[0], set()
    while todo:
        held = []
        for run, meta, seconds in todo:
            if is_complete(run_dir(results, run)):
                continue
            try:
                if not launch([run], results, meta, "inline", data_root=data_root):
                    held.append((run, meta, seconds))  # another process trains it
            except Preempted:
                raise  # told to stop (SIGTERM from `reproduce`): the checkpoint resumes it
            except Exception as e:  # noqa: BLE001  (one broken run must not stop the others)
                failed.add(run.run_id)
                print(f"FAILED {run.sweep}/{run.run_id}: {type(e).__name__}: {e}", flush=True)
        todo = [w for w in held if not is_complete(run_dir(results, w[0]))]
        if todo:
            time.sleep(retry_s)
    return 1 if failed else 0


def share(per_sweep: dict[str, list[Run]], results: str) -> int:
    """Copy each finished run into every other sweep that needs it (the work list trained it
    once, under the first), and rewrite each sweep's run index. Returns how many were copied."""
    from .index import write_index
    from .launch import adopt_twins

    copied = 0
    for sweep_file, runs in per_sweep.items():
        sweep = load_sweep(sweep_file)
        copied += adopt_twins(runs, Path(results).resolve(),
                              {k: sweep.get(k) for k in ("paper", "figure")})
        write_index(runs, results)
    return copied


def _stop(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _progress(work, results: str) -> tuple[int, float]:
    """Runs of the work list complete, and their estimated seconds."""
    done = [s for r, _, s in work if is_complete(run_dir(results, r))]
    return len(done), sum(done)


def reproduce(sweep_files: list[str], scale: str, results: str, jobs: int,
              data_root: str | None = None, poll_s: float = 5.0) -> dict:
    work, per_sweep = work_list(sweep_files, scale)
    copied_before = share(per_sweep, results)  # e.g. what an interrupted reproduce trained
    total_s = sum(s for *_, s in work)
    n_before, s_before = _progress(work, results)
    print(f"reproduce [{scale}]: {len(sweep_files)} sweeps, {len(work)} distinct runs "
          f"({sum(map(len, per_sweep.values())) - len(work)} shared between sweeps), "
          f"{n_before} already complete; ≈{(total_s - s_before) / 60:.0f} min of work "
          f"estimated for 2 cores, {jobs} worker(s)", flush=True)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max((cores or 1) // jobs, 1)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    logs = Path(results) / ".reproduce"
    logs.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "harness.reproduce", "--worker", "--scale", scale,
               "--results", results, *(["--data-root", data_root] if data_root else []),
               *sweep_files]
    started = time.time()
    procs = []
    for k in range(jobs):
        log = open(logs / f"worker-{k}.log", "a")
        procs.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
        time.sleep(1.0)  # let the first claim its run before the next looks
    record = {"scale": scale, "jobs": jobs, "threads_per_job": threads, "cores": cores,
              "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
              "state": "running", "wall_s": 0.0, "runs": len(work), "complete_before": n_before,
              "complete": n_before, "copied_to_other_sweeps": copied_before,
              "estimated_s": round(total_s), "mean_load": None, "incomplete": [],
              "sweeps": sorted(sweep_files)}
    path = Path(results) / f"reproduce_{scale}.json"
    loads, shown = [], n_before

    def save(state: str, complete: int) -> None:
        # rewritten as it goes: an interrupted or killed reproduce still says how far it got.
        # The mean 1-min load average tells whether other work shared the cores (the wall
        # time then overstates what reproduce alone takes).
        record.update(state=state, complete=complete, wall_s=round(time.time() - started, 1),
                      mean_load=round(sum(loads) / len(loads), 2) if loads else None)
        atomic_write_text(json.dumps(record, indent=2) + "\n", path)

    # SIGTERM (SLURM, `kill`) stops it as Ctrl-C does; a background job started by a shell
    # ignores SIGINT, so this is the signal that reaches it there
    signal.signal(signal.SIGTERM, _stop)
    try:
        while any(p.poll() is None for p in procs):
            time.sleep(poll_s)
            loads.append(os.getloadavg()[0])
            n, s = _progress(work, results)
            if n != shown:
                shown, elapsed = n, time.time() - started
                rate = (s - s_before) / elapsed if s > s_before else None
                eta = f"{(total_s - s) / rate / 60:.0f} min" if rate else "?"
                print(f"[{n}/{len(work)} runs] {100 * s / total_s:.0f} % of the estimated "
                      f"work, {elapsed / 60:.1f} min elapsed, ETA {eta}", flush=True)
                save("running", n)
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()  # each run checkpoints on SIGTERM; the next reproduce resumes
        for p in procs:
            p.wait()
        record["copied_to_other_sweeps"] += share(per_sweep, results)
        save("interrupted", _progress(work, results)[0])
        raise
    record["copied_to_other_sweeps"] += share(per_sweep, results)
    failed = [f"{r.sweep}/{r.run_id}" for r, *_ in work if not is_complete(run_dir(results, r))]
    record["incomplete"] = failed
    # "finished": every run complete; workers that ended otherwise (runs failing, or stopped
    # from outside) leave "ended incomplete"
    save("ended incomplete" if failed else "finished", len(work) - len(failed))
    print(f"reproduce [{scale}]: {len(work) - len(failed)}/{len(work)} runs complete in "
          f"{record['wall_s'] / 60:.1f} min" + (f"; incomplete: {', '.join(failed)} (see "
                                                 f"{logs}/worker-*.log)" if failed else ""))
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harness reproduce", description=__doc__.splitlines()[0])
    parser.add_argument("sweeps", nargs="*", help=f"sweep files (default: every {SWEEPS})")
    parser.add_argument("--scale", default="mini", choices=SCALES)
    parser.add_argument("--results", default=os.environ.get("WDLAB_RESULTS", "results"))
    parser.add_argument("--jobs", type=int, default=2, help="runs trained side by side (2)")
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sweeps = args.sweeps or sorted(glob.glob(SWEEPS))
    try:
        if args.worker:
            return worker(sweeps, args.scale, args.results, args.data_root)
        if args.jobs < 1:
            raise SweepError(f"--jobs {args.jobs}: give 1 or more")
        record = reproduce(sweeps, args.scale, args.results, args.jobs, args.data_root)
    except SweepError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stopped: the runs in training saved checkpoints; run the same command again to "
              "resume", file=sys.stderr)
        return 130
    return 1 if record["incomplete"] else 0


if __name__ == "__main__":
    sys.exit(main())
