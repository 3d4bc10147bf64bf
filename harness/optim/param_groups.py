"""Which tensors are "normalized" and which are decayed: the parameter-group policy.

Normalized (Defazio §3): a weight whose output feeds a BatchNorm/LayerNorm/GroupNorm directly,
which makes the loss invariant to the weight's scale so that <g, w> = 0. The output layer is
the weight whose output is the model's output (Chou App. D treats it apart). We find both by
tracing one forward pass with hooks rather than trusting module names, so that any model
(ours or timm's) gets the same policy. Norm gains and biases are not decayed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
    output: bool = False
    lmo: str = "bias_rms"  # Scion's oracle: spectral (hidden matrices), sign (output), bias_rms


def trace_roles(model: nn.Module, example: torch.Tensor) -> tuple[set[str], str | None]:
    """(names of conv/linear modules feeding a norm layer directly, name of the output layer)."""
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
            result = model(example)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    # a model whose logits are its head's output times something names its head itself
    output = getattr(model, "output_layer", None) or producers.get(id(result), (None,))[0]
    return found, output


def classify(model: nn.Module, example: torch.Tensor) -> list[ParamInfo]:
    """One ParamInfo per parameter, in model order.

    A model may set `hidden_linears_are_normalized = True` (transformers, Defazio §6): then
    every linear weight but the output layer counts as normalized."""
    normalized, output = trace_roles(model, example)
    all_hidden = getattr(model, "hidden_linears_are_normalized", False)
    infos, seen = [], {}  # id(tensor) -> index in infos: a tied tensor is listed once
    for module_name, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            name = f"{module_name}.{pname}" if module_name else pname
            if id(p) in seen:  # e.g. a head tied to the embedding: one tensor, both roles
                i = seen[id(p)]
                infos[i] = replace(infos[i], output=infos[i].output or module_name == output)
                continue
            seen[id(p)] = len(infos)
            if isinstance(module, NORMS):
                kind = "norm"
            elif pname == "bias":
                kind = "bias"
            elif isinstance(module, nn.Embedding):
                kind = "embedding"
            elif isinstance(module, WEIGHTED):
                kind = "conv" if isinstance(module, nn.modules.conv._ConvNd) else "linear"
            else:
                kind = "other"
            is_matrix = kind in ("conv", "linear", "embedding") or (kind == "other" and
                                                                     p.ndim >= 2)
            is_output = module_name == output and kind in ("conv", "linear", "bias")
            is_normalized = is_matrix and not is_output and kind != "embedding" and (
                module_name in normalized or (all_hidden and kind == "linear"))
            # Scion's oracles: Sign for the output layer and embeddings (Chou §3.2),
            # Spectral for hidden matrices, BiasRMS for vectors.
            lmo = ("sign" if is_output or kind == "embedding" else "spectral") if is_matrix \
                else "bias_rms"
            infos.append(ParamInfo(name, kind, normalized=is_normalized, decayed=is_matrix,
                                   output=is_output, lmo=lmo))
    return infos


def partition(model: nn.Module, infos: list[ParamInfo], key) -> dict[str, list]:
    """Parameters grouped by `key(info)`, groups and members in model order."""
    params = dict(model.named_parameters())
    groups: dict[str, list] = {}
    for info in infos:
        groups.setdefault(key(info), []).append(params[info.name])
    return groups


def param_groups(model: nn.Module, infos: list[ParamInfo], lr: float, weight_decay: float):
    """SGD/Adam families: normalized weights, other decayed weights, undecayed gains/biases."""
    groups = partition(model, infos, lambda i: "normalized" if i.normalized
                       else "decayed" if i.decayed else "no_decay")
    return [{"name": key, "params": ps, "lr": lr, "max_lr": lr,
             "weight_decay": weight_decay if key != "no_decay" else 0.0,
             "normalized": key == "normalized"}
            for key, ps in sorted(groups.items(), key=lambda kv: _ORDER.index(kv[0]))]


_ORDER = ["normalized", "decayed", "no_decay"]
