"""Chou Fig. 5: AdamW's weight norm falls at the end while AdamC's holds and tames the gradient
norm, each claim made to pass and to fail on fake runs (and failed by a diverged side)."""

from __future__ import annotations

import pytest

from analysis.chou2025 import figure_5 as chou_figure_5

from .conftest import falls, flat, rises


@pytest.mark.parametrize("corrected_fall, shown", [(0.05, True), (0.4, False)])
def test_figure5_claims(norm_runs, tmp_path, corrected_fall, shown):
    def curves(cfg):  # AdamW's ‖w‖ falls 40 % and its ‖g‖ doubles; AdamC's as given
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(1.0, 50)}
        return {"hidden": falls(corrected_fall), "output": flat(),
                "grad": rises(0.1 if shown else 2.0, 50)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    report = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert claims["corrected_keeps_weight_norm"]["shown"] is shown
    assert claims["corrected_tames_grad_norm"]["shown"] is shown
    assert "corrected_loss_not_worse" not in claims  # the caption claims norms only
    assert claims["measured"]["changes_second_half"]["adamw"]["weight"] == pytest.approx(
        -0.4 * 0.975, abs=0.03)


def test_corrected_vs_baseline_passes_nothing_on_a_diverged_side(norm_runs, tmp_path):
    """AdamC's ‖g‖ turns NaN at step 80 (every tensor): summed as 0 it would "tame" the
    gradient norm; a diverged side fails every claim it enters."""
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(1.0, 50)}
        return {"hidden": falls(0.05), "output": flat(),
                "grad": lambda t: 1.0 if t < 80 else float("nan")}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    claims = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert not claims["corrected_keeps_weight_norm"]["shown"]
    assert not claims["corrected_tames_grad_norm"]["shown"]


def test_a_corrected_norm_that_grows_is_not_steadier(norm_runs, tmp_path):
    """"More stable" both ways: AdamC's ‖w‖ rising 40 % while AdamW's falls 40 % is not
    keeping the norm (it passed when only a fall counted)."""
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(1.0, 50)}
        return {"hidden": falls(-0.4), "output": flat(), "grad": rises(0.1, 50)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    claims = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["baseline_weight_norm_falls"]["shown"]
    assert not claims["corrected_keeps_weight_norm"]["shown"]
    assert claims["measured"]["changes_second_half"]["adamc"]["weight"] > 0.35


def test_a_collapsing_gradient_norm_is_not_tamed(norm_runs, tmp_path):
    """AdamC's ‖g‖ falling 90 % while AdamW's rises 50 % changes more, not less."""
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(0.5, 50)}
        return {"hidden": falls(0.05), "output": flat(), "grad": rises(-0.9, 50)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    claims = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["corrected_keeps_weight_norm"]["shown"]
    assert not claims["corrected_tames_grad_norm"]["shown"]


def _shown_norms(norm_runs, tmp_path, loss_of):
    """Chou Fig. 5's report on runs whose norm and ‖g‖ claims hold, with the train loss
    `loss_of(cfg)(t)`: what the premises judge."""
    def curves(cfg):
        return {"hidden": falls(0.4 if cfg.optimizer == "adamw" else 0.05), "output": flat(),
                "grad": rises(1.0 if cfg.optimizer == "adamw" else 0.1, 50),
                "loss": loss_of(cfg)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    return chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")


@pytest.mark.parametrize("loss, met", [(lambda t: 2.3 if t < 5 else 1.0, True),
                                       (lambda t: 2.3, False)])
def test_the_norm_claims_need_a_model_that_learns(norm_runs, tmp_path, loss, met):
    """The premise line comes first: train loss at 20 % below 0.8× its start, for both."""
    report = _shown_norms(norm_runs, tmp_path, lambda cfg: loss)
    assert report["premises"] == {"learns_early": met, "trains_stably": True}
    assert report["verdicts"][0].startswith("PREMISE MET" if met else "PREMISE NOT MET")
    assert report["claims"]["corrected_keeps_weight_norm"]["shown"]  # judged all the same


@pytest.mark.parametrize("spike, stable", [(1.2, True), (1.6, False)])
def test_the_norm_claims_need_runs_that_train_stably(norm_runs, tmp_path, spike, stable):
    """AdamC's loss jumping to `spike`× its level mid-run (smoothed: a little less) fails the
    second premise line (≤ +25 %); its claims are still printed, under it."""
    def loss_of(cfg):
        jumps = cfg.optimizer == "adamc"
        return lambda t: 2.3 if t < 5 else spike if jumps and 50 <= t < 70 else 1.0
    report = _shown_norms(norm_runs, tmp_path, loss_of)
    assert report["premises"] == {"learns_early": True, "trains_stably": stable}
    assert report["verdicts"][1].startswith("PREMISE MET" if stable else "PREMISE NOT MET")
    spikes = report["claims"]["measured"]["worst_loss_spike"]
    assert spikes["adamw"] == pytest.approx(0.0, abs=1e-9)
    assert 0.1 < spikes["adamc"] <= spike - 1
    assert report["claims"]["corrected_keeps_weight_norm"]["shown"]


def test_a_failed_claim_names_its_measured_cause(norm_runs, tmp_path):
    """AdamW's ‖g‖ falls with its loss (no end rise to remove) and AdamC's ‖w‖ grows over
    10 %–50 % by a third (still relaxing): each failure gets a CAUSE line with the runs' numbers."""
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(-0.5, 50),
                    "loss": lambda t: 2.3 if t < 5 else 2.0 - t / 100}
        return {"hidden": lambda t: 10.0 * (1 + t / 99), "output": flat(),
                "grad": rises(-0.9, 50)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    report = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["corrected_tames_grad_norm"]["shown"]
    assert not report["claims"]["corrected_keeps_weight_norm"]["shown"]
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == 2
    # ‖g‖ split into ‖g‖·‖w‖ over ‖w‖ per side: AdamW's ‖w‖ falls 40 % (×0.6) while its ‖g‖
    # halves, so ‖g‖·‖w‖ falls to 0.3 of its start
    assert causes[0].startswith("CAUSE      ‖g‖ over the 2nd half: ADAMW -")
    assert "= ‖g‖·‖w‖ -" in causes[0] and "no end rise to remove" in causes[0]
    assert "ADAMC's ‖w‖ moves +" in causes[1] and "not at equilibrium" in causes[1]
    # a ‖w‖ that doubles under steps of ‖Δθ‖ = 0.1 must be pushed out by the update itself
    measured = report["claims"]["measured"]["changes_second_half"]
    assert measured["adamc"]["push_second_half"] > 1 > measured["adamw"]["push_second_half"]
    (line,) = [v for v in report["verdicts"] if v.startswith("measured")]
    assert "ADAMC " in line and "2β/(1+β) from the momentum alone" in line


def test_no_cause_line_when_the_claims_hold(norm_runs, tmp_path):
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(1.0, 50)}
        return {"hidden": falls(0.05), "output": flat(), "grad": rises(0.1, 50)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    report = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    assert not [v for v in report["verdicts"] if v.startswith("CAUSE")]


def test_a_corrected_gradient_norm_that_moves_at_a_fixed_norm_is_said(norm_runs, tmp_path):
    """AdamW's ‖g‖ rises 10 %, AdamC's falls 50 % at a flat ‖w‖: the cause says the corrected
    ‖g‖ moved at a fixed norm (its ‖g‖·‖w‖ falls as its ‖g‖ does, and AdamW's too)."""
    def curves(cfg):
        if cfg.optimizer == "adamw":
            return {"hidden": falls(0.4), "output": flat(), "grad": rises(0.1, 50)}
        return {"hidden": flat(10.0), "output": flat(), "grad": rises(-0.5, 50)}
    path, results = norm_runs({"optimizer": ["adamw", "adamc"]}, curves)
    report = chou_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["corrected_tames_grad_norm"]["shown"]
    cause = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(cause) == 1 and cause[0].endswith("not the norm, decides the claim")
    assert "ADAMC -4" in cause[0] and "‖g‖·‖w‖ -4" in cause[0] and "over ‖w‖ +0%" in cause[0]
