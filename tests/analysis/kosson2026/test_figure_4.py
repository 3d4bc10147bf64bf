"""Kosson Fig. 4: which axis (row, column, whole matrix) the sphere constrains barely matters,
made to pass and to fail on fake runs, and judged only where the runs learn."""

from __future__ import annotations

import pytest

from analysis.kosson2026 import figure_4 as kosson_figure_4

from .conftest import LEARNING, LRS, STUCK, assert_premise, parabola


@pytest.mark.parametrize("offsets, shown", [
    ({"row": 0.005, "col": 0.01, "frobenius": 0.0}, True),    # spread 0.6 % ≤ 1 %
    ({"row": 0.0, "col": 0.05, "frobenius": 0.01}, False)])   # col 3 % worse
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure4_axis_band(ablation_sweep, tmp_path, offsets, shown, start, learns):
    path, results = ablation_sweep(
        {"md_sphere": list(offsets), "lr": LRS},
        lambda cfg: 1.6 + offsets[cfg.md_sphere] + parabola()(cfg.lr), gains="none",
        start=start)
    report = kosson_figure_4.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["axis_barely_matters"]["shown"] is shown
    assert report["claims"]["optima_inside_the_lr_grid"]["shown"]
    assert len(report["files"]) == 2
    entry = assert_premise(kosson_figure_4, path, results, tmp_path / "r", learns)
    assert entry["claims"]["axis_barely_matters"] is shown  # judged the same either way
