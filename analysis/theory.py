"""The papers' closed-form predictions, as plain numpy functions of the logged schedule."""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def steady_norm(size: int, lr: float, weight_decay: float) -> float:
    """√(n·γ/(λ(2 − γλ))): the exact fixed point of E‖θ‖² (≈ √(n·γ/(2λ)) for small γλ)."""
    return float(np.sqrt(size * lr / (weight_decay * (2 - lr * weight_decay))))


def scion_effective_lr(lr, alpha):
    """Chou eq. 3: γ_eff = γ·√((2 − α)/α)."""
    alpha = np.asarray(alpha, dtype=float)
    return np.asarray(lr, dtype=float) * np.sqrt((2.0 - alpha) / alpha)


# Hidden linears of timm's ViT (the harness's ViT, mlp ratio 4) as (d_out, d_in) in units of
# the width: the norms logged per tensor carry no shapes, and Eq. 4 needs ‖u‖² per layer.
VIT_LINEARS = {"attn.qkv.weight": (3, 1), "attn.proj.weight": (1, 1),
               "mlp.fc1.weight": (4, 1), "mlp.fc2.weight": (1, 4)}


def vit_update_norm2(layers: pd.DataFrame, width: int) -> float | None:
    """Σ‖u_l‖² of the Spectral update over the normalized (hidden linear) layers of a ViT
    (Table 1); None when a layer's shape is not known (another model: no overlay)."""
    total = 0.0
    for name in layers.loc[layers["normalized"], "layer"].astype(str).unique():
        shape = next((s for suffix, s in VIT_LINEARS.items() if name.endswith(suffix)), None)
        if shape is None:
            return None
        total += lmo_norm2("spectral", shape[0] * width, shape[1] * width)
    return total


def scion_theory(run: dict, metrics: pd.DataFrame) -> pd.Series | None:
    """The hidden layers' steady-state ‖w‖ at each step's γ_t and λ_t (the logged ones, so
    ScionC's λ_t ∝ γ_t/C²_t is included): √(Σ‖u‖² · E‖θ‖²/‖u‖²), Chou §2.2. It is the
    equilibrium the norm relaxes to, not a prediction of the lag behind it."""
    cfg = run["config"]
    if cfg["optimizer"] not in ("scion", "scionc") or cfg["model"] != "vit":
        return None
    u2 = vit_update_norm2(run["layers"], cfg["width"])
    if not u2:
        return None
    m = metrics[metrics["lr"] > 0]  # γ = 0 (last cosine step): no equilibrium to speak of
    return pd.Series(np.sqrt(scion_steady_norm2(m["lr"], m["weight_decay"], cfg["momentum"],
                                                u2)), index=m.index)
