"""RESULTS/<sweep>/<scale>/runs.parquet: one row per run of a sweep — every config key, its state,
steps done, final metrics, training time and which code made it — so a sweep can be queried
without opening each run's config.yaml (`pd.read_parquet`, DuckDB's
`SELECT lr, weight_decay, final_loss FROM 'results/*/*/runs.parquet'`).

Rewritten (atomically, under a lock: the workers of `harness reproduce` finish runs of one sweep
side by side) after `harness run` executes or submits runs, and after `harness reproduce`.
Rows of runs not passed in are kept, so a `--only` slice updates its own rows only.
"""

from __future__ import annotations

import fcntl
import io
import os
from pathlib import Path

import pandas as pd

from . import provenance
from .runfolder import CHECKPOINT, JOB_RECORD, ResultsError, is_complete, read_done
from .sweep import Run, run_dir

INDEX = "runs.parquet"
# Columns besides the config's keys (a config key of the same name would be shadowed: none is)
RUN_COLUMNS = ("run_id", "sweep", "scale", "state", "steps_done", "final_loss",
               "final_eval_loss", "final_eval_accuracy", "seconds", "code", "folder")


def _state(folder: Path) -> str:
    if is_complete(folder):
        return "done"
    if (folder / JOB_RECORD).is_file():
        return "submitted"
    if (folder / CHECKPOINT).is_file():
        return "interrupted"
    return "incomplete" if folder.exists() else "todo"


def index_row(run: Run, results: str | Path) -> dict:
    folder = run_dir(results, run)
    row = {"run_id": run.run_id, "sweep": run.sweep, "scale": run.scale,
           "state": _state(folder), "steps_done": None, "final_loss": None,
           "final_eval_loss": None, "final_eval_accuracy": None, "seconds": None,
           "code": provenance.code_status(folder), "folder": str(folder)}
    if row["state"] == "done":
        try:
            done = read_done(folder)
            row.update(steps_done=done.get("steps"), final_loss=done.get("final_loss"),
                       final_eval_loss=done.get("eval_loss"),
                       final_eval_accuracy=done.get("eval_accuracy"),
                       seconds=done.get("seconds"))
        except ResultsError:
            row["state"] = "damaged"
    config = run.config.model_dump(mode="json")
    return {**row, **{k: v for k, v in config.items() if k not in RUN_COLUMNS}}


def _same(old: pd.DataFrame, new: pd.DataFrame) -> bool:
    try:  # through Parquet and back, as the old one was, so dtypes compare alike
        buffer = io.BytesIO()
        new.to_parquet(buffer, index=False)
        return pd.read_parquet(buffer).equals(old)
    except Exception:  # noqa: BLE001  (any doubt: write it)
        return False


def write_index(runs: list[Run], results: str | Path) -> Path | None:
    """Update the index of the sweep these runs belong to; returns its path (None: no runs)."""
    if not runs:
        return None
    where = Path(results) / runs[0].sweep / runs[0].scale
    where.mkdir(parents=True, exist_ok=True)
    path = where / INDEX
    with open(where / f".{INDEX}.lock", "a") as lock:  # "a": taking it changes no file
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        new = pd.DataFrame([index_row(r, results) for r in runs])
        old = None
        try:
            old = pd.read_parquet(path)
            new = pd.concat([old[~old["run_id"].isin(new["run_id"])], new], ignore_index=True)
        except (OSError, ValueError, KeyError):
            pass  # none yet, or unreadable: rebuilt from these runs
        new = new.sort_values("run_id", ignore_index=True)
        if old is not None and _same(old, new):
            return path  # nothing changed: a finished sweep run again touches no file
        # lists (milestones) and mixed None/number columns: let pyarrow infer per column
        tmp = path.with_name(f".{INDEX}.tmp")
        new.to_parquet(tmp, index=False)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        tmp.replace(path)  # readers see the old index or the new one, never half
    return path
