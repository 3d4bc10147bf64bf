"""Read results with pandas only: a sweep's runs at one scale, their configs and Parquet files.

Uses `harness.sweep` (which run ids a sweep means, so stale folders from edited sweep files
are never mixed into a figure) and `harness.runfolder` (the folder's files and readers); both
import no torch.
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.legacy_folders import stored_run_dir
from harness.runfolder import ResultsError, is_complete, read_config, read_frame
from harness.sweep import expand, run_dir

__all__ = ["ResultsError", "load_runs", "no_complete_runs"]


def load_runs(sweep_file: str | Path, scale: str, results: str | Path,
              tables: tuple[str, ...] = ("metrics", "layers")) -> list[dict]:
    """One dict per complete run: `config` (dict), `folder`, and a DataFrame per table
    (`metrics`, `layers` for training runs; `norms` for simulations)."""
    runs, legacy = [], 0
    for run in expand(sweep_file, scale):
        folder = stored_run_dir(results, run)
        legacy += folder != run_dir(results, run)
        if not is_complete(folder):
            continue
        try:
            frames = {t: read_frame(folder / f"{t}.parquet") for t in tables}
            config = read_config(folder)
        except ResultsError as e:  # one damaged run must not hide the others
            print(f"warning: {e}; left out (`harness run` trains it again)", file=sys.stderr)
            continue
        runs.append({"config": config, "folder": folder, **frames})
    if legacy:
        print(f"note: {legacy} run(s) read from the sweep's old folder name; `harness run "
              f"{sweep_file}` moves them", file=sys.stderr)
    if not runs:
        raise no_complete_runs(sweep_file, scale, results)
    return runs


def no_complete_runs(sweep_file, scale: str, results) -> ResultsError:
    """The error for a sweep with nothing to draw yet, naming the command that makes it."""
    return ResultsError(f"no complete runs of {sweep_file} at scale {scale} under {results}/; "
                        f"run: harness run {sweep_file} --scale {scale}")
