"""Chou Fig. 13: ScionC's weight norm on §2.2's steady state (Eq. 4) against Scion's fall,
the claim and the theory overlay made to pass and to fail on fake runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.chou2025 import figure_13 as chou_figure_13
from analysis.theory import lmo_norm2, scion_steady_norm2
from harness.sweep import expand

from .conftest import cosine, falls, flat


def steady_norm(cfg):
    """The hidden ‖w‖ that scion_theory predicts for this synthetic run, per step."""
    u2 = lmo_norm2("spectral", 24, 8) + lmo_norm2("spectral", 8, 32)  # qkv 24×8, fc2 8×32
    alpha = 1 - cfg.momentum

    def at(t):
        lr = cfg.lr * max(cosine(t), 1e-9)
        wd = (2 - alpha) * lr / (2 * alpha * cfg.c2) if cfg.c2 else cfg.weight_decay
        return float(np.sqrt(scion_steady_norm2(lr, wd, cfg.momentum, u2)))
    return at


@pytest.mark.parametrize("scionc_fall, shown", [(None, True), (0.4, False)])
def test_figure13_claims_and_theory_overlay(norm_runs, tmp_path, scionc_fall, shown):
    """ScionC sitting exactly on the Eq. 4 steady state (constant C² → constant norm) is
    shown, with measured/theory = 1; ScionC falling as much as Scion is not."""
    def curves(cfg):
        if cfg.optimizer == "scion":
            return {"hidden": falls(0.5), "output": flat(), "grad": flat()}
        return {"hidden": steady_norm(cfg) if scionc_fall is None else falls(scionc_fall),
                "output": flat(), "grad": flat()}
    path, results = norm_runs({"optimizer": ["scion", "scionc"], "c2": [None, 1.1875]},
                              curves)
    report = chou_figure_13.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["corrected_keeps_weight_norm"]["shown"] is shown
    ratio = claims["measured"]["end_norm_over_theory"]
    if shown:
        assert ratio["scionc"] == pytest.approx(1.0, rel=1e-6)
        assert steady_norm(expand(path, "smoke")[1].config)(0) == pytest.approx(
            math.sqrt(1.1875 * 26), rel=0.02)  # Eq. 4: ‖θ‖² ≈ C²·‖u‖² at γλ ≪ α
    assert set(ratio) == {"scion", "scionc"}
