"""`harness export SWEEP`: a sweep's complete runs as one CSV / Parquet table, or as
TensorBoard event files or W&B offline runs, for the tools people already look at runs with.

- `--what runs` (default): one row per run, its index row (harness/index.py: config keys,
  state, final metrics from DONE) plus `final_<column>`, the last logged value of each
  per-step column DONE has no number for; `--what metrics|layers`: the per-step tables, a
  `run_id` column first (simulations log norms.parquet: `metrics` means that file for them).
- `--to tensorboard DIR`: DIR/<run id>_<the keys that vary in the sweep>/ per run, scalars
  `metrics/<column>` and `layers/<layer>/<column>`, the config as hparams.
- `--to wandb DIR`: W&B offline runs under DIR/wandb/ (no network; `wandb sync DIR/wandb`
  uploads them), one per run with id <sweep>-<scale>-<run id>, named by run id.

Only complete runs are exported; the others are named in one line. Exporting again replaces
what an earlier export wrote for the same run. tensorboard and wandb are optional extras
(`pip install 'wdlab[export]'`; pinned in requirements.lock).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

from .completion import sweep_files
from .index import index_row
from .runfolder import LAYERS, METRICS, NORMS, ResultsError, read_config, read_frame
from .sweep import SCALES, SweepError, expand, load_sweep, varying_keys

DEFAULT_RESULTS = os.environ.get("WDLAB_RESULTS", "results")
TABLES = ("runs", "metrics", "layers")
TARGETS = ("tensorboard", "wandb")
INSTALL = "pip install 'wdlab[export]' (or pip install --no-deps -r requirements.lock)"
# Offline, and nothing that would reach a server (error reporting, console capture, git and
# code snapshots): set for the export only, so a later wandb in the same process is unaffected.
WANDB_ENV = {"WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_CONSOLE": "off",
             "WANDB_ERROR_REPORTING": "false", "WANDB_DISABLE_GIT": "true",
             "WANDB_DISABLE_CODE": "true"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sweep", help="sweep YAML file, e.g. experiments/defazio2025/figure-3.yaml"
                        ).completer = sweep_files
    parser.add_argument("--scale", default="mini", choices=SCALES, help="(mini)")
    parser.add_argument("--results", default=DEFAULT_RESULTS, help="results folder (results/)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="override a run key, as for harness run (the runs' own ids)")
    parser.add_argument("--only", action="append", metavar="KEY=VALUE",
                        help="keep the runs with this value (repeatable: all must hold)")
    parser.add_argument("--what", default="runs", choices=TABLES,
                        help="runs: one row per run (the default); metrics, layers: per step")
    parser.add_argument("--format", default=None, choices=("csv", "parquet"),
                        help="of --out (default: its suffix; csv without --out)")
    parser.add_argument("--out", default=None, metavar="PATH",
                        help="file to write (csv: standard output without it)")
    parser.add_argument("--to", nargs=2, default=None, metavar=("TOOL", "DIR"),
                        help="tensorboard DIR (event files) or wandb DIR (offline runs)")
    parser.add_argument("--project", default="wdlab", help="W&B project of --to wandb (wdlab)")


def _complete_runs(args) -> tuple[list, list[dict]]:
    """The selected runs and their index rows, complete runs only; the others said."""
    from .overrides import apply_overrides, parse_assignments, select

    sweep = apply_overrides(load_sweep(args.sweep), args.scale,
                            parse_assignments(args.set, "--set"))
    runs = select(expand(sweep, args.scale), parse_assignments(args.only, "--only"), args.sweep)
    rows = [index_row(run, args.results) for run in runs]
    left = [f"{row['run_id']} ({row['state']})" for row in rows if row["state"] != "done"]
    if left:
        print(f"export: {len(left)} of {len(runs)} run(s) not complete, left out: "
              + ", ".join(left), file=sys.stderr)
    done = [(run, row) for run, row in zip(runs, rows) if row["state"] == "done"]
    if not done:
        raise SweepError(f"{args.sweep}: no complete run at scale {args.scale} under "
                         f"{args.results}/{sweep['name']}/{args.scale}/ to export")
    return [run for run, _ in done], [row for _, row in done]


def _per_step(folder: Path) -> Path:
    """metrics.parquet, or norms.parquet for a simulation (it logs no metrics)."""
    return folder / METRICS if (folder / METRICS).is_file() else folder / NORMS


def _with_last_logged(row: dict) -> dict:
    """The index row plus final_<column>: DONE's numbers first, else the last logged value."""
    frame = read_frame(_per_step(Path(row["folder"])))
    last = {f"final_{c}": frame[c].dropna().iloc[-1] if frame[c].notna().any() else None
            for c in frame.columns if c != "step"}
    return {**row, **{k: v for k, v in last.items() if row.get(k) is None}}


def per_step_table(rows: list[dict], what: str) -> pd.DataFrame:
    """Every run's per-step table, a run_id column first; runs without the file skipped."""
    frames = []
    for row in rows:
        folder = Path(row["folder"])
        path = _per_step(folder) if what == "metrics" else folder / LAYERS
        if path.is_file():
            frames.append(read_frame(path).assign(run_id=row["run_id"]))
    if not frames:
        raise SweepError(f"none of the complete runs has {LAYERS if what == 'layers' else METRICS}")
    table = pd.concat(frames, ignore_index=True)
    return table[["run_id", *[c for c in table.columns if c != "run_id"]]]


def table(rows: list[dict], what: str) -> pd.DataFrame:
    if what == "runs":
        return pd.DataFrame([_with_last_logged(row) for row in rows])
    return per_step_table(rows, what)


def _write_table(frame: pd.DataFrame, args) -> str:
    fmt = args.format or (Path(args.out).suffix.lstrip(".") if args.out else "csv")
    if fmt not in ("csv", "parquet"):
        raise SweepError(f"--out {args.out}: say --format csv or --format parquet")
    if args.out is None:
        if fmt == "parquet":
            raise SweepError("--format parquet needs --out PATH")
        frame.to_csv(sys.stdout, index=False)
        return "standard output"
    out = Path(args.out)
    tmp = out.with_name(f".{out.name}.tmp")  # a failed export leaves no half file at --out
    if fmt == "csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_parquet(tmp, index=False)
    tmp.replace(out)
    return str(out)


def run_name(run, varying: list[str]) -> str:
    """The run id, then the keys that tell the sweep's runs apart: readable in a run list."""
    words = [run.run_id, *(f"{k}={getattr(run.config, k)}" for k in varying)]
    return re.sub(r"[^\w.=+-]", "-", "_".join(words))[:200]  # a safe folder name


def _steps(folder: Path) -> dict[int, dict[str, float]]:
    """{step: {tag: value}} of a run's per-step files, nulls left out."""
    steps: dict[int, dict[str, float]] = {}
    frame = read_frame(_per_step(folder))
    for record in frame.to_dict(orient="records"):
        values = steps.setdefault(int(record.pop("step")), {})
        values.update({f"metrics/{k}": float(v) for k, v in record.items() if pd.notna(v)})
    if (folder / LAYERS).is_file():
        layers = read_frame(folder / LAYERS)
        numbers = [c for c in layers.columns
                   if c not in ("step", "layer") and pd.api.types.is_float_dtype(layers[c])]
        for record in layers[["step", "layer", *numbers]].to_dict(orient="records"):
            values = steps.setdefault(int(record["step"]), {})
            values.update({f"layers/{record['layer']}/{c}": float(record[c]) for c in numbers
                           if pd.notna(record[c])})
    return steps


def _finals(row: dict) -> dict[str, float]:
    row = _with_last_logged(row)
    return {k: float(row[k]) for k in ("final_loss", "final_eval_loss", "final_eval_accuracy")
            if row.get(k) is not None and pd.notna(row[k])}


def _hparam(value):
    return value if isinstance(value, (bool, int, float, str)) else str(value)


def to_tensorboard(runs: list, rows: list[dict], where: Path) -> None:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch is there: its tensorboard writer needs the package
        raise SweepError(f"--to tensorboard needs tensorboard: {INSTALL}") from None
    varying = varying_keys(runs)
    for run, row in zip(runs, rows):
        log_dir = where / run_name(run, varying)
        for old in log_dir.glob("events.out.tfevents.*"):  # an earlier export of this run
            old.unlink()
        writer = SummaryWriter(log_dir=str(log_dir))
        for step, values in sorted(_steps(Path(row["folder"])).items()):
            for tag, value in values.items():
                writer.add_scalar(tag, value, step)
        hparams = {k: _hparam(v) for k, v in run.config.model_dump(mode="json").items()}
        # run_name=".": the hparams go into this run's folder, not a timestamped subfolder
        writer.add_hparams(hparams, {f"final/{k}": v for k, v in _finals(row).items()},
                           run_name=".")
        writer.close()


@contextlib.contextmanager
def _environment(values: dict[str, str]):
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _remove_earlier_export(wandb_dir: Path, run_id: str) -> None:
    """Delete this run's earlier offline folders (wandb sync would send both): exactly
    offline-run-<YYYYMMDD_HHMMSS>-<id>, never a run whose id merely ends like this one."""
    mine = re.compile(rf"offline-run-\d{{8}}_\d{{6}}-{re.escape(run_id)}")
    for old in wandb_dir.glob("offline-run-*"):
        if mine.fullmatch(old.name) and old.is_dir():
            shutil.rmtree(old)


def to_wandb(runs: list, rows: list[dict], where: Path, project: str) -> None:
    where.mkdir(parents=True, exist_ok=True)
    with _environment({**WANDB_ENV, "WANDB_DIR": str(where.resolve())}):
        try:
            import wandb
        except ImportError:
            raise SweepError(f"--to wandb needs wandb: {INSTALL}") from None
        settings = wandb.Settings(mode="offline", console="off", silent=True,
                                  disable_git=True, save_code=False, x_disable_stats=True,
                                  x_disable_machine_info=True)
        try:
            for run, row in zip(runs, rows):
                run_id = re.sub(r"[^A-Za-z0-9_-]", "-", f"{run.sweep}-{run.scale}-{run.run_id}")
                _remove_earlier_export(where / "wandb", run_id)
                folder = Path(row["folder"])
                logged = wandb.init(project=project, id=run_id, name=run.run_id,
                                    group=f"{run.sweep}/{run.scale}", dir=str(where),
                                    config=read_config(folder), settings=settings)
                for step, values in sorted(_steps(folder).items()):
                    logged.log(values, step=step)
                logged.summary.update(_finals(row))
                logged.finish()
        finally:
            wandb.teardown()  # stops the wandb-core process it started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="harness export", description="a sweep's complete runs as a CSV / Parquet table, "
        "TensorBoard event files or W&B offline runs (harness/export.py says what each holds)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        if args.to and (args.out or args.format):
            raise SweepError("--to writes a folder of its own: drop --out/--format")
        if args.to and args.to[0] not in TARGETS:
            raise SweepError(f"--to {args.to[0]}: allowed: {', '.join(TARGETS)}")
        runs, rows = _complete_runs(args)
        what = f"{len(runs)} run(s) of {runs[0].sweep} [{args.scale}]"
        if not args.to:
            frame = table(rows, args.what)
            where = _write_table(frame, args)
            print(f"exported {what}: {args.what}, {len(frame)} row(s) -> {where}",
                  file=sys.stderr)  # stderr: standard output may be the CSV itself
            return 0
        tool, where = args.to[0], Path(args.to[1])
        if tool == "tensorboard":
            to_tensorboard(runs, rows, where)
            hint = f"tensorboard --logdir {where}"
        else:
            to_wandb(runs, rows, where, args.project)
            hint = f"upload: wandb sync {where}/wandb"
        print(f"exported {what} -> {where} ({hint})")
        return 0
    except (SweepError, ResultsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
