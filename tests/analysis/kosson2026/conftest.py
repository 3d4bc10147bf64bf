"""Kosson 2026's fake sweeps, shared by its figures' tests: GPT runs over an lr grid that log
what each figure reads (the final eval loss, the query direction's relative update, gains),
and a train loss at step 0 (`start`): the loss before training that the premise compares the
final eval loss with."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import CLAIMS_SWEEP

from analysis.lr_sweeps import PREMISE
from analysis.report import artifact_claims

LRS = [0.005, 0.01, 0.02, 0.04]
QKV = "blocks.{}.attn.qkv.parametrizations.weight.original"
NAN = float("nan")
LEARNING = math.log(256)  # a byte-level GPT's loss before training: the runs learn
STUCK = 1.0  # a start no higher than the fake sweeps' final losses (≥ 1): nothing learned


def initial(start):
    """Train loss `start` at step 0 (the loss before training), 2.0 later."""
    return {"loss": lambda t: start if t == 0 else 2.0}


def assert_premise(module, path, results, out, met: bool) -> dict:
    """The artifact's report entry (as `make report` builds it): the premise line first,
    met or not, and a premise not met makes it "not shown (premise not met)"."""
    entry = artifact_claims(SimpleNamespace(module=module, sweep_file=str(path)), "smoke",
                            str(results), out)
    assert entry["premises"] == {PREMISE: met}
    assert entry["detail"].startswith("PREMISE MET " if met else "PREMISE NOT MET")
    claims_status = "shown" if all(entry["claims"].values()) else "not shown"
    assert entry["status"] == (claims_status if met else "not shown (premise not met)")
    return entry


@pytest.fixture
def optimizer_sweep(fake_sweep):
    """optimizer_sweep(order, start, rows) -> (sweep, results): CLAIMS_SWEEP over the zipped
    `rows` (default: each optimizer of `order` over LRS), each run's final eval loss
    order[optimizer] + |log2(lr / 0.01)| (every optimum at 0.01, inside the grid), or
    order(config) when `order` is a function; train loss `start` at step 0."""
    def make(order, start=LEARNING, rows=None):
        rows = rows or {"optimizer": [o for o in order for _ in LRS], "lr": LRS * len(order)}
        loss = order if callable(order) else \
            (lambda cfg: order[cfg.optimizer] + abs(np.log2(cfg.lr / 0.01)))
        return fake_sweep({**CLAIMS_SWEEP, "zip": rows}, lambda cfg: {
            "layers": {"w": {}}, "metrics": initial(start), "final": {"eval_loss": loss(cfg)}})
    return make


def parabola(best_lr=0.01):
    return lambda lr: (np.log2(lr / best_lr)) ** 2


def bowl(x, best, width):
    """A parabola in log2(x): `width` is the excess loss one ×2 step from the optimum."""
    return width * np.log2(x / best) ** 2


@pytest.fixture
def lr_grid(fake_sweep):
    """lr_grid(grid, loss_of, start) -> (sweep, results): CLAIMS_SWEEP over `grid`, each run
    with one layer, train loss `start` at step 0 and the final eval loss loss_of(config)."""

    def make(grid, loss_of, start=LEARNING):
        return fake_sweep({**CLAIMS_SWEEP, "grid": grid}, lambda cfg: {
            "layers": {"w": {}}, "metrics": initial(start),
            "final": {"eval_loss": loss_of(cfg)}})

    return make


def schedule_factor(cfg, t):
    if cfg.schedule == "linear":
        return 1 - t / 99
    return 1.0 if cfg.schedule != "wsd" else min(1.0, (99 - t) / (0.2 * 99))


@pytest.fixture
def ablation_sweep(fake_sweep):
    """ablation_sweep(grid, loss_of, ratio, folder, start, **sweep keys) -> (sweep, results):
    the scheduled lr, a loss curve from `start` at step 0 ending at eval loss loss_of(config)
    and three normalized layers logged every 2nd step and the last; `ratio(t, lr)` is the
    query direction's ‖ΔV‖/‖V‖ (every layer's here), `grad_norm(config)` each layer's ‖g‖
    (a value, or a function of the step)."""

    def make(grid, loss_of, ratio=lambda t, lr: 1.7 * lr, folder=None, start=LEARNING,
             grad_norm=lambda cfg: 1.0, **extra):
        def how(cfg):
            eval_loss = loss_of(cfg)

            def lr(t):
                return cfg.lr * schedule_factor(cfg, t)
            layer = {"weight_norm": 4.0, "update_norm": lambda t: 4.0 * ratio(t, lr(t)),
                     "grad_norm": grad_norm(cfg)}
            return {"steps": [*range(0, 100, 2), 99], "final": {"eval_loss": eval_loss},
                    "metrics": {"lr": lr, "loss": lambda t: start if t == 0 else
                                2.0 + eval_loss - 0.01 * t / 99},
                    "layers": dict.fromkeys(["embed.weight", QKV.format(0), QKV.format(1)],
                                            layer)}
        sweep = {**CLAIMS_SWEEP, "name": "ablations", **extra, "grid": grid}
        return fake_sweep(sweep, how, folder)

    return make


@pytest.fixture
def gpt_sweep(fake_sweep):
    """gpt_sweep(sweep keys, loss_of, gains_of, start) -> (sweep, results): a depth-2 GPT's
    runs logged every 10th step, train loss `start` at step 0, the final eval loss
    loss_of(config); gains_of(config) = {layer: [(value_min, value_max) per logged step]}
    adds gain layers."""

    def make(sweep, loss_of=lambda cfg: 1.0, gains_of=lambda cfg: None, start=LEARNING):
        def how(cfg):
            gains = {layer: {"kind": "gain", "normalized": False,
                             "value_min": [lo for lo, _ in extremes],
                             "value_max": [hi for _, hi in extremes]}
                     for layer, extremes in (gains_of(cfg) or {}).items()}
            return {"steps": range(0, 100, 10), "final": {"eval_loss": loss_of(cfg)},
                    "metrics": initial(start),
                    "layers": {QKV.format(1): {}, **gains}}
        return fake_sweep({**CLAIMS_SWEEP, "name": "ks", "depth": 2, **sweep}, how)

    return make
