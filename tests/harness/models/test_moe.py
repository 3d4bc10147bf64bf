"""The DeepSeekMoE-style GPT (harness/models/moe.py): routing, expert loads, one forward pass
against a float64 loop over tokens and experts written here, the balance loss against its
formula, gradients for experts that got no token, MD gains per expert matrix, and the training
loop backpropagating the balance loss without logging it."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

from harness.models import build_model
from harness.models.moe import MoE
from harness.optim import classify, reparameterize
from harness.run import train
from harness.sweep import RunConfig

WIDTH, ROUTED, SHARED, TOP_K = 16, 6, 1, 2


def moe(dtype=torch.float64, seed=0) -> MoE:
    torch.manual_seed(seed)
    layer = MoE(WIDTH, ROUTED, SHARED, TOP_K).to(dtype)
    for p in layer.parameters():  # larger than GPT's 0.02, so that routing is not uniform
        torch.nn.init.normal_(p, std=0.5)
    return layer


def swiglu(expert, x):
    """SwiGLU from its three matrices, one token at a time."""
    gate, up, down = expert.gate.weight, expert.up.weight, expert.down.weight
    return down @ (F.silu(gate @ x) * (up @ x))


def test_routing_picks_top_k_distinct_experts_and_counts_their_load():
    layer, x = moe(), torch.randn(40, WIDTH, dtype=torch.float64)
    with torch.no_grad():
        scores, gates, chosen = layer.route(x)
    assert scores.sum(-1).tolist() == pytest.approx([1.0] * 40)
    for t in range(40):
        ranked = sorted(range(ROUTED), key=lambda i: -scores[t, i].item())
        assert set(chosen[t].tolist()) == set(ranked[:TOP_K])
        assert gates[t].tolist() == pytest.approx([scores[t, i].item() for i in chosen[t]])
    layer(x)
    counted = [sum(i in row for row in chosen.tolist()) for i in range(ROUTED)]
    assert layer.load.tolist() == counted
    assert sum(counted) == 40 * TOP_K
    assert len(set(counted)) > 1  # the routing is not trivially uniform here


def test_one_forward_pass_equals_a_float64_loop_over_tokens_and_experts():
    layer, x = moe(), torch.randn(2, 7, WIDTH, dtype=torch.float64)
    got = layer(x)
    with torch.no_grad():
        router = layer.router.weight
        want = torch.zeros_like(x)
        for b in range(2):
            for t in range(7):
                u = x[b, t]
                affinity = torch.softmax(router @ u, dim=0)
                top = affinity.argsort(descending=True)[:TOP_K]
                out = sum(swiglu(e, u) for e in layer.shared)
                for i in top.tolist():  # gates are the softmax affinities, not renormalized
                    out = out + affinity[i] * swiglu(layer.experts[i], u)
                want[b, t] = out
    assert got.shape == x.shape
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_balance_loss_is_deepseekmoe_formula_and_one_for_a_uniform_router():
    layer, x = moe(), torch.randn(30, WIDTH, dtype=torch.float64)
    layer(x)
    with torch.no_grad():
        scores, _, chosen = layer.route(x)
    f = [ROUTED / (TOP_K * 30) * (chosen == i).sum().item() for i in range(ROUTED)]
    p = scores.mean(0).tolist()
    assert layer.balance_loss.item() == pytest.approx(sum(a * b for a, b in zip(f, p)))
    with torch.no_grad():
        layer.router.weight.zero_()  # every affinity 1/N: f·P sums to exactly 1
    layer(x)
    assert layer.balance_loss.item() == pytest.approx(1.0)


def test_an_expert_without_tokens_still_gets_a_zero_gradient():
    layer = moe(dtype=torch.float32)
    with torch.no_grad():  # positive inputs, expert 0's router row negative: never chosen
        layer.router.weight.abs_()
        layer.router.weight[0] = -layer.router.weight[0]
    x = torch.rand(20, WIDTH)
    layer(x).square().sum().backward()
    assert layer.load[0].item() == 0
    for name, p in layer.named_parameters():
        assert p.grad is not None, name
    assert all(p.grad.abs().sum() == 0 for p in layer.experts[0].parameters())
    assert layer.experts[1].up.weight.grad.abs().sum() > 0 or layer.load[1] == 0


def test_md_gives_every_expert_matrix_its_own_row_and_column_gains():
    cfg = RunConfig(model="gpt", depth=1, width=32, dataset="stdlib_bytes", optimizer="muonmd",
                    lr=0.01, steps=1, moe_experts=4, moe_top_k=2)
    model = build_model("gpt", 1, 32, 256, 256, moe_experts=4, moe_top_k=2)
    reparameterize(model, classify(model, torch.randint(0, 256, (1, 8))), cfg)
    gains = {n for n, _ in model.named_parameters() if n.endswith((".row", ".col"))}
    for i in range(4):
        for matrix in ("gate", "up", "down"):
            stem = f"blocks.0.mlp.experts.{i}.{matrix}.parametrizations.weight.0"
            assert {f"{stem}.row", f"{stem}.col"} <= gains
    assert "blocks.0.mlp.router.parametrizations.weight.0.row" in gains


CFG = dict(model="gpt", depth=1, width=32, dataset="stdlib_bytes", seq_len=16, batch_size=4,
           steps=3, optimizer="adamw", lr=3e-3, seed=1, moe_experts=4, moe_top_k=2)


def test_training_backpropagates_the_balance_loss_and_logs_the_lm_loss(tmp_path):
    runs = {}
    for balance in (0.0, 1.0):
        out = tmp_path / str(balance)
        summary = train(RunConfig(**CFG, moe_balance=balance), out, progress=False)
        runs[balance] = summary, pd.read_parquet(out / "metrics.parquet")["loss"].to_numpy()
    (zero, zero_loss), (one, one_loss) = runs[0.0], runs[1.0]
    # step 0's logged loss is the LM loss from the same weights: equal; the balance gradient
    # then moves the weights elsewhere
    assert one_loss[0] == pytest.approx(zero_loss[0], rel=1e-6)
    assert one["param_checksum"] != pytest.approx(zero["param_checksum"], rel=1e-9)


def test_sweep_rejects_top_k_above_the_experts():
    with pytest.raises(ValueError, match="moe_top_k"):
        RunConfig(**{**CFG, "moe_top_k": 5})
    with pytest.raises(ValueError, match="moe_experts applies to model gpt"):
        RunConfig(**{**CFG, "model": "resnet", "dataset": "synthetic", "seq_len": None})
