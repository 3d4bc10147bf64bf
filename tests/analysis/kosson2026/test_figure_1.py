"""Kosson Fig. 1: left, the sphere beats the tuned baseline and gains beat the sphere, for Adam
and Muon; centre, MuonMD beats the tuned baselines on the MoE (Fig. 11's runs); right, its lr
transfers across width (Fig. 7's runs). Made to pass and to fail (one panel at a time) on fake
runs, with the cause line and the premise."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLAIMS_SWEEP, write_fake_run

from analysis.kosson2026 import figure_1 as kosson_figure_1
from harness.sweep import expand

from .conftest import LEARNING, STUCK, assert_premise, initial

LRS = [0.005, 0.01, 0.02, 0.04]
ROWS = [("adamw", "row+col"), ("adammd", "none"), ("adammd", "row+col"),
        ("muon", "row+col"), ("muonmd", "none"), ("muonmd", "row+col")]
ZIP = {"optimizer": [o for o, _ in ROWS for _ in LRS], "gains": [g for _, g in ROWS for _ in LRS],
       "lr": LRS * len(ROWS)}
ORDER = {"adamw": 3.0, "adammd none": 2.5, "adammd row+col": 2.0,
         "muon": 2.8, "muonmd none": 2.4, "muonmd row+col": 1.9}
MOE = {"adamw": 3.0, "muon": 2.6, "muonmd": 2.5}  # the MoE's best loss per optimizer


def write_panels(write_sweep, results, start, moe=MOE, moving=False, small_moe=None):
    """Figures 11 and 7's sweeps beside Figure 1's (figure-11.yaml, figure-7.yaml) and their
    runs: each optimizer's MoE optimum at lr 0.01 (`small_moe`: a second MoE size, width 16
    beside 32, with these best losses); MuonMD's at 0.01 for every width, or at 0.04 for
    width 64 when `moving`."""
    def bowl(cfg, floor, best=0.01):
        return {"layers": {"w": {}}, "metrics": initial(start),
                "final": {"eval_loss": floor + abs(np.log2(cfg.lr / best))}}
    rows = {"optimizer": [o for o in moe for _ in LRS], "lr": LRS * len(moe)}
    moe_sweep = write_sweep({**CLAIMS_SWEEP, "name": "moe", "zip": rows,
                             **({"grid": {"width": [16, 32]}, "seq_len": 16} if small_moe
                                else {})},
                            "figure-11.yaml")
    for run in expand(moe_sweep, "smoke"):
        floors = small_moe if run.config.width == 16 else moe
        write_fake_run(results, run, **bowl(run.config, floors[run.config.optimizer]))
    width_sweep = write_sweep({**CLAIMS_SWEEP, "name": "width",
                               "grid": {"width": [32, 64], "lr": LRS}}, "figure-7.yaml")
    for run in expand(width_sweep, "smoke"):
        best = 0.04 if moving and run.config.width == 64 else 0.01
        write_fake_run(results, run, **bowl(run.config, 2.0, best))


@pytest.fixture
def zipped(fake_sweep, write_sweep):
    """zipped(rows, loss_of, start, **panels) -> (sweep, results): CLAIMS_SWEEP over the zipped
    `rows`, each run's final eval loss loss_of(config), train loss `start` at step 0; the
    centre and right panels' runs beside it (write_panels' keywords)."""
    def make(rows, loss_of, start=LEARNING, **panels):
        path, results = fake_sweep({**CLAIMS_SWEEP, "zip": rows}, lambda cfg: {
            "layers": {"w": {}}, "metrics": initial(start), "final": {"eval_loss": loss_of(cfg)}})
        write_panels(write_sweep, results, start, **panels)
        return path, results
    return make


def best_of(cfg, order):
    key = cfg.optimizer if cfg.optimizer in ("adamw", "muon") else f"{cfg.optimizer} {cfg.gains}"
    return order[key] + abs(np.log2(cfg.lr / 0.01))  # each optimum at lr 0.01, inside the grid


@pytest.mark.parametrize("change, failed", [
    ({}, set()),
    ({"muonmd none": 2.9}, {"sphere_beats_tuned_baseline"}),
    ({"adammd row+col": 3.5}, {"gains_beat_sphere_only", "md_beats_tuned_baseline"}),
    ({"moe": {**MOE, "muon": 2.4}}, {"moe_muonmd_beats_tuned_muon"})])
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure1_claims(zipped, tmp_path, change, failed, start, learns):
    order = {**ORDER, **{k: v for k, v in change.items() if k != "moe"}}
    path, results = zipped(ZIP, lambda cfg: best_of(cfg, order), start,
                           moe=change.get("moe", MOE))
    report = kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == failed
    assert report["claims"]["measured"]["best_loss"]["Muon on the sphere"] == order["muonmd none"]
    assert report["claims"]["measured"]["moe_best_loss"]["MoE Muon (λ, warmup)"] == \
        change.get("moe", MOE)["muon"]
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == len(failed)  # one per failed comparison, in either panel
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


def test_figure1_width_panel_is_figure7s_judgement(zipped, tmp_path):
    """The right panel: MuonMD's best lr moves two grid steps with width (0.01 -> 0.04): the
    transfer fails and the moved optimum, on the grid's edge, is said."""
    path, results = zipped(ZIP, lambda cfg: best_of(cfg, ORDER), moving=True)
    claims = kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optimal_lr_transfers_across_width"]["shown"]
    assert claims["measured"]["width_shift"] == 2
    assert claims["measured"]["at_edge"] == ["width 64"]
    assert all(v["shown"] for k, v in claims.items()
               if k not in ("measured", "optimal_lr_transfers_across_width",
                            "optima_inside_the_lr_grid"))


def test_figure1_needs_the_panels_runs(fake_sweep, tmp_path):
    """Without Figures 11 and 7's runs beside it, figure 1 names what it lacks."""
    path, results = fake_sweep({**CLAIMS_SWEEP, "zip": ZIP}, lambda cfg: {
        "layers": {"w": {}}, "metrics": initial(LEARNING),
        "final": {"eval_loss": best_of(cfg, ORDER)}})
    with pytest.raises(Exception, match="figure-11.yaml"):
        kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")


@pytest.mark.parametrize("small, shown", [({"adamw": 3.2, "muon": 2.8, "muonmd": 2.7}, True),
                                          ({"adamw": 3.2, "muon": 2.6, "muonmd": 2.7}, False)])
def test_figure1_moe_at_every_compute(zipped, tmp_path, small, shown):
    """Figure 11's sweep with two MoE widths: the MoE claims are the largest's, and MuonMD must
    beat both baselines at the smaller compute too (Muon beats it there: that claim alone
    fails)."""
    path, results = zipped(ZIP, lambda cfg: best_of(cfg, ORDER), small_moe=small)
    report = kosson_figure_1.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["moe_muonmd_beats_tuned_muon"]["shown"]  # the base (width 32)
    assert claims["moe_muonmd_beats_tuned_baselines_at_every_compute"]["shown"] is shown
    assert claims["measured"]["moe_best_loss"]["MoE Muon (λ, warmup)"] == MOE["muon"]
    (line,) = [v for v in report["verdicts"] if "at every compute" in v]
    assert f"(width 16) {'yes' if shown else 'no'}, " in line and "(width 32) yes" in line
    assert all(report["premises"].values())
