"""MD decoupling against the spec: fused weight, chain rule, sphere, relative update = lr."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import step_through
from torch import nn

from harness.optim.md import (
    GAIN_MODES,
    GAIN_PARAMETERIZATIONS,
    GAIN_TENSORS,
    RANK_GAINS,
    SphereDirection,
    apply_md,
)
from harness.optim.param_groups import classify
from harness.optim.reference import adam_md_reference, muon_md_reference


def _layer(gains="row+col", parameterization="softplus", shape=(5, 3, 2, 2)):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(shape[1], shape[0], shape[2], bias=False),
                          nn.BatchNorm2d(shape[0]), nn.Flatten(), nn.LazyLinear(2))
    example = torch.randn(2, shape[1], 4, 4)
    model(example)
    model = model.double()
    before = model[0].weight.detach().clone()
    infos = apply_md(model, classify(model, example.double()), gains, parameterization)
    return model, infos, before


@pytest.mark.parametrize("gains", GAIN_MODES)
@pytest.mark.parametrize("parameterization", sorted(GAIN_PARAMETERIZATIONS))
def test_gains_start_at_one_and_leave_the_weight_unchanged(gains, parameterization):
    model, infos, before = _layer(gains, parameterization)
    torch.testing.assert_close(model[0].weight, before, rtol=1e-12, atol=1e-12)
    names = {i.name: i for i in infos}
    direction = names["0.parametrizations.weight.original"]
    assert direction.normalized and direction.kind == "conv"
    gain_names = {n.rsplit(".", 1)[1] for n, i in names.items() if i.kind == "gain"}
    assert gain_names == {"none": set(), "scalar": {"scalar"}, "row": {"row"}, "col": {"col"},
                          "row+col": {"row", "col"}}[gains]
    assert not any(i.output for i in infos if i.kind == "gain")
    assert "3.weight" in names  # the output head stays an ordinary parameter


def test_fused_weight_and_chain_rule_match_autograd_in_float64():
    model, _, _ = _layer("row+col", "softplus")
    md = model[0].parametrizations.weight
    with torch.no_grad():
        md[0].row.uniform_(-1, 1)
        md[0].col.uniform_(-1, 1)
        md.original.mul_(1.3)
    v = md.original.reshape(5, -1)
    g_row, g_col = F.softplus(md[0].row), F.softplus(md[0].col)
    torch.testing.assert_close(model[0].weight.reshape(5, -1),
                               g_row[:, None] * v * g_col[None, :], rtol=1e-12, atol=1e-12)

    x = torch.randn(4, 3, 4, 4, dtype=torch.float64)
    w = model[0].weight.detach().clone().requires_grad_(True)
    (F.conv2d(x, w) ** 2).sum().backward()
    grad_w = w.grad.reshape(5, -1)  # dL/dW, then the chain rule by hand:
    want_v = g_row[:, None] * grad_w * g_col[None, :]
    want_row = (grad_w * v * g_col[None, :]).sum(1) * torch.sigmoid(md[0].row)
    want_col = (grad_w * v * g_row[:, None]).sum(0) * torch.sigmoid(md[0].col)
    (model[0](x) ** 2).sum().backward()
    torch.testing.assert_close(md.original.grad.reshape(5, -1), want_v.detach())
    torch.testing.assert_close(md[0].row.grad, want_row.detach())
    torch.testing.assert_close(md[0].col.grad, want_col.detach())


def test_adam_md_direction_matches_the_reference_and_its_relative_step_is_the_lr():
    g = torch.Generator().manual_seed(1)
    v0 = torch.randn(6, 4, generator=g, dtype=torch.float64)
    grads = [torch.randn(6, 4, generator=g, dtype=torch.float64) for _ in range(25)]
    lrs = [0.05 * (1 - t / 30) for t in range(25)]
    p = nn.Parameter(v0.clone())
    opt = SphereDirection([p], lr=lrs[0], base="adam")
    for grad, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = grad
        opt.step()
        # the implementation's own step, before projection: exactly the lr (Kosson Fig. 9)
        assert opt.state[p]["relative_step"].item() == pytest.approx(lr, rel=1e-12)
    want, relative = adam_md_reference(v0, grads, lrs)
    torch.testing.assert_close(p.detach(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("base", ["adam", "muon"])
def test_direction_stays_on_the_sphere_for_100_steps(base):
    g = torch.Generator().manual_seed(2)
    p = nn.Parameter(torch.randn(16, 8, generator=g))
    radius = p.detach().norm().item()
    opt = SphereDirection([p], lr=0.1, base=base)
    for _ in range(100):
        p.grad = torch.randn(16, 8, generator=g)
        opt.step()
    assert p.detach().norm().item() == pytest.approx(radius, rel=1e-6)


@pytest.mark.parametrize("adjust", ["original", "spectral_unclamped", "none"])
def test_muon_md_matches_a_float64_reference_on_a_wide_matrix(adjust):
    mu, shape = 0.95, (3, 12)  # wide: "original" (factor 1) and "spectral_unclamped" differ
    factor = {"original": 1.0, "spectral_unclamped": math.sqrt(3 / 12), "none": 1.0}[adjust]
    g = torch.Generator().manual_seed(3)
    v0 = torch.randn(shape, generator=g, dtype=torch.float64)
    grads = [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(20)]
    lrs = [0.03 * (1 - t / 25) for t in range(20)]
    p = nn.Parameter(v0.clone())
    opt = SphereDirection([p], lr=lrs[0], base="muon", momentum=mu, adjust_lr=adjust)
    step_through(opt, p, grads, lrs, factor)
    want = muon_md_reference(v0, grads, lrs, mu, factor)
    torch.testing.assert_close(p.detach(), want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("md_embeddings", ["unit", "free"])
def test_embedding_vectors_stay_on_the_unit_sphere(md_embeddings):
    from harness.models import build_model
    from harness.optim import build_optimizer, reparameterize
    from harness.sweep import RunConfig

    torch.manual_seed(0)
    cfg = RunConfig(model="gpt", depth=1, width=16, dataset="stdlib_bytes", seq_len=8,
                    steps=10, optimizer="adammd", lr=0.05, md_embeddings=md_embeddings)
    model = build_model("gpt", 1, 16, 256, 256)
    tokens = torch.randint(0, 256, (4, 9))
    infos = reparameterize(model, classify(model, tokens[:, :-1]), cfg)
    emb = next(p for n, p in model.named_parameters()
               if next(i for i in infos if i.name == n).kind == "embedding")
    start = emb.detach().clone()
    opt = build_optimizer("adammd", model, infos, cfg)
    for _ in range(10):
        logits = model(tokens[:, :-1])
        F.cross_entropy(logits.reshape(-1, 256), tokens[:, 1:].reshape(-1)).backward()
        opt.step()
        opt.zero_grad()
    norms = emb.detach().norm(dim=1)
    assert not torch.allclose(emb, start)  # it trained
    if md_embeddings == "unit":
        torch.testing.assert_close(norms, torch.ones_like(norms), rtol=0, atol=1e-6)
    else:
        assert (norms - 1).abs().max() > 0.1  # default init is not unit-norm


def test_gain_tensor_names_separate_gains_from_rank_factors():
    """Every gain mode's tensors are GAIN_TENSORS (read through gain_param by Fig. 18's
    analysis); a rank gain's factors are kind "gain" for the optimizer but not among them,
    and analysis (torch-free) keeps its own copy of the names and the parameterizations."""
    import numpy as np

    from analysis.kosson2026 import figure_18 as kosson_figure_18

    for gains in (*GAIN_MODES, *RANK_GAINS):
        _, infos, _ = _layer(gains)
        tails = {i.name.rsplit(".", 1)[1] for i in infos if i.kind == "gain"}
        assert (tails <= set(GAIN_TENSORS)) is (gains not in RANK_GAINS), (gains, tails)
        if gains in RANK_GAINS:
            assert tails == {"rank_a", "rank_b"} and not tails & set(GAIN_TENSORS)
    assert kosson_figure_18.GAIN_TENSORS == GAIN_TENSORS
    raw = torch.tensor([-30.0, -2.0, 0.0, 0.5413, 3.0, 40.0], dtype=torch.float64)
    assert set(kosson_figure_18.GAIN_OF) == set(GAIN_PARAMETERIZATIONS)
    for name, (to_gain, start) in GAIN_PARAMETERIZATIONS.items():
        gain_of = kosson_figure_18.GAIN_OF[name]
        np.testing.assert_allclose(gain_of(raw.numpy()), to_gain(raw).numpy(),
                                   rtol=1e-12, atol=1e-300)
        assert kosson_figure_18.GAIN_OF[name](start) == pytest.approx(1.0)
