"""'Renormalized' AdamW (Chou et al. 2025, Alg. 1): AdamW, then every tensor is rescaled so that
only the update's component along the (decayed) weights changes its norm:

    θ' = (1 − γλ)·θ_{t−1};   θ_t = θ' − γ·u_t                     (torch AdamW)
    θ_t ← |‖θ'‖ − γ·u_∥| / (‖θ_t‖ + ε) · θ_t,   u_∥ = ⟨θ', u_t⟩/‖θ'‖,  if ‖θ'‖ ≥ ε

Since γ·u = θ' − θ_t, the target norm |‖θ'‖ − γ·u_∥| equals |⟨θ', θ_t⟩| / ‖θ'‖, which needs only
θ' and θ_t: one copy of the weights per step, no access to Adam's internals.
"""

from __future__ import annotations

import torch

from .base import closure_loss


class RenormalizedAdamW(torch.optim.AdamW):
    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)  # gradients first: the snapshot below selects on them
        before = []
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            shrink = 1.0 - group["lr"] * group["weight_decay"]
            before.append((params, torch._foreach_mul(params, shrink), group["eps"]))
        super().step()
        for params, decayed, eps in before:
            if not params:
                continue
            decayed_norms = torch._foreach_norm(decayed)
            new_norms = torch._foreach_norm(params)
            factors = []
            for p, prev, prev_norm, norm in zip(params, decayed, decayed_norms, new_norms):
                target = (prev * p).sum().abs() / prev_norm.clamp(min=eps)
                # torch.where, not `if`: no host sync per tensor on accelerators.
                factors.append(torch.where(prev_norm >= eps, target / (norm + eps), 1.0))
            torch._foreach_mul_(params, factors)
        return loss
