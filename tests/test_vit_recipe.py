"""Beyer et al.'s ViT recipe as Chou et al. inherit it (big_vision `vit_s16_i1k`): jax-style
init with a zero head, global gradient-norm clipping at 1.0, and Pethick et al.'s gain-free
RMSNorm for the Scion ViT."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from harness.models import build_model
from harness.run import train
from harness.sweep import RunConfig


def test_jax_init_zeroes_the_head_and_uses_xavier_kernels():
    torch.manual_seed(0)
    model = build_model("vit", 2, 64, 3, 10, image_size=32, patch_size=8, init="jax")
    assert torch.count_nonzero(model.head.weight) == 0 and torch.count_nonzero(model.head.bias) == 0
    fc1 = model.blocks[0].mlp.fc1
    bound = (6 / (fc1.in_features + fc1.out_features)) ** 0.5  # xavier_uniform
    assert fc1.weight.abs().max() <= bound and fc1.weight.abs().max() > 0.9 * bound
    assert 0 < fc1.bias.abs().max() < 1e-4  # normal(std 1e-6)
    timm_default = build_model("vit", 2, 64, 3, 10, image_size=32, patch_size=8)
    assert torch.count_nonzero(timm_default.head.weight) > 0


def test_gain_free_rmsnorm_has_no_parameters_and_normalizes():
    model = build_model("vit", 1, 64, 3, 10, image_size=32, patch_size=8,
                        norm="rmsnorm_nogain")
    norm = model.blocks[0].norm1
    assert not list(norm.parameters())
    x = torch.randn(2, 5, 64)
    assert torch.allclose(norm(x), F.rms_norm(x, (64,), eps=1e-6))


def test_gradients_are_clipped_to_the_global_norm_after_being_logged(tmp_path):
    cfg = RunConfig(model="vit", depth=1, width=32, patch_size=8, image_size=16,
                    dataset="synthetic", batch_size=16, steps=2, optimizer="sgd", lr=1.0,
                    grad_clip_norm=1e-3)
    train(cfg, tmp_path / "run", progress=False)
    layers = pd.read_parquet(tmp_path / "run" / "layers.parquet")
    first = layers[layers["step"] == 0]
    assert (first["grad_norm"] ** 2).sum() ** 0.5 > 1e-2  # the logged gradient is the raw one
    # plain SGD at lr 1: the update is the clipped gradient, of global norm 1e-3
    assert (first["update_norm"] ** 2).sum() ** 0.5 == pytest.approx(1e-3, rel=1e-4)


def test_minival_holdout_leaves_a_spread_share_of_train_out(tmp_path):
    from test_recipes import _image_folder

    from harness.data import build_dataset

    root = _image_folder(tmp_path, classes=2, per_class=6)
    full = build_dataset("imagenet", root, 16)
    kept = build_dataset("imagenet", root, 16, holdout=0.25)
    assert len(full.train) == 12 and len(kept.train) == 9 and kept.num_classes == 2
    labels = [kept.train.dataset.targets[i] for i in kept.train.indices]
    assert labels.count(0) in (4, 5) and labels.count(1) in (4, 5)  # both classes give some
    assert len(kept.test) == len(full.test)  # evaluation stays on val
