"""Chou Fig. 7 (App. A's simulation) end to end: the smoke sweep simulated by `harness run`,
then drawn, with its claims, and its premise (the simulated ‖θ‖ reached its steady state)."""

from __future__ import annotations

import pytest

from analysis.chou2025 import figure_7 as chou_figure_7
from analysis.chou2025.figure_7 import draw as figure7
from harness.cli import main

from .conftest import premise_entry


def simulate(sweep, results) -> None:
    assert main(["run", str(sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0


def test_figure7_smoke_end_to_end(tmp_path):
    sweep = "experiments/chou2025/figure-7.yaml"
    results = tmp_path / "results"
    simulate(sweep, results)
    report = figure7(sweep, "smoke", results, tmp_path / "figures")
    assert (tmp_path / "figures" / "chou2025-figure-7_smoke.png").is_file()
    assert set(report["claims"]) >= {"constant_reaches_steady_state",
                                     "cosine_shrinks_at_the_end"}
    assert set(report["premises"]) == {"steady_state"}


@pytest.mark.parametrize("half_lives, met", [(10, True), (2, False)])
def test_figure7_premise(write_sweep, tmp_path, half_lives, met):
    """The paper's 10 half-lives (0.5 of warmup): ‖θ‖ is at √(nγ_t/(λ(2−γ_tλ))) by 20–30 % of
    the run, and both claims are shown; in 2 half-lives it is still rising there (the smoke
    sweep's length): not shown, whatever the claims."""
    sweep = write_sweep({"name": "chou2025-figure-7", "paper": "chou2025", "figure": "7",
                         "kind": "simulation", "size": 1000, "seed": 0, "lr": 0.01,
                         "weight_decay": 10.0, "warmup_half_lives": 0.5,
                         "grid": {"schedule": ["constant", "cosine"]},
                         "scales": {"smoke": {"half_lives": half_lives}}})
    simulate(sweep, tmp_path / "results")
    entry = premise_entry(chou_figure_7, sweep, tmp_path / "results", tmp_path,
                          set() if met else {"steady_state"})
    if met:
        assert all(entry["claims"].values())
