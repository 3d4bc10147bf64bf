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


def lmo_norm2(lmo: str, d_out: int, d_in: int = 1) -> float:
    """‖u‖² of Scion's update u = −lmo(m) for a d_out × d_in tensor (Chou Table 1): Spectral
    √(d_out/d_in)·U·Vᵀ has (d_out/d_in)·min(d_out, d_in); Sign sign(A)/d_in has d_out/d_in;
    Bias (b/‖b‖_RMS) has d_out."""
    if lmo == "spectral":
        return d_out / d_in * min(d_out, d_in)
    if lmo == "sign":
        return d_out / d_in
    if lmo == "bias_rms":
        return float(d_out)
    raise ValueError(f"unknown lmo {lmo!r}; allowed: spectral, sign, bias_rms")


def scion_steady_norm2(lr, weight_decay, momentum: float, update_norm2):
    """Chou §2.2: steady-state E‖θ‖² of (constrained) Scion with momentum α = 1 − momentum and
    normalized updates of norm² C² (= `update_norm2`), before the η ≪ α approximation:
    γ²C²/(2η − η²)·(2 − η − α + αη)/(η + α − αη), η = γλ. ≈ γC²(2 − α)/(2αλ) (Eq. 4); for
    ScionC's λ = (2 − α)γ/(2αC²_l) that is C²_l·‖u‖². Infinite where η = 0."""
    lr, alpha = np.asarray(lr, dtype=float), 1.0 - momentum
    eta = lr * np.asarray(weight_decay, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (lr**2 * update_norm2 / (2 * eta - eta**2)
                 * (2 - eta - alpha + alpha * eta) / (eta + alpha - alpha * eta))
    return np.where(eta > 0, value, np.inf)
