"""Schedules as plain functions of the step.

Following torch's convention the training loop writes `group["lr"] = max_lr * factor(t)` before
each step; corrected optimizers (SGDC/AdamC/ScionC) read that lr and the group's `max_lr`.
"""

from __future__ import annotations

import math


def lr_factor(step: int, total: int, schedule: str, warmup: int = 0,
              final_fraction: float = 0.0, decay_fraction: float = 0.2,
              milestones: tuple[float, ...] = (0.5, 0.75), step_factor: float = 0.1) -> float:
    """Multiplier of the peak lr at `step` (0-based) of `total` steps.

    Linear warmup from 1/warmup to 1, then over the rest of the run:
    constant; cosine or linear from 1 down to `final_fraction` at the last step;
    wsd (warmup-stable-decay): flat, then linear down to `final_fraction` over the last
    `decay_fraction` of the run; step: ×`step_factor` at each milestone (fractions of the run).
    """
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    if schedule == "step":
        return step_factor ** sum(step >= m * total for m in milestones)
    span = max(total - 1 - warmup, 1)
    progress = min(max((step - warmup) / span, 0.0), 1.0)
    if schedule == "cosine":
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    elif schedule == "linear":
        shape = 1.0 - progress
    elif schedule == "wsd":
        shape = min(1.0, (1.0 - progress) / decay_fraction) if decay_fraction > 0 else 1.0
    else:
        raise ValueError(f"unknown schedule {schedule!r}")
    return final_fraction + (1.0 - final_fraction) * shape


def momentum_matching(target_factor: float, alpha0: float, alpha_max: float,
                      exponent: float = 0.5) -> tuple[float, float]:
    """Chou §2.2 / Fig. 3: reach a target effective-lr factor by raising Scion's α first.

    γ_eff = γ·((2−α)/α)^exponent: 0.5 is Chou eq. 3's γ·√((2−α)/α); 1 is the erroneous
    γ'_eff = γ(2−α)/α of App. C.1 (Figs. 9–10). To scale it by f at fixed γ, solve
    (2−α)/α = f^(1/exponent)·(2−α0)/α0 for α; once α would pass `alpha_max`, hold it there
    and lower γ instead. Returns (α_t, lr factor).
    """
    k2 = target_factor ** (1.0 / exponent) * (2.0 - alpha0) / alpha0
    alpha = 2.0 / (1.0 + k2)
    if alpha <= alpha_max:
        return alpha, 1.0
    lr = target_factor * ((2.0 - alpha0) / alpha0 / ((2.0 - alpha_max) / alpha_max)) ** exponent
    return alpha_max, lr
