"""Chou Fig. 11: a linear momentum schedule with ScionC's λ_t against λ ∝ γ, each claim made to
pass and to fail on fake runs."""

from __future__ import annotations

import math

import pytest
from conftest import WARMUP

from analysis.chou2025 import figure_11 as chou_figure_11

from .conftest import amax, check


@pytest.mark.parametrize("shown", [True, False])
def test_figure11_claims(momentum_runs, tmp_path, shown):
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
    path, results = momentum_runs(zipped, top1, weight, grad, eff_scale=1.0 if shown else 1.5,
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


def test_figure11_a_run_diverged_mid_way_is_not_stable(momentum_runs, tmp_path):
    """ScionC's ‖w‖ is flat until step 60, then NaN: its finite prefix must not pass."""
    def weight(cfg, t):
        if cfg["scionc_decay"] == "adaptive" and amax(cfg) is not None and t >= 60:
            return float("nan")
        return 1.0
    path, results = momentum_runs(FIG11, lambda c, t: 0.9, weight, top={"c2": 2.375})
    report = chou_figure_11.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["scionc_keeps_norms_stable"]["shown"] is False
    assert report["claims"]["scionc_rises_early_then_plateaus"]["shown"] is False
    swings = report["claims"]["measured"]["post_warmup_swing"]
    assert math.isnan(next(s for k, s in swings.items() if "ScionC" in k)["weight_norm"])
