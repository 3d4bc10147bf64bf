"""Chou Fig. 8: AdamC's weight norm does not depend on the betas, made to pass and to fail on
fake runs (and failed by a run that diverged mid-way), and its premises (both settings learn
and their ‖w‖ has settled)."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.chou2025 import figure_8 as chou_figure_8

from .conftest import flat, premise_entry

# γλ·(1+β1)/(1−β1) = 0.01 · 0.02 · 199 = 0.04 at β1 = 0.99: decay slow beside the momentum
BETAS = {"optimizer": ["adamc", "adamc"], "momentum": [0.9, 0.99], "beta2": [0.999, 0.99],
         "weight_decay": [0.02, 0.02]}


def learns(t):
    return 2.3 if t < 5 else 1.0


@pytest.mark.parametrize("gap, shown", [(0.03, True), (0.2, False)])
def test_figure8_claim(norm_runs, tmp_path, gap, shown):
    def curves(cfg):  # the β = 0.99 run's norm is `gap` higher throughout the second half
        bump = gap if cfg.momentum == 0.99 else 0.0
        return {"hidden": lambda t: 5.0 * (1 + bump * (t >= 50)), "output": flat(),
                "grad": flat(), "loss": learns}
    path, results = norm_runs(BETAS, curves)
    report = chou_figure_8.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["weight_norm_independent_of_betas"]["shown"] is shown
    assert report["premises"] == {"learns_early": True, "steady_state": True,
                                  "decay_slow_beside_momentum": True}
    assert report["claims"]["measured"]["worst_ratio_deviation"] == pytest.approx(
        gap / (1 + gap), rel=1e-6)
    assert all(p.endswith(("chou2025-figure-8_smoke.png", "chou2025-figure-8_smoke.pdf"))
               for p in report["files"])


def test_figure8_a_run_that_diverged_mid_way_fails(norm_runs, tmp_path):
    """Equal norms until step 60, then NaN in the β = 0.99 run: its finite prefix (and a
    "late" window measured from its last finite step) must not pass."""
    def curves(cfg):
        return {"hidden": lambda t: 5.0 if cfg.momentum == 0.9 or t < 60 else float("nan"),
                "output": flat(), "grad": flat()}
    path, results = norm_runs(BETAS, curves)
    report = chou_figure_8.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["weight_norm_independent_of_betas"]["shown"] is False
    assert np.isnan(report["claims"]["measured"]["worst_ratio_deviation"])


@pytest.mark.parametrize("failing", ["learns_early", "steady_state",
                                     "decay_slow_beside_momentum"])
def test_figure8_premises(norm_runs, tmp_path, failing):
    """Equal norms in both settings, but a flat train loss, a ‖w‖ still growing 80 % from
    10 % to 50 % of the run, or λ 0.1 (γλτ = 0.2 at β1 = 0.99, 0.019 at 0.9): judged, but not
    shown."""
    def curves(cfg):
        return {"hidden": lambda t: 5.0 + t / 10 if failing == "steady_state" else 5.0,
                "output": flat(), "grad": flat(),
                "loss": 1.0 if failing == "learns_early" else learns}
    decay = 0.1 if failing == "decay_slow_beside_momentum" else 0.02
    path, results = norm_runs({**BETAS, "weight_decay": [decay, decay]}, curves)
    entry = premise_entry(chou_figure_8, path, results, tmp_path, {failing})
    assert entry["claims"] == {"weight_norm_independent_of_betas": True}


def test_figure8_a_failure_names_the_step_size_the_betas_changed(norm_runs, tmp_path):
    """The β = 0.99 run's norm is 20 % higher and its step per unit lr 3× smaller: the CAUSE
    line gives both ratios over 10 %–50 % of the run (none when the claim holds)."""
    def curves(cfg):
        slow = cfg.momentum == 0.99
        return {"hidden": flat(6.0 if slow else 5.0), "output": flat(), "grad": flat(),
                "loss": learns, "update": flat(0.1 / 3 if slow else 0.1)}
    path, results = norm_runs(BETAS, curves)
    report = chou_figure_8.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["weight_norm_independent_of_betas"]["shown"]
    cause = [v for v in report["verdicts"] if v.startswith("CAUSE")]
    assert len(cause) == 1 and "= 0.83" in cause[0] and "differs 3.00×" in cause[0]
