"""Chou et al. 2025 momentum scheduling (Figs. 3, 9–11): the harness's schedules and λ rules
against float64 references written here, and the momentum figures' draw functions (analysis/momentum.py) on
synthetic results written with the harness's own writers, every claim made to pass and fail."""

from __future__ import annotations

import json
import math

import pytest
import torch
from pydantic import ValidationError

from analysis.chou2025 import figure_3 as chou_figure_3
from analysis.chou2025 import figure_9 as chou_figure_9
from analysis.chou2025 import figure_10 as chou_figure_10
from analysis.chou2025 import figure_11 as chou_figure_11
from analysis.momentum import predicted_schedule
from harness.launch import write_config
from harness.metrics import LAYERS_SCHEMA, METRICS_SCHEMA, atomic_write_parquet
from harness.run import DONE
from harness.sweep import RunConfig, expand, run_dir

TOTAL, WARMUP = 100, 10


def cosine(t, total=TOTAL, warmup=WARMUP):  # warmup (t+1)/w, then cosine to 0 at the last step
    if t < warmup:
        return (t + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - 1 - warmup)))


def ratio(alpha):
    return (2 - alpha) / alpha


def matched(f, lr0, alpha0, alpha_max, e):
    """(γ, α) with γ·ratio(α)^e = f·γ0·ratio(α0)^e, γ = γ0 while α ≤ α_max: by bisection."""
    target = f * lr0 * ratio(alpha0) ** e
    if lr0 * ratio(alpha_max) ** e >= target:
        return target / ratio(alpha_max) ** e, alpha_max
    lo, hi = alpha0, alpha_max  # lr0·ratio(α)^e falls with α: it is ≥ target at lo
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if lr0 * ratio(mid) ** e > target else (lo, mid)
    return lr0, 0.5 * (lo + hi)


def reference(cfg, t, total=TOTAL, warmup=WARMUP):
    """(γ_t, α_t) of a run's schedule, from the paper's words (Chou Fig. 3, App. C)."""
    f, alpha0 = cosine(t, total, warmup), 1 - cfg["momentum"]
    kind = cfg.get("momentum_schedule", "constant")
    if kind == "constant" or t < warmup:
        return cfg["lr"] * f, alpha0
    alpha_max = 1 - cfg["momentum_final"]
    if kind == "linear":
        return cfg["lr"] * f, alpha0 + (alpha_max - alpha0) * (t - warmup) / (total - 1 - warmup)
    e = {"match_effective_lr": 0.5, "match_effective_lr_no_sqrt": 1.0}[kind]
    return matched(f, cfg["lr"], alpha0, alpha_max, e)


# ---- harness ------------------------------------------------------------------------------

@pytest.mark.parametrize("alpha0, alpha_max", [(0.1, 0.2), (0.1, 0.5), (0.1, 1.0), (0.02, 0.5)])
@pytest.mark.parametrize("exponent", [0.5, 1.0])
def test_momentum_matching_against_bisection(alpha0, alpha_max, exponent):
    from harness.optim.schedules import momentum_matching

    for i in range(41):
        f = i / 40
        alpha, lr = momentum_matching(f, alpha0, alpha_max, exponent)
        want_lr, want_alpha = matched(f, 1.0, alpha0, alpha_max, exponent)
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
    dict(lr=0.01 * ratio(0.1) / ratio(0.02), momentum=0.98,  # Fig. 10's start
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
        lr, alpha = reference(kw, t)
        assert hidden["lr"] == pytest.approx(lr, rel=1e-9, abs=1e-15)
        assert 1 - hidden["momentum"] == pytest.approx(alpha, rel=1e-9)
        assert head["lr"] == pytest.approx(0.2 * lr / kw["lr"], rel=1e-9, abs=1e-15)
        if kw["momentum_schedule"] != "linear":  # γ'_eff = the α = 0.1, γ = 0.01 cosine's
            assert hidden["lr"] * ratio(alpha) == pytest.approx(
                kw["lr"] * ratio(1 - kw["momentum"]) * cosine(t), rel=1e-9, abs=1e-15)


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
            lr, alpha = reference(common, t)
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


# ---- analysis -----------------------------------------------------------------------------

BASE = {"name": "momentum", "model": "vit", "depth": 1, "width": 32, "dataset": "synthetic",
        "optimizer": "scionc", "c2": 1.1875, "schedule": "cosine", "lr": 0.01,
        "momentum": 0.9, "steps": TOTAL, "warmup_steps": WARMUP, "scales": {"smoke": {}}}


def write_results(write_sweep, tmp_path, zipped, top1, weight=lambda c, t: 1.0,
                  grad=lambda c, t: 1.0, eff_scale=1.0, top=None):
    """One fake run per zip row: the reference schedule logged every step, top-1 at every
    10th step (9, 19, …, 99), one normalized layer with the given norms."""
    path = write_sweep({**BASE, **(top or {}), "zip": zipped})
    results = tmp_path / "results"
    for run in expand(path, "smoke"):
        cfg, folder = run.config.model_dump(), run_dir(results, run)
        folder.mkdir(parents=True)
        write_config(run, folder, {})
        scheduled = cfg["momentum_schedule"] != "constant"
        metrics, layers = [], []
        for t in range(TOTAL):
            lr, alpha = reference(cfg, t)
            eff = lr * math.sqrt(ratio(alpha)) * (eff_scale if scheduled else 1.0)
            row = {"step": t, "lr": lr, "effective_lr": eff, "weight_decay": lr, "loss": 1.0}
            if t % 10 == 9:
                row["eval_accuracy"] = top1(cfg, t)
            metrics.append(row)
            layers.append({"step": t, "layer": "w", "kind": "linear", "normalized": True,
                           "weight_norm": weight(cfg, t), "grad_norm": grad(cfg, t),
                           "update_norm": 0.1})
        atomic_write_parquet(metrics, METRICS_SCHEMA, folder / "metrics.parquet")
        atomic_write_parquet(layers, LAYERS_SCHEMA, folder / "layers.parquet")
        (folder / DONE).write_text(json.dumps({"steps": TOTAL, "warmup_steps": WARMUP}))
    return path, results


def amax(cfg):
    return None if cfg["momentum_final"] is None else 1 - cfg["momentum_final"]


def check(report, shown: bool, tmp_path, figure: str):
    claims = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert claims and all(v is shown for v in claims.values()), claims
    assert (tmp_path / "fig" / f"chou2025-figure-{figure}_smoke.png").is_file()
    assert len(report["verdicts"]) == len(claims)
    json.dumps(report["claims"])  # `python -m analysis` writes them as JSON
    return report["claims"]["measured"]


@pytest.mark.parametrize("shown", [True, False])
def test_figure3_claims(write_sweep, tmp_path, shown):
    zipped = {"momentum_schedule": ["constant"] + ["match_effective_lr"] * 3,
              "momentum_final": [None, 0.8, 0.5, 0.0]}

    def top1(cfg, t):  # α_max ≤ 0.5 ends with the baseline (or 2 points below); α_max = 1
        a = amax(cfg)  # 3 points below (or level)
        if a is None:
            return 0.9
        if a < 1:
            return 0.905 if shown else 0.88
        return 0.87 if shown else 0.9

    def weight(cfg, t):  # α_max = 1 ends 20 % off the baseline's ‖w‖ (or 1 %, the others 5 %)
        a = amax(cfg)
        return 1.0 if a is None else 1 + 0.01 * t / 99 * (20 if a == 1 and shown else
                                                           1 if a == 1 else 5)
    path, results = write_results(write_sweep, tmp_path, zipped, top1, weight,
                                  eff_scale=1.0 if shown else 1.01)
    report = chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")
    measured = check(report, shown, tmp_path, "3")
    assert measured["schedule_error"] == pytest.approx(0.0 if shown else 0.01, abs=1e-9)
    gaps = measured["final_top1_gap_alpha_max_le_0.5"]
    assert sorted(gaps.values()) == pytest.approx([0.005] * 2 if shown else [-0.02] * 2)


@pytest.mark.parametrize("shown", [True, False])
def test_figure9_claims(write_sweep, tmp_path, shown):
    zipped = {"momentum_schedule": ["constant"] + ["match_effective_lr_no_sqrt"] * 3,
              "momentum_final": [None, 0.8, 0.5, 0.0]}

    def top1(cfg, t):  # 5 points below until the end, then level (or above, then 5 below)
        if amax(cfg) is None:
            return 0.9
        if t < 90:
            return 0.85 if shown else 0.92
        return 0.9 if shown else 0.85
    path, results = write_results(write_sweep, tmp_path, zipped, top1,
                                  eff_scale=1.0 if shown else 0.5)
    report = chou_figure_9.draw(path, "smoke", results, tmp_path / "fig")
    measured = check(report, shown, tmp_path, "9")
    ratios = measured["mid_gamma_eff_over_baseline"]
    # closed form over the middle half: 1/√f before the cap (≈ √2 mid-run), ≥ 1 throughout
    assert all(1.2 < v < 2.0 for v in ratios.values()) if shown else \
        all(v < 1 for v in ratios.values())


@pytest.mark.parametrize("shown", [True, False])
def test_figure10_claims(write_sweep, tmp_path, shown):
    lr = 0.01 * ratio(0.1) / ratio(0.02)
    zipped = {"momentum": [0.9, 0.98, 0.98], "lr": [0.01, lr, lr],
              "momentum_schedule": ["constant"] + ["match_effective_lr_no_sqrt"] * 2,
              "momentum_final": [None, 0.5, 0.0]}

    def top1(cfg, t):  # 5 points below mid-run, 1 below at the end (or 2 above, then 1 above)
        if amax(cfg) is None:
            return 0.9
        if t < 90:
            return 0.85 if shown else 0.92
        return 0.89 if shown else 0.91
    path, results = write_results(write_sweep, tmp_path, zipped, top1,
                                  eff_scale=1.0 if shown else 3.0)
    measured = check(chou_figure_10.draw(path, "smoke", results, tmp_path / "fig"), shown, tmp_path,
                     "10")
    # √(ratio(0.02)/ratio(0.1))·γ/0.01 = √(19/99) ≈ 0.44 at the start, /√f after
    early = measured["early_gamma_eff_over_baseline"].values()
    assert all(0.4 < v < 0.5 for v in early) if shown else all(v > 1 for v in early)


@pytest.mark.parametrize("shown", [True, False])
def test_figure11_claims(write_sweep, tmp_path, shown):
    zipped = {"momentum": [0.9, 0.99, 0.99],
              "momentum_schedule": ["constant", "linear", "linear"],
              "momentum_final": [None, 0.0, 0.0],
              "scionc_decay": ["adaptive", "adaptive", "lr_proportional"],
              "weight_decay": [0.0, 0.0, 0.04]}

    def kind(cfg):
        return "base" if amax(cfg) is None else cfg["scionc_decay"]

    def top1(cfg, t):  # ScionC λ_t: above early, below at the end; λ ∝ γ ends above it
        k = kind(cfg)
        if k == "base":
            return 0.9
        if k == "adaptive":
            return (0.95 if t < 25 else 0.88) if shown else (0.85 if t < 25 else 0.92)
        return 0.91 if shown else 0.8

    def weight(cfg, t):  # λ ∝ γ alone: ‖w‖ falls 5× (or ScionC's 2×)
        swinging = "lr_proportional" if shown else "adaptive"
        return 1.0 / (1 + (4 if shown else 1) * t / 99) if kind(cfg) == swinging else 1.0

    def grad(cfg, t):  # every run's ‖g‖ falls 10× (train loss → 0), with noise smoothed over;
        return (1.0 + 0.3 * (t % 2)) / (1 + 9 * t / 99)  # judged against the baseline's
    path, results = write_results(write_sweep, tmp_path, zipped, top1, weight, grad,
                                  eff_scale=1.0 if shown else 1.5,
                                  top={"c2": 2.375})
    measured = check(chou_figure_11.draw(path, "smoke", results, tmp_path / "fig"), shown, tmp_path,
                     "11")
    swings = measured["post_warmup_swing"]  # from the end of warmup (step 10) on
    k = 4 if shown else 1
    assert max(s["weight_norm"] for s in swings.values()) == pytest.approx(
        (1 + k) / (1 + k * WARMUP / 99), rel=0.05)
    assert all(s["grad_norm"] > 5 for s in swings.values())  # > STABLE_SWING on its own
    assert measured["grad_swing_over_baseline"]["scionc"] == pytest.approx(1.0)


FIG11 = {"momentum": [0.9, 0.99, 0.99], "momentum_schedule": ["constant", "linear", "linear"],
         "momentum_final": [None, 0.0, 0.0], "scionc_decay": ["adaptive", "adaptive",
                                                              "lr_proportional"],
         "weight_decay": [0.0, 0.0, 0.04]}


def test_figure11_a_run_diverged_mid_way_is_not_stable(write_sweep, tmp_path):
    """ScionC's ‖w‖ is flat until step 60, then NaN: its finite prefix must not pass."""
    def weight(cfg, t):
        if cfg["scionc_decay"] == "adaptive" and amax(cfg) is not None and t >= 60:
            return float("nan")
        return 1.0
    path, results = write_results(write_sweep, tmp_path, FIG11, lambda c, t: 0.9, weight,
                                  top={"c2": 2.375})
    report = chou_figure_11.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["scionc_keeps_norms_stable"]["shown"] is False
    assert report["claims"]["scionc_rises_early_then_plateaus"]["shown"] is False
    swings = report["claims"]["measured"]["post_warmup_swing"]
    assert math.isnan(next(s for k, s in swings.items() if "ScionC" in k)["weight_norm"])


def test_schedule_claim_fails_when_every_logged_value_is_nan(write_sweep, tmp_path):
    zipped = {"momentum_schedule": ["constant"] + ["match_effective_lr"] * 3,
              "momentum_final": [None, 0.8, 0.5, 0.0]}
    path, results = write_results(write_sweep, tmp_path, zipped, lambda c, t: 0.9,
                                  eff_scale=float("nan"))
    report = chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["schedule_as_designed"]["shown"] is False
    assert math.isnan(report["claims"]["measured"]["schedule_error"])


def test_a_second_constant_momentum_setting_is_a_clear_error(write_sweep, tmp_path):
    zipped = {"momentum": [0.9, 0.95, 0.9],
              "momentum_schedule": ["constant", "constant", "match_effective_lr"],
              "momentum_final": [None, None, 0.5]}
    path, results = write_results(write_sweep, tmp_path, zipped, lambda c, t: 0.9)
    with pytest.raises(ValueError, match="exactly one constant-momentum"):
        chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")


def test_figure10_sweep_scales_the_sign_layer_like_the_hidden_ones():
    """Fig. 10 matches the α = 0.1 baseline's γ'_eff = γ(2−α)/α from α = 0.02: on every layer,
    the Sign layer's γ_L included, else it starts 99/19 = 5.2× above the baseline's."""
    runs = [r.config for r in expand("experiments/chou2025/figure-10.yaml", "smoke")]
    base = next(c for c in runs if c.momentum_schedule == "constant")
    for c in runs:
        for lr, base_lr in ((c.lr, base.lr), (c.output_lr, base.output_lr)):
            assert lr * ratio(1 - c.momentum) == pytest.approx(
                base_lr * ratio(1 - base.momentum), rel=1e-9)


def test_a_figure_without_baseline_says_so(write_sweep, tmp_path):
    zipped = {"momentum_schedule": ["match_effective_lr"] * 2, "momentum_final": [0.8, 0.5]}
    path, results = write_results(write_sweep, tmp_path, zipped, lambda c, t: 0.9)
    with pytest.raises(ValueError, match="baseline"):
        chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")


def test_predicted_schedule_matches_the_reference():
    import numpy as np

    steps = np.arange(TOTAL)
    factor = np.array([cosine(t) for t in steps])
    for cfg in (dict(lr=0.004, momentum=0.98, momentum_schedule="match_effective_lr_no_sqrt",
                     momentum_final=0.2),
                dict(lr=0.01, momentum=0.9, momentum_schedule="match_effective_lr",
                     momentum_final=0.0),
                dict(lr=0.01, momentum=0.99, momentum_schedule="linear", momentum_final=0.0)):
        lr, alpha = predicted_schedule(cfg, steps, factor, TOTAL, WARMUP)
        want = np.array([reference(cfg, t) for t in steps])
        np.testing.assert_allclose(lr, want[:, 0], rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(alpha, want[:, 1], rtol=1e-9)
