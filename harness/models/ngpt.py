"""nGPT (Loshchilov, Hsieh, Sun, Ginsburg, ICLR 2025, "nGPT: Normalized Transformer with
Representation Learning on the Hypersphere"), the baseline of Kosson et al. 2026 Fig. 15.

Every hidden state and every weight vector along the embedding dimension lies on the unit
sphere (Norm(x) = x / ‖x‖), and there are no norm layers, no weight decay and no warmup:

- block (nGPT Eq. 10–11): h ← Norm(h + α_A ⊙ (Norm(Attn(h)) − h)), then the same with the MLP
  and α_M: the "eigen learning rates" α (one per channel) step h towards each branch's output;
- attention: q, k each normalized per head after RoPE and scaled by s_qk; softmax scale √d_k
  (not 1/√d_k), since q·k is a cosine times s_qk²;
- MLP: SwiGLU with u ← u ⊙ s_u and ν ← ν ⊙ s_ν·√d_model before SiLU;
- logits: z = E_out·h ⊙ s_z;
- after every optimizer step every matrix is renormalized along its embedding dimension
  (`after_optimizer_step`, called by the training loop): rows of the embeddings, the head and
  the matrices reading h (q, k, v, MLP up/gate), columns of those writing h (attention and
  MLP outputs).

Each scale vector is stored as nGPT's "scaled parameter": the tensor starts at `scale` and
the model uses it × init/scale, which sets its effective step size (nGPT §2.6): α init 0.05,
scale 1/√d_model; s_qk init 1, scale 1/√d_model; s_u, s_ν init 1, scale 1; s_z init 1, scale
1/√d_model (the paper's values). The MLP's hidden size is the Llama GPT's (harness/models/gpt.py)
so the two match in parameters at one width [choice].

A matrix that MD reparameterizes (Kosson Fig. 15's "our reparameterization on top of it") is
left to MD: its direction is on MD's sphere and its gains set the magnitude.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from .gpt import rotary, swiglu_hidden


def unit(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return x / x.norm(dim=dim, keepdim=True)


class Scaled(nn.Module):
    """nGPT's scaled parameter: stored at `scale`, used as stored × init / scale."""

    def __init__(self, size: int, init: float, scale: float):
        super().__init__()
        self.factor = init / scale
        self.value = nn.Parameter(torch.full((size,), scale))

    def forward(self) -> torch.Tensor:
        return self.value * self.factor


class NormalizedAttention(nn.Module):
    def __init__(self, width: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width, bias=False)
        self.s_qk = Scaled(width, 1.0, width ** -0.5)

    def forward(self, h):
        b, t, c = h.shape
        d = c // self.heads
        q, k, v = self.qkv(h).view(b, t, 3, self.heads, d).permute(2, 0, 3, 1, 4)
        s_qk = self.s_qk().view(self.heads, 1, d)
        q, k = s_qk * unit(rotary(q)), s_qk * unit(rotary(k))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=d ** 0.5)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class NormalizedMLP(nn.Module):
    def __init__(self, width: int, hidden: int):
        super().__init__()
        self.up = nn.Linear(width, hidden, bias=False)
        self.gate = nn.Linear(width, hidden, bias=False)
        self.down = nn.Linear(hidden, width, bias=False)
        self.s_u, self.s_v = Scaled(hidden, 1.0, 1.0), Scaled(hidden, 1.0, 1.0)
        self.root_width = width ** 0.5

    def forward(self, h):
        u = self.up(h) * self.s_u()
        v = self.gate(h) * (self.s_v() * self.root_width)
        return self.down(u * F.silu(v))


class NormalizedBlock(nn.Module):
    def __init__(self, width: int, heads: int, alpha: float = 0.05):
        super().__init__()
        self.attn, self.mlp = NormalizedAttention(width, heads), \
            NormalizedMLP(width, swiglu_hidden(width))
        self.alpha_attn = Scaled(width, alpha, width ** -0.5)
        self.alpha_mlp = Scaled(width, alpha, width ** -0.5)

    def forward(self, h):
        h = unit(h + self.alpha_attn() * (unit(self.attn(h)) - h))
        return unit(h + self.alpha_mlp() * (unit(self.mlp(h)) - h))


class NGPT(nn.Module):
    hidden_linears_are_normalized = True  # no norm layers, but every matrix lives on a sphere
    output_layer = "head"  # the logits are head(h) ⊙ s_z: the trace cannot see the head

    def __init__(self, vocab: int, width: int, depth: int, heads: int | None = None):
        super().__init__()
        heads = heads or max(width // 64, 1)
        if width % heads or (width // heads) % 2:
            raise ValueError(f"ngpt width {width} must split into {heads} heads of even size")
        self.embed = nn.Embedding(vocab, width)
        self.blocks = nn.ModuleList(NormalizedBlock(width, heads) for _ in range(depth))
        self.head = nn.Linear(width, vocab, bias=False)
        self.s_z = Scaled(vocab, 1.0, width ** -0.5)
        for p in self.parameters():
            if p.ndim == 2:
                nn.init.normal_(p, std=width ** -0.5)
        self.after_optimizer_step()

    def sphere_dims(self) -> list[tuple[nn.Module, int]]:
        """(module, the dim of its weight that spans the embedding space) for every matrix."""
        reads = [self.embed, self.head]  # rows are vectors in h's space
        writes = []
        for block in self.blocks:
            reads += [block.attn.qkv, block.mlp.up, block.mlp.gate]
            writes += [block.attn.proj, block.mlp.down]
        return [(m, 1) for m in reads] + [(m, 0) for m in writes]

    @torch.no_grad()
    def after_optimizer_step(self) -> None:
        """Put every weight vector back on the unit sphere (nGPT §2.3: after each step)."""
        for module, dim in self.sphere_dims():
            if not parametrize.is_parametrized(module, "weight"):  # MD holds its own
                module.weight.copy_(unit(module.weight, dim))

    def forward(self, tokens):
        h = self.embed(tokens)
        for block in self.blocks:
            h = block(h)
        return self.head(h) * self.s_z()


def ngpt(depth: int, width: int, in_channels: int = 256, num_classes: int = 256) -> NGPT:
    """Registry constructor: for token data `num_classes` is the vocabulary size."""
    return NGPT(num_classes, width, depth)
