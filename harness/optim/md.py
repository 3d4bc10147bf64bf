"""MD Decoupling (Kosson et al. 2026; details fixed in shared/specs/md_decoupling.md).

Every body matrix W (d_out × d_in; conv kernels as d_out × d_in·k·k) becomes
W = diag(g_row) · V · diag(g_col): the model still sees one fused tensor (a torch
parametrization), while the optimizer steps

- the direction V on the sphere ‖V‖_F = R (R = ‖W‖_F at initialization [spec choice]):
  the base rule (Adam or Muon) proposes U, the step is rescaled so that
  ‖ΔV‖_F / ‖V‖_F = lr · s (s = Muon's shape factor, 1 for Adam), then V is projected back;
  `sphere` "row" / "col" (Kosson Fig. 4) instead holds every row (output) / column (input)
  of the d_out × d_in matrix at its own initial norm: each vector gets the relative step
  lr · s and is projected back on its own [choice]; ‖ΔV‖_F / ‖V‖_F is then lr · s as well;
- the gains with Adam at their own lr; no weight decay anywhere.

Embeddings (optional, on by default) keep every vector at unit norm: AdamW (no decay) steps
them, then each row is projected back (Kosson Fig. 5). The output head, norm gains and biases
stay ordinary parameters under AdamW [spec choice].
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from .base import closure_loss
from .muon import SHAPE_FACTORS, momentum_matrix
from .newton_schulz import orthogonalize_all
from .param_groups import ParamInfo

GAIN_MODES = ("none", "scalar", "row", "col", "row+col")
# Kosson Fig. 17: a rank-k gain matrix, W = (1 + A·Bᵀ) ⊙ V (mode -> k). A starts at 0 (Γ = 1),
# B ~ N(0, 1/k) so that A's Adam steps move Γ's entries by ~lr [choice]; `gain_param` does
# not apply to it.
RANK_GAINS = {"rank4": 4}
# The tensors that hold gains (through `gain_param`); analysis/kosson2026/figure_18.py reads only
# these (it cannot import this torch module: tests/test_md.py checks the copies agree).
GAIN_TENSORS = ("scalar", "row", "col")
# (gain from raw parameter, raw value giving gain 1)
GAIN_PARAMETERIZATIONS = {
    "identity": (lambda p: p, 1.0),
    "exp": (torch.exp, 0.0),
    "softplus": (F.softplus, math.log(math.e - 1.0)),
}


class MDWeight(nn.Module):
    """Parametrization V -> diag(g_row)·V·diag(g_col) (or a scalar gain, a rank-k gain
    matrix (1 + A·Bᵀ) ⊙ V, or none)."""

    def __init__(self, shape: torch.Size, gains: str, parameterization: str,
                 dtype: torch.dtype = torch.float32, device=None):
        super().__init__()
        self.shape, self.mode = shape, gains
        self.d_out, self.d_in = shape[0], math.prod(shape[1:])
        self.to_gain, start = GAIN_PARAMETERIZATIONS[parameterization]
        if gains in RANK_GAINS:
            k = RANK_GAINS[gains]
            self.rank_a = nn.Parameter(torch.zeros(self.d_out, k, dtype=dtype, device=device))
            self.rank_b = nn.Parameter(
                torch.randn(self.d_in, k, dtype=dtype, device=device) / math.sqrt(k))
            return
        sizes = {"none": {}, "scalar": {"scalar": 1}, "row": {"row": self.d_out},
                 "col": {"col": self.d_in}, "row+col": {"row": self.d_out, "col": self.d_in}}
        for name, size in sizes[gains].items():
            self.register_parameter(name, nn.Parameter(
                torch.full((size,), start, dtype=dtype, device=device)))

    def forward(self, direction: torch.Tensor) -> torch.Tensor:
        w = direction.reshape(self.d_out, self.d_in)
        if hasattr(self, "rank_a"):
            w = (1 + self.rank_a @ self.rank_b.T) * w
        if hasattr(self, "scalar"):
            w = self.to_gain(self.scalar) * w
        if hasattr(self, "row"):
            w = self.to_gain(self.row)[:, None] * w
        if hasattr(self, "col"):
            w = w * self.to_gain(self.col)[None, :]
        return w.reshape(self.shape)


@torch.no_grad()
def unit_rows_(weights) -> None:
    """Project every row (an embedding vector) onto the unit sphere, in place."""
    for w in weights:
        w.div_(w.norm(dim=1, keepdim=True).clamp(min=1e-30))


def project_unit_rows(optimizer, args, kwargs) -> None:
    """Step post-hook: re-project the "embedding" group (present when embeddings are held at
    unit norm) after every step. Keyed by name: checkpoints restore group names."""
    unit_rows_(p for g in optimizer.param_groups if g.get("name") == "embedding"
               for p in g["params"])


def apply_md(model: nn.Module, infos: list[ParamInfo], gains: str,
             parameterization: str, unit_embeddings: bool = False) -> list[ParamInfo]:
    """Reparameterize every non-output matrix in place; returns the new tensors' ParamInfos
    (directions keep their layer's kind and flags; gains are kind "gain"). With
    `unit_embeddings`, embedding vectors start on the unit sphere.

    A rank-k gain's factors `rank_a`, `rank_b` are kind "gain" as well (the optimizer steps
    them at gains_lr; value_min/max are logged for them) but are not gains themselves: readers
    of gain values take only the `scalar` / `row` / `col` tensors (GAIN_TENSORS)."""
    modules = dict(model.named_modules())
    by_name = {i.name: i for i in infos}
    params = dict(model.named_parameters())
    if unit_embeddings:
        unit_rows_(params[i.name] for i in infos if i.kind == "embedding")
    for info in infos:
        module_name, _, pname = info.name.rpartition(".")
        if info.lmo == "spectral" and pname == "weight":
            module = modules[module_name]
            md = MDWeight(module.weight.shape, gains, parameterization,
                          module.weight.dtype, module.weight.device)
            parametrize.register_parametrization(module, "weight", md)
    out = []
    for name, _ in model.named_parameters():
        module_name, marker, rest = name.partition(".parametrizations.weight.")
        if not marker:
            out.append(by_name[name])
        elif rest == "original":  # the direction V: same layer, same flags
            out.append(replace(by_name[f"{module_name}.weight"], name=name))
        else:
            out.append(ParamInfo(name, "gain", normalized=False, decayed=False))
    return out


SPHERES = ("frobenius", "row", "col")


def sphere_norms(v: torch.Tensor, sphere: str) -> torch.Tensor:
    """The norms a sphere fixes, shaped to broadcast against the d_out × d_in view of `v`:
    one Frobenius norm, or one per row (dim 1 reduced) or per column (dim 0 reduced)."""
    if sphere == "frobenius":
        return v.norm()
    return v.reshape(v.shape[0], -1).norm(dim=1 if sphere == "row" else 0, keepdim=True)


class SphereDirection(torch.optim.Optimizer):
    """Direction step on the sphere: base proposal U, relative step lr·s, projection to R."""

    def __init__(self, params, lr: float, base: str = "adam", betas=(0.9, 0.999),
                 eps: float = 1e-8, momentum: float = 0.95, nesterov: bool = True,
                 ns_steps: int = 5, ns_method: str = "newton_schulz", adjust_lr: str = "none",
                 ns_dtype=None, sphere: str = "frobenius"):
        if base not in ("adam", "muon"):
            raise ValueError(f"base {base!r}; allowed: adam, muon")
        if sphere not in SPHERES:
            raise ValueError(f"sphere {sphere!r}; allowed: {', '.join(SPHERES)}")
        super().__init__(params, dict(lr=lr, base=base, betas=betas, eps=eps,
                                      momentum=momentum, nesterov=nesterov,
                                      ns_steps=ns_steps, ns_method=ns_method, adjust_lr=adjust_lr,
                                      ns_dtype=ns_dtype, sphere=sphere))
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p]["radius"] = sphere_norms(p.detach(), sphere)

    def _adam_proposal(self, group: dict, p: torch.Tensor) -> torch.Tensor:
        state, grad = self.state[p], p.grad
        b1, b2 = group["betas"]
        if "exp_avg" not in state:
            state["step"] = 0
            state["exp_avg"], state["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        state["exp_avg"].lerp_(grad, 1 - b1)
        state["exp_avg_sq"].mul_(b2).addcmul_(grad, grad, value=1 - b2)
        denom = (state["exp_avg_sq"] / (1 - b2**t)).sqrt_().add_(group["eps"])
        return state["exp_avg"] / (1 - b1**t) / denom

    def _proposals(self, group: dict, params: list[torch.Tensor]) -> list[torch.Tensor]:
        """The base optimizer's proposal U per parameter: Adam's, or Muon's polar factor of
        the (Nesterov) momentum, the group's same-shape matrices orthogonalized together."""
        if group["base"] == "adam":
            return [self._adam_proposal(group, p) for p in params]
        matrices = [momentum_matrix(self.state[p], p, group["momentum"], group["nesterov"])
                    for p in params]
        orthos = orthogonalize_all(matrices, group["ns_steps"], group.get("ns_method"),
                                   group["ns_dtype"])
        return [o.to(p.dtype).reshape(p.shape) for p, o in zip(params, orthos)]

    @torch.no_grad()
    def step(self, closure=None):
        loss = closure_loss(closure)
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            for p, proposal in zip(params, self._proposals(group, params)):
                d_out, d_in = p.shape[0], p[0].numel()
                relative = group["lr"] * SHAPE_FACTORS[group["adjust_lr"]](d_out, d_in)
                sphere = group.get("sphere", "frobenius")  # older checkpoints: Frobenius
                # d_out × d_in matrices (a copy for channels-last conv kernels: written back)
                v, u = p.reshape(d_out, d_in), proposal.reshape(d_out, d_in)
                step = u * (relative * sphere_norms(v, sphere)
                            / sphere_norms(u, sphere).clamp(min=1e-30))
                self.state[p]["relative_step"] = step.norm() / p.norm()  # = lr·s (Kosson Fig. 9)
                v = v - step
                v.mul_(self.state[p]["radius"] / sphere_norms(v, sphere).clamp(min=1e-30))
                p.copy_(v.reshape(p.shape))
        return loss
