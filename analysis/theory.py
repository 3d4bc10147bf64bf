"""The papers' closed-form predictions, as plain numpy functions of the logged schedule."""

from __future__ import annotations

import numpy as np


def effective_lr(lr, momentum: float = 0.0):
    """SGD with (undampened, torch-style) momentum β moves like plain SGD at γ/(1−β)
    (Defazio §3.1, after Defazio & Gower 2021)."""
    return np.asarray(lr, dtype=float) / (1.0 - momentum)


def steady_state_ratio(lr, weight_decay, momentum: float = 0.0):
    """Defazio eq. (2): ‖g‖/‖w‖ → √(2λ/γ_eff,t) on normalized layers. Infinite where γ = 0."""
    lr_eff = effective_lr(lr, momentum)
    with np.errstate(divide="ignore"):
        return np.sqrt(2.0 * np.asarray(weight_decay, dtype=float) / lr_eff)


def half_life(lr: float, weight_decay: float, momentum: float = 0.0) -> float:
    """Steps for the weight norm's distance to equilibrium to halve: −ln2 / ln(1 − γ_eff λ)."""
    return float(-np.log(2.0) / np.log1p(-effective_lr(lr, momentum) * weight_decay))
