"""Kosson Fig. 5: unit-norm embeddings are (slightly, but strictly) better than free ones, made
to pass and to fail on fake runs, and judged only where the runs learn."""

from __future__ import annotations

import pytest

from analysis.kosson2026 import figure_5 as kosson_figure_5

from .conftest import LEARNING, LRS, STUCK, assert_premise, parabola


@pytest.mark.parametrize("unit_offset, shown", [(-0.01, True), (0.01, False), (0.0, False)])
def test_figure5_unit_embeddings(ablation_sweep, tmp_path, unit_offset, shown):
    path, results = ablation_sweep(
        {"md_embeddings": ["unit", "free"], "lr": LRS},
        lambda cfg: 1.6 + (unit_offset if cfg.md_embeddings == "unit" else 0)
        + parabola()(cfg.lr))
    claims = kosson_figure_5.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["unit_embeddings_better"]["shown"] is shown


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure5_premise_the_compared_runs_learn(ablation_sweep, tmp_path, start, learns):
    path, results = ablation_sweep(
        {"md_embeddings": ["unit", "free"], "lr": LRS},
        lambda cfg: 1.6 - 0.01 * (cfg.md_embeddings == "unit") + parabola()(cfg.lr),
        start=start)
    entry = assert_premise(kosson_figure_5, path, results, tmp_path / "r", learns)
    assert entry["claims"]["unit_embeddings_better"]  # the claim, as without the premise
    assert entry["status"] == ("shown" if learns else "not shown (premise not met)")
