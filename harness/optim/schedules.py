"""Learning-rate schedules as plain functions of the step: multiplier in [0, 1] of the peak lr.

Following torch's convention the training loop writes `group["lr"] = max_lr * factor(t)` before
each step; corrected optimizers (SGDC/AdamC) read that lr and the group's `max_lr`.
"""

from __future__ import annotations

import math


def lr_factor(step: int, total: int, schedule: str, warmup: int = 0,
              final_fraction: float = 0.0) -> float:
    """Multiplier of the peak lr at `step` (0-based) of `total` steps.

    Linear warmup from 1/warmup to 1, then `schedule` from 1 down to `final_fraction` at the
    last step (cosine, linear) or flat (constant).
    """
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    if schedule == "constant":
        return 1.0
    span = max(total - 1 - warmup, 1)
    progress = min(max((step - warmup) / span, 0.0), 1.0)
    if schedule == "cosine":
        shape = 0.5 * (1.0 + math.cos(math.pi * progress))
    elif schedule == "linear":
        shape = 1.0 - progress
    else:
        raise ValueError(f"unknown schedule {schedule!r}")
    return final_fraction + (1.0 - final_fraction) * shape
