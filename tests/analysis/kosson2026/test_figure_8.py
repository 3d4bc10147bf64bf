"""Kosson Fig. 8 (our reading: AdamMD's lr transfer across width): Figure 7's width claim under
its own figure number, made to pass and to fail on fake runs."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_8 as kosson_figure_8

from .conftest import LRS


@pytest.mark.parametrize("moving, shown", [(False, True), (True, False)])
def test_lr_transfer_claim(lr_grid, tmp_path, moving, shown):
    def loss(cfg):  # a parabola in log2(lr) whose minimum sits at 0.01, or moves with width
        best = 0.01 * (4 if moving and cfg.width == 128 else 1)
        return 1.0 + (np.log2(cfg.lr / best)) ** 2
    path, results = lr_grid({"width": [32, 64, 128], "lr": LRS}, loss)
    report = kosson_figure_8.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["optimal_lr_transfers_across_width"]["shown"] is shown
    assert report["claims"]["measured"]["shift"] == (2 if moving else 0)
    assert (tmp_path / "fig" / "kosson2026-figure-8_smoke.png").is_file()
