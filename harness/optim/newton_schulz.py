"""Approximate polar factor U·Vᵀ of a matrix by Newton–Schulz iteration (Muon, Scion Spectral).

The quintic X ← aX + (bA + cA²)X with A = XXᵀ and (a, b, c) = (3.4445, −4.7750, 2.0315) pushes
every singular value into a band around 1 in five steps (it does not converge to exactly 1:
the coefficients trade accuracy for a steep slope at 0). Same operation order as
torch.optim.Muon so that, in bfloat16, the two agree bit for bit.
"""

from __future__ import annotations

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def default_ns_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on accelerators (tensor cores); float32 on CPU, where bf16 matmuls are slow."""
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def orthogonalize(g: torch.Tensor, steps: int = 5, coefficients=NS_COEFFICIENTS,
                  dtype: torch.dtype | None = None, eps: float = 1e-7) -> torch.Tensor:
    """≈ U·Vᵀ of a 2-D `g` (reduced SVD g = U·S·Vᵀ), returned in `dtype`."""
    if g.ndim != 2:
        raise ValueError(f"orthogonalize needs a 2-D matrix, got shape {tuple(g.shape)}")
    a, b, c = coefficients
    x = g.to(dtype or default_ns_dtype(g.device))
    tall = g.size(0) > g.size(1)
    if tall:
        x = x.T  # iterate on the wide side: the Gram matrix is the smaller one
    x = x / x.norm().clamp(min=eps)  # Frobenius ≥ spectral: singular values now ≤ 1
    for _ in range(steps):
        gram = x @ x.T
        poly = torch.addmm(gram, gram, gram, beta=b, alpha=c)
        x = torch.addmm(x, poly, x, beta=a)
    return x.T if tall else x
