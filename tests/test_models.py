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


def test_modded_nanogpt_variant_ties_the_head_and_scion_treats_it_as_sign():
    from harness.models import build_model
    from harness.optim import build_optimizer
    from harness.sweep import RunConfig

    model = build_model("gpt", 2, 256, 256, 256, variant="modded")
    assert model.head.weight is model.embed.weight  # tied: one matrix
    assert model.blocks[0].attn.heads == 2  # heads of 128 channels
    assert torch.count_nonzero(model.blocks[0].mlp.down.weight) == 0  # blocks start as identity
    assert not any("norm" in n for n, _ in model.named_parameters())  # RMSNorm without gains
    tokens = torch.randint(0, 256, (2, 16))
    infos = {i.name: i for i in classify(model, tokens)}
    assert "head.weight" not in infos  # listed once, with both roles
    assert infos["embed.weight"].kind == "embedding" and infos["embed.weight"].output
    cfg = RunConfig(model="gpt", depth=2, width=256, dataset="stdlib_bytes", steps=3,
                    optimizer="scion", lr=0.01, momentum=0.9, gpt_variant="modded")
    opt = build_optimizer("scion", model, list(infos.values()), cfg)
    group = next(g for g in opt.param_groups if any(p is model.embed.weight for p in g["params"]))
    assert group["name"] == "io_sign"


def test_modded_variant_trains_through_the_loop(tmp_path):
    cfg = RunConfig(model="gpt", depth=1, width=128, dataset="stdlib_bytes", seq_len=16,
                    batch_size=4, steps=3, optimizer="scionc", lr=0.01, momentum=0.9, c2=1.0,
                    output_lr=0.2, gpt_variant="modded")
    train(cfg, tmp_path, progress=False)
    assert pd.read_parquet(tmp_path / "metrics.parquet")["loss"].notna().all()


def test_paper_resnet50_is_torchvisions_and_its_convs_are_normalized():
    import torchvision

    from harness.models import build_model

    with torch.device("meta"):
        model = build_model("resnet", 50, 64, 3, 1000)
    assert type(model) is torchvision.models.ResNet
    assert sum(p.numel() for p in model.parameters()) == 25_557_032
    infos = classify(model, torch.zeros(1, 3, 64, 64, device="meta"))
    convs = [i for i in infos if i.kind == "conv"]
    assert len(convs) == 53 and all(i.normalized for i in convs)
    assert next(i for i in infos if i.name == "fc.weight").output
