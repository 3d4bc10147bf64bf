"""MD decoupling's options (Kosson 2026): the row / column sphere (Fig. 4) against a float64
reference, on channels-last kernels and from a config; the rank-4 gain (Fig. 17) and its
chain rule in float64."""

from __future__ import annotations

import math

import pytest
import torch
from conftest import step_through
from torch import nn

from harness.optim.md import SphereDirection
from harness.optim.reference import md_sphere_reference


@pytest.mark.parametrize("sphere", ["row", "col", "frobenius"])
@pytest.mark.parametrize("base", ["adam", "muon"])
def test_sphere_axis_matches_a_float64_reference(sphere, base):
    shape = (5, 7)
    factor = math.sqrt(max(1.0, 5 / 7)) if base == "muon" else 1.0  # Muon's "original"
    g = torch.Generator().manual_seed(4)
    v0 = torch.randn(shape, generator=g, dtype=torch.float64)
    grads = [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(20)]
    lrs = [0.04 * (1 - t / 25) for t in range(20)]
    p = nn.Parameter(v0.clone())
    opt = SphereDirection([p], lr=lrs[0], base=base, sphere=sphere,
                          adjust_lr="original" if base == "muon" else "none")
    step_through(opt, p, grads, lrs, factor)  # every vector by lr·s: the matrix too
    want, radii = md_sphere_reference(v0, grads, lrs, sphere, base, factor)
    torch.testing.assert_close(p.detach(), want, rtol=1e-9, atol=1e-12)
    dim = {"row": 1, "col": 0}.get(sphere)
    norms = p.detach().norm(dim=dim) if dim is not None else p.detach().norm()[None]
    torch.testing.assert_close(norms, torch.tensor(radii, dtype=torch.float64), rtol=1e-12,
                               atol=0)


@pytest.mark.parametrize("sphere", ["row", "col"])
def test_channels_last_conv_kernels_step_like_contiguous_ones(sphere):
    g = torch.Generator().manual_seed(5)
    w0 = torch.randn(4, 3, 2, 2, generator=g, dtype=torch.float64)
    grads = [torch.randn(4, 3, 2, 2, generator=g, dtype=torch.float64) for _ in range(5)]
    params = [nn.Parameter(w0.clone()),
              nn.Parameter(w0.clone().to(memory_format=torch.channels_last))]
    for p in params:
        opt = SphereDirection([p], lr=0.05, base="adam", sphere=sphere)
        for grad in grads:
            p.grad = grad.clone()
            opt.step()
    assert not params[1].is_contiguous()
    torch.testing.assert_close(params[1].detach(), params[0].detach(), rtol=1e-12, atol=1e-14)
    norms = params[0].detach().reshape(4, 12).norm(dim=1 if sphere == "row" else 0)
    want = w0.reshape(4, 12).norm(dim=1 if sphere == "row" else 0)
    torch.testing.assert_close(norms, want, rtol=1e-12, atol=0)


def test_md_sphere_config_reaches_the_optimizer():
    from harness.models import build_model
    from harness.optim import build_optimizer, reparameterize
    from harness.optim.param_groups import classify
    from harness.sweep import RunConfig

    torch.manual_seed(0)
    cfg = RunConfig(model="gpt", depth=1, width=16, dataset="stdlib_bytes", seq_len=8,
                    steps=10, optimizer="muonmd", lr=0.05, gains="none", md_sphere="col")
    model = build_model("gpt", 1, 16, 256, 256)
    tokens = torch.randint(0, 256, (4, 9))
    infos = reparameterize(model, classify(model, tokens[:, :-1]), cfg)
    opt = build_optimizer("muonmd", model, infos, cfg)
    spheres = [g["sphere"] for o in opt.optimizers if isinstance(o, SphereDirection)
               for g in o.param_groups]
    assert spheres == ["col"]
    with pytest.raises(ValueError, match="sphere"):
        SphereDirection([nn.Parameter(torch.ones(2, 2))], lr=0.1, sphere="diagonal")


def test_rank_gain_starts_at_one_and_its_chain_rule_matches_float64():
    import torch.nn.functional as F

    from harness.optim.md import apply_md
    from harness.optim.param_groups import classify

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5, bias=False), nn.ReLU(), nn.Linear(5, 2))
    x = torch.randn(3, 6)
    infos = classify(model, x)
    model = model.double()
    before = model[0].weight.detach().clone()
    infos = apply_md(model, infos, "rank4", "softplus")
    torch.testing.assert_close(model[0].weight, before, rtol=1e-12, atol=1e-12)
    md = model[0].parametrizations.weight
    gains = {i.name.rsplit(".", 1)[1] for i in infos if i.kind == "gain"}
    assert gains == {"rank_a", "rank_b"}
    assert md[0].rank_a.shape == (5, 4) and md[0].rank_b.shape == (6, 4)
    with torch.no_grad():
        md[0].rank_a.uniform_(-1, 1)
    a, b, v = md[0].rank_a, md[0].rank_b, md.original
    xd = x.double()
    w = ((1 + a @ b.T) * v).detach().requires_grad_(True)
    (F.linear(xd, w) ** 2).sum().backward()
    gw = w.grad  # dL/dW, then by hand: dV = Γ ⊙ gW, dA = (gW ⊙ V)·B, dB = (gW ⊙ V)ᵀ·A
    (model[0](xd) ** 2).sum().backward()
    torch.testing.assert_close(md.original.grad, ((1 + a @ b.T) * gw).detach())
    torch.testing.assert_close(a.grad, ((gw * v) @ b).detach())
    torch.testing.assert_close(b.grad, ((gw * v).T @ a).detach())
