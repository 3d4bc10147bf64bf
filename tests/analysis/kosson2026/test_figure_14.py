"""Kosson Fig. 14: Muon's √ lr factors are best and nearly identical, RMS matching noticeably
worse, made to pass and to fail on fake runs, and judged only where the runs learn."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.kosson2026 import figure_14 as kosson_figure_14
from analysis.load import ResultsError

from .conftest import LEARNING, LRS, STUCK, assert_premise, bowl


@pytest.mark.parametrize("best, shown", [
    ({"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": 1.05},
     (True, True, True)),
    ({"spectral_unclamped": 1.000, "original": 1.02, "match_rms_adamw": 1.05},
     (True, False, True)),
    ({"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": 1.001},
     (False, True, False))])
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure14_claims(gpt_sweep, tmp_path, best, shown, start, learns):
    grid = {"optimizer": ["muon", "muonmd"], "muon_adjust_lr": list(best), "lr": LRS}
    path, results = gpt_sweep({"grid": grid},
                              lambda cfg: best[cfg.muon_adjust_lr] + bowl(cfg.lr, 0.01, 0.01),
                              start=start)
    claims = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    for opt in ("muon", "muonmd"):
        assert (claims[f"{opt}_sqrt_factors_best"]["shown"],
                claims[f"{opt}_sqrt_factors_nearly_identical"]["shown"],
                claims[f"{opt}_rms_matching_noticeably_worse"]["shown"]) == shown
    assert claims["optima_inside_the_lr_grid"]["shown"]
    assert len(claims["measured"]["eval_loss_end_over_start"]) == 6  # 2 optimizers × 3
    assert_premise(kosson_figure_14, path, results, tmp_path / "r", learns)


def test_figure14_needs_the_three_factors(gpt_sweep, tmp_path):
    grid = {"optimizer": ["muon"], "muon_adjust_lr": ["original", "none"], "lr": LRS}
    path, results = gpt_sweep({"grid": grid})
    with pytest.raises(ResultsError, match="match_rms_adamw"):
        kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")


def test_figure14_a_factor_diverged_everywhere_decides_nothing(gpt_sweep, tmp_path):
    best = {"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": np.nan}
    grid = {"optimizer": ["muon"], "muon_adjust_lr": list(best), "lr": LRS}
    path, results = gpt_sweep({"grid": grid},
                              lambda cfg: best[cfg.muon_adjust_lr] + bowl(cfg.lr, 0.01, 0.01))
    claims = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["muon_rms_matching_noticeably_worse"]["shown"]
    assert not claims["muon_sqrt_factors_best"]["shown"]
    assert claims["muon_sqrt_factors_nearly_identical"]["shown"]


def test_a_one_lr_grid_is_on_the_edge(gpt_sweep, tmp_path):
    factors = [*kosson_figure_14.SQRT_FACTORS, "match_rms_adamw"]
    grid = {"optimizer": ["muon"], "muon_adjust_lr": factors,
            "lr": [0.01]}
    path, results = gpt_sweep({"grid": grid})
    claims = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]  # one lr brackets nothing


@pytest.mark.parametrize("adamw, shown", [(1.10, True), (1.04, False)])
def test_figure14_every_factor_beats_adamw(gpt_sweep, tmp_path, adamw, shown):
    """AdamW on its own lr grid: the claim needs every factor's best below AdamW's best (here
    RMS-matching, 1.05, is the worst) and says the cause beside the seeds when not."""
    best = {"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": 1.05}
    rows = [(o, f) for o in ("muon", "muonmd") for f in best] + [("adamw", "original")]
    zipped = {"optimizer": [o for o, _ in rows], "muon_adjust_lr": [f for _, f in rows]}

    def loss(cfg):
        return (adamw if cfg.optimizer == "adamw" else best[cfg.muon_adjust_lr]) + \
            bowl(cfg.lr, 0.01, 0.01)
    path, results = gpt_sweep({"zip": zipped, "grid": {"lr": LRS}}, loss)
    report = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["all_factors_beat_adamw"]["shown"] == shown
    assert claims["measured"]["adamw_best_loss"] == pytest.approx(adamw)
    assert claims["muon_rms_matching_noticeably_worse"]["shown"]  # AdamW is no factor
    causes = [v for v in report["verdicts"] if "vs AdamW" in v and v.startswith("CAUSE")]
    assert len(causes) == (not shown)
