"""Constrained Scion (Pethick et al. 2025) and ScionC (Chou et al. 2025, Alg. 2).

Per group l, with α = 1 − momentum (Chou's momentum convention, m ← (1−α)m + αg):

    m ← (1 − α)·m + α·g
    θ ← θ + γ_l·(−λ_l·θ + lmo_l(m))

ScionC replaces λ_l on groups flagged `corrected` (those where ⟨θ, u⟩ → 0, i.e. all but the
output layer, Chou App. D) by λ_t,l = (2 − α_t)/(2·α_t·C²_t,l)·γ_t,l, so the steady state
‖θ‖² ≈ C²·‖u‖² (Chou eq. 4; ‖u‖² = d_out for BiasRMS) follows the scheduled C² whatever the
lr schedule does. A group with `decay_per_lr` set uses λ_t = decay_per_lr·γ_t instead
(λ ∝ γ alone, Chou Fig. 11's exp. 3). The λ applied at the last step
is left in `group["weight_decay"]` for logging.
"""

from __future__ import annotations

import torch

from .base import closure_loss
from .lmo import LMOS


class Scion(torch.optim.Optimizer):
    def __init__(self, params, lr: float, momentum: float = 0.9, weight_decay: float = 0.0,
                 lmo: str = "spectral", corrected: bool = False, c2: float | None = None,
                 ns_steps: int = 5, ns_method: str = "newton_schulz",
                 ns_dtype: torch.dtype | None = None):
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1) (α = 1 − momentum), got {momentum}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay, lmo=lmo,
                        corrected=corrected, c2=c2, ns_steps=ns_steps, ns_method=ns_method,
                        ns_dtype=ns_dtype)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        if group["lmo"] not in LMOS:
            raise ValueError(f"unknown lmo {group['lmo']!r}; allowed: {', '.join(LMOS)}")
        if group["corrected"] and not group["c2"]:
            raise ValueError("a corrected (ScionC) group needs c2 > 0")
        group.setdefault("max_lr", group["lr"])
        group.setdefault("c2_max", group["c2"])

    @staticmethod
    def decay_coefficient(group: dict) -> float:
        if group.get("decay_per_lr") is not None:  # λ ∝ γ alone, α ignored (Chou Fig. 11)
            return group["decay_per_lr"] * group["lr"]
        if not group["corrected"]:
            return group["weight_decay"]
        alpha = 1.0 - group["momentum"]
        return (2.0 - alpha) / (2.0 * alpha * group["c2"]) * group["lr"]

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            bufs = []
            for p in params:
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = torch.zeros_like(p)
                bufs.append(state["momentum_buffer"])
            torch._foreach_lerp_(bufs, [p.grad for p in params], 1.0 - group["momentum"])
            lmo = LMOS[group["lmo"]]
            steps = [lmo(b, ns_steps=group["ns_steps"], ns_method=group.get("ns_method"),
                         ns_dtype=group["ns_dtype"])
                     for b in bufs]
            lam = self.decay_coefficient(group)
            group["weight_decay"] = lam
            torch._foreach_mul_(params, 1.0 - group["lr"] * lam)
            torch._foreach_add_(params, steps, alpha=group["lr"])
        return loss
