"""Per-layer norms with foreach kernels and buffered rows (schemas and atomic writers: runfolder).

Gradient norms are taken after backward and before `optimizer.step()`, so they are norms of
the loss gradient alone: torch's optimizers add weight decay inside `step()`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq  # noqa: F401  (tests patch metrics.pq.write_table)
import torch

from .optim.lmo import as_matrix

# The schemas and atomic writers are the run-folder contract (torch-free): re-exported here.
from .runfolder import (  # noqa: F401
    LAYERS,
    LAYERS_SCHEMA,
    METRICS_SCHEMA,
    TIMING_COLUMNS,
    atomic_write_parquet,
    atomic_write_text,
)

# Power iterations on a layer's first logged step, from a fixed random vector; one per logged
# step after that, from the vector the last one left (Chou §3.1: "once per step and persist
# the dominant singular vectors").
FIRST_ITERATIONS = 30
TINY = 1e-30


class LayerLogger:
    """Collects (weight, grad, update) norms of every parameter on logged steps.

    `before_step` snapshots norms of weights and grads and copies the weights; `after_step`
    measures ‖w_{t+1} − w_t‖. One `.tolist()` per call keeps device syncs to one.

    With `table1_norms`, each tensor also gets the norm of Chou et al. 2025 Table 1 that its
    Scion oracle (`ParamInfo.lmo`, set by `classify`) pairs with: Spectral for hidden matrices,
    Sign for the output layer and embeddings, Bias for vectors. That is the group the paper's
    Scion puts it in; it is logged under every optimizer (AdamW runs compare on the same
    scale), and under a `hidden_lmo` other than Spectral still as Table 1's norm of the role.
    """

    def __init__(self, named_params: list[tuple[str, torch.nn.Parameter]], infos,
                 table1_norms: bool = True):
        self.names = [n for n, _ in named_params]
        self.params = [p for _, p in named_params]
        self.infos = {i.name: i for i in infos}
        self.rows: list[dict] = []
        self._pending = None
        # Gain tensors (few, small) also get their min and max entry: two foreach reductions.
        self.gains = [i for i, n in enumerate(self.names)
                      if getattr(self.infos.get(n), "kind", None) == "gain"]
        self.norm_of = {i: self._table1_norm(i) for i in range(len(self.names))} \
            if table1_norms else {}
        self.spectral = [i for i, norm in self.norm_of.items() if norm == "spectral"]
        self.vectors: dict[str, torch.Tensor] = {}  # layer -> right singular vector estimate

    def _table1_norm(self, i: int) -> str | None:
        info, p = self.infos.get(self.names[i]), self.params[i]
        lmo = getattr(info, "lmo", None)
        if lmo in ("spectral", "sign") and p.ndim >= 2:
            return lmo
        return "bias" if lmo is not None else None  # BiasRMS (its RMS fits any shape)

    @torch.no_grad()
    def before_step(self, step: int) -> None:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        norms = [*torch._foreach_norm(self.params), *torch._foreach_norm(grads),
                 *torch._foreach_norm(self.params, float("inf"))]
        if self.gains:
            gains = [self.params[i].detach() for i in self.gains]
            norms += [*torch._foreach_max(gains), *torch._foreach_max(torch._foreach_neg(gains))]
        norms += self._top_singular_values()
        norms = torch.stack(norms)
        self._pending = (step, norms, [p.detach().clone() for p in self.params])

    def _top_singular_values(self) -> list[torch.Tensor]:
        """σ_max of the Spectral matrices (`self.spectral` order): one power iteration on AᵀA
        from each persisted vector, the vector ops foreach'd across layers. σ = ‖AᵀAv‖/‖Av‖
        for a unit v is ≥ ‖Av‖ and ≤ σ_max: it tightens as v turns to the top vector."""
        if not self.spectral:
            return []
        mats = [as_matrix(self.params[i].detach()).float() for i in self.spectral]
        vs = [self.vectors.get(self.names[i]) for i in self.spectral]
        for j, (a, v) in enumerate(zip(mats, vs)):
            if v is None:  # this layer's first logged step (or it was all zeros): converge
                v = torch.randn(a.shape[1], generator=torch.Generator().manual_seed(0))
                v = (v / v.norm()).to(a.device)  # own generator: the global one is training's
                for _ in range(FIRST_ITERATIONS - 1):
                    w = a.T @ (a @ v)
                    v = w / w.norm().clamp_min(TINY)
                vs[j] = v
        us = [a @ v for a, v in zip(mats, vs)]
        ws = [a.T @ u for a, u in zip(mats, us)]
        u_norms, w_norms = torch._foreach_norm(us), torch._foreach_norm(ws)
        sigmas = torch._foreach_div(w_norms, torch._foreach_clamp_min(u_norms, TINY))
        self.vectors.update(zip((self.names[i] for i in self.spectral),
                                torch._foreach_div(ws, torch._foreach_clamp_min(w_norms, TINY))))
        return sigmas

    def state_dict(self) -> dict:
        """The persisted singular vectors: checkpointed, so a resumed run logs the same norms."""
        return {"vectors": dict(self.vectors)}

    def load_state_dict(self, state: dict) -> None:
        devices = {n: p.device for n, p in zip(self.names, self.params)}
        self.vectors = {n: v.to(devices[n]) for n, v in state.get("vectors", {}).items()
                        if n in devices}

    @torch.no_grad()
    def after_step(self) -> None:
        step, norms, before = self._pending
        torch._foreach_sub_(before, self.params)  # in place: no second copy of the model
        values = torch.cat([norms, torch.stack(torch._foreach_norm(before))]).tolist()
        n, k = len(self.params), len(self.gains)
        extremes = {i: (-values[3 * n + k + j], values[3 * n + j])
                    for j, i in enumerate(self.gains)}
        sigmas = dict(zip(self.spectral, values[3 * n + 2 * k:]))
        for i in self.spectral:  # a zero matrix (zero-initialized) starts afresh once it moves
            if sigmas[i] <= TINY:
                self.vectors.pop(self.names[i], None)
        updates_at = 3 * n + 2 * k + len(self.spectral)
        for i, name in enumerate(self.names):
            info = self.infos[name]
            low, high = extremes.get(i, (None, None))
            self.rows.append({"step": step, "layer": name, "kind": info.kind,
                              "normalized": info.normalized, "weight_norm": values[i],
                              "grad_norm": values[n + i], "update_norm": values[updates_at + i],
                              "value_min": low, "value_max": high,
                              "weight_max_abs": values[2 * n + i],
                              **self._table1_columns(i, values[i], values[2 * n + i],
                                                     sigmas.get(i))})
        self._pending = None

    def _table1_columns(self, i: int, l2: float, max_abs: float, sigma) -> dict:
        """Table 1's norms "as normalized in our experiments", A ∈ R^{d_out × d_in} (a conv
        kernel as d_out × d_in·k·k, as optim/lmo.py's oracles see it): Sign d_in·max|A_ij|,
        Spectral √(d_in/d_out)·‖A‖_S∞, Bias RMS(b) = ‖b‖₂/√d_out. The other two are null."""
        norm, p = self.norm_of.get(i), self.params[i]
        d_out = p.shape[0] if p.ndim else 1
        d_in = p.numel() // max(d_out, 1)
        return {"spectral_norm": math.sqrt(d_in / d_out) * sigma if norm == "spectral" else None,
                "sign_norm": d_in * max_abs if norm == "sign" else None,
                "bias_norm": l2 / math.sqrt(max(p.numel(), 1)) if norm == "bias" else None}


def read_layers(run_dir: Path) -> pd.DataFrame:
    return pd.read_parquet(Path(run_dir) / LAYERS)
