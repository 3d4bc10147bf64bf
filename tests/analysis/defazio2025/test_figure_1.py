"""Defazio Fig. 1: AdamW's gradient norm rises at the end of training and AdamC's less, each
claim made to pass and to fail on fake runs, judged only where the models learn early."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import CLAIMS_SWEEP

from analysis.defazio2025 import figure_1 as defazio_figure_1
from analysis.report import artifact_claims


@pytest.mark.parametrize("uptick, shown", [(3.0, True), (1.2, False)])
def test_gradient_norm_uptick_claim(fake_sweep, tmp_path, uptick, shown):
    report = _draw(fake_sweep, tmp_path, uptick, shown)
    claims = report["claims"]
    assert claims["adamw_grad_norm_rises_at_the_end"]["shown"] is shown
    assert claims["adamc_rises_less"]["shown"] is shown
    assert claims["measured"]["end_over_min"]["adamw"] == pytest.approx(uptick, rel=0.15)
    assert report["premises"] == {"learns_early": True}
    assert report["verdicts"][0].startswith("PREMISE MET")


def test_a_rise_short_of_doubling_is_not_the_papers_uptick(fake_sweep, tmp_path):
    """Fig. 1: the gradient norm "more than doubles": 1.8× is a rise, not that one."""
    claims = _draw(fake_sweep, tmp_path, 1.8, True)["claims"]
    assert not claims["adamw_grad_norm_rises_at_the_end"]["shown"]
    assert claims["adamc_rises_less"]["shown"]


@pytest.mark.parametrize("learns, status", [(True, "shown"),
                                            (False, "not shown (premise not met)")])
def test_an_uptick_of_a_model_that_does_not_learn_is_not_judged(fake_sweep, tmp_path, learns,
                                                                status):
    path, results = _sweep(fake_sweep, 3.0, True, learns)
    artifact = SimpleNamespace(module=defazio_figure_1, sweep_file=str(path))
    entry = artifact_claims(artifact, "smoke", str(results), tmp_path / "r")
    assert entry["status"] == status
    assert entry["premises"] == {"learns_early": learns}
    assert entry["detail"].startswith("PREMISE MET" if learns else "PREMISE NOT MET")


def _sweep(fake_sweep, uptick: float, shown: bool, learns: bool = True):
    def grad_of(cfg):  # flat at 1, then a rise over the last 20 %: AdamC's 1.1× or 1.5×
        end = uptick if cfg.optimizer == "adamw" else (1.1 if shown else 1.5)
        return lambda t: 1.0 + (end - 1.0) * max(0.0, (t - 78) / 20)

    def loss(t):  # learns: 2.3 → 0.5 by 20 % of the run; else 2.3 → 2.2 (ratio 0.96)
        return 2.3 if t < 10 else (0.5 if learns else 2.2)
    return fake_sweep({**CLAIMS_SWEEP, "grid": {"optimizer": ["adamw", "adamc"]}},
                      lambda cfg: {"layers": {"w": {"grad_norm": grad_of(cfg)}},
                                   "metrics": {"loss": loss}, "final": {"eval_loss": 1.0}})


def _draw(fake_sweep, tmp_path, uptick: float, shown: bool) -> dict:
    path, results = _sweep(fake_sweep, uptick, shown)
    return defazio_figure_1.draw(path, "smoke", results, tmp_path / "fig")
