"""The intrinsic-lr (ηλ) figure: its four claims pass on results obeying the theory and fail on
results that break it one way each, written the way the harness writes them."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.background import figure_1 as background_figure_1

PAIRS = {"lr": [0.001, 0.002, 0.004, 0.002, 0.002], "weight_decay": [3.0, 1.5, 0.75, 0.75, 3.0]}
SWEEP = {"name": "bg", "model": "resnet", "depth": 8, "width": 4, "dataset": "synthetic",
         "optimizer": "adamw", "steps": 100, "zip": PAIRS, "scales": {"smoke": {}}}
P = 0.003  # the fixed family's ηλ


def loss_set_by_product(cfg):
    return 50 * abs(cfg.lr * cfg.weight_decay - P)


LAYERS = {"conv1": 2.0, "conv2": 5.0}  # per-layer norm at η/λ = 1 (any values work)


def equilibrium(cfg, norm_power=0.5, rel_power=0.5, loss_of=lambda cfg: 0.0):
    """fake_run's keywords for a run at equilibrium: per-layer ‖w‖ ∝ (η/λ)^norm_power,
    ‖Δw‖/‖w‖ ∝ (ηλ)^rel_power, and a loss curve shifted by `loss_of(config)`."""
    layers = {}
    for name, base in LAYERS.items():
        w = base * (cfg.lr / cfg.weight_decay) ** norm_power
        layers[name] = {"kind": "conv", "weight_norm": w, "grad_norm": 1.0 / w,
                        "update_norm": w * (cfg.lr * cfg.weight_decay) ** rel_power}
    # A non-normalized layer breaks every rule: the claims must ignore it.
    layers["fc"] = {"normalized": False, "weight_norm": 100.0 * cfg.lr, "update_norm": 7.0}
    return {"metrics": {"loss": lambda t: 2.0 - t / 100 + loss_of(cfg)}, "layers": layers}


def draw(fake_sweep, tmp_path, sweep=SWEEP, **how):
    path, results = fake_sweep(sweep, lambda cfg: equilibrium(cfg, **how))
    return background_figure_1.draw(path, "smoke", results, tmp_path / "fig")


def shown(report):
    return {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}


def test_theory_obeyed_shows_every_claim(fake_sweep, tmp_path):
    report = draw(fake_sweep, tmp_path, loss_of=loss_set_by_product)
    assert all(shown(report).values()), report["verdicts"]
    measured = report["claims"]["measured"]
    assert max(measured["norm_deviation"].values()) < 1e-9
    assert measured["loss_gap_within"] < 1e-9
    # controls at P/2 and 2P: 50·|Δp| = 0.075 and 0.15 away; the nearest is 0.075
    assert measured["loss_gap_to_controls"] == pytest.approx(0.075)
    assert all(path.endswith((".png", ".pdf")) for path in report["files"])


@pytest.mark.parametrize("how, broken", [
    # SGD-like norms (η/λ)^¼ instead of ^½: the norm claim fails, by 29 % at a factor 4
    ({"norm_power": 0.25}, "norms_scale_as_sqrt_lr_over_wd"),
    # relative update that depends on η alone: fails at fixed ηλ and for the controls
    ({"rel_power": 0.0}, "relative_update_scales_as_sqrt_product"),
    # the loss is set by η, not ηλ: runs sharing ηλ are further apart than the controls
    ({"loss_of": lambda cfg: 20 * cfg.lr}, "same_loss_curve_at_fixed_product"),
])
def test_each_claim_fails_when_its_theory_is_broken(fake_sweep, tmp_path, how, broken):
    how = {"loss_of": loss_set_by_product, **how}
    report = draw(fake_sweep, tmp_path, **how)
    assert shown(report)[broken] is False, report["verdicts"]


def test_relative_update_that_differs_at_fixed_product_fails(fake_sweep, tmp_path):
    # ‖Δw‖/‖w‖ ∝ η (not ηλ): runs sharing ηλ rotate at different rates
    def rotating(cfg):
        how = equilibrium(cfg, rel_power=0.0, loss_of=loss_set_by_product)
        for name in LAYERS:
            how["layers"][name]["update_norm"] *= cfg.lr
        return how
    path, results = fake_sweep(SWEEP, rotating)
    report = background_figure_1.draw(path, "smoke", results, tmp_path / "fig")
    assert shown(report)["relative_update_set_by_product"] is False


def test_needs_a_fixed_product_family(fake_sweep, tmp_path):
    lone = {**SWEEP, "zip": {"lr": [0.001, 0.002], "weight_decay": [1.0, 1.0]}}
    with pytest.raises(ValueError, match="same product"):
        draw(fake_sweep, tmp_path, sweep=lone)


def test_a_diverged_run_fails_the_claims_instead_of_dropping_out(fake_sweep, tmp_path):
    def diverging(cfg):
        how = equilibrium(cfg, loss_of=loss_set_by_product)
        if cfg.lr == 0.004:  # the fixed family's last run: norms and loss go NaN
            how["metrics"]["loss"] = np.nan
            for columns in how["layers"].values():
                columns.update(weight_norm=np.nan, update_norm=np.nan)
        return how
    path, results = fake_sweep(SWEEP, diverging)
    claims = shown(background_figure_1.draw(path, "smoke", results, tmp_path / "fig"))
    assert claims["norms_scale_as_sqrt_lr_over_wd"] is False
    assert claims["relative_update_set_by_product"] is False
    assert claims["same_loss_curve_at_fixed_product"] is False
