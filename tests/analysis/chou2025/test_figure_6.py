"""Chou Fig. 6: under a cosine C², ScionC's weight norm may fall, but less than Scion's."""

from __future__ import annotations

import pytest

from analysis.chou2025 import figure_6 as chou_figure_6

from .conftest import falls, flat


@pytest.mark.parametrize("scionc_fall, shown", [(0.3, True), (0.6, False)])
def test_figure6_corrected_may_fall_but_less(norm_runs, tmp_path, scionc_fall, shown):
    """Cosine C² lowers ScionC's ‖w‖ by design: a 30 % fall against Scion's 50 % is shown
    (Fig. 4's rule, "less than half of the baseline's", would reject it)."""
    def curves(cfg):
        return {"hidden": falls(0.5 if cfg.optimizer == "scion" else scionc_fall),
                "output": flat(), "grad": flat()}
    path, results = norm_runs({"optimizer": ["scion", "scionc"], "c2": [None, 1.0]}, curves)
    claims = chou_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert claims["corrected_keeps_weight_norm"]["shown"] is shown
