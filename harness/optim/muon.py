"""Muon (Jordan et al. 2024) on matrices, beside AdamW for everything else.

Muon's step for a matrix (conv kernels viewed as d_out × d_in·k·k):
    B ← μ·B + (1 − μ)·g;   U = g + μ·(B − g) (Nesterov) or B
    θ ← (1 − γλ)·θ − γ·s(d_out, d_in)·NS5(U)
with the shape factor s = max(1, d_out/d_in)^½ ("original"), 0.2·max(d_out, d_in)^½
("match_rms_adamw"), (d_out/d_in)^½ ("spectral_unclamped") or 1 ("none"). This is
torch.optim.Muon's rule (tests/test_optim_matrix.py holds them equal in bfloat16); ours also
takes conv kernels, runs Newton–Schulz in float32 on CPU, and orthogonalizes a group's
same-shape matrices as one stack (one batched call: in bf16 it rounds differently from one
matrix at a time; against a float64 Newton–Schulz it errs as much as torch's).
"""

from __future__ import annotations

import math

import torch

from .base import closure_loss
from .newton_schulz import orthogonalize_all

SHAPE_FACTORS = {
    "original": lambda d_out, d_in: math.sqrt(max(1.0, d_out / d_in)),
    "match_rms_adamw": lambda d_out, d_in: 0.2 * math.sqrt(max(d_out, d_in)),
    "spectral_unclamped": lambda d_out, d_in: math.sqrt(d_out / d_in),
    "none": lambda d_out, d_in: 1.0,
}


def momentum_matrix(state: dict, p: torch.Tensor, momentum: float,
                    nesterov: bool) -> torch.Tensor:
    """Muon's momentum step on `p`'s buffer in `state`, B ← μB + (1 − μ)g, and the
    d_out × d_in matrix it orthogonalizes: g + μ(B − g) (Nesterov) or B (MuonMD's proposal
    takes the same)."""
    grad = p.grad
    if "momentum_buffer" not in state:
        state["momentum_buffer"] = torch.zeros_like(p)
    buf = state["momentum_buffer"]
    buf.lerp_(grad, 1.0 - momentum)
    update = grad.lerp(buf, momentum) if nesterov else buf
    return update.reshape(update.shape[0], -1)


class Muon(torch.optim.Optimizer):
    def __init__(self, params, lr: float, momentum: float = 0.95, weight_decay: float = 0.0,
                 nesterov: bool = True, ns_steps: int = 5, ns_method: str = "newton_schulz",
                 ns_dtype: torch.dtype | None = None, adjust_lr: str = "original",
                 eps: float = 1e-7):
        if adjust_lr not in SHAPE_FACTORS:
            raise ValueError(f"adjust_lr {adjust_lr!r}; allowed: {', '.join(SHAPE_FACTORS)}")
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      nesterov=nesterov, ns_steps=ns_steps,
                                      ns_method=ns_method, ns_dtype=ns_dtype,
                                      adjust_lr=adjust_lr, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            mu, lr = group["momentum"], group["lr"]
            params = [p for p in group["params"] if p.grad is not None]
            matrices = [momentum_matrix(self.state[p], p, mu, group["nesterov"])
                        for p in params]
            orthos = orthogonalize_all(matrices, group["ns_steps"], group.get("ns_method"),
                                       group["ns_dtype"], group["eps"])
            for p, ortho in zip(params, orthos):
                scale = SHAPE_FACTORS[group["adjust_lr"]](*ortho.shape)
                p.mul_(1.0 - lr * group["weight_decay"])
                p.add_(ortho.reshape(p.shape).to(p.dtype), alpha=-lr * scale)
        return loss


class Combined:
    """Several optimizers stepped as one (e.g. Muon for matrices + AdamW for the rest).

    Exposes what the training loop and checkpoints use: `param_groups` (all of them, so lr
    schedules reach every group), `step`, `zero_grad`, `state_dict`, `load_state_dict`.
    """

    def __init__(self, *optimizers: torch.optim.Optimizer):
        self.optimizers = list(optimizers)

    @property
    def param_groups(self) -> list[dict]:
        return [g for o in self.optimizers for g in o.param_groups]

    def step(self, closure=None):
        loss = closure_loss(closure)  # evaluated once; every part steps on its gradients
        for o in self.optimizers:
            o.step()
        return loss

    def zero_grad(self, set_to_none: bool = True):
        for o in self.optimizers:
            o.zero_grad(set_to_none=set_to_none)

    def state_dict(self) -> dict:
        return {"optimizers": [o.state_dict() for o in self.optimizers]}

    def load_state_dict(self, state: dict) -> None:
        for o, s in zip(self.optimizers, state["optimizers"], strict=True):
            o.load_state_dict(s)
