"""The run-folder contract: what `RESULTS/<sweep>/<scale>/<run id>/` holds, and how to read it.

Imports no torch (only the standard library, pyarrow, pandas and yaml), so that `analysis/`,
`harness status` and a laptop read results without it. Every file is written to a temp file
in the same folder, fsynced and renamed: a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

DONE = "DONE"  # JSON summary, written last: its presence makes a run complete
CONFIG = "config.yaml"  # the resolved run config + sweep, scale, run_id, paper, figure
METRICS = "metrics.parquet"  # one row per logged step (METRICS_SCHEMA)
LAYERS = "layers.parquet"  # one row per (logged step, parameter) (LAYERS_SCHEMA)
NORMS = "norms.parquet"  # simulations (harness/simulate.py) write this instead (NORMS_SCHEMA)
CHECKPOINT = "checkpoint.pt"  # only while a run is incomplete
PROGRESS = ".progress"  # [step, total], for the launcher's progress bar; only while training
JOB_RECORD = "job.json"  # {"job_id": ...} of a run submitted to SLURM

METRICS_SCHEMA = pa.schema([
    ("step", pa.int64()), ("lr", pa.float64()), ("effective_lr", pa.float64()),
    ("weight_decay", pa.float64()),
    ("loss", pa.float64()), ("samples_per_s", pa.float64()),
    ("model_tflops_per_s", pa.float64()), ("mfu", pa.float64()),
    ("eval_loss", pa.float64()), ("eval_accuracy", pa.float64()),
    # Share of the wall time since the previous row spent waiting for the next batch: near 0
    # unless the loader cannot keep up. Null in runs logged before it existed.
    ("data_wait_fraction", pa.float64()),
])
# Wall-clock columns: differ between any two runs, so resume-equality checks leave them out.
TIMING_COLUMNS = ["samples_per_s", "model_tflops_per_s", "mfu", "data_wait_fraction"]
LAYERS_SCHEMA = pa.schema([
    ("step", pa.int64()), ("layer", pa.string()), ("kind", pa.string()),
    ("normalized", pa.bool_()), ("weight_norm", pa.float64()), ("grad_norm", pa.float64()),
    ("update_norm", pa.float64()),
    # Smallest and largest entry, of gain tensors (kind "gain", MD decoupling) only: Kosson
    # Fig. 18's gain spread. Null elsewhere and in runs logged before these columns existed.
    ("value_min", pa.float64()), ("value_max", pa.float64()),
    # ‖w‖_∞ of every tensor: AdamW balances it across layers at √(γ/2λ) (Defazio §4.2).
    # Null in runs logged before the column existed.
    ("weight_max_abs", pa.float64()),
    # Chou et al. 2025 Table 1's norm of the tensor's Scion group (Figs. 4, 12), the other two
    # null: Spectral √(d_in/d_out)·‖A‖_S∞ (power iteration) for hidden matrices, Sign
    # d_in·max|A_ij| for the output layer and embeddings, Bias RMS(b) for vectors. Null in
    # runs logged before the columns existed.
    ("spectral_norm", pa.float64()), ("sign_norm", pa.float64()), ("bias_norm", pa.float64()),
])
NORMS_SCHEMA = pa.schema([("step", pa.int64()), ("lr", pa.float64()), ("norm", pa.float64()),
                          ("expected_norm", pa.float64())])

# Layer names repeat on every logged step: read them as categoricals (3× faster to load,
# 1 string per layer in memory instead of one per row).
CATEGORICAL = {LAYERS: ["layer", "kind"]}

REMEDY = "delete the run folder and re-run the sweep"


class ResultsError(RuntimeError):
    """Results are missing or unreadable; the message names the folder or file."""


def is_complete(folder: str | Path) -> bool:
    """The run finished: its DONE marker is there (written last, atomically)."""
    return (Path(folder) / DONE).is_file()


def read_frame(path: str | Path) -> pd.DataFrame:
    """One of a run's Parquet files as a DataFrame (layer names as categoricals); a damaged
    file raises ResultsError naming it."""
    path = Path(path)
    try:
        return pq.read_table(path, read_dictionary=CATEGORICAL.get(path.name)).to_pandas()
    except Exception as e:  # pyarrow raises several types for truncated/corrupt files
        raise ResultsError(f"{path}: unreadable Parquet ({type(e).__name__}: {e}); "
                           f"{REMEDY}") from None


def read_done(folder: str | Path) -> dict:
    """The run's DONE summary (steps, losses, seconds, provenance, ...); ResultsError if the
    run is not complete or the file is not a JSON object."""
    path = Path(folder) / DONE
    try:
        summary = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path}: missing; the run is not complete") from None
    except (OSError, ValueError) as e:
        raise ResultsError(f"{path}: unreadable ({type(e).__name__}: {e}); {REMEDY}") from None
    if not isinstance(summary, dict):
        raise ResultsError(f"{path}: holds {type(summary).__name__}, not a JSON object; "
                           f"{REMEDY}")
    return summary


def read_config(folder: str | Path) -> dict:
    """The run's config.yaml as a dict; ResultsError if it is missing or not a mapping."""
    path = Path(folder) / CONFIG
    try:
        config = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as e:
        raise ResultsError(f"{path}: unreadable ({type(e).__name__}: {e}); {REMEDY}") from None
    if not isinstance(config, dict):
        raise ResultsError(f"{path}: holds {type(config).__name__}, not a mapping; {REMEDY}")
    return config


def atomic_write_parquet(rows: list[dict], schema: pa.Schema, path: Path) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers never see half."""
    table = pa.Table.from_pylist(rows, schema=schema)
    _atomic(path, lambda tmp: pq.write_table(table, tmp))


def atomic_write_text(text: str, path: Path) -> None:
    """Write text the same way: temp file, fsync, rename."""
    _atomic(path, lambda tmp: Path(tmp).write_text(text))


def _umask() -> int:
    mask = os.umask(0)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


# mkstemp makes its file 0600 whatever the umask; results on a shared cluster filesystem must be
# readable as the user's other files are (0644 under the usual umask 022).
FILE_MODE = 0o666 & ~_umask()


def _atomic(path: Path, write) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        os.chmod(tmp, FILE_MODE)
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
