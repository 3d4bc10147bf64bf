"""Approximate polar factor U·Vᵀ of a matrix by odd quintic iterations (Muon, Scion Spectral).

Each step is X ← aX + (bA + cA²)X with A = XXᵀ. Two coefficient recipes:

- "newton_schulz" (Jordan et al. 2024): (3.4445, −4.7750, 2.0315) every step. It pushes every
  singular value into a band around 1 in five steps but does not converge to exactly 1: the
  coefficients trade accuracy for a steep slope at 0. Same operation order as
  torch.optim.Muon so that, in bfloat16, the two agree bit for bit.
- "polar_express" (Amsel et al. 2025, Alg. 1): a different, minimax-optimal polynomial per step
  (the last one repeats), divided by a safety factor 1.01 (a/1.01, b/1.01³, c/1.01⁵, all but
  the last) and the input scaled by 1/(1.01·‖X‖_F) so that bf16 rounding cannot push a
  singular value past the polynomials' interval. Converges to 1 instead of a band.
"""

from __future__ import annotations

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)

_POLAR_EXPRESS_RAW = (
    (8.28721201814563, -23.595886519098837, 17.300387312530933),
    (4.107059111542203, -2.9478499167379106, 0.5448431082926601),
    (3.9486908534822946, -2.908902115962949, 0.5518191394370137),
    (3.3184196573706015, -2.488488024314874, 0.51004894012372),
    (2.300652019954817, -1.6689039845747493, 0.4188073119525673),
    (1.891301407787398, -1.2679958271945868, 0.37680408948524835),
    (1.8750014808534479, -1.2500016453999487, 0.3750001645474248),
    (1.875, -1.25, 0.375),
)
POLAR_EXPRESS_SAFETY = 1.01
POLAR_EXPRESS = tuple((a / POLAR_EXPRESS_SAFETY, b / POLAR_EXPRESS_SAFETY**3,
                       c / POLAR_EXPRESS_SAFETY**5) for a, b, c in _POLAR_EXPRESS_RAW[:-1]) \
    + _POLAR_EXPRESS_RAW[-1:]

# method -> (coefficients per step, last repeated; scale of ‖X‖_F in the initial normalization)
NS_METHODS = {
    "newton_schulz": ((NS_COEFFICIENTS,), 1.0),
    "polar_express": (POLAR_EXPRESS, POLAR_EXPRESS_SAFETY),
}


def default_ns_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on accelerators (tensor cores); float32 on CPU, where bf16 matmuls are slow."""
    return torch.bfloat16 if device.type == "cuda" else torch.float32


def orthogonalize(g: torch.Tensor, steps: int = 5, method: str | None = "newton_schulz",
                  dtype: torch.dtype | None = None, eps: float = 1e-7) -> torch.Tensor:
    """≈ U·Vᵀ of a 2-D `g` (reduced SVD g = U·S·Vᵀ), or of each matrix of a stack of them
    (k, m, n), returned in `dtype`. `method` None means Newton–Schulz (optimizer groups
    restored from checkpoints older than the option)."""
    method = method or "newton_schulz"
    if g.ndim not in (2, 3):
        raise ValueError(f"orthogonalize needs a matrix or a stack of them, got shape "
                         f"{tuple(g.shape)}")
    if method not in NS_METHODS:
        raise ValueError(f"unknown method {method!r}; allowed: {', '.join(NS_METHODS)}")
    coefficients, safety = NS_METHODS[method]
    x = g.to(dtype or default_ns_dtype(g.device))
    tall = g.size(-2) > g.size(-1)
    if tall:
        x = x.mT  # iterate on the wide side: the Gram matrix is the smaller one
    # Frobenius ≥ spectral: after this every singular value is ≤ 1 (torch.optim.Muon clamps,
    # Polar Express adds eps after its safety factor).
    norm = x.norm(dim=(-2, -1), keepdim=True)
    x = x / norm.clamp(min=eps) if method == "newton_schulz" else x / (norm * safety + eps)
    # a stack runs as one batched matmul per product (torch.baddbmm), not one call per matrix
    fused = torch.addmm if x.ndim == 2 else torch.baddbmm
    for i in range(steps):
        a, b, c = coefficients[min(i, len(coefficients) - 1)]
        gram = x @ x.mT
        poly = fused(gram, gram, gram, beta=b, alpha=c)
        x = fused(x, poly, x, beta=a)
    return x.mT if tall else x


def orthogonalize_all(matrices: list[torch.Tensor], steps: int = 5,
                      method: str | None = "newton_schulz", dtype: torch.dtype | None = None,
                      eps: float = 1e-7) -> list[torch.Tensor]:
    """orthogonalize of each 2-D matrix, in order, with the matrices of one shape stacked
    into one batched call: a MoE's experts, or a transformer's blocks, share shapes, and on a
    GPU each call is kernel launches (not measured: no GPU lent yet). On one CPU thread the
    matmuls are compute-bound: a mini MoE's MuonMD run gained ~4 %."""
    out: list[torch.Tensor | None] = [None] * len(matrices)
    by_shape: dict[tuple, list[int]] = {}
    for i, m in enumerate(matrices):
        by_shape.setdefault((tuple(m.shape), m.dtype, m.device), []).append(i)
    for members in by_shape.values():
        if len(members) == 1:
            out[members[0]] = orthogonalize(matrices[members[0]], steps, method, dtype, eps)
            continue
        stacked = orthogonalize(torch.stack([matrices[i] for i in members]), steps, method,
                                dtype, eps)
        for i, ortho in zip(members, stacked):
            out[i] = ortho
    return out
