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


@pytest.mark.parametrize("small_muon, shown", [(2.6, True), (2.2, False)])
def test_figure11_compute_panel(optimizer_sweep, tmp_path, small_muon, shown):
    """Two widths, 16 and 32 (the base, 4× the compute): the left panel's claims are the
    base's; MuonMD must also beat both baselines at width 16, where Muon beats it in the
    second case (that claim alone fails, and its line says at which compute)."""
    def loss(cfg):
        order = ORDER if cfg.width == 32 else {**ORDER, "muon": small_muon}
        return order[cfg.optimizer] + 0.1 * (cfg.width == 16) + abs(np.log2(cfg.lr / 0.01))
    rows = {"optimizer": [o for o in ORDER for _ in LRS] * 2, "lr": LRS * len(ORDER) * 2,
            "width": [32] * (len(LRS) * len(ORDER)) + [16] * (len(LRS) * len(ORDER)),
            "seq_len": [16] * (2 * len(LRS) * len(ORDER))}
    path, results = optimizer_sweep(loss, rows=rows)
    report = kosson_figure_11.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    failed = {k for k, v in claims.items() if k != "measured" and not v["shown"]}
    assert failed == (set() if shown else {"muonmd_beats_tuned_baselines_at_every_compute"})
    assert claims["measured"]["best_loss"]["Muon (λ, warmup)"] == ORDER["muon"]  # width 32's
    flops = claims["measured"]["compute_flops"]
    assert flops["32"] == pytest.approx(4 * flops["16"])
    (line,) = [v for v in report["verdicts"] if "at every compute" in v]
    assert f"(width 16) {'yes' if shown else 'no'}, " in line and "(width 32) yes" in line
    # each size's own claim lines, named by width; its CAUSE line where it fails
    assert any(v.startswith("SHOWN      width 32: best held-out loss") for v in report["verdicts"])
    assert any(v.startswith("CAUSE      width 16:") for v in report["verdicts"]) is not shown
