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
        # Gain tensors (few, small) also get their min and max entry: two foreach reductions.
        self.gains = [i for i, n in enumerate(self.names)
                      if getattr(self.infos.get(n), "kind", None) == "gain"]

    @torch.no_grad()
    def before_step(self, step: int) -> None:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        norms = [*torch._foreach_norm(self.params), *torch._foreach_norm(grads),
                 *torch._foreach_norm(self.params, float("inf"))]
        if self.gains:
            gains = [self.params[i].detach() for i in self.gains]
            norms += [*torch._foreach_max(gains), *torch._foreach_max(torch._foreach_neg(gains))]
        norms = torch.stack(norms)
        self._pending = (step, norms, [p.detach().clone() for p in self.params])

    @torch.no_grad()
    def after_step(self) -> None:
        step, norms, before = self._pending
        torch._foreach_sub_(before, self.params)  # in place: no second copy of the model
        values = torch.cat([norms, torch.stack(torch._foreach_norm(before))]).tolist()
        n, k = len(self.params), len(self.gains)
        extremes = {i: (-values[3 * n + k + j], values[3 * n + j])
                    for j, i in enumerate(self.gains)}
        updates_at = 3 * n + 2 * k
        for i, name in enumerate(self.names):
            info = self.infos[name]
            low, high = extremes.get(i, (None, None))
            self.rows.append({"step": step, "layer": name, "kind": info.kind,
                              "normalized": info.normalized, "weight_norm": values[i],
                              "grad_norm": values[n + i], "update_norm": values[updates_at + i],
                              "value_min": low, "value_max": high,
                              "weight_max_abs": values[2 * n + i]})
        self._pending = None


def read_layers(run_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(Path(run_dir) / "layers.parquet")
