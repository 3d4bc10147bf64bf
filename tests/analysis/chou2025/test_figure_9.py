"""Chou Fig. 9: matching γ(2−α)/α (no square root) raises γ'_eff mid-run; its claims made to
pass and to fail on fake runs."""

from __future__ import annotations

import pytest

from analysis.chou2025 import figure_9 as chou_figure_9

from .conftest import check, dip


@pytest.mark.parametrize("shown", [True, False])
def test_figure9_claims(momentum_runs, tmp_path, shown):
    zipped = {"momentum_schedule": ["constant"] + ["match_effective_lr_no_sqrt"] * 3,
              "momentum_final": [None, 0.8, 0.5, 0.0]}

    # 5 points below until the end, then level (or above, then 5 below)
    top1 = dip(0.85, 0.9) if shown else dip(0.92, 0.85)
    path, results = momentum_runs(zipped, top1, eff_scale=1.0 if shown else 0.5)
    report = chou_figure_9.draw(path, "smoke", results, tmp_path / "fig")
    measured = check(report, shown, tmp_path, "9")
    ratios = measured["mid_gamma_eff_over_baseline"]
    # closed form over the middle half: 1/√f before the cap (≈ √2 mid-run), ≥ 1 throughout
    assert all(1.2 < v < 2.0 for v in ratios.values()) if shown else \
        all(v < 1 for v in ratios.values())
