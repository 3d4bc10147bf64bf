"""Optimizer registry: a name in a sweep file -> an optimizer over the model's parameter groups.

Each builder takes (model, infos, cfg): the group policy (which tensors are normalized, which
is the output layer, which oracle Scion uses) comes from `classify`, the numbers from cfg.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from .corrected import SGDC, AdamC
from .md import SphereDirection, apply_md, project_unit_rows
from .muon import Combined, Muon
from .param_groups import ParamInfo, classify, param_groups, partition
from .renormalized import RenormalizedAdamW
from .schedules import lr_factor, momentum_matching
from .scion import Scion

__all__ = ["OPTIMIZERS", "build_optimizer", "classify", "effective_lr", "lr_factor",
           "param_groups", "ParamInfo", "reparameterize", "schedule_groups"]


def _fast(model) -> dict:
    # fused kernels exist for accelerators; foreach is torch's fast path on CPU.
    on_cuda = next(model.parameters()).is_cuda
    return {"fused": True} if on_cuda else {"foreach": True}


def _sgd(cls):
    def build(model, infos, cfg):
        return cls(param_groups(model, infos, cfg.lr, cfg.weight_decay), lr=cfg.lr,
                   momentum=cfg.momentum, weight_decay=cfg.weight_decay, **_fast(model))
    return build


def _adam(cls, fast=True):
    def build(model, infos, cfg):
        return cls(param_groups(model, infos, cfg.lr, cfg.weight_decay), lr=cfg.lr,
                   betas=(cfg.momentum, cfg.beta2), weight_decay=cfg.weight_decay,
                   **(_fast(model) if fast else {"foreach": True}))
    return build


def _scion(corrected: bool):
    """Hidden matrices: `hidden_lmo` (Spectral). The input/output layers ("io": embeddings,
    the output layer and its bias): `output_lmo` (Sign) at their own γ_L, λ_L, never corrected
    (Chou §3.2, App. D). Vectors: BiasRMS. ScionC corrects all but the io groups.
    `scion_output_bias: hidden` moves the output layer's bias to the hidden BiasRMS group, as
    Pethick et al.'s code does (its head bias falls to the 'Auto' group)."""
    def build(model, infos, cfg):
        def role(i):
            lmo = {"spectral": cfg.hidden_lmo, "sign": cfg.output_lmo}.get(i.lmo, i.lmo)
            io = (i.output and not (i.kind == "bias" and cfg.scion_output_bias == "hidden")
                  or i.kind == "embedding")
            return ("io_" if io else "") + lmo
        groups = []
        for name, params in partition(model, infos, role).items():
            io = name.startswith("io_")
            groups.append({
                "name": name, "params": params, "lmo": name.removeprefix("io_"),
                "lr": (cfg.output_lr or cfg.lr) if io else cfg.lr,
                "weight_decay": (cfg.output_weight_decay if io and
                                 cfg.output_weight_decay is not None else cfg.weight_decay),
                "corrected": corrected and not io, "normalized": name == cfg.hidden_lmo})
            if corrected and not io and cfg.scionc_decay == "lr_proportional":
                # Chou Fig. 11 exp. 3: λ_t = λ·γ_t/γ (λ = weight_decay at the peak γ), α ignored.
                groups[-1].update(corrected=False, decay_per_lr=cfg.weight_decay / cfg.lr)
            if corrected and io and cfg.correct_output:
                # Chou Fig. 12: the io layers' λ ∝ γ too, starting from their λ_L: the C² for
                # which λ_0 = (2−α)/(2α·C²)·γ_L equals λ_L (scheduled like the others' C²).
                # (λ_L > 0 is checked by RunConfig, before any run starts.)
                g, alpha = groups[-1], 1.0 - cfg.momentum
                g.update(corrected=True, c2=(2 - alpha) * g["lr"] / (2 * alpha * g["weight_decay"]))
        return Scion(groups, lr=cfg.lr, momentum=cfg.momentum, c2=cfg.c2,
                     ns_steps=cfg.ns_steps, ns_method=cfg.ns_method)
    return build


def _muon(model, infos, cfg):
    """Muon on hidden matrices (conv kernels included); AdamW on the output layer and the
    embeddings (decayed) and on gains/biases (not decayed), at `adam_lr`."""
    roles = partition(model, infos, lambda i: "output" if i.output or i.kind == "embedding"
                      else "matrix" if i.decayed else "vector")
    parts = []
    if "matrix" in roles:
        parts.append(Muon([{"name": "matrix", "params": roles["matrix"], "max_lr": cfg.lr,
                           "normalized": True}],
                          lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                          ns_steps=cfg.ns_steps, ns_method=cfg.ns_method,
                          adjust_lr=cfg.muon_adjust_lr))
    adam_lr = cfg.adam_lr or cfg.lr
    adam_groups = [{"name": role, "params": roles[role], "lr": adam_lr, "max_lr": adam_lr,
                    "weight_decay": cfg.weight_decay if role == "output" else 0.0,
                    "normalized": False} for role in ("output", "vector") if role in roles]
    if adam_groups:
        parts.append(torch.optim.AdamW(adam_groups, lr=adam_lr,
                                       betas=(cfg.adam_beta1, cfg.beta2), **_fast(model)))
    return Combined(*parts)


def _md(base: str):
    """AdamMD / MuonMD: directions on the sphere, gains under Adam at `gains_lr`, everything
    else under AdamW at `adam_lr`; no weight decay (the model was reparameterized first)."""
    def build(model, infos, cfg):
        unit = cfg.md_embeddings == "unit"

        def role(i):
            if i.kind == "gain" or (unit and i.kind == "embedding"):
                return i.kind
            return "direction" if i.name.endswith(".parametrizations.weight.original") \
                else "other"
        roles = partition(model, infos, role)
        parts = [SphereDirection(
            [{"name": "direction", "params": roles.get("direction", []), "max_lr": cfg.lr,
              "normalized": True, "weight_decay": 0.0}], lr=cfg.lr, base=base,
            betas=(cfg.momentum, cfg.beta2), momentum=cfg.momentum, ns_steps=cfg.ns_steps,
            ns_method=cfg.ns_method, adjust_lr=cfg.muon_adjust_lr if base == "muon" else "none",
            sphere=cfg.md_sphere)]
        adam_lr = cfg.adam_lr or cfg.lr
        gains_lr = cfg.gains_lr or adam_lr
        adam_groups = [{"name": role, "params": roles[role], "lr": lr, "max_lr": lr,
                        "weight_decay": 0.0, "normalized": False}
                       for role, lr in (("gain", gains_lr), ("embedding", adam_lr),
                                        ("other", adam_lr)) if role in roles]
        if adam_groups:
            adam = torch.optim.AdamW(adam_groups, lr=adam_lr, weight_decay=0.0,
                                     betas=(cfg.adam_beta1, cfg.beta2), **_fast(model))
            adam.register_step_post_hook(project_unit_rows)
            parts.append(adam)
        return Combined(*parts)
    return build


OPTIMIZERS: dict[str, Callable] = {
    "sgd": _sgd(torch.optim.SGD),
    "sgdc": _sgd(SGDC),
    "adamw": _adam(torch.optim.AdamW),
    "adamc": _adam(AdamC),
    "renormalized_adamw": _adam(RenormalizedAdamW, fast=False),
    "scion": _scion(corrected=False),
    "scionc": _scion(corrected=True),
    "muon": _muon,
    "adammd": _md("adam"),
    "muonmd": _md("muon"),
}


def reparameterize(model, infos: list[ParamInfo], cfg) -> list[ParamInfo]:
    """MD optimizers need the model factorized before they are built; others leave it be."""
    if cfg.optimizer in ("adammd", "muonmd"):
        return apply_md(model, infos, cfg.gains, cfg.gain_param,
                        unit_embeddings=cfg.md_embeddings == "unit")
    return infos


def build_optimizer(name: str, model, infos: list[ParamInfo], cfg):
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](model, infos, cfg)


# momentum_schedule -> the exponent e of the γ·((2−α)/α)^e it holds on the lr schedule.
MATCHED_EXPONENT = {"match_effective_lr": 0.5, "match_effective_lr_no_sqrt": 1.0}


def schedule_groups(optimizer, step: int, total: int, cfg, warmup: int) -> None:
    """Set this step's lr (and ScionC's C², Scion's momentum) on every group, torch-style,
    before `step()`."""
    factor = lr_factor(step, total, cfg.schedule, warmup, cfg.final_lr_fraction,
                       cfg.decay_fraction, cfg.milestones, cfg.step_factor)
    momentum = None
    if cfg.momentum_schedule != "constant" and step >= warmup:
        alpha0, alpha_max = 1.0 - cfg.momentum, 1.0 - cfg.momentum_final
        if cfg.momentum_schedule == "linear":  # α ramps on top of the lr schedule (Fig. 11)
            alpha = alpha_max + (alpha0 - alpha_max) * lr_factor(step, total, "linear", warmup)
        else:
            # The lr schedule becomes the *effective* lr's; α rises first, then γ falls (Chou
            # Fig. 3), matching γ·√((2−α)/α) or, erroneously, γ·(2−α)/α (Figs. 9–10).
            alpha, factor = momentum_matching(factor, alpha0, alpha_max, MATCHED_EXPONENT[
                cfg.momentum_schedule])
        momentum = 1.0 - alpha
    c2_factor = lr_factor(step, total, "cosine", 0, cfg.c2_final_fraction)
    for group in optimizer.param_groups:
        group["lr"] = group["max_lr"] * factor
        if momentum is not None:
            group["momentum"] = momentum
        if group.get("c2_max"):
            group["c2"] = group["c2_max"] * c2_factor


def effective_lr(optimizer: str, lr: float, momentum: float) -> float:
    """The step size the steady state sees: γ/(1−β) for SGD with momentum (Defazio §3.1),
    γ·√((2−α)/α) with α = 1 − momentum for Scion (Chou eq. 3), γ otherwise."""
    if optimizer in ("sgd", "sgdc"):
        return lr / (1.0 - momentum)
    if optimizer in ("scion", "scionc"):
        alpha = 1.0 - momentum
        return lr * math.sqrt((2.0 - alpha) / alpha)
    return lr
