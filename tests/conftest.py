"""Shared fixtures: small sweep files written into a temp folder, and fake results written
the way the harness writes them (`fake_run`, `fake_sweep`), so that every analysis test reads
the same run-folder contract as real runs.

Only this folder holds a conftest.py outside a package: a second one would take the module
name `conftest` and break `from conftest import ...` (tests/analysis/<paper>/ are packages,
so their conftest.py files are `<paper>.conftest`)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from harness.launch import write_config
from harness.runfolder import (
    DONE,
    LAYERS,
    LAYERS_SCHEMA,
    METRICS,
    METRICS_SCHEMA,
    atomic_write_parquet,
    atomic_write_text,
)
from harness.sweep import expand, run_dir

REPO = Path(__file__).resolve().parents[1]

SMOKE_SWEEP = {
    "name": "smoke-test",
    "paper": "defazio2025",
    "figure": "2",
    "model": "resnet",
    "depth": 8,
    "width": 4,
    "dataset": "synthetic",
    "optimizer": "sgd",
    "lr": 0.1,
    "weight_decay": 0.01,
    "batch_size": 32,
    "steps": 4,
    "scales": {"smoke": {}, "mini": {"steps": 8}},
}


@pytest.fixture
def write_sweep(tmp_path):
    """write_sweep(dict or text, name) -> path of a sweep file in tmp_path."""

    def write(content, name: str = "sweep.yaml") -> Path:
        path = tmp_path / name
        path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
        return path

    return write


@pytest.fixture
def smoke_sweep(write_sweep):
    return write_sweep(SMOKE_SWEEP)


def step_through(opt, p, grads, lrs, factor: float = 1.0) -> None:
    """Step an MD optimizer through (grad, lr) pairs in float64, checking that every step has
    the relative size lr·factor the spec asks for."""
    opt.param_groups[0]["ns_dtype"] = torch.float64
    for grad, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = grad.clone()
        opt.step()
        assert opt.state[p]["relative_step"].item() == pytest.approx(lr * factor, rel=1e-12)


def run_inline(sweep, results) -> tuple[list[str], list]:
    """`harness run SWEEP` at smoke scale in this process (asserting it succeeds); returns the
    command, to run it again, and the sweep's runs."""
    from harness.cli import main

    command = ["run", str(sweep), "--scale", "smoke", "--results", str(results),
               "--executor", "inline"]
    assert main(command) == 0
    return command, expand(sweep, "smoke")


# A small GPT sweep that fake runs fill (nothing trains): the artifacts' tests add a grid.
CLAIMS_SWEEP = {"name": "claims", "model": "gpt", "depth": 1, "width": 32,
                "dataset": "stdlib_bytes", "optimizer": "muonmd", "lr": 0.01, "steps": 100,
                "scales": {"smoke": {}}}
LAYER_DEFAULTS = {"kind": "linear", "normalized": True, "weight_norm": 1.0, "grad_norm": 1.0,
                  "update_norm": 0.1}


def _row(columns: dict, i: int, t: int) -> dict:
    """The i-th logged step's (t's) row: each column f(t), the i-th of a sequence, or as is."""
    return {k: v(t) if callable(v) else v[i] if isinstance(v, (list, tuple, np.ndarray)) else v
            for k, v in columns.items()}


def _check_lengths(columns: dict, steps: list) -> None:
    for name, value in columns.items():
        if isinstance(value, (list, tuple, np.ndarray)) and len(value) != len(steps):
            raise ValueError(f"{name}: {len(value)} values for {len(steps)} logged steps")


def write_fake_run(results, run, steps=range(0, 100, 2), metrics=None, layers=None,
                   final=None, done=True, meta=None) -> Path:
    """A run folder as the harness leaves it: config.yaml, metrics.parquet (one row per
    logged step), layers.parquet (one row per step and layer, step by step), DONE last.

    Column values are constants, f(step) or one value per logged step; None is null.
    metrics: over lr = the config's, effective_lr = that step's lr, weight_decay = the
        config's, loss = 2.0; `final` is merged into the last row (eval_loss, ...).
    layers: {layer: {column: value}} over LAYER_DEFAULTS; None writes no layers.parquet.
    done: DONE's JSON; True is {"steps": the config's steps}; False leaves the run incomplete.
    meta: extra keys of config.yaml (paper, figure), as the launcher adds them."""
    cfg, steps = run.config, list(steps)
    folder = run_dir(results, run)
    folder.mkdir(parents=True)
    write_config(run, folder, meta or {})
    metrics = {"lr": cfg.lr, "weight_decay": cfg.weight_decay, "loss": 2.0, **(metrics or {})}
    _check_lengths(metrics, steps)
    rows = [{"step": t, **_row(metrics, i, t)} for i, t in enumerate(steps)]
    for row in rows:
        row.setdefault("effective_lr", row["lr"])
    rows[-1].update(final or {})
    atomic_write_parquet(rows, METRICS_SCHEMA, folder / METRICS)
    if layers is not None:
        layers = {name: {**LAYER_DEFAULTS, **columns} for name, columns in layers.items()}
        for columns in layers.values():
            _check_lengths(columns, steps)
        rows = [{"step": t, "layer": name, **_row(columns, i, t)}
                for i, t in enumerate(steps) for name, columns in layers.items()]
        atomic_write_parquet(rows, LAYERS_SCHEMA, folder / LAYERS)
    if done:
        summary = {"steps": cfg.steps} if done is True else done
        atomic_write_text(json.dumps(summary), folder / DONE)
    return folder


@pytest.fixture
def fake_run():
    """fake_run(results, run, steps=..., metrics=..., layers=..., final=..., done=True,
    meta=None) -> the run's folder: see write_fake_run."""
    return write_fake_run


@pytest.fixture
def fake_sweep(write_sweep, tmp_path):
    """fake_sweep(sweep, how=..., folder=tmp_path) -> (sweep file, results folder): the sweep
    written, then one fake run per run of its smoke scale with `how(config)` as fake_run's
    keywords (None: that run never ran). Results go to folder/results."""

    def write(sweep: dict, how=lambda cfg: {}, folder: Path | None = None):
        path, results = write_sweep(sweep), Path(folder or tmp_path) / "results"
        for run in expand(path, "smoke"):
            kwargs = how(run.config)
            if kwargs is not None:
                write_fake_run(results, run, **kwargs)
        return path, results

    return write


# ---- Chou et al. 2025's momentum schedules (Fig. 3, App. C) in float64, from the paper's
# words: the harness's schedules (tests/harness/optim) and the analysis's prediction of them
# (tests/analysis) are both checked against these.

TOTAL, WARMUP = 100, 10


def warmup_cosine(t, total=TOTAL, warmup=WARMUP):
    """Warmup (t+1)/w, then cosine to 0 at the last step."""
    if t < warmup:
        return (t + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - 1 - warmup)))


def momentum_ratio(alpha):
    return (2 - alpha) / alpha


def matched_schedule(f, lr0, alpha0, alpha_max, e):
    """(γ, α) with γ·ratio(α)^e = f·γ0·ratio(α0)^e, γ = γ0 while α ≤ α_max: by bisection."""
    target = f * lr0 * momentum_ratio(alpha0) ** e
    if lr0 * momentum_ratio(alpha_max) ** e >= target:
        return target / momentum_ratio(alpha_max) ** e, alpha_max
    lo, hi = alpha0, alpha_max  # lr0·ratio(α)^e falls with α: it is ≥ target at lo
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if lr0 * momentum_ratio(mid) ** e > target else (lo, mid)
    return lr0, 0.5 * (lo + hi)


def chou_schedule(cfg, t, total=TOTAL, warmup=WARMUP):
    """(γ_t, α_t) of a run's schedule (cfg: a config dict)."""
    f, alpha0 = warmup_cosine(t, total, warmup), 1 - cfg["momentum"]
    kind = cfg.get("momentum_schedule", "constant")
    if kind == "constant" or t < warmup:
        return cfg["lr"] * f, alpha0
    alpha_max = 1 - cfg["momentum_final"]
    if kind == "linear":
        return cfg["lr"] * f, alpha0 + (alpha_max - alpha0) * (t - warmup) / (total - 1 - warmup)
    e = {"match_effective_lr": 0.5, "match_effective_lr_no_sqrt": 1.0}[kind]
    return matched_schedule(f, cfg["lr"], alpha0, alpha_max, e)
