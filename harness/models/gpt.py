"""Decoder-only LMs, one class, two variants (`width`/`depth` scale both from the 2-core mini,
4 × 128 on bytes, to the papers' 12 × 768):

- "llama" (Defazio §6's 120M family): pre-RMSNorm blocks, rotary position embeddings, SwiGLU
  MLP, no biases, output head untied (`tie_head` shares the embedding: 12 × 768 is then
  123.6M, Defazio's "120M"; untied 162.2M).
- "modded" (modded-nanogpt's 124M, which Chou Fig. 4 trains with Scion): RMSNorm without
  gains, rotary + QK-norm, ReLU² MLP of 4·width, zero-initialized output projections, heads
  of 128 channels, output head tied to the embedding. `separate_qkv` and `sqrt2_relu2` give
  Pethick et al.'s Scion version of it (c_q/c_k/c_v; (√2·relu)²), which Chou et al. ran.

`block_output_scale` multiplies every residual branch's output by α before it is added
(Kosson 2026 Fig. 16), with L = `depth` (the number of blocks): "inverse_depth" α = 1/L,
"inverse_sqrt_2depth" α = √(1/(2L)), "none" (default) no multiplier at all, so today's models
stay bit-identical. With an α the output projections start at std 0.02 rather than GPT-2's
0.02/√(2L): α is then the one depth scaling [our choice; the paper's init is not given].
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def rotary(x: torch.Tensor, base: float = 10000.0) -> torch.Tensor:
    """Rotate channel pairs of (B, H, T, D) by position-dependent angles (RoPE)."""
    t, d = x.shape[-2], x.shape[-1]
    freqs = base ** (-torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)
    angles = torch.arange(t, device=x.device, dtype=torch.float32)[:, None] * freqs
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Attention(nn.Module):
    """Causal self-attention; q, k, v from one fused matrix, or from three (`separate_qkv`:
    modded-nanogpt's c_q/c_k/c_v, so Scion's Spectral step orthogonalizes each one)."""

    def __init__(self, width: int, heads: int, qk_norm: bool = False,
                 separate_qkv: bool = False):
        super().__init__()
        self.heads, self.qk_norm = heads, qk_norm
        if separate_qkv:
            self.q, self.k, self.v = (nn.Linear(width, width, bias=False) for _ in range(3))
        else:
            self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width, bias=False)

    def forward(self, x):
        b, t, c = x.shape
        if hasattr(self, "qkv"):
            q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(
                2, 0, 3, 1, 4)
        else:
            q, k, v = (m(x).view(b, t, self.heads, c // self.heads).transpose(1, 2)
                       for m in (self.q, self.k, self.v))
        if self.qk_norm:
            q, k = F.rms_norm(q, q.shape[-1:]), F.rms_norm(k, k.shape[-1:])
        y = F.scaled_dot_product_attention(rotary(q), rotary(k), v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class SwiGLU(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.gate = nn.Linear(width, hidden, bias=False)
        self.up = nn.Linear(width, hidden, bias=False)
        self.down = nn.Linear(hidden, width, bias=False)

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x))


class ReLU2(nn.Module):
    """relu(x)², or (√2·relu(x))² with `sqrt2` (Pethick et al.'s Scion modded-nanogpt)."""

    def __init__(self, width: int, hidden: int, sqrt2: bool = False):
        super().__init__()
        self.up = nn.Linear(width, hidden, bias=False)
        self.down = nn.Linear(hidden, width, bias=False)
        self.gain = 2.0 if sqrt2 else None  # (√2·r)² = 2·r²

    def forward(self, x):
        h = F.relu(self.up(x)).square()
        return self.down(h if self.gain is None else self.gain * h)


def swiglu_hidden(width: int) -> int:
    """Llama's SwiGLU hidden size: 8/3·width rounded up to a multiple of 64."""
    return 64 * -(-(8 * width // 3) // 64)


BLOCK_OUTPUT_SCALES = {  # name -> α(L); None: no multiplication (the default)
    "none": None,
    "inverse_depth": lambda depth: 1.0 / depth,
    "inverse_sqrt_2depth": lambda depth: (1.0 / (2 * depth)) ** 0.5,
}


class Block(nn.Module):
    def __init__(self, width: int, heads: int, variant: str = "llama",
                 alpha: float | None = None, separate_qkv: bool = False,
                 sqrt2_relu2: bool = False, mlp: nn.Module | None = None):
        super().__init__()
        modded = variant == "modded"
        self.alpha = alpha  # residual-branch output multiplier; None = none
        self.attn_norm = nn.RMSNorm(width, elementwise_affine=not modded)
        self.mlp_norm = nn.RMSNorm(width, elementwise_affine=not modded)
        self.attn = Attention(width, heads, qk_norm=modded, separate_qkv=separate_qkv)
        # Llama's 8/3·width SwiGLU hidden size, rounded up to a multiple of 64; ReLU² at 4·width;
        # or the given feed-forward layer (a mixture of experts, harness/models/moe.py).
        self.mlp = mlp if mlp is not None else ReLU2(width, 4 * width, sqrt2_relu2) if modded \
            else SwiGLU(width, swiglu_hidden(width))

    def forward(self, x):
        if self.alpha is None:
            x = x + self.attn(self.attn_norm(x))
            return x + self.mlp(self.mlp_norm(x))
        x = x + self.alpha * self.attn(self.attn_norm(x))
        return x + self.alpha * self.mlp(self.mlp_norm(x))


class GPT(nn.Module):
    # Defazio §6 / Chou §1: in transformers every linear layer except the output head counts as
    # "normalized" for the corrected decay, though no norm follows it directly.
    hidden_linears_are_normalized = True

    def __init__(self, vocab: int, width: int, depth: int, heads: int | None = None,
                 variant: str = "llama", block_output_scale: str = "none",
                 tie_head: bool = False, separate_qkv: bool = False,
                 sqrt2_relu2: bool = False, mlp_factory=None):
        """`mlp_factory(width)`, if given, builds each block's feed-forward layer."""
        super().__init__()
        if variant not in ("llama", "modded"):
            raise ValueError(f"gpt variant {variant!r}; allowed: llama, modded")
        if block_output_scale not in BLOCK_OUTPUT_SCALES:
            raise ValueError(f"gpt block_output_scale {block_output_scale!r}; allowed: "
                             + ", ".join(BLOCK_OUTPUT_SCALES))
        rule = BLOCK_OUTPUT_SCALES[block_output_scale]
        alpha = None if rule is None else rule(depth)
        modded = variant == "modded"
        heads = heads or max(width // (128 if modded else 64), 1)
        if width % heads or (width // heads) % 2:
            raise ValueError(f"gpt width {width} must split into {heads} heads of even size")
        self.embed = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList(
            Block(width, heads, variant, alpha, separate_qkv, sqrt2_relu2,
                  None if mlp_factory is None else mlp_factory(width)) for _ in range(depth))
        self.norm = nn.RMSNorm(width, elementwise_affine=not modded)
        self.head = nn.Linear(width, vocab, bias=False)
        for name, p in self.named_parameters():
            if p.ndim == 2:
                nn.init.normal_(p, std=0.02)
            if name.endswith(("proj.weight", "down.weight")):  # GPT-2's residual scaling
                nn.init.normal_(p, std=0.02 / (2 * depth) ** 0.5 if alpha is None else 0.02)
                if modded:
                    nn.init.zeros_(p)  # each block starts as the identity
        if modded or tie_head:
            self.head.weight = self.embed.weight  # one matrix: Scion's Sign layer, Chou §3.1

    def forward(self, tokens):
        x = self.embed(tokens)
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))

