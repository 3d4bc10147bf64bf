"""Kosson Fig. 6: gains beat the sphere alone and row+col gains are best, made to pass and to
fail on fake runs."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_6 as kosson_figure_6

from .conftest import LRS


@pytest.mark.parametrize("order, shown", [
    ({"none": 3.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}, (True, True)),
    ({"none": 1.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}, (False, False)),
    ({"none": 3.0, "scalar": 1.2, "row": 1.8, "col": 1.9, "row+col": 1.5}, (True, False))])
def test_gain_mode_claims(lr_grid, tmp_path, order, shown):
    path, results = lr_grid(
        {"gains": list(order), "lr": LRS},
        lambda cfg: order[cfg.gains] + abs(np.log2(cfg.lr / 0.01)))
    claims = kosson_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert (claims["gains_beat_sphere_only"]["shown"], claims["row_col_is_best"]["shown"]) \
        == shown
