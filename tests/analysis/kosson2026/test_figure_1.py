"""Kosson Fig. 1 (left): the sphere beats the tuned baseline and gains beat the sphere, for Adam
and Muon, made to pass and to fail (one base at a time) on fake runs, with the cause line and
the premise."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLAIMS_SWEEP

from analysis.kosson2026 import figure_1 as kosson_figure_1

from .conftest import LEARNING, STUCK, assert_premise, initial

LRS = [0.005, 0.01, 0.02, 0.04]
ROWS = [("adamw", "row+col"), ("adammd", "none"), ("adammd", "row+col"),
        ("muon", "row+col"), ("muonmd", "none"), ("muonmd", "row+col")]
ZIP = {"optimizer": [o for o, _ in ROWS for _ in LRS], "gains": [g for _, g in ROWS for _ in LRS],
       "lr": LRS * len(ROWS)}
ORDER = {"adamw": 3.0, "adammd none": 2.5, "adammd row+col": 2.0,
         "muon": 2.8, "muonmd none": 2.4, "muonmd row+col": 1.9}


@pytest.fixture
def zipped(fake_sweep):
    """zipped(rows, loss_of, start) -> (sweep, results): CLAIMS_SWEEP over the zipped `rows`,
    each run's final eval loss loss_of(config), train loss `start` at step 0."""
    def make(rows, loss_of, start=LEARNING):
        return fake_sweep({**CLAIMS_SWEEP, "zip": rows}, lambda cfg: {
            "layers": {"w": {}}, "metrics": initial(start), "final": {"eval_loss": loss_of(cfg)}})
    return make


def best_of(cfg, order):
    key = cfg.optimizer if cfg.optimizer in ("adamw", "muon") else f"{cfg.optimizer} {cfg.gains}"
    return order[key] + abs(np.log2(cfg.lr / 0.01))  # each optimum at lr 0.01, inside the grid


@pytest.mark.parametrize("change, failed", [
    ({}, set()),
    ({"muonmd none": 2.9}, {"sphere_beats_tuned_baseline"}),
    ({"adammd row+col": 3.5}, {"gains_beat_sphere_only", "md_beats_tuned_baseline"})])
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure1_claims(zipped, tmp_path, change, failed, start, learns):
    order = {**ORDER, **change}
    path, results = zipped(ZIP, lambda cfg: best_of(cfg, order), start)
    report = kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == failed
    assert report["claims"]["measured"]["best_loss"]["Muon on the sphere"] == order["muonmd none"]
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == len(failed)  # one per failed comparison, naming the base that failed
    assert all("with one seed" in c for c in causes)
    assert_premise(kosson_figure_1, path, results, tmp_path / "r", learns)


def test_figure1_an_optimum_on_the_edge_is_said(zipped, tmp_path):
    def loss(cfg):  # AdamW's loss falls all the way to the grid's largest lr
        return 3.0 - cfg.lr if cfg.optimizer == "adamw" else best_of(cfg, ORDER)
    path, results = zipped(ZIP, loss)
    claims = kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["AdamW (λ, warmup)"]


def test_figure1_needs_every_curve(zipped, tmp_path):
    few = {k: v[:-len(LRS)] for k, v in ZIP.items()}  # no MuonMD with gains
    path, results = zipped(few, lambda cfg: best_of(cfg, ORDER))
    with pytest.raises(Exception, match="MuonMD \\(sphere \\+ gains\\)"):
        kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")
