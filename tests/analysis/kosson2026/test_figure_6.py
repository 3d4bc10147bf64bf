"""Kosson Fig. 6: gains beat the sphere alone and row+col gains are best, made to pass and to
fail on fake runs, and judged only where the runs learn."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_6 as kosson_figure_6

from .conftest import LEARNING, LRS, STUCK, assert_premise


@pytest.mark.parametrize("order, shown", [
    ({"none": 3.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}, (True, True)),
    ({"none": 1.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}, (False, False)),
    ({"none": 3.0, "scalar": 1.2, "row": 1.8, "col": 1.9, "row+col": 1.5}, (True, False))])
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_gain_mode_claims(lr_grid, tmp_path, order, shown, start, learns):
    path, results = lr_grid(
        {"gains": list(order), "lr": LRS},
        lambda cfg: order[cfg.gains] + abs(np.log2(cfg.lr / 0.01)), start)
    claims = kosson_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert (claims["gains_beat_sphere_only"]["shown"], claims["row_col_is_best"]["shown"]) \
        == shown
    assert assert_premise(kosson_figure_6, path, results, tmp_path / "r", learns)["claims"] \
        == dict(zip(("gains_beat_sphere_only", "row_col_is_best"), shown))
