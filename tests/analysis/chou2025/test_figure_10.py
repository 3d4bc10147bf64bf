"""Chou Fig. 10: the schedule started from α = 0.02, its claims made to pass and to fail on
fake runs, its premises, and its shipped sweep's starting lrs."""

from __future__ import annotations

import pytest
from conftest import momentum_ratio

from analysis.chou2025 import figure_10 as chou_figure_10
from harness.sweep import expand

from .conftest import amax, check, dip, learning, premise_entry

LR = 0.01 * momentum_ratio(0.1) / momentum_ratio(0.02)
ZIPPED = {"momentum": [0.9, 0.98, 0.98], "lr": [0.01, LR, LR],
          "momentum_schedule": ["constant"] + ["match_effective_lr_no_sqrt"] * 2,
          "momentum_final": [None, 0.5, 0.0]}


@pytest.mark.parametrize("shown", [True, False])
def test_figure10_claims(momentum_runs, tmp_path, shown):
    # 5 points below mid-run, 1 below at the end (or 2 above, then 1 above)
    top1 = dip(0.85, 0.89) if shown else dip(0.92, 0.91)
    path, results = momentum_runs(ZIPPED, top1, eff_scale=1.0 if shown else 3.0)
    learning(results)
    report = chou_figure_10.draw(path, "smoke", results, tmp_path / "fig")
    measured = check(report, shown, tmp_path, "10")
    # √(ratio(0.02)/ratio(0.1))·γ/0.01 = √(19/99) ≈ 0.44 at the start, /√f after
    early = measured["early_gamma_eff_over_baseline"].values()
    assert all(0.4 < v < 0.5 for v in early) if shown else all(v > 1 for v in early)


def test_figure10_a_baseline_norm_still_growing_is_not_judged(momentum_runs, tmp_path):
    """The baseline's ‖w‖ grows 50 % from 10 % to 50 % of the run: not at steady state."""
    def weight(cfg, t):
        return 1 + t / 50 if amax(cfg) is None else 1.0
    path, results = momentum_runs(ZIPPED, dip(0.85, 0.89), weight)
    learning(results)
    entry = premise_entry(chou_figure_10, path, results, tmp_path, {"steady_state"})
    assert all(entry["claims"].values())


def test_figure10_sweep_scales_the_sign_layer_like_the_hidden_ones():
    """Fig. 10 matches the α = 0.1 baseline's γ'_eff = γ(2−α)/α from α = 0.02: on every layer,
    the Sign layer's γ_L included, else it starts 99/19 = 5.2× above the baseline's."""
    runs = [r.config for r in expand("experiments/chou2025/figure-10.yaml", "smoke")]
    base = next(c for c in runs if c.momentum_schedule == "constant")
    for c in runs:
        for lr, base_lr in ((c.lr, base.lr), (c.output_lr, base.output_lr)):
            assert lr * momentum_ratio(1 - c.momentum) == pytest.approx(
                base_lr * momentum_ratio(1 - base.momentum), rel=1e-9)
