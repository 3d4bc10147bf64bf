"""Chou Fig. 2: the best lr transfers across momentum in γ_eff = γ·√((2−α)/α) better than in
γ, made to pass and to fail on fake runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import CLAIMS_SWEEP

from analysis.chou2025 import figure_2 as chou_figure_2


@pytest.mark.parametrize("transfers", [True, False])
def test_effective_lr_transfer_claim(fake_sweep, tmp_path, transfers):
    def gamma_eff(cfg):
        alpha = 1 - cfg.momentum
        return cfg.lr * np.sqrt((2 - alpha) / alpha)

    def accuracy(cfg):  # peaked at γ_eff = 0.05 for every α, or at γ = 0.01 for every α
        x = gamma_eff(cfg) if transfers else cfg.lr
        return 0.9 - 0.05 * np.log2(x / (0.05 if transfers else 0.01)) ** 2

    config = {**CLAIMS_SWEEP, "model": "resnet", "dataset": "synthetic", "optimizer": "scionc",
              "c2": 1.0, "grid": {"momentum": [0.9, 0.5], "lr": [0.005, 0.01, 0.02, 0.04]}}
    path, results = fake_sweep(config, lambda cfg: {
        "layers": {"w": {}}, "final": {"eval_loss": 1.0, "eval_accuracy": accuracy(cfg)}})
    claims = chou_figure_2.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["gamma_eff_transfers_better_than_gamma"]["shown"] is transfers
