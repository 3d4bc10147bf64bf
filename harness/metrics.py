"""Per-layer norms with foreach kernels and buffered rows (schemas and atomic writers: runfolder).

Gradient norms are taken after backward and before `optimizer.step()`, so they are norms of
the loss gradient alone: torch's optimizers add weight decay inside `step()`.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq  # noqa: F401  (tests patch metrics.pq.write_table)
import torch

# The schemas and atomic writers are the run-folder contract (torch-free): re-exported here.
from .runfolder import (  # noqa: F401
    LAYERS,
    LAYERS_SCHEMA,
    METRICS_SCHEMA,
    TIMING_COLUMNS,
    atomic_write_parquet,
    atomic_write_text,
)


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
    return pd.read_parquet(Path(run_dir) / LAYERS)
