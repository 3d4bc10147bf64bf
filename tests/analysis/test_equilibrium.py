"""analysis/equilibrium.py: the per-step norms summed over normalized tensors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.equilibrium import norms_over_time, radial_push


def test_norms_are_nan_where_one_tensor_is():
    layers = pd.DataFrame({"step": [0, 0, 1, 1], "layer": ["a", "b"] * 2,
                           "normalized": [True] * 4, "weight_norm": [3.0, 4.0, 3.0, np.nan],
                           "grad_norm": [1.0] * 4})
    out = norms_over_time(layers)
    assert out.loc[0, "weight_norm"] == 5.0 and np.isnan(out.loc[1, "weight_norm"])


def simulated_logs(push: float, steps: int = 400, every: int = 4, seed: int = 0):
    """A 2-layer run θ ← θ − γλθ − γu in float64 with u = −push·λθ + ξ (ξ Gaussian, drawn
    independently of θ), logged as the harness logs it (‖θ‖ before each logged step, that
    step's ‖Δθ‖); and the true −Σγ⟨θ, u⟩ / Σγλ‖θ‖² over the 2nd half, from every step."""
    rng = np.random.default_rng(seed)
    lrs = 0.05 * (1 + np.cos(np.pi * np.arange(steps) / steps)) / 2 + 0.005
    wd = 0.5
    rows, true_push, true_pull = [], 0.0, 0.0
    for name in ("a", "b"):
        theta = rng.normal(size=300)
        for t, lr in enumerate(lrs):
            u = -push * wd * theta + rng.normal(size=300)
            step = lr * wd * theta + lr * u
            if t >= steps // 2:
                true_push -= lr * theta @ u
                true_pull += lr * wd * theta @ theta
            if t % every == 0 or t == steps - 1:
                rows.append({"step": t, "layer": name, "normalized": True,
                             "weight_norm": np.linalg.norm(theta),
                             "update_norm": np.linalg.norm(step)})
            theta = theta - step
    metrics = pd.DataFrame({"step": np.arange(steps), "lr": lrs, "weight_decay": wd})
    return pd.DataFrame(rows), metrics, true_push / true_pull


@pytest.mark.parametrize("push", [0.0, 0.5, 0.95])
def test_radial_push_is_read_from_the_logged_norms(push):
    """The update's outward push against the decay's pull, from ‖θ‖ and ‖Δθ‖ logged every 4th
    step, matches the simulation's own Σγ⟨θ, u⟩ (0 for updates independent of the weights,
    Chou §2.2's premise)."""
    layers, metrics, truth = simulated_logs(push)
    assert truth == pytest.approx(push, abs=0.1)
    assert radial_push(layers, metrics, 0.5, 1.0) == pytest.approx(truth, abs=0.02)
