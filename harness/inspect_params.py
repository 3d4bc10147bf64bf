"""`harness params`: every tensor of a sweep's model with the group policy applied to it."""

from __future__ import annotations

import torch

from .data import SHAPES, example_input, input_size
from .models import model_for
from .optim import build_optimizer, classify, reparameterize
from .sweep import Run
from .text_table import format_table  # noqa: F401 (harness params prints with it)


def describe(run: Run) -> list[dict]:
    """One row per parameter: shape, kind, normalized/decayed/output, its group's lr and λ."""
    cfg = run.config
    channels, classes, native = SHAPES[cfg.dataset]
    size = input_size(cfg)
    torch.manual_seed(cfg.seed)
    model = model_for(cfg, channels, classes, size or native)
    infos = reparameterize(model, classify(model, example_input(cfg.dataset, size)), cfg)
    optimizer = build_optimizer(cfg.optimizer, model, infos, cfg)
    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    params = dict(model.named_parameters())
    rows = []
    for info in infos:
        group = group_of[id(params[info.name])]
        rows.append({"tensor": info.name, "shape": "×".join(map(str, params[info.name].shape)),
                     "kind": info.kind, "normalized": info.normalized,
                     "decayed": group["weight_decay"] > 0 or bool(group.get("corrected")),
                     "output": info.output, "group": group.get("name", "-"),
                     "lr": group["lr"], "weight_decay": group["weight_decay"],
                     "lmo": group.get("lmo", "-"),
                     "corrected": bool(group.get("corrected") or (
                         group.get("normalized") and cfg.optimizer in ("sgdc", "adamc")))})
    return rows
