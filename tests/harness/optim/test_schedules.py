"""Chou et al. 2025's momentum schedules in the harness (Figs. 3, 9–11): momentum matching,
the per-group γ_t, α_t and λ_t that schedule_groups sets, against the float64 reference in
tests/conftest.py; and the configs that make no sense refused."""

from __future__ import annotations

import pytest
import torch
from conftest import TOTAL, WARMUP, chou_schedule, matched_schedule, momentum_ratio, warmup_cosine
from pydantic import ValidationError

from harness.sweep import RunConfig


@pytest.mark.parametrize("alpha0, alpha_max", [(0.1, 0.2), (0.1, 0.5), (0.1, 1.0), (0.02, 0.5)])
@pytest.mark.parametrize("exponent", [0.5, 1.0])
def test_momentum_matching_against_bisection(alpha0, alpha_max, exponent):
    from harness.optim.schedules import momentum_matching

    for i in range(41):
        f = i / 40
        alpha, lr = momentum_matching(f, alpha0, alpha_max, exponent)
        want_lr, want_alpha = matched_schedule(f, 1.0, alpha0, alpha_max, exponent)
        assert alpha == pytest.approx(want_alpha, rel=1e-9, abs=1e-12)
        assert lr == pytest.approx(want_lr, rel=1e-9, abs=1e-12)


def _scionc(**kw):
    from harness.models import build_model
    from harness.optim import build_optimizer, classify

    cfg = RunConfig(model="resnet", depth=8, width=4, dataset="synthetic", steps=TOTAL,
                    optimizer="scionc", c2=2.375, schedule="cosine", warmup_steps=WARMUP,
                    output_lr=0.2, output_weight_decay=0.004, **kw)
    model = build_model("resnet", 8, 4, 3, 10)
    opt = build_optimizer("scionc", model, classify(model, torch.randn(1, 3, 16, 16)), cfg)
    return cfg, model, opt


@pytest.mark.parametrize("kw", [
    dict(lr=0.01 * momentum_ratio(0.1) / momentum_ratio(0.02), momentum=0.98,  # Fig. 10's start
         momentum_schedule="match_effective_lr_no_sqrt", momentum_final=0.5),
    dict(lr=0.01, momentum=0.9, momentum_schedule="match_effective_lr_no_sqrt",
         momentum_final=0.0),
    dict(lr=0.01, momentum=0.99, momentum_schedule="linear", momentum_final=0.0)])
def test_schedule_groups_follow_the_reference(kw):
    from harness.optim import schedule_groups

    cfg, _, opt = _scionc(**kw)
    groups = {g["name"]: g for g in opt.param_groups}
    hidden, head = groups["spectral"], groups["io_sign"]
    for t in range(TOTAL):
        schedule_groups(opt, t, TOTAL, cfg, WARMUP)
        lr, alpha = chou_schedule(kw, t)
        assert hidden["lr"] == pytest.approx(lr, rel=1e-9, abs=1e-15)
        assert 1 - hidden["momentum"] == pytest.approx(alpha, rel=1e-9)
        assert head["lr"] == pytest.approx(0.2 * lr / kw["lr"], rel=1e-9, abs=1e-15)
        if kw["momentum_schedule"] != "linear":  # γ'_eff = the α = 0.1, γ = 0.01 cosine's
            assert hidden["lr"] * momentum_ratio(alpha) == pytest.approx(
                kw["lr"] * momentum_ratio(1 - kw["momentum"]) * warmup_cosine(t), rel=1e-9,
                abs=1e-15)


def test_scionc_decay_modes_set_lambda_per_group():
    from harness.optim import schedule_groups

    common = dict(lr=0.01, momentum=0.99, momentum_schedule="linear", momentum_final=0.0)
    for decay, wd in (("adaptive", 0.0), ("lr_proportional", 0.04)):
        cfg, model, opt = _scionc(scionc_decay=decay, weight_decay=wd, **common)
        groups = {g["name"]: g for g in opt.param_groups}
        for t in (5, 30, 60, 95):
            schedule_groups(opt, t, TOTAL, cfg, WARMUP)
            model.zero_grad()
            model(torch.randn(2, 3, 16, 16)).sum().backward()
            opt.step()
            lr, alpha = chou_schedule(common, t)
            want = 0.04 * lr / 0.01 if decay == "lr_proportional" else \
                (2 - alpha) / (2 * alpha * 2.375) * lr  # Alg. 2, line 11
            assert groups["spectral"]["weight_decay"] == pytest.approx(want, rel=1e-9)
            assert groups["io_sign"]["weight_decay"] == 0.004  # the output layer keeps λ_L


@pytest.mark.parametrize("kw", [
    dict(optimizer="scionc", c2=1.0, scionc_decay="lr_proportional"),  # no weight_decay
    dict(optimizer="scion", weight_decay=0.1, scionc_decay="lr_proportional"),
    dict(optimizer="scionc", c2=1.0, momentum_schedule="linear"),  # no momentum_final
    dict(optimizer="adamw", momentum_schedule="match_effective_lr_no_sqrt",
         momentum_final=0.5),
    dict(optimizer="scion", momentum_schedule="linear", momentum_final=0.95),  # α_max < α_0
    dict(optimizer="scion", momentum_schedule="match_effective_lr", momentum_final=0.9)])
def test_bad_momentum_configs_are_refused(kw):
    with pytest.raises(ValidationError):
        RunConfig(model="vit", dataset="synthetic", steps=10, lr=0.01, momentum=0.9, **kw)
