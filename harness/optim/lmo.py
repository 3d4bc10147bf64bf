"""Linear minimization oracles of constrained Scion (Pethick et al. 2025; Chou et al. 2025,
Table 1). Each maps the momentum to the unit-norm step of steepest descent, *with* the minus
sign, so the update is θ ← θ + γ_l·(−λ_l·θ + lmo(m)).

Matrices are d_out × d_in; conv kernels are viewed as d_out × (d_in·k·k).
"""

from __future__ import annotations

import math

import torch

from .newton_schulz import orthogonalize

EPS = 1e-8


def as_matrix(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(t.shape[0], -1)


def sign(m: torch.Tensor, **_) -> torch.Tensor:
    """Sign: −sign(A)/d_in (norm d_in·max|A_ij|)."""
    return -torch.sign(m) / as_matrix(m).shape[1]


def spectral(m: torch.Tensor, ns_steps: int = 5, ns_method: str = "newton_schulz",
             ns_dtype=None, **_) -> torch.Tensor:
    """Spectral: −√(d_out/d_in)·U·Vᵀ (norm √(d_in/d_out)·‖A‖_S∞), U·Vᵀ by Newton–Schulz
    or Polar Express (`ns_method`)."""
    a = as_matrix(m)
    d_out, d_in = a.shape
    polar = orthogonalize(a, ns_steps, ns_method, ns_dtype).to(m.dtype)
    return (-math.sqrt(d_out / d_in) * polar).reshape(m.shape)


def colnorm(m: torch.Tensor, **_) -> torch.Tensor:
    """ColNorm: every column rescaled to RMS 1 (ℓ2 norm √d_out)."""
    a = as_matrix(m)
    rms = a.norm(dim=0, keepdim=True) / math.sqrt(a.shape[0])
    return (-a / (rms + EPS)).reshape(m.shape)


def rownorm(m: torch.Tensor, **_) -> torch.Tensor:
    """RowNorm: every row rescaled to ℓ2 norm 1/√d_in."""
    a = as_matrix(m)
    norm = a.norm(dim=1, keepdim=True) * math.sqrt(a.shape[1])
    return (-a / (norm + EPS)).reshape(m.shape)


def bias_rms(m: torch.Tensor, **_) -> torch.Tensor:
    """Bias: −b/‖b‖_RMS, for vectors (biases, norm gains)."""
    rms = m.norm() / math.sqrt(m.numel())
    return -m / (rms + EPS)


LMOS = {"sign": sign, "spectral": spectral, "colnorm": colnorm, "rownorm": rownorm,
        "bias_rms": bias_rms}
