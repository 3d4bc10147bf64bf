"""Kosson Fig. 6: gains beat the sphere alone and row+col gains are best, made to pass and to
fail on fake runs, and judged only where the runs learn; the centre panel's gain
parameterizations (stable, within 1 %, softplus best)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLAIMS_SWEEP

from analysis.kosson2026 import figure_6 as kosson_figure_6

from .conftest import LEARNING, LRS, STUCK, assert_premise, initial


@pytest.mark.parametrize("order, shown", [
    ({"none": 3.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}, (True, True)),
    ({"none": 1.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}, (False, False)),
    ({"none": 3.0, "scalar": 1.2, "row": 1.8, "col": 1.9, "row+col": 1.5}, (True, False))])
@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_gain_mode_claims(lr_grid, tmp_path, order, shown, start, learns):
    path, results = lr_grid(
        {"gains": list(order), "lr": LRS},
        lambda cfg: order[cfg.gains] + abs(np.log2(cfg.lr / 0.01)), start)
    claims = kosson_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert (claims["gains_beat_sphere_only"]["shown"], claims["row_col_is_best"]["shown"]) \
        == shown
    assert assert_premise(kosson_figure_6, path, results, tmp_path / "r", learns)["claims"] \
        == dict(zip(("gains_beat_sphere_only", "row_col_is_best"), shown))


MODES = {"none": 3.0, "scalar": 2.0, "row": 1.8, "col": 1.9, "row+col": 1.5}


@pytest.mark.parametrize("params, failed", [
    ({"softplus": 1.5, "exp": 1.505, "identity": 1.51}, set()),
    ({"softplus": 1.5, "exp": 1.497, "identity": 1.505}, {"softplus_has_a_minimal_edge"}),
    ({"softplus": 1.5, "exp": 1.505, "identity": 1.6},
     {"parameterization_makes_little_difference"}),
    ({"softplus": 1.5, "exp": 1.505, "identity": float("nan")},
     {"all_parameterizations_train_stably", "parameterization_makes_little_difference",
      "softplus_has_a_minimal_edge"})])
def test_gain_parameterization_claims(fake_sweep, tmp_path, params, failed):
    """The centre panel: row+col gains under each parameterization; the left panel reads the
    softplus runs only (exp's better row+col loss must not make it the best mode's)."""
    modes = [m for m in MODES] + ["row+col", "row+col"]
    zipped = {"gains": modes, "gain_param": ["softplus"] * 5 + ["exp", "identity"]}

    def loss(cfg):
        base = params[cfg.gain_param] if cfg.gains == "row+col" else MODES[cfg.gains]
        return base + abs(np.log2(cfg.lr / 0.01))
    path, results = fake_sweep({**CLAIMS_SWEEP, "zip": zipped, "grid": {"lr": LRS}}, lambda cfg: {
        "layers": {"w": {}}, "metrics": initial(LEARNING), "final": {"eval_loss": loss(cfg)}})
    report = kosson_figure_6.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert {k for k, v in claims.items() if k != "measured" and not v["shown"]} == failed
    assert claims["measured"]["best_loss"]["row+col"] == 1.5  # softplus's, not exp's
    causes = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(causes) == (failed == {"softplus_has_a_minimal_edge"})
