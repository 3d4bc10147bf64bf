"""Defazio Fig. 3 on fake runs (nothing trains): ratios on the moving steady state √(2λ/γ_eff,t)
of a cosine show burn-in, tracking and the tail blow-up, judged only where the burn-in is over
before the tracking window (≥ 4 half-lives of γ_eff·λ, ‖w‖ within 20 % over 10–20 %)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from analysis.defazio2025 import figure_3
from analysis.report import artifact_claims

from .test_figure_2 import steady_state_cases

SWEEP = {"name": "defazio2025-figure-3", "model": "resnet", "depth": 8, "width": 4,
         "dataset": "synthetic", "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
         "schedule": "cosine", "steps": 100, "scales": {"smoke": {}}}


def lr(t):  # the cosine to ~0 at the last logged step, 98
    return 0.1 * 0.5 * (1 + math.cos(math.pi * t / 100))


def on_theory(weight=lambda t: 1.0):
    """fake_sweep's `how`: ‖g‖/‖w‖ on √(2λ(1 − β)/γ_t), 3× above it over the first 5 %."""
    def how(cfg):
        def grad(t):
            return (3.0 if t < 5 else 1.0) * weight(t) * math.sqrt(
                2 * cfg.weight_decay * (1 - cfg.momentum) / lr(t))
        layer = {"kind": "conv", "weight_norm": weight, "grad_norm": grad}
        return {"metrics": {"lr": lr}, "layers": {"conv1": layer, "conv2": layer}}
    return how


# γ_eff·λ ≈ 0.5 at the start: ≈ 17 half-lives before 20 %; ≈ 0.005: ≈ 0.14, the burn-in
# cannot be over; a ‖w‖ that falls 40 % over 10–20 % is still burning in.
@pytest.mark.parametrize("weight_decay, weight, premises, status", steady_state_cases(
    0.5, 0.005, lambda t: 1.0 - 0.4 * min(max((t - 10) / 10, 0.0), 1.0)))
def test_figure3_is_judged_after_the_burn_in(fake_sweep, tmp_path, weight_decay, weight,
                                             premises, status):
    path, results = fake_sweep({**SWEEP, "weight_decay": weight_decay}, on_theory(weight))
    report = figure_3.draw(path, "smoke", results, tmp_path / "fig")
    assert report["premises"] == premises
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert all(shown.values()), report["verdicts"]
    assert [v.split()[0] for v in report["verdicts"][:2]] == ["PREMISE"] * 2
    entry = artifact_claims(SimpleNamespace(module=figure_3, sweep_file=str(path)), "smoke",
                            str(results), tmp_path / "r")
    assert entry["status"] == status


def test_a_ratio_that_never_blows_up_fails_the_tail_claim(fake_sweep, tmp_path):
    def flat(cfg):  # ‖g‖/‖w‖ held at its start value: no tracking of γ_t, no blow-up
        how = on_theory()(cfg)
        how["layers"]["conv1"]["grad_norm"] = how["layers"]["conv2"]["grad_norm"] = 1.0
        return how
    path, results = fake_sweep({**SWEEP, "weight_decay": 0.5}, flat)
    report = figure_3.draw(path, "smoke", results, tmp_path / "fig")
    assert report["premises"]["half_lives_before_window"]
    assert not report["claims"]["tail_blowup"]["shown"]
