"""Model families build from (depth, width) and train through the loop."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from harness.optim import classify
from harness.run import train
from harness.sweep import RunConfig


@pytest.mark.parametrize("optimizer", ["adamw", "scionc"])
def test_simple_vit_builds_and_trains(tmp_path, optimizer):
    from harness.models import build_model

    model = build_model("vit", 2, 64, 3, 10, image_size=16, patch_size=4)
    assert not any("pos_embed" in n for n, _ in model.named_parameters())  # fixed sincos
    assert model.pos_embed.shape == (1, 16, 64)
    infos = {i.name: i for i in classify(model, torch.zeros(1, 3, 16, 16))}
    assert infos["head.weight"].output and infos["blocks.0.attn.qkv.weight"].normalized
    cfg = RunConfig(model="vit", depth=2, width=64, patch_size=4, dataset="synthetic",
                    batch_size=16, steps=4, optimizer=optimizer, lr=1e-3, momentum=0.9,
                    weight_decay=0.05, c2=1.0, schedule="cosine")
    train(cfg, tmp_path, progress=False)
    assert pd.read_parquet(tmp_path / "metrics.parquet")["loss"].notna().all()


def test_bf16_autocast_trains_and_keeps_fp32_weights(tmp_path):
    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", batch_size=16,
                    steps=3, optimizer="sgd", lr=0.1, precision="bf16")
    train(cfg, tmp_path, progress=False)
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    assert metrics["loss"].notna().all()
    fp32 = RunConfig(**{**cfg.model_dump(), "precision": "fp32"})
    train(fp32, tmp_path / "fp32", progress=False)
    other = pd.read_parquet(tmp_path / "fp32" / "metrics.parquet")
    # Same start, different arithmetic: close, not equal.
    assert metrics["loss"].iloc[0] == pytest.approx(other["loss"].iloc[0], rel=0.05)
    assert metrics["loss"].iloc[0] != other["loss"].iloc[0]


def test_cost_estimate_matches_the_6nd_rule_for_a_gpt():
    from harness.cost import run_cost
    from harness.models import build_model

    cfg = RunConfig(model="gpt", depth=4, width=256, dataset="fineweb_edu", seq_len=512,
                    batch_size=8, steps=1000, optimizer="adamw", lr=1e-3)
    cost = run_cost(cfg, gpu_tflops=100.0, mfu=0.5)
    model = build_model("gpt", 4, 256, 50304, 50304)
    non_embedding = sum(p.numel() for n, p in model.named_parameters() if "embed" not in n)
    tokens = 8 * 512 * 1000
    # 6·N·D counts matmul FLOPs of the weights; attention adds a little on top.
    assert 0.95 <= cost["pflops"] * 1e15 / (6 * non_embedding * tokens) < 1.3
    assert cost["gpu_hours"] == pytest.approx(cost["pflops"] * 1e15 / 50e12 / 3600)
