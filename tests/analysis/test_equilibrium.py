"""analysis/equilibrium.py: the per-step norms summed over normalized tensors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.equilibrium import below_all, momentum_push, norms_over_time, radial_push


def test_norms_are_nan_where_one_tensor_is():
    layers = pd.DataFrame({"step": [0, 0, 1, 1], "layer": ["a", "b"] * 2,
                           "normalized": [True] * 4, "weight_norm": [3.0, 4.0, 3.0, np.nan],
                           "grad_norm": [1.0] * 4})
    out = norms_over_time(layers)
    assert out.loc[0, "weight_norm"] == 5.0 and np.isnan(out.loc[1, "weight_norm"])


def simulated_logs(push: float, beta: float = 0.0, lrs=None, every: int = 4, seed: int = 0):
    """A 2-layer run θ ← θ − γλθ − γu in float64 with u = −push·λθ + m, m the EMA (β) of
    Gaussian gradients drawn independently of θ, γ per step `lrs` (default: 400 steps of a
    cosine), logged as the harness logs it (‖θ‖ before each logged step, that step's ‖Δθ‖);
    and the true −Σγ⟨θ, u⟩ / Σγλ‖θ‖² over the 2nd half, from every step."""
    rng = np.random.default_rng(seed)
    if lrs is None:
        lrs = 0.05 * (1 + np.cos(np.pi * np.arange(400) / 400)) / 2 + 0.005
    steps, wd = len(lrs), 0.5
    rows, true_push, true_pull = [], 0.0, 0.0
    for name in ("a", "b"):
        theta, m = rng.normal(size=300), np.zeros(300)
        for t, lr in enumerate(lrs):
            m = beta * m + (1 - beta) * rng.normal(size=300)
            u = -push * wd * theta + m
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
    step, matches the simulation's own Σγ⟨θ, u⟩ (0 for updates independent of the weights)."""
    layers, metrics, truth = simulated_logs(push)
    assert truth == pytest.approx(push, abs=0.1)
    assert radial_push(layers, metrics, 0.5, 1.0) == pytest.approx(truth, abs=0.02)
    assert np.isnan(radial_push(layers.drop(columns="update_norm"), metrics, 0.5, 1.0))


def test_momentum_alone_pushes_at_steady_state():
    """Gradients independent of the weights (Chou §2.2's premise) under momentum β = 0.9: θ
    holds the recent updates, which the momentum correlates with the current one, so at a
    steady state the push is 2β/(1+β) = 0.947 of the pull, not 0 (10 000 steps, constant γ)."""
    layers, metrics, truth = simulated_logs(0.0, beta=0.9, lrs=np.full(10000, 0.01), every=5)
    assert truth == pytest.approx(momentum_push(0.9), abs=0.01)
    assert radial_push(layers, metrics, 0.5, 1.0) == pytest.approx(truth, abs=0.01)
    assert momentum_push(0.0) == 0.0


def test_a_premise_value_that_prints_as_its_limit_gets_one_more_digit():
    """20.36 % against "< 20 %" would read "20 % (< 20 %)": the line must show the side."""
    met, line = below_all({"scion": 0.2036, "scionc": 0.076}, 0.2, "drift", "{:.0%}")
    assert not met and "scion 20.4%, scionc 8% (< 20%)" in line
    met, line = below_all({"a": 0.1996}, 0.2, "drift", "{:.2f}")
    assert met and "a 0.200 (< 0.20)" in line
