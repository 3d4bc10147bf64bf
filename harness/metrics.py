"""Per-layer norms with foreach kernels, buffered rows, atomic Parquet files.

Gradient norms are taken after backward and before `optimizer.step()`, so they are norms of
the loss gradient alone: torch's optimizers add weight decay inside `step()`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import torch

METRICS_SCHEMA = pa.schema([
    ("step", pa.int64()), ("lr", pa.float64()), ("effective_lr", pa.float64()),
    ("weight_decay", pa.float64()),
    ("loss", pa.float64()), ("samples_per_s", pa.float64()),
    ("model_tflops_per_s", pa.float64()), ("mfu", pa.float64()),
    ("eval_loss", pa.float64()), ("eval_accuracy", pa.float64()),
])
# Wall-clock columns: differ between any two runs, so resume-equality checks leave them out.
TIMING_COLUMNS = ["samples_per_s", "model_tflops_per_s", "mfu"]
LAYERS_SCHEMA = pa.schema([
    ("step", pa.int64()), ("layer", pa.string()), ("kind", pa.string()),
    ("normalized", pa.bool_()), ("weight_norm", pa.float64()), ("grad_norm", pa.float64()),
    ("update_norm", pa.float64()),
])


def atomic_write_parquet(rows: list[dict], schema: pa.Schema, path: Path) -> None:
    """Write to a temp file in the same folder, fsync, then rename: readers never see half."""
    table = pa.Table.from_pylist(rows, schema=schema)
    _atomic(path, lambda tmp: pq.write_table(table, tmp))


def atomic_write_text(text: str, path: Path) -> None:
    _atomic(path, lambda tmp: Path(tmp).write_text(text))


def _atomic(path: Path, write) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class LayerLogger:
    """Collects (weight, grad, update) norms of every parameter on logged steps.

    `before_step` snapshots norms of weights and grads and copies the weights; `after_step`
    measures ‖w_{t+1} − w_t‖. One `.tolist()` per call keeps device syncs to one.
    """

    def __init__(self, named_params: list[tuple[str, torch.nn.Parameter]], infos):
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        self.infos = {i.name: i for i in infos}
        self.rows: list[dict] = []
        self._pending = None

    @torch.no_grad()
    def before_step(self, step: int) -> None:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        norms = torch.stack(torch._foreach_norm(self.params) + torch._foreach_norm(grads))
        self._pending = (step, norms, [p.detach().clone() for p in self.params])

    @torch.no_grad()
    def after_step(self) -> None:
        step, norms, before = self._pending
        updates = torch._foreach_sub(self.params, before)
        values = torch.cat([norms, torch.stack(torch._foreach_norm(updates))]).tolist()
        n = len(self.params)
        for i, name in enumerate(self.names):
            info = self.infos[name]
            self.rows.append({"step": step, "layer": name, "kind": info.kind,
                              "normalized": info.normalized, "weight_norm": values[i],
                              "grad_norm": values[n + i], "update_norm": values[2 * n + i]})
        self._pending = None


def read_layers(run_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(Path(run_dir) / "layers.parquet")
