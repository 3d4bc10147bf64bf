"""Paper-scale models have the papers' sizes: every paper-scale sweep states the paper's
parameter count (`paper_params`, with its source), and its model, built on the meta device,
is within ±5 % of it. Plus the variants that make them so, against plain references."""

from __future__ import annotations

import glob
import math

import pytest
import torch
from conftest import REPO

from harness.models import build_model, count_parameters
from harness.models.gpt import ReLU2
from harness.sweep import expand, load_sweep

PAPER_SWEEPS = sorted(p for p in glob.glob(str(REPO / "experiments" / "*" / "*.yaml"))
                      if "paper" in (load_sweep(p).get("scales") or {})
                      and load_sweep(p).get("kind") != "simulation")
SIZE_KEYS = ("model", "depth", "width", "dataset", "patch_size", "gpt_variant", "vit_norm",
             "tie_head", "separate_qkv", "image_size", "moe_experts", "moe_shared", "moe_top_k")


def test_every_paper_sweep_is_checked():
    assert len(PAPER_SWEEPS) >= 30


@pytest.mark.parametrize("path", PAPER_SWEEPS, ids=lambda p: p.split("experiments/")[1])
def test_paper_scale_model_has_the_papers_parameter_count(path):
    sweep = load_sweep(path)
    assert "paper_params" in sweep, f"{path}: state the paper's parameter count (paper_params)"
    sizes = {}
    for run in expand(sweep, "paper"):
        key = tuple(getattr(run.config, k) for k in SIZE_KEYS)
        if key not in sizes:
            # MoE papers give active parameters (Kosson Fig. 11: "270M–810M active")
            sizes[key] = count_parameters(run.config, active=bool(run.config.moe_experts))
    # Size sweeps (Kosson Figs. 7, 16) hold the paper's base size among their runs.
    closest = min(sizes.values(), key=lambda n: abs(n / sweep["paper_params"] - 1))
    assert closest == pytest.approx(sweep["paper_params"], rel=0.05), sizes


def test_separate_qkv_equals_the_fused_matrix_split_in_three():
    torch.manual_seed(0)
    fused = build_model("gpt", 2, 64, 97, 97).double()
    split = build_model("gpt", 2, 64, 97, 97, separate_qkv=True).double()
    state = fused.state_dict()
    for name in list(state):
        if name.endswith("attn.qkv.weight"):
            q, k, v = state.pop(name).chunk(3)
            prefix = name.removesuffix("qkv.weight")
            state.update({prefix + "q.weight": q, prefix + "k.weight": k,
                          prefix + "v.weight": v})
    split.load_state_dict(state)
    tokens = torch.randint(0, 97, (2, 11))
    assert torch.allclose(split(tokens), fused(tokens), rtol=0, atol=1e-12)


def test_sqrt2_relu2_is_the_square_of_sqrt2_times_relu():
    torch.manual_seed(1)
    mlp = ReLU2(5, 7, sqrt2=True).double()
    x = torch.randn(3, 5, dtype=torch.float64)
    want = mlp.down((math.sqrt(2) * torch.relu(mlp.up(x))) ** 2)
    assert torch.allclose(mlp(x), want, rtol=0, atol=1e-12)


def test_tied_head_is_the_embedding():
    model = build_model("gpt", 12, 768, 50304, 50304, tie_head=True)
    assert model.head.weight is model.embed.weight
    assert sum(p.numel() for p in model.parameters()) == 123_587_328
