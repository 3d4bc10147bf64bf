"""Kosson Fig. 13: at the largest joint width-and-depth size MuonMD beats tuned AdamW and Muon
(judged there only, one baseline failing at a time), the premise, the grid edge at that size,
and the baselines' optimum shift across sizes measured, not judged."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_13 as kosson_figure_13

from .conftest import LEARNING, LRS, STUCK, assert_premise

ORDER = {"adamw": 2.6, "muon": 2.5, "muonmd": 2.3}  # at the largest size
SIZES = [(32, 1), (64, 2)]
# Rows: both baselines at both sizes, MuonMD at the largest only (as the sweep file).
ROWS = [(w, d, o, lr) for w, d in SIZES for o in ("adamw", "muon") for lr in LRS] + \
    [(64, 2, "muonmd", lr) for lr in LRS]
ZIP = {k: [row[i] for row in ROWS] for i, k in enumerate(("width", "depth", "optimizer", "lr"))}


def _loss(order, small_adamw=2.9, small_best=0.02):
    """`order` at 64 × 2 (best lr 0.01); at 32 × 1 the baselines' best lr is `small_best`."""
    def loss(cfg):
        if cfg.width == 32:
            return (small_adamw if cfg.optimizer == "adamw" else 2.8) + \
                abs(np.log2(cfg.lr / small_best))
        return order[cfg.optimizer] + abs(np.log2(cfg.lr / 0.01))
    return loss


@pytest.mark.parametrize("change, failed", [
    ({}, set()),
    ({"adamw": 2.2}, {"muonmd_beats_tuned_adamw_at_the_largest"}),
    ({"muon": 2.3}, {"muonmd_beats_tuned_muon_at_the_largest"})])  # a tie is not a win
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure13_claims_at_the_largest(optimizer_sweep, tmp_path, change, failed, start,
                                        learns):
    path, results = optimizer_sweep(_loss({**ORDER, **change}), start, rows=ZIP)
    report = kosson_figure_13.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == failed
    assert report["claims"]["measured"]["best_loss"] == {
        kosson_figure_13.LABELS[o]: v for o, v in {**ORDER, **change}.items()}
    assert_premise(kosson_figure_13, path, results, tmp_path / "r", learns)


def test_figure13_judges_only_the_largest_size(optimizer_sweep, tmp_path):
    """AdamW far better than MuonMD at the small size changes nothing: the caption speaks of
    the largest model. Its optimum moving one step is measured, with no claim."""
    path, results = optimizer_sweep(_loss(ORDER, small_adamw=1.0), rows=ZIP)
    report = kosson_figure_13.draw(path, "smoke", results, tmp_path / "fig")
    assert all(v["shown"] for k, v in report["claims"].items() if k != "measured")
    measured = report["claims"]["measured"]
    assert measured["adamw_best_lr"] == {"32×1": 0.02, "64×2": 0.01}
    assert measured["adamw_shift"] == 1 == measured["muon_shift"]
    assert any(v.startswith("measured") and "AdamW" in v and "moves 1 grid step"
               in v for v in report["verdicts"])


def test_figure13_an_edge_optimum_elsewhere_is_measured(optimizer_sweep, tmp_path):
    path, results = optimizer_sweep(_loss({**ORDER}, small_best=0.04), rows=ZIP)
    report = kosson_figure_13.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["optima_inside_the_lr_grid"]["shown"]  # the small size's edge
    assert any("on the grid's edge for ['32×1']" in v for v in report["verdicts"])


def test_figure13_an_edge_optimum_at_the_largest_fails_the_grid_check(optimizer_sweep,
                                                                      tmp_path):
    def muon_edge(cfg):  # at the largest, Muon's loss falls to the grid's largest lr
        return 3.0 - cfg.lr if (cfg.optimizer, cfg.width) == ("muon", 64) else \
            _loss(ORDER)(cfg)
    path, results = optimizer_sweep(muon_edge, rows=ZIP)
    claims = kosson_figure_13.draw(path, "smoke", results, tmp_path / "fig2")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["Muon (λ, warmup)"]


def test_figure13_needs_muonmd_at_the_largest(optimizer_sweep, tmp_path):
    rows = {k: v[:-len(LRS)] for k, v in ZIP.items()}
    path, results = optimizer_sweep(_loss(ORDER), rows=rows)
    with pytest.raises(Exception, match="MuonMD"):
        kosson_figure_13.draw(path, "smoke", results, tmp_path / "fig")
