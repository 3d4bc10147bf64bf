"""Model registry: name in a sweep file -> constructor(depth, width, in_channels, num_classes).

For token data `in_channels` and `num_classes` are both the vocabulary size."""

from __future__ import annotations

from .moe import gpt
from .ngpt import ngpt
from .resnet import resnet
from .vit import vit

MODELS = {"resnet": resnet, "gpt": gpt, "vit": vit, "ngpt": ngpt}
# Options (image side, patch, block variant) each constructor takes besides depth and width.
TAKES_OPTIONS = {"vit": ("image_size", "patch_size", "norm", "activation", "init"),
                 "gpt": ("variant", "block_output_scale", "tie_head", "separate_qkv",
                         "sqrt2_relu2", "moe_experts", "moe_shared", "moe_top_k",
                         "moe_balance")}


def build_model(name: str, depth: int, width: int, in_channels: int, num_classes: int,
                **options):
    """`options` (image_size, patch_size, norm, activation) reach only the models taking them."""
    if name not in MODELS:
        raise KeyError(f"unknown model {name!r}; allowed: {', '.join(MODELS)}")
    extra = {k: v for k, v in options.items() if k in TAKES_OPTIONS.get(name, ())}
    return MODELS[name](depth=depth, width=width, in_channels=in_channels,
                        num_classes=num_classes, **extra)


def model_for(cfg, channels: int, num_classes: int, image_size: int | None):
    """The model a RunConfig names, with its geometry and block variant."""
    return build_model(cfg.model, cfg.depth, cfg.width, channels, num_classes,
                       image_size=image_size, patch_size=cfg.patch_size, norm=cfg.vit_norm,
                       activation=cfg.vit_activation, variant=cfg.gpt_variant,
                       block_output_scale=cfg.block_output_scale, tie_head=cfg.tie_head,
                       separate_qkv=cfg.separate_qkv, sqrt2_relu2=cfg.sqrt2_relu2,
                       init=cfg.vit_init, moe_experts=cfg.moe_experts,
                       moe_shared=cfg.moe_shared, moe_top_k=cfg.moe_top_k,
                       moe_balance=cfg.moe_balance)


def count_parameters(cfg, active: bool = False) -> int:
    """Parameters of the model a RunConfig names, built on the meta device (no memory, no
    data): tied tensors once, MD gains included where the optimizer adds them later.
    `active`: a MoE's routed experts counted `moe_top_k` per block, as MoE papers count."""
    import torch

    from ..data import SHAPES, input_size

    channels, classes, native = SHAPES[cfg.dataset]
    with torch.device("meta"):
        model = model_for(cfg, channels, classes, input_size(cfg) or native)
    total = sum(p.numel() for p in model.parameters())
    if not (active and cfg.moe_experts):
        return total
    per_expert = sum(p.numel() for p in model.blocks[0].mlp.experts[0].parameters())
    return total - cfg.depth * (cfg.moe_experts - cfg.moe_top_k) * per_expert
