"""Kosson Fig. 15: MD on top of nGPT beats nGPT as proposed, per family (Adam, Muon), made to
pass and to fail one family at a time on fake runs, with the cause line, the premise, the grid
edge and the loss-curve panels."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLAIMS_SWEEP

from analysis.kosson2026 import figure_15 as kosson_figure_15

from .conftest import LEARNING, STUCK, assert_premise, initial

LRS = [0.005, 0.01, 0.02, 0.04]
OPTIMIZERS = ("adamw", "adammd", "muon", "muonmd")
ZIP = {"optimizer": [o for o in OPTIMIZERS for _ in LRS], "lr": LRS * len(OPTIMIZERS)}
ORDER = {"adamw": 2.6, "adammd": 2.4, "muon": 2.5, "muonmd": 2.3}


@pytest.fixture
def zipped(fake_sweep):
    def make(loss_of, start=LEARNING, rows=ZIP):
        return fake_sweep({**CLAIMS_SWEEP, "zip": rows}, lambda cfg: {
            "layers": {"w": {}}, "metrics": initial(start), "final": {"eval_loss": loss_of(cfg)}})
    return make


def best_of(cfg, order):
    return order[cfg.optimizer] + abs(np.log2(cfg.lr / 0.01))  # optima at 0.01, inside


@pytest.mark.parametrize("change, failed", [
    ({}, set()),
    ({"adamw": 2.3}, {"adammd_on_ngpt_beats_ngpt_adamw"}),
    ({"muonmd": 2.5}, {"muonmd_on_ngpt_beats_ngpt_muon"})])  # a tie is not a win
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure15_claims(zipped, tmp_path, change, failed, start, learns):
    order = {**ORDER, **change}
    path, results = zipped(lambda cfg: best_of(cfg, order), start)
    report = kosson_figure_15.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == failed
    assert report["claims"]["measured"]["best_loss"]["nGPT + MuonMD"] == order["muonmd"]
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == len(failed) and all("with one seed" in c for c in causes)
    assert_premise(kosson_figure_15, path, results, tmp_path / "r", learns)


def test_figure15_an_optimum_on_the_edge_is_said(zipped, tmp_path):
    def loss(cfg):  # nGPT + Adam's loss falls all the way to the grid's smallest lr
        return 2.0 + cfg.lr if cfg.optimizer == "adamw" else best_of(cfg, ORDER)
    path, results = zipped(loss)
    claims = kosson_figure_15.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["nGPT + Adam (as proposed)"]


def test_figure15_needs_every_curve(zipped, tmp_path):
    few = {k: v[:-len(LRS)] for k, v in ZIP.items()}  # no MuonMD
    path, results = zipped(lambda cfg: best_of(cfg, ORDER), rows=few)
    with pytest.raises(Exception, match="nGPT \\+ MuonMD"):
        kosson_figure_15.draw(path, "smoke", results, tmp_path / "fig")
