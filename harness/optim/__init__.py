"""Optimizer registry: name in a sweep file -> torch optimizer over parameter groups."""

from __future__ import annotations

from collections.abc import Callable

import torch

from .corrected import SGDC, AdamC
from .param_groups import ParamInfo, classify, param_groups
from .schedules import lr_factor

__all__ = ["OPTIMIZERS", "build_optimizer", "classify", "param_groups", "lr_factor", "ParamInfo"]


def _sgd(cls):
    def build(groups, cfg):
        return cls(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                   foreach=True)
    return build


def _adam(cls):
    def build(groups, cfg):
        # fused is only for accelerators in torch; foreach is the fast path on CPU.
        fast = {"fused": True} if groups and groups[0]["params"][0].is_cuda else {"foreach": True}
        return cls(groups, lr=cfg.lr, betas=(cfg.momentum, cfg.beta2),
                   weight_decay=cfg.weight_decay, **fast)
    return build


OPTIMIZERS: dict[str, Callable] = {
    "sgd": _sgd(torch.optim.SGD),
    "sgdc": _sgd(SGDC),
    "adamw": _adam(torch.optim.AdamW),
    "adamc": _adam(AdamC),
}


def build_optimizer(name: str, groups: list[dict], cfg) -> torch.optim.Optimizer:
    if name not in OPTIMIZERS:
        raise KeyError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](groups, cfg)
