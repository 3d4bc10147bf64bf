"""Chou Figs. 5, 6, 8, 12, 13 (analysis/chou2025_norms.py): each claim made to pass and to fail
on results written with the harness's own writers; the §2.2 steady state against a simulation;
ScionC's `correct_output` against a float64 update written from Alg. 2."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import torch
from pydantic import ValidationError
from torch import nn

from analysis.chou2025 import figure_5 as chou_figure_5
from analysis.chou2025 import figure_6 as chou_figure_6
from analysis.chou2025 import figure_8 as chou_figure_8
from analysis.chou2025 import figure_12 as chou_figure_12
from analysis.chou2025 import figure_13 as chou_figure_13
from analysis.equilibrium import norms_over_time
from analysis.theory import lmo_norm2, scion_steady_norm2, vit_update_norm2
from harness.launch import write_config
from harness.metrics import LAYERS_SCHEMA, METRICS_SCHEMA, atomic_write_parquet
from harness.optim import build_optimizer, classify, schedule_groups
from harness.run import DONE
from harness.sweep import RunConfig, SweepError, expand, run_dir

STEPS = [*range(0, 100, 2), 99]
HIDDEN = ["blocks.0.attn.qkv.weight", "blocks.0.mlp.fc2.weight"]
BASE = {"name": "norms", "model": "vit", "depth": 1, "width": 8, "dataset": "synthetic",
        "lr": 0.01, "weight_decay": 0.1, "momentum": 0.9, "schedule": "cosine", "steps": 100,
        "scales": {"smoke": {}}}


def cosine(t):
    return 0.5 * (1 + math.cos(math.pi * t / 99))


def write_runs(write_sweep, tmp_path, zipped, curves):
    """One fake run per zipped row. curves(cfg) -> {"hidden", "output", "grad": f(t)} giving
    the total hidden ‖w‖ (split over two tensors), the head's ‖w‖ and every ‖g‖; metrics log
    γ_t and, for ScionC, λ_t = (2−α)γ_t/(2αC²) as the harness does."""
    path = write_sweep({**BASE, "zip": zipped})
    results = tmp_path / "results"
    for run in expand(path, "smoke"):
        cfg, folder = run.config, run_dir(results, run)
        folder.mkdir(parents=True)
        write_config(run, folder, {})
        alpha, f = 1 - cfg.momentum, curves(cfg)
        metrics, layers = [], []
        for t in STEPS:
            lr = cfg.lr * cosine(t)
            wd = (2 - alpha) * lr / (2 * alpha * cfg.c2) if cfg.c2 else cfg.weight_decay
            metrics.append({"step": t, "lr": lr, "effective_lr": lr, "weight_decay": wd,
                            "loss": 1.0})
            rows = [(n, "linear", True, f["hidden"](t) / math.sqrt(2)) for n in HIDDEN]
            rows += [("head.weight", "linear", False, f["output"](t)),
                     ("norm.weight", "norm", False, 1.0)]
            layers += [{"step": t, "layer": n, "kind": k, "normalized": z, "weight_norm": w,
                        "grad_norm": f["grad"](t), "update_norm": 0.1} for n, k, z, w in rows]
        metrics[-1]["eval_loss"] = 1.0
        atomic_write_parquet(metrics, METRICS_SCHEMA, folder / "metrics.parquet")
        atomic_write_parquet(layers, LAYERS_SCHEMA, folder / "layers.parquet")
        (folder / DONE).write_text(json.dumps({"steps": 100}))
    return path, results


def flat(value=1.0):
    return lambda t: value


def falls(fraction):  # flat for the first half, then down linearly by `fraction` at the end
    return lambda t: 10.0 * (1 - fraction * max(0.0, (t - 50) / 49))


def rises(fraction, start=75):
    return lambda t: 3.0 * (1 + fraction * max(0.0, (t - start) / (99 - start)))


@pytest.mark.parametrize("corrected_fall, shown", [(0.05, True), (0.4, False)])
def test_figure5_claims(write_sweep, tmp_path, corrected_fall, shown):
    def curves(cfg):  # AdamW's ‖w‖ falls 40 % and its ‖g‖ doubles; AdamC's as given
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(1.0, 50)}
        return {"hidden": falls(corrected_fall), "output": flat(),
                "grad": rises(0.1 if shown else 2.0, 50)}
    path, results = write_runs(write_sweep, tmp_path, {"optimizer": ["adamw", "adamc"]},
                               curves)
    report = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert claims["corrected_keeps_weight_norm"]["shown"] is shown
    assert claims["corrected_tames_grad_norm"]["shown"] is shown
    assert "corrected_loss_not_worse" not in claims  # the caption claims norms only
    assert claims["measured"]["changes_second_half"]["adamw"]["weight"] == pytest.approx(
        -0.4 * 0.975, abs=0.03)


def test_corrected_vs_baseline_passes_nothing_on_a_diverged_side(write_sweep, tmp_path):
    """AdamC's ‖g‖ turns NaN at step 80 (every tensor): summed as 0 it would "tame" the
    gradient norm; a diverged side fails every claim it enters."""
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(1.0, 50)}
        return {"hidden": falls(0.05), "output": flat(),
                "grad": lambda t: 1.0 if t < 80 else float("nan")}
    path, results = write_runs(write_sweep, tmp_path, {"optimizer": ["adamw", "adamc"]},
                               curves)
    claims = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert not claims["corrected_keeps_weight_norm"]["shown"]
    assert not claims["corrected_tames_grad_norm"]["shown"]


def test_norms_are_nan_where_one_tensor_is():
    layers = pd.DataFrame({"step": [0, 0, 1, 1], "layer": ["a", "b"] * 2,
                           "normalized": [True] * 4, "weight_norm": [3.0, 4.0, 3.0, np.nan],
                           "grad_norm": [1.0] * 4})
    out = norms_over_time(layers)
    assert out.loc[0, "weight_norm"] == 5.0 and np.isnan(out.loc[1, "weight_norm"])


@pytest.mark.parametrize("scionc_fall, shown", [(0.3, True), (0.6, False)])
def test_figure6_corrected_may_fall_but_less(write_sweep, tmp_path, scionc_fall, shown):
    """Cosine C² lowers ScionC's ‖w‖ by design: a 30 % fall against Scion's 50 % is shown
    (Fig. 4's rule, "less than half of the baseline's", would reject it)."""
    def curves(cfg):
        return {"hidden": falls(0.5 if cfg.optimizer == "scion" else scionc_fall),
                "output": flat(), "grad": flat()}
    path, results = write_runs(write_sweep, tmp_path, {"optimizer": ["scion", "scionc"],
                                                       "c2": [None, 1.0]}, curves)
    claims = chou_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert claims["corrected_keeps_weight_norm"]["shown"] is shown


def steady_norm(cfg):
    """The hidden ‖w‖ that scion_theory predicts for this synthetic run, per step."""
    u2 = lmo_norm2("spectral", 24, 8) + lmo_norm2("spectral", 8, 32)  # qkv 24×8, fc2 8×32
    alpha = 1 - cfg.momentum

    def at(t):
        lr = cfg.lr * max(cosine(t), 1e-9)
        wd = (2 - alpha) * lr / (2 * alpha * cfg.c2) if cfg.c2 else cfg.weight_decay
        return float(np.sqrt(scion_steady_norm2(lr, wd, cfg.momentum, u2)))
    return at


@pytest.mark.parametrize("scionc_fall, shown", [(None, True), (0.4, False)])
def test_figure13_claims_and_theory_overlay(write_sweep, tmp_path, scionc_fall, shown):
    """ScionC sitting exactly on the Eq. 4 steady state (constant C² → constant norm) is
    shown, with measured/theory = 1; ScionC falling as much as Scion is not."""
    def curves(cfg):
        if cfg.optimizer == "scion":
            return {"hidden": falls(0.5), "output": flat(), "grad": flat()}
        return {"hidden": steady_norm(cfg) if scionc_fall is None else falls(scionc_fall),
                "output": flat(), "grad": flat()}
    path, results = write_runs(write_sweep, tmp_path, {"optimizer": ["scion", "scionc"],
                                                       "c2": [None, 1.1875]}, curves)
    report = chou_figure_13.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["corrected_keeps_weight_norm"]["shown"] is shown
    ratio = claims["measured"]["end_norm_over_theory"]
    if shown:
        assert ratio["scionc"] == pytest.approx(1.0, rel=1e-6)
        assert steady_norm(expand(path, "smoke")[1].config)(0) == pytest.approx(
            math.sqrt(1.1875 * 26), rel=0.02)  # Eq. 4: ‖θ‖² ≈ C²·‖u‖² at γλ ≪ α
    assert set(ratio) == {"scion", "scionc"}


def test_vit_update_norm2_needs_known_layer_names():
    import pandas as pd
    layers = pd.DataFrame({"layer": HIDDEN, "normalized": [True, True]})
    assert vit_update_norm2(layers, 8) == 24 + 2
    other = pd.DataFrame({"layer": ["blocks.0.w1.weight"], "normalized": [True]})
    assert vit_update_norm2(other, 8) is None  # another model: no overlay, no guess


def test_steady_norm_matches_a_simulation():
    """§2.2's random walk, simulated in float64: iid Gaussian gradients, momentum α, Bias-lmo
    normalized updates (‖u‖² = d), decay η = γλ. E‖θ‖² against the closed form."""
    rng = np.random.default_rng(0)
    d, alpha, lr, wd = 4000, 0.3, 0.1, 0.5
    theta, m, values = np.zeros(d), np.zeros(d), []
    for t in range(1500):
        m = (1 - alpha) * m + alpha * rng.standard_normal(d)
        theta = theta * (1 - lr * wd) - lr * m / np.sqrt(np.mean(m**2))
        if t >= 700:
            values.append(theta @ theta)
    assert np.mean(values) == pytest.approx(scion_steady_norm2(lr, wd, 1 - alpha, d), rel=0.03)
    assert float(scion_steady_norm2(0.01, 0.0, 0.9, 1.0)) == np.inf


@pytest.mark.parametrize("gap, shown", [(0.03, True), (0.2, False)])
def test_figure8_claim(write_sweep, tmp_path, gap, shown):
    def curves(cfg):  # the β = 0.99 run's norm is `gap` higher throughout the second half
        bump = gap if cfg.momentum == 0.99 else 0.0
        return {"hidden": lambda t: 5.0 * (1 + bump * (t >= 50)), "output": flat(),
                "grad": flat()}
    path, results = write_runs(write_sweep, tmp_path, {"optimizer": ["adamc", "adamc"],
                                                       "momentum": [0.9, 0.99],
                                                       "beta2": [0.999, 0.99]}, curves)
    report = chou_figure_8.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["weight_norm_independent_of_betas"]["shown"] is shown
    assert report["claims"]["measured"]["worst_ratio_deviation"] == pytest.approx(
        gap / (1 + gap), rel=1e-6)
    assert all(p.endswith(("chou2025-figure-8_smoke.png", "chou2025-figure-8_smoke.pdf"))
               for p in report["files"])


def test_figure8_a_run_that_diverged_mid_way_fails(write_sweep, tmp_path):
    """Equal norms until step 60, then NaN in the β = 0.99 run: its finite prefix (and a
    "late" window measured from its last finite step) must not pass."""
    def curves(cfg):
        return {"hidden": lambda t: 5.0 if cfg.momentum == 0.9 or t < 60 else float("nan"),
                "output": flat(), "grad": flat()}
    path, results = write_runs(write_sweep, tmp_path, {"optimizer": ["adamc", "adamc"],
                                                       "momentum": [0.9, 0.99],
                                                       "beta2": [0.999, 0.99]}, curves)
    report = chou_figure_8.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["weight_norm_independent_of_betas"]["shown"] is False
    assert np.isnan(report["claims"]["measured"]["worst_ratio_deviation"])


@pytest.mark.parametrize("paper_like", [True, False])
def test_figure12_claims(write_sweep, tmp_path, paper_like):
    def curves(cfg):  # paper: head norm flat unless corrected, then +20 % in the last quarter
        if cfg.correct_output:
            return {"hidden": flat(10.0), "output": rises(0.2) if paper_like else flat(3.0),
                    "grad": flat()}
        return {"hidden": flat(10.0), "grad": flat(),
                "output": flat(3.0) if paper_like or cfg.optimizer == "scionc"
                else lambda t: 3.0 * (1 - 0.1 * max(0.0, (t - 75) / 24))}
    zipped = {"optimizer": ["scion", "scionc", "scionc"], "c2": [None, 1.0, 1.0],
              "correct_output": [False, False, True], "output_weight_decay": [0.004] * 3}
    path, results = write_runs(write_sweep, tmp_path, zipped, curves)
    report = chou_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    for name in ("corrected_output_norm_rises_at_the_end", "uncorrected_output_norm_stable",
                 "output_norm_differs_from_the_others"):
        assert claims[name]["shown"] is paper_like, name
    change = claims["measured"]["changes_last_quarter"]["scionc+output"]["output"]
    assert change == pytest.approx(0.2 * 0.9, abs=0.03) if paper_like else change == 0


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
        expand(write_sweep({**BASE, "optimizer": "scion", "correct_output": True}), "smoke")
    assert RunConfig(model="vit", dataset="synthetic", optimizer="scionc", lr=0.01, c2=1.0,
                     steps=1).correct_output is False
