"""Kosson Fig. 15: MD on top of nGPT beats nGPT as proposed, per family (Adam, Muon), made to
pass and to fail one family at a time on fake runs, with the cause line, the premise, the grid
edge and the loss-curve panels."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_15 as kosson_figure_15

from .conftest import LEARNING, LRS, STUCK, assert_premise

ORDER = {"adamw": 2.6, "adammd": 2.4, "muon": 2.5, "muonmd": 2.3}


@pytest.mark.parametrize("change, failed", [
    ({}, set()),
    ({"adamw": 2.3}, {"adammd_on_ngpt_beats_ngpt_adamw"}),
    ({"muonmd": 2.5}, {"muonmd_on_ngpt_beats_ngpt_muon"})])  # a tie is not a win
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure15_claims(optimizer_sweep, tmp_path, change, failed, start, learns):
    path, results = optimizer_sweep({**ORDER, **change}, start)
    order = {**ORDER, **change}
    report = kosson_figure_15.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == failed
    assert report["claims"]["measured"]["best_loss"]["nGPT + MuonMD"] == order["muonmd"]
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == len(failed) and all("with one seed" in c for c in causes)
    assert_premise(kosson_figure_15, path, results, tmp_path / "r", learns)


def test_figure15_an_optimum_on_the_edge_is_said(optimizer_sweep, tmp_path):
    def loss(cfg):  # nGPT + Adam's loss falls all the way to the grid's smallest lr
        return 2.0 + cfg.lr if cfg.optimizer == "adamw" else \
            ORDER[cfg.optimizer] + abs(np.log2(cfg.lr / 0.01))
    path, results = optimizer_sweep(loss, rows={"optimizer": [o for o in ORDER for _ in LRS],
                                                "lr": LRS * len(ORDER)})
    claims = kosson_figure_15.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["nGPT + Adam (as proposed)"]


def test_figure15_needs_every_curve(optimizer_sweep, tmp_path):
    path, results = optimizer_sweep({k: v for k, v in ORDER.items() if k != "muonmd"})
    with pytest.raises(Exception, match="nGPT \\+ MuonMD"):
        kosson_figure_15.draw(path, "smoke", results, tmp_path / "fig")
