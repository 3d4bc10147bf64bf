"""Chou Fig. 7 (App. A's simulation) end to end: the smoke sweep simulated by `harness run`,
then drawn, with its claims."""

from __future__ import annotations

from analysis.chou2025.figure_7 import draw as figure7
from harness.cli import main


def test_figure7_smoke_end_to_end(tmp_path):
    sweep = "experiments/chou2025/figure-7.yaml"
    results = tmp_path / "results"
    assert main(["run", sweep, "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0
    report = figure7(sweep, "smoke", results, tmp_path / "figures")
    assert (tmp_path / "figures" / "chou2025-figure-7_smoke.png").is_file()
    assert set(report["claims"]) >= {"constant_reaches_steady_state",
                                     "cosine_shrinks_at_the_end"}
