"""Scion/ScionC's decay options against float64 updates written from the equations: λ ∝ γ
(Chou Fig. 11) and `correct_output`, λ_t = λ_L·γ_t/γ_L on the output layer (Chou Fig. 12,
Alg. 2)."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError
from torch import nn

from harness.optim import build_optimizer, classify, schedule_groups
from harness.sweep import RunConfig, SweepError, expand

# the norm figures' sweep, where correct_output would be set
SWEEP = {"name": "norms", "model": "vit", "depth": 1, "width": 8, "dataset": "synthetic",
         "lr": 0.01, "weight_decay": 0.1, "momentum": 0.9, "schedule": "cosine", "steps": 100,
         "scales": {"smoke": {}}}


def test_lr_proportional_decay_is_exact_in_float64():
    from harness.optim.scion import Scion

    gen = torch.Generator().manual_seed(0)
    p = torch.nn.Parameter(torch.randn(5, 3, generator=gen, dtype=torch.float64))
    grads = [torch.randn(5, 3, generator=gen, dtype=torch.float64) for _ in range(3)]
    opt = Scion([{"params": [p], "lmo": "sign", "decay_per_lr": 4.0}], lr=0.02, momentum=0.7)
    w, m = p.detach().clone(), torch.zeros_like(p)
    for t, (g, lr) in enumerate(zip(grads, (0.02, 0.01, 0.005))):
        opt.param_groups[0].update(lr=lr, momentum=(0.7, 0.3, 0.0)[t])  # α moves; λ must not
        alpha = 1 - opt.param_groups[0]["momentum"]
        p.grad = g
        opt.step()
        m = (1 - alpha) * m + alpha * g
        w = w * (1 - lr * 4.0 * lr) + lr * (-torch.sign(m) / 3)
        assert torch.equal(p.detach(), w) or torch.allclose(p.detach(), w, rtol=0, atol=1e-15)
        assert opt.param_groups[0]["weight_decay"] == pytest.approx(4.0 * lr)


def tiny_scionc(correct_output: bool, lam_out: float = 0.004):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.Linear(8, 3))
    infos = classify(model, torch.randn(2, 4))
    cfg = RunConfig(model="vit", dataset="synthetic", optimizer="scionc", lr=0.01,
                    momentum=0.9, c2=1.0, output_lr=0.2, output_weight_decay=lam_out,
                    correct_output=correct_output, schedule="cosine", steps=11)
    return model, build_optimizer("scionc", model, infos, cfg), cfg


@pytest.mark.parametrize("correct_output", [True, False])
def test_correct_output_matches_a_float64_reference(correct_output):
    """Alg. 2 on the head (Sign) and its bias (Bias lmo), from the equations in float64: the
    first step has m = α·g; λ_t = λ_L·γ_t/γ_L when corrected, else λ_L."""
    model, opt, cfg = tiny_scionc(correct_output)
    head = model[2]
    for p in model.parameters():
        p.grad = torch.randn_like(p)
    before = {n: (p.detach().double().clone(), p.grad.double().clone())
              for n, p in (("w", head.weight), ("b", head.bias))}
    schedule_groups(opt, 5, 11, cfg, warmup=0)  # halfway down the cosine: γ_t = γ_L/2
    opt.step()
    alpha, gamma = 0.1, 0.2 * 0.5
    lam = 0.004 * 0.5 if correct_output else 0.004
    w, gw = before["w"]
    expected_w = w * (1 - gamma * lam) + gamma * (-torch.sign(alpha * gw) / 8)
    b, gb = before["b"]
    m = alpha * gb
    expected_b = b * (1 - gamma * lam) + gamma * (-m / torch.sqrt(torch.mean(m**2)))
    torch.testing.assert_close(head.weight.double(), expected_w, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(head.bias.double(), expected_b, rtol=1e-6, atol=1e-6)
    hidden = next(g for g in opt.param_groups if g["name"] == "spectral")
    assert hidden["weight_decay"] == pytest.approx((2 - alpha) / (2 * alpha) * 0.01 * 0.5)


def test_correct_output_is_refused_where_it_means_nothing(write_sweep):
    with pytest.raises(ValidationError, match="output_weight_decay"):
        tiny_scionc(True, lam_out=0.0)  # refused by RunConfig, not mid-sweep by the builder
    with pytest.raises(SweepError, match="correct_output"):
        expand(write_sweep({**SWEEP, "optimizer": "scion", "correct_output": True}), "smoke")
    assert RunConfig(model="vit", dataset="synthetic", optimizer="scionc", lr=0.01, c2=1.0,
                     steps=1).correct_output is False
