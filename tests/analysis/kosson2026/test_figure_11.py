"""Kosson Fig. 11 (left): MuonMD beats tuned AdamW and Muon on the MoE GPT, made to pass and to
fail (one baseline at a time) on fake runs, with the cause line, the premise and the grid edge."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_11 as kosson_figure_11

from .conftest import LEARNING, LRS, STUCK, assert_premise

ORDER = {"adamw": 2.6, "muon": 2.5, "muonmd": 2.3}


@pytest.mark.parametrize("change, failed", [
    ({}, set()),
    ({"adamw": 2.2}, {"muonmd_beats_tuned_adamw"}),
    ({"muon": 2.3}, {"muonmd_beats_tuned_muon"})])  # a tie is not a win
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure11_claims(optimizer_sweep, tmp_path, change, failed, start, learns):
    path, results = optimizer_sweep({**ORDER, **change}, start)
    order = {**ORDER, **change}
    report = kosson_figure_11.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == failed
    assert report["claims"]["measured"]["best_loss"]["MuonMD (sphere + gains)"] == order["muonmd"]
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == len(failed) and all("with one seed" in c for c in causes)
    assert_premise(kosson_figure_11, path, results, tmp_path / "r", learns)


def test_figure11_an_optimum_on_the_edge_is_said(optimizer_sweep, tmp_path):
    def loss(cfg):  # Muon's loss falls all the way to the grid's largest lr
        return 3.0 - cfg.lr if cfg.optimizer == "muon" else \
            ORDER[cfg.optimizer] + abs(np.log2(cfg.lr / 0.01))
    path, results = optimizer_sweep(loss, rows={"optimizer": [o for o in ORDER for _ in LRS],
                                                "lr": LRS * len(ORDER)})
    claims = kosson_figure_11.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["Muon (λ, warmup)"]


def test_figure11_needs_every_curve(optimizer_sweep, tmp_path):
    path, results = optimizer_sweep({k: v for k, v in ORDER.items() if k != "muonmd"})
    with pytest.raises(Exception, match="MuonMD"):
        kosson_figure_11.draw(path, "smoke", results, tmp_path / "fig")
