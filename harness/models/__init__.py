"""Model registry: name in a sweep file -> constructor(depth, width, in_channels, num_classes).

For token data `in_channels` and `num_classes` are both the vocabulary size."""

from __future__ import annotations

from .gpt import gpt
from .resnet import resnet

MODELS = {"resnet": resnet, "gpt": gpt}


def build_model(name: str, depth: int, width: int, in_channels: int, num_classes: int):
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; allowed: {', '.join(MODELS)}")
    return MODELS[name](depth=depth, width=width, in_channels=in_channels,
                        num_classes=num_classes)
