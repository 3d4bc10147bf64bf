"""analysis/theory.py's closed forms: Chou §2.2's steady-state norm against a float64
simulation, and the ViT update norm it needs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.theory import scion_steady_norm2, vit_update_norm2


def test_vit_update_norm2_needs_known_layer_names():
    hidden = ["blocks.0.attn.qkv.weight", "blocks.0.mlp.fc2.weight"]
    layers = pd.DataFrame({"layer": hidden, "normalized": [True, True]})
    assert vit_update_norm2(layers, 8) == 24 + 2
    other = pd.DataFrame({"layer": ["blocks.0.w1.weight"], "normalized": [True]})
    assert vit_update_norm2(other, 8) is None  # another model: no overlay, no guess


def test_steady_norm_matches_a_simulation():
    """§2.2's random walk, simulated in float64: iid Gaussian gradients, momentum α, Bias-lmo
    normalized updates (‖u‖² = d), decay η = γλ. E‖θ‖² against the closed form."""
    rng = np.random.default_rng(0)
    d, alpha, lr, wd = 4000, 0.3, 0.1, 0.5
    theta, m, values = np.zeros(d), np.zeros(d), []
    for t in range(1500):
        m = (1 - alpha) * m + alpha * rng.standard_normal(d)
        theta = theta * (1 - lr * wd) - lr * m / np.sqrt(np.mean(m**2))
        if t >= 700:
            values.append(theta @ theta)
    assert np.mean(values) == pytest.approx(scion_steady_norm2(lr, wd, 1 - alpha, d), rel=0.03)
    assert float(scion_steady_norm2(0.01, 0.0, 0.9, 1.0)) == np.inf
