"""Chou et al. 2025's fake sweeps, shared by its figures' tests: the momentum figures' ViT
ScionC runs that log the reference schedule (Figs. 3, 9–11), and the norm figures' runs with
hidden, output and norm layers (Figs. 5, 6, 8, 12, 13)."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import TOTAL, WARMUP, chou_schedule, momentum_ratio

from analysis.report import artifact_claims
from harness.runfolder import METRICS

# ---- momentum scheduling (Figs. 3, 9–11) ---------------------------------------------------

MOMENTUM_SWEEP = {"name": "momentum", "model": "vit", "depth": 1, "width": 32,
                  "dataset": "synthetic", "optimizer": "scionc", "c2": 1.1875,
                  "schedule": "cosine", "lr": 0.01, "momentum": 0.9, "steps": TOTAL,
                  "warmup_steps": WARMUP, "scales": {"smoke": {}}}


@pytest.fixture
def momentum_runs(fake_sweep):
    """momentum_runs(zipped, top1, weight, grad, eff_scale, top) -> (sweep, results): one fake
    run per zip row: the reference schedule logged every step (γ'_eff × eff_scale where the
    momentum is scheduled), top-1 at every 10th step (9, 19, …, 99), one normalized layer
    with the given norms; `top` overrides MOMENTUM_SWEEP's keys."""

    def make(zipped, top1, weight=lambda c, t: 1.0, grad=lambda c, t: 1.0, eff_scale=1.0,
             top=None):
        def how(config):
            cfg = config.model_dump()
            scale = eff_scale if cfg["momentum_schedule"] != "constant" else 1.0
            schedule = [chou_schedule(cfg, t) for t in range(TOTAL)]
            lrs = [lr for lr, _ in schedule]
            return {"steps": range(TOTAL), "done": {"steps": TOTAL, "warmup_steps": WARMUP},
                    "metrics": {"lr": lrs, "weight_decay": lrs, "loss": 1.0,
                                "effective_lr": [lr * math.sqrt(momentum_ratio(alpha)) * scale
                                                 for lr, alpha in schedule],
                                "eval_accuracy": lambda t: top1(cfg, t) if t % 10 == 9 else None},
                    "layers": {"w": {"weight_norm": lambda t: weight(cfg, t),
                                     "grad_norm": lambda t: grad(cfg, t)}}}
        return fake_sweep({**MOMENTUM_SWEEP, **(top or {}), "zip": zipped}, how)

    return make


def amax(cfg):
    return None if cfg["momentum_final"] is None else 1 - cfg["momentum_final"]


def dip(mid, end):
    """top1(cfg, t): the baseline at 0.9 throughout; the others at `mid` until step 90, then
    at `end`."""
    return lambda cfg, t: 0.9 if amax(cfg) is None else mid if t < 90 else end


def check(report, shown: bool, tmp_path, figure: str):
    """Every claim `shown` (or not), the figure written, and one verdict line per claim after
    the premise lines, which come first (a `measured` line beside them is no claim)."""
    claims = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert claims and all(v is shown for v in claims.values()), claims
    assert (tmp_path / "fig" / f"chou2025-figure-{figure}_smoke.png").is_file()
    n = len(report.get("premises", {}))
    assert all(v.startswith("PREMISE") for v in report["verdicts"][:n]), report["verdicts"]
    assert len([v for v in report["verdicts"][n:] if not v.startswith("measured")]) == len(claims)
    json.dumps(report["claims"])  # `python -m analysis` writes them as JSON
    return report["claims"]["measured"]


# ---- weight and gradient norms (Figs. 5, 6, 8, 12, 13) ---------------------------------------

NORMS_SWEEP = {"name": "norms", "model": "vit", "depth": 1, "width": 8, "dataset": "synthetic",
               "lr": 0.01, "weight_decay": 0.1, "momentum": 0.9, "schedule": "cosine",
               "steps": 100, "scales": {"smoke": {}}}
STEPS = [*range(0, 100, 2), 99]
HIDDEN = ["blocks.0.attn.qkv.weight", "blocks.0.mlp.fc2.weight"]


def cosine(t):
    return 0.5 * (1 + math.cos(math.pi * t / 99))


@pytest.fixture
def norm_runs(fake_sweep):
    """norm_runs(zipped, curves) -> (sweep, results): one fake run per zipped row.
    curves(cfg) -> {"hidden", "output", "grad": f(t)} giving the total hidden ‖w‖ (split over
    two tensors), the head's ‖w‖ and every ‖g‖ (and optionally "loss", default 1.0, and
    "update", each hidden tensor's ‖Δw‖, and "gain", the last norm's); metrics
    log γ_t and, for ScionC,
    λ_t = (2−α)γ_t/(2αC²) as the harness does."""

    def make(zipped, curves):
        def how(cfg):
            alpha, f = 1 - cfg.momentum, curves(cfg)

            def lr(t):
                return cfg.lr * cosine(t)

            def wd(t):
                return (2 - alpha) * lr(t) / (2 * alpha * cfg.c2) if cfg.c2 else \
                    cfg.weight_decay
            hidden = {"weight_norm": lambda t: f["hidden"](t) / math.sqrt(2),
                      "grad_norm": f["grad"], **({"update_norm": f["update"]}
                                                  if "update" in f else {})}
            return {"steps": STEPS, "final": {"eval_loss": 1.0},
                    "metrics": {"lr": lr, "weight_decay": wd, "loss": f.get("loss", 1.0)},
                    "layers": {**dict.fromkeys(HIDDEN, hidden),
                               "head.weight": {"normalized": False, "weight_norm": f["output"],
                                               "grad_norm": f["grad"]},
                               "norm.weight": {"kind": "norm", "normalized": False,
                                               "grad_norm": f["grad"],
                                               **({"weight_norm": f["gain"]}
                                                  if "gain" in f else {})}}}
        return fake_sweep({**NORMS_SWEEP, "zip": zipped}, how)

    return make


def flat(value=1.0):
    return lambda t: value


def falls(fraction):  # flat for the first half, then down linearly by `fraction` at the end
    return lambda t: 10.0 * (1 - fraction * max(0.0, (t - 50) / 49))


def rises(fraction, start=75):
    return lambda t: 3.0 * (1 + fraction * max(0.0, (t - start) / (99 - start)))


# ---- premises (every Chou figure checks them first) ----------------------------------------

def learning(results, loss=lambda t: 2.3 if t < 5 else 1.0):
    """Give every fake run under `results` a train loss that falls early (the momentum runs
    log a flat 1.0: a model that does not learn)."""
    for path in results.rglob(METRICS):
        table = pq.read_table(path)
        losses = pa.array([float(loss(t)) for t in table["step"].to_pylist()], pa.float64())
        pq.write_table(table.set_column(table.schema.get_field_index("loss"), "loss", losses),
                       path)


def premise_entry(module, path, results, tmp_path, failing: set[str], shown: bool = True) -> dict:
    """The report's entry for `module` drawn from these runs, asserting that exactly the
    premises `failing` are NOT MET, on the first lines, and its status: not shown for that,
    else shown if the claims are (`shown`)."""
    entry = artifact_claims(SimpleNamespace(module=module, sweep_file=str(path)), "smoke",
                            str(results), tmp_path / "r")
    assert {k for k, v in entry["premises"].items() if not v} == failing
    lines = entry["detail"].split("\n")[:len(entry["premises"])]
    assert sum(line.startswith("PREMISE NOT MET") for line in lines) == len(failing), lines
    assert entry["status"] == ("not shown (premise not met)" if failing else
                               "shown" if shown else "not shown")
    return entry
