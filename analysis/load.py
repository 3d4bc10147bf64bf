"""Read results with pandas only: a sweep's runs at one scale, their configs and Parquet files.

Uses `harness.sweep` (no torch) to know which run ids a sweep means, so stale folders from
edited sweep files are never mixed into a figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import yaml

from harness.sweep import expand, legacy_run_dir, run_dir


class ResultsError(RuntimeError):
    """Results are missing or unreadable; the message names the folder or file."""


# Layer names repeat on every logged step: read them as categoricals (3× faster to load,
# 1 string per layer in memory instead of one per row).
CATEGORICAL = {"layers.parquet": ["layer", "kind"]}


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        return pq.read_table(path, read_dictionary=CATEGORICAL.get(path.name)).to_pandas()
    except Exception as e:  # pyarrow raises several types for truncated/corrupt files
        raise ResultsError(f"{path}: unreadable Parquet ({type(e).__name__}: {e}); "
                           "delete the run folder and re-run the sweep") from None


def load_runs(sweep_file: str | Path, scale: str, results: str | Path,
              tables: tuple[str, ...] = ("metrics", "layers")) -> list[dict]:
    """One dict per complete run: `config` (dict), and a DataFrame per table
    (`metrics`, `layers` for training runs; `norms` for simulations)."""
    runs, legacy = [], 0
    for run in expand(sweep_file, scale):
        folder = run_dir(results, run)
        if not (folder / "DONE").is_file() and (old := legacy_run_dir(results, run)):
            folder, legacy = old, legacy + 1  # read in place; `harness run` moves it
        if not (folder / "DONE").is_file():
            continue
        try:
            frames = {t: _read_parquet(folder / f"{t}.parquet") for t in tables}
        except ResultsError as e:  # one damaged run must not hide the others
            print(f"warning: {e}; left out (`harness run` trains it again)", file=sys.stderr)
            continue
        runs.append({"config": yaml.safe_load((folder / "config.yaml").read_text()),
                     "folder": folder, **frames})
    if legacy:
        print(f"note: {legacy} run(s) read from the sweep's old folder name; `harness run "
              f"{sweep_file}` moves them", file=sys.stderr)
    if not runs:
        raise ResultsError(f"no complete runs of {sweep_file} at scale {scale} under {results}/; "
                           f"run: harness run {sweep_file} --scale {scale}")
    return runs
