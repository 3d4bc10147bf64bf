"""Kosson Fig. 7: the optimal lr transfers across width, made to pass and to fail on fake
runs; diverged runs are the worst, not a crash, and fail the claims of Figs. 6 and 7."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_6 as kosson_figure_6
from analysis.kosson2026 import figure_7 as kosson_figure_7

from .conftest import LRS, NAN


@pytest.mark.parametrize("moving, shown", [(False, True), (True, False)])
def test_lr_transfer_claim(lr_grid, tmp_path, moving, shown):
    def loss(cfg):  # a parabola in log2(lr) whose minimum sits at 0.01, or moves with width
        best = 0.01 * (4 if moving and cfg.width == 128 else 1)
        return 1.0 + (np.log2(cfg.lr / best)) ** 2
    path, results = lr_grid({"width": [32, 64, 128], "lr": LRS}, loss)
    report = kosson_figure_7.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["optimal_lr_transfers_across_width"]["shown"] is shown
    assert report["claims"]["measured"]["shift"] == (2 if moving else 0)
    # the moved optimum (0.04) sits on the grid's edge: that is said, not hidden
    assert report["claims"]["optima_inside_the_lr_grid"]["shown"] is not moving


def test_a_diverged_run_is_the_worst_not_a_crash(lr_grid, tmp_path):
    path, results = lr_grid(
        {"width": [32, 64], "lr": LRS},
        lambda cfg: float("nan") if cfg.lr == 0.04 else
        1.0 + abs(np.log2(cfg.lr / 0.01)))
    report = kosson_figure_7.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["measured"]["best_lr"] == {"32": 0.01, "64": 0.01}


def test_figure6_and_figure7_fail_when_everything_diverged(ablation_sweep, tmp_path):
    path, results = ablation_sweep({"width": [32, 64], "lr": LRS}, lambda cfg: NAN,
                                   folder=tmp_path / "7")
    claims = kosson_figure_7.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["measured"]["shift"] == 0  # both "optima" at the first lr...
    assert not claims["optimal_lr_transfers_across_width"]["shown"]  # ...which shows nothing
    path, results = ablation_sweep(
        {"gains": ["row+col", "none", "row"], "lr": LRS},
        lambda cfg: NAN, folder=tmp_path / "6")
    claims = kosson_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["gains_beat_sphere_only"]["shown"]
    assert not claims["row_col_is_best"]["shown"]
