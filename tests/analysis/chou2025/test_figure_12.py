"""Chou Fig. 12: the output layer's norm with and without `correct_output`, each claim made
to pass and to fail on fake runs."""

from __future__ import annotations

import pytest

from analysis.chou2025 import figure_12 as chou_figure_12

from .conftest import flat, rises


@pytest.mark.parametrize("paper_like", [True, False])
def test_figure12_claims(norm_runs, tmp_path, paper_like):
    def curves(cfg):  # paper: head norm flat unless corrected, then +20 % in the last quarter
        if cfg.correct_output:
            return {"hidden": flat(10.0), "output": rises(0.2) if paper_like else flat(3.0),
                    "grad": flat()}
        return {"hidden": flat(10.0), "grad": flat(),
                "output": flat(3.0) if paper_like or cfg.optimizer == "scionc"
                else lambda t: 3.0 * (1 - 0.1 * max(0.0, (t - 75) / 24))}
    zipped = {"optimizer": ["scion", "scionc", "scionc"], "c2": [None, 1.0, 1.0],
              "correct_output": [False, False, True], "output_weight_decay": [0.004] * 3}
    path, results = norm_runs(zipped, curves)
    report = chou_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    for name in ("corrected_output_norm_rises_at_the_end", "uncorrected_output_norm_stable",
                 "output_norm_differs_from_the_others"):
        assert claims[name]["shown"] is paper_like, name
    change = claims["measured"]["changes_last_quarter"]["scionc+output"]["output"]
    assert change == pytest.approx(0.2 * 0.9, abs=0.03) if paper_like else change == 0
