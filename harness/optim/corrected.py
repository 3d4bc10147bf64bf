"""SGDC and AdamC (Defazio 2025, §5 and Alg. 1): weight decay scaled by the schedule.

On normalized groups the decay becomes λ_t = λ·γ_t/γ_max, so the steady state
‖g‖/‖w‖ = √(2λ/γ_max) no longer depends on where the schedule is. Everything else is
torch's own SGD / AdamW (foreach or fused kernels): we only rewrite `group["weight_decay"]`
before delegating, so with a constant lr they are torch's optimizers exactly.
"""

from __future__ import annotations

import torch


class _Corrected:
    """Mixin: before each step set λ_t on groups flagged `normalized`.

    γ_max defaults to the group's lr when the group is added (construction), not at the first
    step: by then a warmup schedule has already lowered `group["lr"]`. The correction runs as a
    step pre-hook rather than a `step` override, so torch's own (profiled) step is called once,
    not wrapped twice: this keeps the corrected variants within noise of their base.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_step_pre_hook(_correct_weight_decay)

    def add_param_group(self, param_group: dict) -> None:
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        group.setdefault("max_lr", group["lr"])
        group.setdefault("base_weight_decay", group["weight_decay"])


def _correct_weight_decay(optimizer, args, kwargs) -> None:
    for group in optimizer.param_groups:
        if group.get("normalized", False):
            group["weight_decay"] = group["base_weight_decay"] * group["lr"] / group["max_lr"]


class SGDC(_Corrected, torch.optim.SGD):
    """torch.optim.SGD with corrected weight decay on normalized groups."""


class AdamC(_Corrected, torch.optim.AdamW):
    """torch.optim.AdamW with corrected weight decay on normalized groups."""
