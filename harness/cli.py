# PYTHON_ARGCOMPLETE_OK  (argcomplete completes `harness` only where this marker is)
"""`harness COMMAND`, the one command line: run, plan, params, status, cancel, table, data,
reproduce, query, export, and figure / report / list (the analysis commands, run as a process).

Every user error (sweep file, scale, dataset path) is one line on stderr and exit code 2,
raised before anything is created under the results folder.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

from .analysis_commands import ANALYSIS_COMMANDS, run_analysis, table_command
from .legacy_folders import adopt_legacy_folders
from .sweep import (
    SCALES,
    TOKEN_DATASETS,
    RunConfig,
    SweepError,
    expand,
    load_sweep,
    run_dir,
    varying_keys,
)

DEFAULT_RESULTS = os.environ.get("WDLAB_RESULTS", "results")
# launch.EXECUTORS, repeated so that a wrong name is refused before torch is imported
# (tests/test_launch.py ties the two).
EXECUTORS = ("local", "inline", "slurm")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wdlab")
    except PackageNotFoundError:  # a copy of the tree, not installed
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description="wdlab's command line")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    def sweep_args(p):
        p.add_argument("sweep", help="sweep YAML file, e.g. experiments/defazio2025/figure-3.yaml")
        p.add_argument("--scale", default="mini", choices=SCALES, help="(mini)")
        p.add_argument("--results", default=DEFAULT_RESULTS, help="results folder (results/)")
        if p.prog.split()[-1] == "table":
            return  # analysis's table command reads the sweep as written
        p.add_argument("--set", action="append", metavar="KEY=VALUE",
                       help="override a run key (YAML value; repeatable): lr=0.2, "
                            "grid.seed=[0,1,2], zip.lr=[...]; overridden runs get their own ids")
        p.add_argument("--only", action="append", metavar="KEY=VALUE",
                       help="keep the runs with this value (repeatable: all must hold)")

    run = sub.add_parser("run", help="execute every run of a sweep that is not complete")
    sweep_args(run)
    run.add_argument("--executor", default=None, choices=EXECUTORS,
                     help="local (submitit, this machine; the default), inline (this process) "
                          "or slurm (the default when --cluster is given)")
    run.add_argument("--cluster", default=None, metavar="PROFILE",
                     help="cluster profile YAML (see slurm/profiles/); implies --executor slurm")
    run.add_argument("--wait", action="store_true", help="slurm: wait until runs finish")
    run.add_argument("--dry-run", action="store_true",
                     help="print what would run (slurm: the array and sbatch parameters); "
                          "train and submit nothing")
    run.add_argument("--force", action="store_true", help="re-run complete runs too")
    run.add_argument("--rerun-stale", action="store_true",
                     help="re-run, from scratch, complete runs made by other training code "
                          "(or recording none); without it they are kept and counted")
    run.add_argument("--checkpoint-every", type=int, default=None, metavar="N",
                     help="steps between checkpoints (default: every "
                          "$WDLAB_CHECKPOINT_MINUTES=10 minutes, and on preemption signals)")
    run.add_argument("--micro-batch", type=int, default=None, metavar="N",
                     help="rows per forward/backward on each rank; gradients accumulate to "
                          "the sweep's global batch (default: the profile's micro_batch_size)")
    run.add_argument("--data-root", default=None,
                     help="folder holding <dataset>/ for file-backed datasets ($WDLAB_DATA)")
    plan = sub.add_parser("plan", help="print the runs a sweep means; no side effects")
    sweep_args(plan)
    plan.add_argument("--cost", action="store_true",
                      help="add parameters, steps, PFLOPs and GPU-hours per run (counts one "
                           "forward pass on the meta device)")
    plan.add_argument("--cluster", default=None, metavar="PROFILE",
                      help="price on the profile's gpu, with its cpus_per_task as decoders")
    plan.add_argument("--gpu", default=None, help="GPU name for the peak (H100, A100, ...; "
                      "default: the profile's gpu, else H100)")
    plan.add_argument("--gpu-tflops", type=float, default=None,
                      help="peak TFLOP/s of one GPU (default: the GPU's datasheet dense peak "
                           "for the run's precision: bf16, or TF32 for fp32)")
    plan.add_argument("--mfu", type=float, default=None,
                      help="model FLOP utilization (default: a cited one for the workload, "
                           "else 40 %%, said per run)")
    params = sub.add_parser("params", help="print every tensor's group, decay, lr and oracle")
    sweep_args(params)
    status = sub.add_parser("status", help="table of runs: state, step, loss, job, error")
    sweep_args(status)
    status.add_argument("--watch", type=float, default=None, metavar="SECONDS",
                        help="redraw every SECONDS until no run is queued or training, with "
                             "state counts and an ETA (Ctrl-C stops watching, not the runs)")
    cancel = sub.add_parser("cancel", help="scancel the sweep's submitted, unfinished runs")
    sweep_args(cancel)
    table = sub.add_parser("table", help="final metric per cell, mean ± std over seeds")
    sweep_args(table)
    table.add_argument("--format", default="text", choices=("text", "md", "csv", "tex"))
    table.add_argument("--metric", default=None, help="metrics.parquet column (eval_accuracy)")
    table.add_argument("--rows", default=None, help="run key(s), comma-separated (epochs)")
    table.add_argument("--cols", default=None, help="run key(s), comma-separated (optimizer)")
    table.add_argument("--compare-paper", action="store_true",
                       help="show the sweep file's paper_table value beside each cell")
    sub.add_parser("figure", help="draw an artifact and check its claims: harness figure "
                   "defazio2025-figure-3 --scale mini (python -m analysis)"
                   ).add_argument("artifact", nargs="?")  # named here for completion
    sub.add_parser("report", help="every claim at a scale -> RESULTS/report.md (--docs DIR)")
    sub.add_parser("list", help="every artifact: make target, runs per scale, mini estimate")
    sub.add_parser("reproduce", help="every sweep at a scale, shared runs once, N side by side"
                   " (harness reproduce --help)").add_argument("sweeps", nargs="*")
    from . import export, query  # their own parsers run them; declared here for help, completion

    query.add_arguments(sub.add_parser("query", help="SQL over every run index and run Parquet "
                                       "(DuckDB): harness query \"SELECT ... FROM runs\""))
    export.add_arguments(sub.add_parser("export", help="a sweep's runs -> CSV / Parquet, "
                                        "TensorBoard or W&B offline (harness export --help)"))
    from .data_commands import add_parser as add_data_parser

    add_data_parser(sub)
    return parser


def _rows(rows: list[dict]) -> str:
    from .text_table import format_table  # one table format for every command

    return format_table(rows)


def _dry_run(args, runs, profile) -> None:
    from .cost import run_cost
    from .launch import pending, stale_note

    if note := stale_note(runs, args.results, args.force, args.rerun_stale):
        print(note)
    todo = pending(runs, args.results, args.force, args.rerun_stale)
    gpu = profile.gpu or "H100"
    from .data import decoding_workers

    hours = sum(run_cost(r.config, gpu=gpu,
                         workers_per_gpu=decoding_workers(profile.cpus_per_task))
                ["gpu_hours"] for r in todo if isinstance(r.config, RunConfig))
    print(f"would submit 1 array of {len(todo)} task(s) (of {len(runs)} runs; the rest are "
          f"complete) with: partition={profile.partition} nodes={profile.nodes} "
          f"gpus_per_node={profile.gpus_per_node} cpus_per_task={profile.cpus_per_task} "
          f"mem={profile.mem_gb}G time={profile.time_min}min "
          f"array_parallelism={profile.array_parallelism} max_requeues={profile.max_requeues}"
          + "".join(f" {k}={v}" for k in ("account", "qos", "constraint")
                    if (v := getattr(profile, k))))
    print(f"estimated {hours:.4g} GPU-hours on {gpu} (harness plan --cost --cluster PROFILE "
          "for per-run numbers, the MFU assumed and where it comes from)")


def _executor(args) -> str:
    """--cluster means SLURM; a profile beside another executor would be silently ignored
    (the job would train on the login node), so that is refused."""
    if args.executor is None:
        return "slurm" if args.cluster else "local"
    if args.executor not in EXECUTORS:
        raise SweepError(f"--executor: unknown {args.executor!r}; allowed: "
                         + ", ".join(EXECUTORS))
    if args.cluster and args.executor != "slurm":
        raise SweepError(f"--cluster {args.cluster} applies to --executor slurm, not "
                         f"{args.executor}; drop --executor to submit to SLURM, or drop "
                         "--cluster to run here")
    return args.executor


def _check_tokens(sweep, runs, args, profile) -> None:
    """Refuse, before anything is created, pending runs that would read their token shards
    more than once (unless the sweep says data_repeat: allow): headers only, seconds."""
    from .launch import pending

    shards = [r for r in pending(runs, args.results, args.force, args.rerun_stale)
              if isinstance(r.config, RunConfig) and r.config.dataset in TOKEN_DATASETS
              and r.config.dataset != "stdlib_bytes"]
    if not shards:
        return
    from .data.check import check_runs

    root = args.data_root or (profile.data_root if profile else None)
    _, problems = check_runs(shards, root, sweep.get("data_repeat", "refuse"))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise SweepError(f"{args.sweep}: {problems[0]}{more}; see harness data check")


def _dry_run_local(args, runs) -> None:
    from .launch import pending, stale_note

    if note := stale_note(runs, args.results, args.force, args.rerun_stale):
        print(note)
    todo = pending(runs, args.results, args.force, args.rerun_stale)
    print(f"would execute {len(todo)} run(s) with --executor {args.executor} (of {len(runs)}; "
          "the rest are complete); nothing was run")
    for r in todo:
        print(f"  {r.run_id}  {run_dir(args.results, r)}")


def _params(runs) -> None:
    from .inspect_params import describe  # imports torch
    from .text_table import format_table

    seen = set()
    for run in runs:
        cfg = run.config
        key = (cfg.model, cfg.depth, cfg.width, cfg.dataset, cfg.optimizer, cfg.lr,
               cfg.weight_decay, cfg.momentum, cfg.output_lr, cfg.output_weight_decay)
        if key in seen:
            continue
        seen.add(key)
        print(f"# run {run.run_id}: {cfg.model}-{cfg.depth} w{cfg.width} on {cfg.dataset}, "
              f"{cfg.optimizer} lr {cfg.lr} λ {cfg.weight_decay}")
        print(format_table(describe(run)))


def _plan(args, sweep, runs) -> None:
    from .runfolder import is_complete

    print(f"{sweep['name']} [{args.scale}]: {len(runs)} runs -> {args.results}/"
          f"{sweep['name']}/{args.scale}/")
    varying = varying_keys(runs)
    profile = None
    if args.cost and args.cluster:
        from .profile import load_profile

        profile = load_profile(args.cluster)
    gpu = args.gpu or (profile.gpu if profile and profile.gpu else "H100")
    if profile:
        from .data import decoding_workers
    workers = decoding_workers(profile.cpus_per_task) if profile else None
    total, sources = 0.0, set()
    for r in runs:
        state = "done" if is_complete(run_dir(args.results, r)) else "todo"
        shown = varying or ["model", "dataset", "optimizer", "lr", "weight_decay"]
        cost = ""
        if args.cost and isinstance(r.config, RunConfig):
            from .cost import run_cost

            c = run_cost(r.config, args.gpu_tflops, args.mfu, gpu, workers)
            total += c["gpu_hours"]
            sources.add(f"{c['mfu']:.0%} MFU ({c['mfu_source']})")
            cost = (f"  params={c['params'] / 1e6:.1f}M  steps={c['steps']}  "
                    f"{c['pflops']:.3g} PFLOP  {c['precision']}@{c['peak_tflops']:g}TF  "
                    f"{c['mfu']:.0%} MFU ({c['mfu_source']})  {c['gpu_hours']:.3g} GPU-h"
                    + ("  LOADER-BOUND" if c["loader_bound"] else ""))
        print(f"  {r.run_id}  {state:4}  " + "  ".join(f"{k}={getattr(r.config, k)}"
                                                        for k in shown) + cost)
    if args.cost:
        loader = (f"; ImageNet runs held to {workers} decoding cores per GPU at make "
                  "bench-loader's img/s per core" if workers else "")
        print(f"total: {total:.4g} GPU-hours on {gpu}, at {', '.join(sorted(sources))}"
              f"{loader}. Cited rates: harness/cost.py CITED_RATES; 'assumed' is a guess, not a "
              "measurement")


def _status(args, runs) -> int:
    from .provenance import stale_note
    from .status import run_status, watch

    if args.watch:
        rows = watch(runs, args.results, args.watch, lambda table: print(_rows(table)))
    else:
        rows = run_status(runs, args.results)
        print(_rows(rows))
    if note := stale_note([run_dir(args.results, r) for r in runs], rerun=False):
        print(note)
    return 1 if any(r["state"] == "failed" for r in rows) else 0


def _submit_or_train(args, sweep, runs) -> int:
    """`harness run`: the executor, the SLURM profile's checks, then launch."""
    args.executor = _executor(args)
    profile = None
    if args.dry_run and args.executor != "slurm":
        _dry_run_local(args, runs)
        return 0
    if args.executor == "slurm":
        from .profile import load_profile  # before the heavy imports: errors come at once

        if not args.cluster:
            raise SweepError("--executor slurm needs --cluster PROFILE "
                             "(e.g. slurm/profiles/local.yaml)")
        profile = load_profile(args.cluster)
        if args.dry_run:
            _dry_run(args, runs, profile)
            return 0
        from .slurm import check_partition

        check_partition(profile, args.cluster)
    adopt_legacy_folders(args.results, runs)  # runs kept under the sweep's old name
    return _launch(args, sweep, runs, profile)


def _launch(args, sweep, runs, profile) -> int:
    from .checkpoint import Preempted
    from .data import DataError
    from .launch import launch

    meta = {k: sweep.get(k) for k in ("paper", "figure")}
    try:
        _check_tokens(sweep, runs, args, profile)
        done = launch(runs, args.results, meta, args.executor, args.force, args.data_root,
                      args.checkpoint_every, profile, args.wait, args.micro_batch,
                      args.rerun_stale)
    except DataError as e:
        raise SweepError(f"{args.sweep}: {e}") from None
    except Preempted as e:
        print(f"stopped: {e}; run the same command again to resume", file=sys.stderr)
        return 3
    except RuntimeError as e:  # submitted runs that failed (--wait)
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        if e.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # Every write is atomic (temp file + rename): what was there before is intact.
        print(f"error: disk full writing under {args.results} ({e.strerror}: "
              f"{e.filename or 'a results file'}); earlier results are intact, "
              "free space and run the same command to resume", file=sys.stderr)
        return 1
    verb = "submitted" if args.executor == "slurm" and not args.wait else "executed"
    print(f"{sweep['name']} [{args.scale}]: {len(done)} run(s) {verb}, "
          f"{len(runs) - len(done)} already complete or queued; results in "
          f"{args.results}/{sweep['name']}/{args.scale}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (harness/completion.py)
        from .completion import autocomplete

        autocomplete(_parser())
    if argv[:1] in (["reproduce"], ["query"], ["export"]):  # each has its own parser
        from importlib import import_module

        return import_module(f".{argv[0]}", __package__).main(argv[1:])
    if argv[:1] and argv[0] in ANALYSIS_COMMANDS and argv[1:2] != ["-h"]:
        return run_analysis(argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "table":
            return table_command(argv)
        if args.command == "data":
            from .data_commands import run as data_command

            return data_command(args)
        from .overrides import apply_overrides, parse_assignments, select

        sweep = apply_overrides(load_sweep(args.sweep), args.scale,
                                parse_assignments(args.set, "--set"))
        runs = select(expand(sweep, args.scale), parse_assignments(args.only, "--only"),
                      args.sweep)
        if args.command == "plan":
            _plan(args, sweep, runs)
            return 0
        if args.command == "params":
            _params(runs)
            return 0
        if args.command == "status":
            return _status(args, runs)
        if args.command == "cancel":
            from .status import cancel

            jobs = cancel(runs, args.results)
            print(f"cancelled {len(jobs)} job(s): {' '.join(jobs) or '-'}")
            return 0
        return _submit_or_train(args, sweep, runs)
    except SweepError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `harness plan ... | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
