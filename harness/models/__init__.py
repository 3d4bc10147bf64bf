"""Model registry: name in a sweep file -> constructor(depth, width, in_channels, num_classes).

For token data `in_channels` and `num_classes` are both the vocabulary size."""

from __future__ import annotations

from .gpt import gpt
from .resnet import resnet
from .vit import vit

MODELS = {"resnet": resnet, "gpt": gpt, "vit": vit}
# Constructors that need the input geometry (image side, patch) besides depth and width.
NEEDS_GEOMETRY = {"vit"}


def build_model(name: str, depth: int, width: int, in_channels: int, num_classes: int,
                **geometry):
    """`geometry` (image_size, patch_size) reaches only the models that need it."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; allowed: {', '.join(MODELS)}")
    extra = geometry if name in NEEDS_GEOMETRY else {}
    return MODELS[name](depth=depth, width=width, in_channels=in_channels,
                        num_classes=num_classes, **extra)
