"""Kosson Fig. 16: the lr transfers across depth under a block-output scale, made to pass and
to fail on fake runs, and judged only where the runs learn; the shipped Kosson sweeps expand
to their grids."""

from __future__ import annotations

import pytest

from analysis.kosson2026 import figure_16 as kosson_figure_16
from harness.sweep import expand, load_sweep

from .conftest import LEARNING, LRS, STUCK, assert_premise, bowl


@pytest.mark.parametrize("moving, sqrt_worse", [(False, False), (True, False), (False, True)])
def test_figure16_claims(gpt_sweep, tmp_path, moving, sqrt_worse):
    def loss(cfg):  # 1/L's optimum moves ×4 at depth 6 if `moving`; √ worse at depth 3
        best = 0.01 * (4 if moving and cfg.depth == 6 and cfg.block_output_scale ==
                       "inverse_depth" else 1)
        offset = -0.01 if cfg.block_output_scale == "inverse_sqrt_2depth" else 0.0
        if sqrt_worse and cfg.depth == 3:
            offset = -offset
        return 2.0 + offset + bowl(cfg.lr, best, 0.01)
    grid = {"depth": [1, 3, 6], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS}
    path, results = gpt_sweep({"grid": grid}, loss)
    claims = kosson_figure_16.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["inverse_depth_lr_transfers_across_depth"]["shown"] is not moving
    assert claims["inverse_sqrt_2depth_lr_transfers_across_depth"]["shown"]
    assert claims["sqrt_scale_improves"]["shown"] is not sqrt_worse
    assert claims["measured"]["sqrt_worse_at_depths"] == ([3] if sqrt_worse else [])
    assert claims["optima_inside_the_lr_grid"]["shown"] is not moving  # 0.04: the edge


def test_figure16_a_depth_where_both_scales_diverged_fails(gpt_sweep, tmp_path):
    def loss(cfg):
        if cfg.depth == 3:
            return float("nan")
        offset = -0.01 if cfg.block_output_scale == "inverse_sqrt_2depth" else 0.0
        return 2.0 + offset + bowl(cfg.lr, 0.01, 0.01)
    grid = {"depth": [1, 3, 6], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS}
    path, results = gpt_sweep({"grid": grid}, loss)
    claims = kosson_figure_16.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["sqrt_scale_improves"]["shown"]  # inf > inf is False: not a pass
    assert claims["measured"]["diverged_at_depths"] == [3]
    for alpha in kosson_figure_16.ALPHAS:  # depth 3's "optimum" would be the first lr
        assert not claims[f"{alpha}_lr_transfers_across_depth"]["shown"]


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure16_premise_the_compared_runs_learn(gpt_sweep, tmp_path, start, learns):
    grid = {"depth": [1, 3], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS}
    path, results = gpt_sweep({"grid": grid}, lambda cfg: 2.0 + bowl(cfg.lr, 0.01, 0.01) - 0.01
                              * (cfg.block_output_scale == "inverse_sqrt_2depth"), start=start)
    entry = assert_premise(kosson_figure_16, path, results, tmp_path / "r", learns)
    assert all(entry["claims"].values())  # every claim shown, as without the premise
    assert entry["detail"].count("L=") >= 4  # each (α, depth) best run listed


def test_shipped_sweeps_expand_with_their_grids():
    mini = {f: expand(f"experiments/kosson2026/figure-{f}.yaml", "mini") for f in
            (12, 14, 16, 18)}
    # Fig. 12: the centre and 8 gains lrs × 3 seeds, 7 more lr points × 1; Fig. 14: (5 lrs ×
    # 3 factors × 2 optimizers + AdamW's 6 lrs) × 3 seeds; Fig. 16: 3 depths × 2 αs × 4 lrs ×
    # 3 seeds
    assert len(mini[12]) == 34 and len(mini[14]) == 108 and len(mini[16]) == 72
    assert {r.config.block_output_scale for r in mini[16]} == set(kosson_figure_16.ALPHAS)
    assert 2 not in {r.config.depth for r in mini[16]}  # there 1/L = √(1/(2L))
    assert load_sweep("experiments/kosson2026/figure-12.yaml")["figure"] == "12"


def test_figure16_a_tie_is_not_an_improvement(gpt_sweep, tmp_path):
    """Fig. 16: "a small but consistent loss improvement" for √(1/(2L)): equal losses fail."""
    grid = {"depth": [1, 3], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS}
    path, results = gpt_sweep({"grid": grid}, lambda cfg: 2.0 + bowl(cfg.lr, 0.01, 0.01))
    claims = kosson_figure_16.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["sqrt_scale_improves"]["shown"]
    assert claims["measured"]["sqrt_worse_at_depths"] == [1, 3]



@pytest.mark.parametrize("common, mixed, within", [(0.05, 0.0, False), (0.0, 0.05, True)])
def test_figure16_with_seeds_says_the_gaps_beside_seed_noise(gpt_sweep, tmp_path, common,
                                                            mixed, within):
    """√ better by 0.01 at every depth, two seeds: shown either way (the threshold is the
    mean's), and a measured line sets each gap beside the noise of the per-seed gaps (the
    seeds are paired): a seed's shift common to both scales cancels; one that differs
    between them does not."""
    def loss(cfg):
        sqrt = cfg.block_output_scale == "inverse_sqrt_2depth"
        sign = 2 * cfg.seed - 1
        return (2.0 - 0.01 * sqrt + common * sign + mixed * sign * (1 if sqrt else -1)
                + bowl(cfg.lr, 0.01, 0.01))
    grid = {"depth": [1, 3], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS,
            "seed": [0, 1]}
    path, results = gpt_sweep({"grid": grid}, loss)
    report = kosson_figure_16.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["sqrt_scale_improves"]["shown"]
    line = [v for v in report["verdicts"] if "beside seed noise" in v]
    assert len(line) == 1 and line[0].count("within seed noise" if within else "beyond") == 2
    assert line[0].count("paired") == 2
