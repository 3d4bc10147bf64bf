"""Kosson Fig. 17: the rank-4 gain sits between no gains and row+col gains, made to pass and
to fail on fake runs, and judged only where the runs learn."""

from __future__ import annotations

import pytest

from analysis.kosson2026 import figure_17 as kosson_figure_17

from .conftest import LEARNING, LRS, NAN, STUCK, assert_premise, parabola


@pytest.mark.parametrize("order, shown", [
    ({"none": 1.8, "row+col": 1.6, "rank4": 1.65}, True),
    ({"none": 1.8, "row+col": 1.7, "rank4": 1.65}, False),    # rank-4 beats row+col
    ({"none": 1.6, "row+col": 1.5, "rank4": 1.65}, False)])   # rank-4 worse than none
def test_figure17_rank_gain_claim(ablation_sweep, tmp_path, order, shown):
    path, results = ablation_sweep(
        {"gains": list(order), "lr": LRS},
        lambda cfg: order[cfg.gains] + parabola()(cfg.lr))
    claims = kosson_figure_17.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["rank_gain_between_none_and_row_col"]["shown"] is shown


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure17_premise_the_compared_runs_learn(ablation_sweep, tmp_path, start, learns):
    order = {"none": 1.8, "row+col": 1.6, "rank4": 1.65}
    path, results = ablation_sweep(
        {"gains": list(order), "lr": LRS},
        lambda cfg: order[cfg.gains] + parabola()(cfg.lr), start=start)
    entry = assert_premise(kosson_figure_17, path, results, tmp_path / "r", learns)
    assert entry["claims"]["rank_gain_between_none_and_row_col"]


def test_figure17_fails_when_one_side_diverged(ablation_sweep, tmp_path):
    order = {"none": NAN, "row+col": 1.6, "rank4": 1.65}
    path, results = ablation_sweep(
        {"gains": list(order), "lr": LRS},
        lambda cfg: order[cfg.gains] + parabola()(cfg.lr))
    claims = kosson_figure_17.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["rank_gain_between_none_and_row_col"]["shown"]
