"""Defazio Fig. 1: AdamW's gradient norm rises at the end of training and AdamC's less, each
claim made to pass and to fail on fake runs."""

from __future__ import annotations

import pytest
from conftest import CLAIMS_SWEEP

from analysis.defazio2025 import figure_1 as defazio_figure_1


@pytest.mark.parametrize("uptick, shown", [(3.0, True), (1.2, False)])
def test_gradient_norm_uptick_claim(fake_sweep, tmp_path, uptick, shown):
    claims = _claims(fake_sweep, tmp_path, uptick, shown)
    assert claims["adamw_grad_norm_rises_at_the_end"]["shown"] is shown
    assert claims["adamc_rises_less"]["shown"] is shown
    assert claims["measured"]["end_over_min"]["adamw"] == pytest.approx(uptick, rel=0.15)


def test_a_rise_short_of_doubling_is_not_the_papers_uptick(fake_sweep, tmp_path):
    """Fig. 1: the gradient norm "more than doubles": 1.8× is a rise, not that one."""
    claims = _claims(fake_sweep, tmp_path, 1.8, True)
    assert not claims["adamw_grad_norm_rises_at_the_end"]["shown"]
    assert claims["adamc_rises_less"]["shown"]


def _claims(fake_sweep, tmp_path, uptick: float, shown: bool) -> dict:
    def grad_of(cfg):  # flat at 1, then a rise over the last 20 %: AdamC's 1.1× or 1.5×
        end = uptick if cfg.optimizer == "adamw" else (1.1 if shown else 1.5)
        return lambda t: 1.0 + (end - 1.0) * max(0.0, (t - 78) / 20)
    path, results = fake_sweep({**CLAIMS_SWEEP, "grid": {"optimizer": ["adamw", "adamc"]}},
                               lambda cfg: {"layers": {"w": {"grad_norm": grad_of(cfg)}},
                                            "final": {"eval_loss": 1.0}})
    return defazio_figure_1.draw(path, "smoke", results, tmp_path / "fig")["claims"]
