"""Chou Fig. 3: scheduling α to keep γ'_eff = γ·√((2−α)/α) on the baseline's cosine, each
claim made to pass and to fail on fake runs logging the reference schedule, and its premises."""

from __future__ import annotations

import math

import pytest

from analysis.chou2025 import figure_3 as chou_figure_3

from .conftest import amax, check, learning, premise_entry

ZIPPED = {"momentum_schedule": ["constant"] + ["match_effective_lr"] * 3,
          "momentum_final": [None, 0.8, 0.5, 0.0]}


@pytest.mark.parametrize("shown", [True, False])
def test_figure3_claims(momentum_runs, tmp_path, shown):
    def top1(cfg, t):  # α_max ≤ 0.5 ends with the baseline (or 2 points below); α_max = 1
        a = amax(cfg)  # 3 points below (or level)
        if a is None:
            return 0.9
        if a < 1:
            return 0.905 if shown else 0.88
        return 0.87 if shown else 0.9

    def weight(cfg, t):  # α_max = 1 ends 20 % off the baseline's ‖w‖ (or 1 %, the others 5 %)
        a = amax(cfg)
        return 1.0 if a is None else 1 + 0.01 * t / 99 * (20 if a == 1 and shown else
                                                           1 if a == 1 else 5)
    path, results = momentum_runs(ZIPPED, top1, weight, eff_scale=1.0 if shown else 1.01)
    learning(results)
    report = chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")
    measured = check(report, shown, tmp_path, "3")
    assert report["premises"] == {"learns_early": True, "steady_state": True}
    assert measured["schedule_error"] == pytest.approx(0.0 if shown else 0.01, abs=1e-9)
    gaps = measured["final_top1_gap_alpha_max_le_0.5"]
    assert sorted(gaps.values()) == pytest.approx([0.005] * 2 if shown else [-0.02] * 2)


def test_alpha_max_1_differing_upwards_is_not_the_same_either(momentum_runs, tmp_path):
    """The caption says the runs converge to the same top-1 "up till α_max = 0.5": α_max = 1
    ending 3 points above the baseline, its final ‖w‖ no further off than the others', is
    shown (the old check wanted it below and its ‖w‖ departing most, which the paper does
    not say)."""
    def top1(cfg, t):
        a = amax(cfg)
        return 0.9 if a is None else 0.905 if a < 1 else 0.93
    path, results = momentum_runs(ZIPPED, top1)
    learning(results)
    entry = premise_entry(chou_figure_3, path, results, tmp_path, set())
    assert entry["claims"] == dict.fromkeys(("schedule_as_designed",
                                             "same_final_top1_up_to_alpha_max_0.5",
                                             "alpha_max_1_not_the_same"), True)


@pytest.mark.parametrize("failing", ["learns_early", "steady_state"])
def test_figure3_premises(momentum_runs, tmp_path, failing):
    """A baseline that does not learn, or whose ‖w‖ still grows 50 % from 10 % to 50 % of the
    run: the paper-like claims are judged, but the figure is not shown."""
    def top1(cfg, t):
        a = amax(cfg)
        return 0.9 if a is None else 0.905 if a < 1 else 0.87

    def weight(cfg, t):
        return 1 + t / 50 if failing == "steady_state" and amax(cfg) is None else 1.0
    path, results = momentum_runs(ZIPPED, top1, weight)
    if failing != "learns_early":
        learning(results)
    entry = premise_entry(chou_figure_3, path, results, tmp_path, {failing})
    assert all(entry["claims"].values())


def test_schedule_claim_fails_when_every_logged_value_is_nan(momentum_runs, tmp_path):
    path, results = momentum_runs(ZIPPED, lambda c, t: 0.9, eff_scale=float("nan"))
    report = chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["schedule_as_designed"]["shown"] is False
    assert math.isnan(report["claims"]["measured"]["schedule_error"])


def test_a_second_constant_momentum_setting_is_a_clear_error(momentum_runs, tmp_path):
    zipped = {"momentum": [0.9, 0.95, 0.9],
              "momentum_schedule": ["constant", "constant", "match_effective_lr"],
              "momentum_final": [None, None, 0.5]}
    path, results = momentum_runs(zipped, lambda c, t: 0.9)
    with pytest.raises(ValueError, match="exactly one constant-momentum"):
        chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")


def test_a_figure_without_baseline_says_so(momentum_runs, tmp_path):
    zipped = {"momentum_schedule": ["match_effective_lr"] * 2, "momentum_final": [0.8, 0.5]}
    path, results = momentum_runs(zipped, lambda c, t: 0.9)
    with pytest.raises(ValueError, match="baseline"):
        chou_figure_3.draw(path, "smoke", results, tmp_path / "fig")
