"""Simple ViT after Beyer et al. 2022 ("Better plain ViT baselines"), built with timm: fixed 2-D
sin-cos position embedding, no class token, global average pooling. ViT-S/16 is width 384,
depth 12 (6 heads); the mini scale shrinks width, depth and patch size on the same code.

Chou et al. (2025, §3.2) train Scion on a variant with RMSNorm and √2·GELU (the factor keeps
activations at unit scale, which the Scion norms assume): `norm="rmsnorm"`,
`activation="sqrt2_gelu"` (`norm="rmsnorm_nogain"`: without gains, as Pethick et al.'s code).
"""

from __future__ import annotations

import math
from functools import partial

import torch
import torch.nn.functional as F
from timm.layers.pos_embed_sincos import build_sincos2d_pos_embed
from timm.models.vision_transformer import VisionTransformer
from torch import nn


class Sqrt2GELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return math.sqrt(2.0) * F.gelu(x)


NORMS = {"layernorm": partial(nn.LayerNorm, eps=1e-6), "rmsnorm": partial(nn.RMSNorm, eps=1e-6),
         # Pethick et al.'s Scion ViT: `F.rms_norm(x, (x.size(-1),))`, no gains
         "rmsnorm_nogain": partial(nn.RMSNorm, eps=1e-6, elementwise_affine=False)}
ACTIVATIONS = {"gelu": nn.GELU, "sqrt2_gelu": Sqrt2GELU}


def vit(depth: int, width: int, in_channels: int = 3, num_classes: int = 1000,
        image_size: int = 224, patch_size: int = 16, norm: str = "layernorm",
        activation: str = "gelu", init: str = "timm") -> VisionTransformer:
    """`init="jax"`: big_vision's init as timm reproduces it (xavier-uniform kernels, MLP
    biases ~ N(0, 1e-6), LeCun-normal patch embedding, zero head); "timm": timm's default."""
    if image_size % patch_size:
        raise ValueError(f"vit: image size {image_size} is not a multiple of patch {patch_size}")
    model = VisionTransformer(
        img_size=image_size, patch_size=patch_size, in_chans=in_channels,
        num_classes=num_classes, embed_dim=width, depth=depth, num_heads=max(width // 64, 1),
        class_token=False, global_pool="avg", pos_embed="learn",
        norm_layer=NORMS[norm], act_layer=ACTIVATIONS[activation],
        weight_init="jax" if init == "jax" else "")
    grid = image_size // patch_size
    # Fixed, not learned: replace timm's parameter by a buffer of the same shape.
    del model.pos_embed
    model.register_buffer("pos_embed", build_sincos2d_pos_embed([grid, grid], width)[None])
    # Pre-norm transformer: every linear layer but the head counts as normalized (Defazio §6).
    model.hidden_linears_are_normalized = True
    return model
