"""Kosson Fig. 10: no warmup improves the loss (a tie does not), made to pass and to fail on
fake runs and judged only where the runs learn; an optimum on the grid's edge is said;
diverged runs fail Figs. 5 and 10's claims (and their premise)."""

from __future__ import annotations

import pytest

from analysis.kosson2026 import figure_5 as kosson_figure_5
from analysis.kosson2026 import figure_10 as kosson_figure_10

from .conftest import LEARNING, LRS, NAN, STUCK, assert_premise, parabola


@pytest.mark.parametrize("warm_offset, shown", [(0.02, True), (-0.02, False), (0.0, False)])
def test_figure10_no_warmup(ablation_sweep, tmp_path, warm_offset, shown):
    path, results = ablation_sweep(
        {"warmup_steps": [0, 10], "lr": LRS},
        lambda cfg: 1.6 + (warm_offset if cfg.warmup_steps else 0) + parabola()(cfg.lr))
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["no_warmup_improves"]["shown"] is shown


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure10_premise_the_compared_runs_learn(ablation_sweep, tmp_path, start, learns):
    path, results = ablation_sweep(
        {"warmup_steps": [0, 10], "lr": LRS},
        lambda cfg: 1.6 + (0.02 if cfg.warmup_steps else 0) + parabola()(cfg.lr), start=start)
    entry = assert_premise(kosson_figure_10, path, results, tmp_path / "r", learns)
    assert entry["claims"]["no_warmup_improves"]
    ratios = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")[
        "claims"]["measured"]["eval_loss_end_over_start"]
    assert ratios == pytest.approx({"0": 1.6 / start, "10": 1.62 / start})


def test_an_optimum_on_the_grid_edge_is_said(ablation_sweep, tmp_path):
    path, results = ablation_sweep(
        {"warmup_steps": [0, 10], "lr": LRS},
        lambda cfg: 1.6 + parabola(0.04 if cfg.warmup_steps else 0.01)(cfg.lr))
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["10"]


def test_figure5_and_figure10_fail_when_everything_diverged(ablation_sweep, tmp_path):
    path, results = ablation_sweep(
        {"md_embeddings": ["unit", "free"], "lr": LRS},
        lambda cfg: NAN, folder=tmp_path / "5")
    report = kosson_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["unit_embeddings_better"]["shown"]  # inf < inf
    assert report["verdicts"][0].startswith("PREMISE NOT MET")  # inf: nothing learned
    assert report["verdicts"][1].startswith("NOT SHOWN")
    path, results = ablation_sweep({"warmup_steps": [0, 10], "lr": LRS}, lambda cfg: NAN,
                                   folder=tmp_path / "10")
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["no_warmup_improves"]["shown"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]  # no optimum: the first lr
