"""Defazio §3 on a real (short) run: with a constant LR every normalized layer's ‖g‖/‖w‖
settles at √(2λ/γ). Checked the way Fig. 2's claim is: RMS ‖g‖ / mean ‖w‖ over the last 30 %."""

from __future__ import annotations

import pandas as pd

from analysis.defazio2025.figure_2 import FIG2_TOLERANCE
from analysis.equilibrium import window_deviation
from analysis.theory import half_life
from harness.run import train
from harness.sweep import RunConfig


def test_constant_lr_ratios_reach_the_steady_state(tmp_path):
    cfg = RunConfig(model="resnet", depth=8, width=8, dataset="mnist5k", batch_size=64,
                    augment="crop", label_noise=0.2, steps=600, optimizer="sgd", lr=0.1,
                    weight_decay=0.07, momentum=0.0, schedule="constant", log_every=2)
    assert cfg.steps / half_life(cfg.lr, cfg.weight_decay) > 5  # the half-life rule
    train(cfg, tmp_path, progress=False)
    layers = pd.read_parquet(tmp_path / "layers.parquet")
    metrics = pd.read_parquet(tmp_path / "metrics.parquet")
    deviation = window_deviation(layers, metrics, cfg.model_dump(), 0.7, 1.0)
    assert len(deviation) >= 7  # every conv of ResNet-8 is normalized
    assert deviation.median() < FIG2_TOLERANCE, deviation.to_dict()
    # And the start was far from it: the equilibrium is reached, not assumed.
    early = window_deviation(layers, metrics, cfg.model_dump(), 0.0, 0.02)
    assert early.median() > 2 * deviation.median()
