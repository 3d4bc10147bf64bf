"""Which tensors are "normalized" and which are decayed: the parameter-group policy.

Normalized (Defazio §3): a weight whose output feeds a BatchNorm/LayerNorm/GroupNorm directly,
which makes the loss invariant to the weight's scale so that <g, w> = 0. We find them by
tracing one forward pass with hooks rather than trusting module names, so that any model
(ours or timm's) gets the same policy. Norm gains and biases are not decayed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

NORMS = (nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm, nn.RMSNorm)
WEIGHTED = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


@dataclass(frozen=True)
class ParamInfo:
    name: str
    kind: str  # conv | linear | norm | bias | other
    normalized: bool
    decayed: bool


def normalized_modules(model: nn.Module, example: torch.Tensor) -> set[str]:
    """Names of conv/linear modules whose output goes straight into a norm layer."""
    producers: dict[int, tuple[str, torch.Tensor]] = {}  # keeps outputs alive: ids stay unique
    found: set[str] = set()
    names = {m: n for n, m in model.named_modules()}

    def hook(module, inputs, output):
        if isinstance(module, NORMS) and inputs and id(inputs[0]) in producers:
            found.add(producers[id(inputs[0])][0])
        if isinstance(module, WEIGHTED):
            producers[id(output)] = (names[module], output)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, NORMS + WEIGHTED)]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(example)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return found


def classify(model: nn.Module, example: torch.Tensor) -> list[ParamInfo]:
    """One ParamInfo per parameter, in model order."""
    normalized = normalized_modules(model, example)
    infos = []
    for module_name, module in model.named_modules():
        for pname, _ in module.named_parameters(recurse=False):
            name = f"{module_name}.{pname}" if module_name else pname
            if isinstance(module, NORMS):
                kind = "norm"
            elif pname == "bias":
                kind = "bias"
            elif isinstance(module, WEIGHTED):
                kind = "conv" if isinstance(module, nn.modules.conv._ConvNd) else "linear"
            else:
                kind = "other"
            is_normalized = kind in ("conv", "linear") and module_name in normalized
            infos.append(ParamInfo(name, kind, is_normalized, kind in ("conv", "linear", "other")))
    return infos


def param_groups(model: nn.Module, infos: list[ParamInfo], lr: float, weight_decay: float):
    """Three groups: normalized weights, other decayed weights, and undecayed gains/biases."""
    params = dict(model.named_parameters())
    groups = {"normalized": [], "decayed": [], "no_decay": []}
    for info in infos:
        key = "normalized" if info.normalized else "decayed" if info.decayed else "no_decay"
        groups[key].append(params[info.name])
    return [
        {"name": key, "params": ps, "lr": lr, "max_lr": lr,
         "weight_decay": weight_decay if key != "no_decay" else 0.0,
         "normalized": key == "normalized"}
        for key, ps in groups.items() if ps
    ]
