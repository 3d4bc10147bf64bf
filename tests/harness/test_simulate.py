"""Chou App. A's simulation (harness/simulate.py): equilibrium against theory, and the
simulation sweep kind. Fig. 7 drawn from it: tests/analysis/chou2025/test_figure_7.py."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.theory import steady_norm
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

