"""A DeepSeekMoE-style mixture-of-experts feed-forward layer, for Kosson et al. 2026 Fig. 11's
MoE GPT (Dai et al. 2024, "DeepSeekMoE", §3):

- fine-grained routed experts: `routed` small SwiGLU experts; each token goes to its `top_k`
  experts by router affinity s_i = softmax_i(u·e_i) over all routed experts;
- shared experts: `shared` SwiGLU experts every token passes through (shared-expert isolation);
- the output u + Σ_shared FFN(u) + Σ_topk s_i·FFN_i(u): the gates are the softmax affinities
  themselves, not renormalized over the top k (DeepSeekMoE Eq. 3–5);
- balance: DeepSeekMoE's expert-level balance loss (Eq. 12–14), α·Σ_i f_i·P_i with
  f_i = N/(K·T)·(tokens routed to i) and P_i = mean_t s_{i,t}; it is 1 for a uniform router.
  We chose the auxiliary loss over DeepSeek-V3's bias balancing: its gradient is all-reduced
  by DDP like any other, so 2 ranks equal 1 process without extra communication.

Every expert is its own SwiGLU of nn.Linear matrices, so Adam, Muon and MD treat each expert
matrix as a matrix (MD: gains per expert row and column) with no special case. The router is
a body matrix too. Expert hidden size [choice]: the dense SwiGLU's hidden size split over the
`shared + top_k` experts a token uses (rounded up to a multiple of 8), so a token's active
feed-forward compute matches the dense model of the same width.

Tokens are dispatched with a loop over experts (sort by expert, index_add back): readable, and
the experts stay nn.Linear modules. An expert that gets no token still runs on an empty batch,
so every parameter has a gradient on every rank (DDP needs no find_unused_parameters).
"""

from __future__ import annotations

import torch
from torch import nn

from .gpt import GPT, SwiGLU, swiglu_hidden


class MoE(nn.Module):
    def __init__(self, width: int, routed: int, shared: int, top_k: int):
        super().__init__()
        if not 0 < top_k <= routed:
            raise ValueError(f"moe_top_k {top_k} must be between 1 and moe_experts {routed}")
        self.top_k = top_k
        hidden = 8 * -(-swiglu_hidden(width) // (8 * (shared + top_k)))
        self.router = nn.Linear(width, routed, bias=False)
        self.experts = nn.ModuleList(SwiGLU(width, hidden) for _ in range(routed))
        self.shared = nn.ModuleList(SwiGLU(width, hidden) for _ in range(shared))
        # set by each forward: the balance loss and tokens per routed expert
        self.balance_loss: torch.Tensor | None = None
        self.load: torch.Tensor | None = None

    def route(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(affinities (T, N), at least fp32 under bf16 autocast; top-k gates (T, K); top-k
        expert ids (T, K))."""
        logits = self.router(x)
        scores = logits.to(torch.promote_types(logits.dtype, torch.float32)).softmax(dim=-1)
        gates, chosen = scores.topk(self.top_k, dim=-1)
        return scores, gates, chosen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shape = x.shape
        x = x.reshape(-1, shape[-1])
        scores, gates, chosen = self.route(x)
        out = torch.zeros_like(x)
        for expert in self.shared:
            out = out + expert(x).to(out.dtype)
        # (token, gate) pairs sorted by expert: each expert sees one contiguous slice
        expert_of = chosen.flatten()
        order = expert_of.argsort(stable=True)
        token_of = torch.arange(len(x), device=x.device).repeat_interleave(self.top_k)[order]
        gate_of = gates.flatten()[order]
        load = torch.bincount(expert_of, minlength=len(self.experts))
        start = 0
        for expert, count in zip(self.experts, load.tolist()):
            tokens = token_of[start:start + count]
            y = expert(x[tokens]) * gate_of[start:start + count, None]
            out = out.index_add(0, tokens, y.to(out.dtype))
            start += count
        n, k = len(self.experts), self.top_k
        fraction = load.to(scores.dtype) * n / (k * len(x))  # f_i, 1 when uniform
        self.balance_loss = (fraction * scores.mean(dim=0)).sum()
        self.load = load.detach()
        return out.view(shape)


class MoEGPT(GPT):
    """The Llama-style GPT of harness/models/gpt.py with every MLP a MoE layer; the training
    loop adds `auxiliary_loss()` (α × the layers' balance losses) to the loss it backpropagates
    and logs the language-model loss alone."""

    def __init__(self, vocab: int, width: int, depth: int, routed: int, shared: int = 1,
                 top_k: int = 2, balance: float = 0.01, **options):
        super().__init__(vocab, width, depth,
                         mlp_factory=lambda w: MoE(w, routed, shared, top_k), **options)
        self.balance = balance

    def moe_layers(self) -> list[MoE]:
        return [block.mlp for block in self.blocks]

    def auxiliary_loss(self) -> torch.Tensor:
        """α · Σ_layers balance loss of the last forward pass (Dai et al. Eq. 12)."""
        return self.balance * sum(layer.balance_loss for layer in self.moe_layers())


def gpt(depth: int, width: int, in_channels: int = 256, num_classes: int = 256,
        moe_experts: int = 0, moe_shared: int = 1, moe_top_k: int = 2,
        moe_balance: float = 0.01, **options) -> GPT:
    """Registry constructor for model "gpt": dense (`moe_experts` 0), else the MoE GPT. For
    token data `num_classes` is the vocabulary size."""
    if not moe_experts:
        return GPT(num_classes, width, depth, **options)
    return MoEGPT(num_classes, width, depth, moe_experts, moe_shared, moe_top_k, moe_balance,
                  **options)
