"""Kosson Fig. 12: the matrix lr matters most and the loss is flat in the gains' lr, made to
pass and to fail on fake runs, judged only where the runs learn (and failed by diverged
runs)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_12 as kosson_figure_12

from .conftest import LEARNING, LRS, STUCK, assert_premise, bowl

ZIP12 = {"lr": [0.01] * 11 + [0.0025, 0.005, 0.02, 0.04],
         "adam_lr": [0.001, 0.002, 0.004, 0.008, 0.016] + [0.004] * 10,
         "gains_lr": [None] * 5 + [0.001, 0.002, 0.004, 0.008, 0.016, 0.032] + [None] * 4}


@pytest.mark.parametrize("gains_width, shown", [(0.0005, (True, True)),
                                                (0.02, (False, False))])
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure12_claims(gpt_sweep, tmp_path, gains_width, shown, start, learns):
    def loss(cfg):
        if cfg.gains_lr is not None:
            return 2.0 + bowl(cfg.gains_lr, 0.004, gains_width)
        return 2.0 + bowl(cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.004, 0.002)
    path, results = gpt_sweep({"zip": ZIP12}, loss, start=start)
    report = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert (claims["matrix_lr_matters_most"]["shown"], claims["flat_in_gains_lr"]["shown"]) \
        == shown
    assert set(claims["measured"]["eval_loss_end_over_start"]) == {"matrix lr", "adam lr",
                                                                   "gains lr"}
    assert_premise(kosson_figure_12, path, results, tmp_path / "r", learns)
    assert claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["best_lr"] == {"matrix lr": 0.01, "adam lr": 0.004,
                                             "gains lr": 0.004}
    assert claims["measured"]["excess_loss_within_window"]["matrix lr"] == pytest.approx(0.02)
    assert len(report["verdicts"]) == 4 and all(p.endswith(("png", "pdf"))
                                                for p in report["files"])


def test_figure12_adam_optimum_on_the_edge_is_said(gpt_sweep, tmp_path):
    path, results = gpt_sweep({"zip": ZIP12}, lambda cfg: 2.0 + bowl(
        cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.016, 0.002))
    claims = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]


def test_figure12_all_gains_runs_diverged_is_not_flat(gpt_sweep, tmp_path):
    def loss(cfg):
        if cfg.gains_lr is not None:
            return float("nan")
        return 2.0 + bowl(cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.004, 0.002)
    path, results = gpt_sweep({"zip": ZIP12}, loss)
    report = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert not claims["flat_in_gains_lr"]["shown"]  # every loss inf: not "flat at inf"
    assert not claims["matrix_lr_matters_most"]["shown"]  # the gains penalty is NaN
    assert np.isnan(claims["measured"]["excess_loss_within_window"]["gains lr"])
    assert report["premises"] == {"compared_runs_learn": False}  # its best gains run: inf
    assert report["verdicts"][2].startswith("NOT SHOWN")


def test_flat_span_and_penalty_of_an_all_diverged_table():
    import pandas as pd
    table = pd.DataFrame({"g": "x", "lr": LRS, "loss": [np.inf] * 4})
    assert all(np.isnan(kosson_figure_12.flat_span(table)))
    assert np.isnan(kosson_figure_12.penalty(table))


def test_figure12_a_gains_lr_that_is_not_flat_says_how_far_the_gains_moved(gpt_sweep,
                                                                            tmp_path):
    """Loss not flat in the gains lr, and each gains-lr run's middle-block row gains spread
    1 + 100·gains_lr wide at the end (softplus): the CAUSE line lists the spreads per gains lr."""
    row = "blocks.1.attn.qkv.parametrizations.weight.0.row"

    def raw(g):  # softplus⁻¹
        return float(np.log(np.expm1(g)))

    def gains_of(cfg):
        if cfg.gains_lr is None:
            return None
        return {row: [(raw(1.0), raw(1.0))] * 9 + [(raw(1.0), raw(1 + 100 * cfg.gains_lr))]}

    def loss(cfg):
        if cfg.gains_lr is not None:
            return 2.0 + bowl(cfg.gains_lr, 0.004, 0.02)
        return 2.0 + bowl(cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.004, 0.002)
    path, results = gpt_sweep({"zip": ZIP12}, loss, gains_of=gains_of)
    report = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["flat_in_gains_lr"]["shown"]
    cause = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(cause) == 1
    assert "0.001 1.10×" in cause[0] and "0.032 4.20×" in cause[0]
