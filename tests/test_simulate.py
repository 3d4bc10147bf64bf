"""Chou App. A's simulation: equilibrium against theory, and the simulation sweep kind."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.chou2025.figure_7 import draw as figure7
from analysis.theory import steady_norm
from harness.cli import main
from harness.simulate import simulate
from harness.sweep import SimConfig, SweepError, expand


def test_constant_lr_norm_settles_at_the_steady_state(tmp_path):
    cfg = SimConfig(size=4000, lr=0.01, weight_decay=10.0, half_lives=40, log_points=400)
    simulate(cfg, tmp_path)
    norms = pd.read_parquet(tmp_path / "norms.parquet")
    late = norms[norms["step"] > norms["step"].max() / 2]
    target = steady_norm(4000, 0.01, 10.0)  # √(nγ/(λ(2−γλ))) = 0.7255
    assert late["norm"].mean() == pytest.approx(target, rel=0.02)
    assert late["expected_norm"].iloc[-1] == pytest.approx(target, rel=1e-9)


def test_simulation_sweeps_validate_their_own_keys(write_sweep):
    sweep = {"name": "sim", "kind": "simulation", "lr": 0.01, "weight_decay": 10.0,
             "scales": {"smoke": {"half_lives": 2}}}
    assert len(expand(write_sweep(sweep), "smoke")) == 1
    with pytest.raises(SweepError, match="model.*allowed: .*size"):
        expand(write_sweep({**sweep, "model": "resnet"}, "b.yaml"), "smoke")
    with pytest.raises(SweepError, match="lr·weight_decay must be < 1"):
        expand(write_sweep({**sweep, "weight_decay": 200.0}, "c.yaml"), "smoke")
    with pytest.raises(SweepError, match="kind.*train, simulation"):
        expand(write_sweep({**sweep, "kind": "magic"}, "d.yaml"), "smoke")


def test_figure7_smoke_end_to_end(tmp_path):
    sweep = "experiments/chou2025/figure-7.yaml"
    results = tmp_path / "results"
    assert main(["run", sweep, "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0
    report = figure7(sweep, "smoke", results, tmp_path / "figures")
    assert (tmp_path / "figures" / "chou2025-figure-7_smoke.png").is_file()
    assert set(report["claims"]) >= {"constant_reaches_steady_state",
                                     "cosine_shrinks_at_the_end"}
