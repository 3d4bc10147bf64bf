"""Update rules against the float64 references in harness/optim/reference.py."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from harness.models import build_model
from harness.optim import OPTIMIZERS, classify, lr_factor, param_groups
from harness.optim.corrected import SGDC, AdamC
from harness.optim.reference import adamc_reference, effective_lr_reference, sgdc_reference


def _schedule(t):  # a warmup-then-decay lr sequence
    return [0.02, 0.05, 0.1, 0.08, 0.05, 0.02, 0.005][t]


def _params_and_grads(seed=0, steps=7):
    g = torch.Generator().manual_seed(seed)
    w0 = [torch.randn(5, 3, generator=g, dtype=torch.float64),
          torch.randn(4, generator=g, dtype=torch.float64)]
    grads = [[torch.randn_like(w) for w in w0] for _ in range(steps)]
    return w0, grads


def _run(cls, w0, grads, normalized, **kw):
    params = [nn.Parameter(w.clone()) for w in w0]
    groups = [{"params": [params[0]], "normalized": normalized[0]},
              {"params": [params[1]], "normalized": normalized[1]}]
    opt = cls(groups, lr=_schedule(2), **kw)  # lr at construction = the peak
    for t, gs in enumerate(grads):
        for group in opt.param_groups:
            group["lr"] = _schedule(t)
        for p, gr in zip(params, gs):
            p.grad = gr.clone()
        opt.step()
    return [p.detach() for p in params]


def test_sgdc_matches_reference():
    lam, beta, gmax = 0.3, 0.9, 0.1
    w0, grads = _params_and_grads()
    got = _run(SGDC, w0, grads, (True, False), momentum=beta, weight_decay=lam)
    lrs = [_schedule(t) for t in range(len(grads))]
    for i, corrected in enumerate((True, False)):
        x = sgdc_reference(w0[i], [gs[i] for gs in grads], lrs, lam, beta, gmax, corrected)
        torch.testing.assert_close(got[i], x, rtol=1e-12, atol=1e-12)


def test_adamc_matches_algorithm_1():
    lam, b1, b2, eps, gmax = 0.5, 0.9, 0.99, 1e-8, 0.1
    w0, grads = _params_and_grads(1)
    got = _run(AdamC, w0, grads, (True, False), betas=(b1, b2), eps=eps, weight_decay=lam)
    lrs = [_schedule(t) for t in range(len(grads))]
    for i, corrected in enumerate((True, False)):
        x = adamc_reference(w0[i], [gs[i] for gs in grads], lrs, lam, b1, b2, eps, gmax,
                            corrected)
        torch.testing.assert_close(got[i], x, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("corrected,plain", [(AdamC, torch.optim.AdamW), (SGDC, torch.optim.SGD)])
def test_constant_lr_corrected_equals_torch_exactly(corrected, plain):
    w0, grads = _params_and_grads(2)
    results = []
    for cls in (corrected, plain):
        params = [nn.Parameter(w.float().clone()) for w in w0]
        opt = cls([{"params": params, "normalized": True}], lr=0.01, weight_decay=0.1)
        for gs in grads:
            for p, gr in zip(params, gs):
                p.grad = gr.float()
            opt.step()
        results.append(params)
    for a, b in zip(*results):
        assert torch.equal(a, b)


def test_resnet_policy_convs_are_normalized_head_is_not():
    model = build_model("resnet", 14, 8, 1, 10)
    infos = {i.name: i for i in classify(model, torch.randn(1, 1, 32, 32))}
    convs = [n for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    assert convs and all(infos[f"{n}.weight"].normalized for n in convs)
    assert not infos["head.weight"].normalized and infos["head.weight"].decayed
    assert all(not i.decayed for i in infos.values() if i.kind in ("norm", "bias"))
    groups = param_groups(model, list(infos.values()), lr=0.1, weight_decay=0.01)
    by_name = {g["name"]: g for g in groups}
    assert by_name["no_decay"]["weight_decay"] == 0.0
    assert by_name["normalized"]["normalized"] and by_name["normalized"]["max_lr"] == 0.1
    assert sum(len(g["params"]) for g in groups) == len(list(model.parameters()))


def test_policy_does_not_mark_a_conv_that_feeds_an_activation_first():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.BatchNorm2d(4), nn.Flatten(),
                          nn.LazyLinear(3), nn.LayerNorm(3))
    infos = {i.name: i for i in classify(model, torch.randn(2, 1, 8, 8))}
    assert not infos["0.weight"].normalized  # ReLU sits between conv and norm
    assert infos["4.weight"].normalized


def test_schedules():
    assert [lr_factor(t, 10, "constant", warmup=2) for t in (0, 1, 5)] == [0.5, 1.0, 1.0]
    assert lr_factor(2, 10, "cosine", warmup=2) == 1.0
    assert lr_factor(9, 10, "cosine", warmup=2, final_fraction=0.1) == pytest.approx(0.1)
    mid = lr_factor(6, 12, "cosine", warmup=1)  # decay runs over steps 1..11: 6 is halfway
    assert mid == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert lr_factor(9, 10, "linear") == pytest.approx(0.0)


def test_registry_names_match_the_sweep_schema():
    from harness.data import DATASETS, TOKENS
    from harness.models import MODELS
    from harness.sweep import DATASETS as SWEEP_DATASETS
    from harness.sweep import MODELS as SWEEP_MODELS
    from harness.sweep import OPTIMIZERS as SWEEP_OPTIMIZERS
    from harness.sweep import TOKEN_DATASETS

    assert set(SWEEP_OPTIMIZERS) == set(OPTIMIZERS)
    assert set(SWEEP_MODELS) == set(MODELS)
    assert set(SWEEP_DATASETS) == set(DATASETS)
    assert set(TOKEN_DATASETS) == TOKENS


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_through_the_loop(name, tmp_path):
    import pandas as pd

    from harness.run import train
    from harness.sweep import RunConfig

    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", batch_size=32,
                    steps=5, optimizer=name, lr=0.02, weight_decay=0.1, momentum=0.9,
                    schedule="cosine", c2=1.0 if name == "scionc" else None,
                    c2_final_fraction=0.25)
    train(cfg, tmp_path, progress=False)
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    assert metrics["loss"].notna().all() and (metrics["loss"] < 10).all()
    # Defazio §3.1: γ/(1−β) for SGD; Chou eq. 3: γ·√((2−α)/α), α = 1 − momentum, for Scion
    boost = {"sgd": 10.0, "sgdc": 10.0, "scion": math.sqrt(19.0), "scionc": math.sqrt(19.0)}
    want = metrics["lr"] * boost.get(name, 1.0)
    assert metrics["effective_lr"].to_numpy() == pytest.approx(want.to_numpy(), rel=1e-12)
    layers = pd.read_parquet(tmp_path / "layers.parquet")
    assert (layers["update_norm"] > 0).any()


def test_wsd_and_step_schedules():
    wsd = [lr_factor(t, 100, "wsd", warmup=10, decay_fraction=0.2) for t in range(100)]
    assert wsd[9] == 1.0 and wsd[50] == 1.0 and wsd[80] == 1.0  # flat until the last 20 %
    assert wsd[99] == pytest.approx(0.0) and wsd[90] == pytest.approx(0.5, abs=0.02)
    step = [lr_factor(t, 100, "step", milestones=(0.3, 0.6), step_factor=0.1) for t in range(100)]
    assert step[29] == 1.0 and step[30] == pytest.approx(0.1) and step[60] == pytest.approx(0.01)


def test_momentum_schedule_reproduces_the_cosine_effective_lr():
    from harness.optim.schedules import momentum_matching

    alpha0, alpha_max, lr = 0.1, 0.5, 0.01
    for t in range(0, 100, 7):
        target = lr_factor(t, 100, "cosine")
        alpha, lr_factor_t = momentum_matching(target, alpha0, alpha_max)
        assert alpha0 - 1e-12 <= alpha <= alpha_max
        assert effective_lr_reference(lr * lr_factor_t, alpha) == pytest.approx(
            effective_lr_reference(lr * target, alpha0), rel=1e-9)
        if lr_factor_t < 1:  # γ only moves once α has hit its cap
            assert alpha == alpha_max


def test_schedule_groups_drives_scion_momentum_and_c2():
    from harness.optim import build_optimizer, schedule_groups
    from harness.sweep import RunConfig

    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", steps=100,
                    optimizer="scionc", lr=0.01, momentum=0.9, c2=1.1875,
                    c2_final_fraction=0.25, schedule="cosine", warmup_steps=10,
                    momentum_schedule="match_effective_lr", momentum_final=0.5)
    model = build_model("resnet", 8, 4, 3, 10)
    opt = build_optimizer("scionc", model, classify(model, torch.randn(1, 3, 16, 16)), cfg)
    hidden = next(g for g in opt.param_groups if g["name"] == "spectral")
    schedule_groups(opt, 3, 100, cfg, warmup=10)  # warmup ramps γ; α stays at α0
    assert hidden["momentum"] == 0.9 and hidden["lr"] == pytest.approx(0.01 * 4 / 10)
    for t in (10, 50, 90, 99):
        schedule_groups(opt, t, 100, cfg, warmup=10)
        want = effective_lr_reference(0.01 * lr_factor(t, 100, "cosine", warmup=10), 0.1)
        got = effective_lr_reference(hidden["lr"], 1 - hidden["momentum"])
        assert got == pytest.approx(want)
        assert hidden["c2"] == pytest.approx(1.1875 * lr_factor(t, 100, "cosine", 0, 0.25))
    assert hidden["momentum"] == 0.5  # α hit α_max = 0.5 near the end


@pytest.mark.parametrize("name", ["scion", "muon", "muonmd"])
def test_ns_method_reaches_every_orthogonalizing_group(name):
    from harness.optim import build_optimizer, reparameterize
    from harness.sweep import RunConfig

    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", steps=10,
                    optimizer=name, lr=0.01, ns_method="polar_express")
    model = build_model("resnet", 8, 4, 3, 10)
    infos = reparameterize(model, classify(model, torch.randn(1, 3, 16, 16)), cfg)
    opt = build_optimizer(name, model, infos, cfg)
    methods = {g.get("ns_method") for g in opt.param_groups} - {None}
    assert methods == {"polar_express"}
