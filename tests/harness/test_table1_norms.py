"""Chou et al. 2025 Table 1's norms in layers.parquet (Figs. 4, 12): Spectral √(d_in/d_out)·‖A‖_S∞
by warm-started power iteration, Sign d_in·max|A_ij|, Bias RMS(b), each on the tensors of
its Scion group; old files without the columns still read."""

from __future__ import annotations

import copy
import math

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from conftest import SMOKE_SWEEP

from harness.cli import main
from harness.metrics import LayerLogger
from harness.models import build_model
from harness.optim import build_optimizer, classify
from harness.run import _rows_before
from harness.runfolder import LAYERS, LAYERS_SCHEMA, atomic_write_parquet, read_frame
from harness.sweep import RunConfig, expand, run_dir

NEW = ("spectral_norm", "sign_norm", "bias_norm")


def _setup():
    torch.manual_seed(0)
    model = build_model("resnet", 8, 4, 3, 10)  # 3×3 and 1×1 convs, BN gains, a linear head
    x, y = torch.randn(8, 3, 16, 16), torch.randint(0, 10, (8,))
    infos = classify(model, x[:1])
    cfg = RunConfig(model="resnet", dataset="synthetic", optimizer="scion", lr=0.05,
                    weight_decay=0.1, steps=1)
    return model, x, y, infos, build_optimizer("scion", model, infos, cfg)


def _logged_steps(model, x, y, logger, opt, steps: int):
    """Logs every step; yields (rows by layer, float64 copies of the weights they measured)."""
    for step in range(steps):
        opt.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        weights = {n: p.detach().double().clone() for n, p in model.named_parameters()}
        logger.before_step(step)
        opt.step()
        logger.after_step()
        yield {r["layer"]: r for r in logger.rows[-len(weights):]}, weights


def _matrix(w: torch.Tensor) -> torch.Tensor:
    return w.reshape(w.shape[0], -1)  # d_out × d_in (a conv kernel: d_out × d_in·k·k)


def _spectral_errors(rows, weights) -> dict[str, float]:
    """1 − logged / exact, exact = √(d_in/d_out)·σ_max in float64 (torch.linalg)."""
    errors = {}
    for name, w in weights.items():
        if rows[name]["spectral_norm"] is not None:
            a = _matrix(w)
            exact = math.sqrt(a.shape[1] / a.shape[0]) * torch.linalg.matrix_norm(a, 2).item()
            errors[name] = 1 - rows[name]["spectral_norm"] / exact
    return errors


def test_spectral_norm_matches_matrix_norm_after_a_few_logged_steps():
    model, x, y, infos, opt = _setup()
    logger = LayerLogger(list(model.named_parameters()), infos)
    history = [_spectral_errors(*logged)
               for logged in _logged_steps(model, x, y, logger, opt, 6)]
    assert len(history[-1]) == 9  # every conv kernel, the head is Sign
    for errors in history:  # power iteration approaches σ_max from below
        assert min(errors.values()) > -1e-6, errors
    assert max(history[-1].values()) < 5e-3, history[-1]
    # One iteration per logged step from a fresh random vector would be ~25 % low on these
    # matrices: staying within 0.5 % needs the persisted vector.
    assert set(logger.vectors) == set(history[-1])


def test_sign_and_bias_norms_match_their_closed_forms_in_float64():
    model, x, y, infos, opt = _setup()
    logger = LayerLogger(list(model.named_parameters()), infos)
    for rows, weights in _logged_steps(model, x, y, logger, opt, 3):
        head = _matrix(weights["head.weight"])  # 10 × 16
        assert rows["head.weight"]["sign_norm"] == pytest.approx(
            head.shape[1] * head.abs().max().item(), rel=1e-12)  # d_in·max|A_ij|
        for name, w in weights.items():
            if rows[name]["bias_norm"] is not None:  # RMS(b) = ‖b‖₂/√d_out
                assert rows[name]["bias_norm"] == pytest.approx(
                    w.pow(2).mean().sqrt().item(), rel=1e-6), name


def test_each_tensor_gets_the_norm_of_its_scion_group():
    model, x, y, infos, opt = _setup()
    logger = LayerLogger(list(model.named_parameters()), infos)
    rows, _ = next(_logged_steps(model, x, y, logger, opt, 1))
    column = {"spectral": "spectral_norm", "sign": "sign_norm", "bias_rms": "bias_norm"}
    names = {id(p): n for n, p in model.named_parameters()}
    groups = {g["name"] for g in opt.param_groups}
    assert groups == {"spectral", "bias_rms", "io_sign", "io_bias_rms"}
    for group in opt.param_groups:
        for p in group["params"]:
            row = rows[names[id(p)]]
            assert [c for c in NEW if row[c] is not None] == [column[group["lmo"]]], row
    table = pa.Table.from_pylist(logger.rows, schema=LAYERS_SCHEMA)  # fits the schema
    assert sum(table.column(c).null_count for c in NEW) == 2 * table.num_rows


def test_the_singular_vectors_survive_a_checkpoint(tmp_path):
    model, x, y, infos, opt = _setup()
    logger = LayerLogger(list(model.named_parameters()), infos)
    steps = _logged_steps(model, x, y, logger, opt, 4)
    for _ in range(3):
        next(steps)
    torch.save(logger.state_dict(), tmp_path / "state.pt")
    resumed = LayerLogger(list(model.named_parameters()), infos)
    resumed.load_state_dict(torch.load(tmp_path / "state.pt"))
    fresh = LayerLogger(list(model.named_parameters()), infos)
    for other in (resumed, fresh):  # both measure the weights logger is about to measure
        other.before_step(3)
        other.after_step()
    rows, _ = next(steps)
    spectral = [n for n, r in rows.items() if r["spectral_norm"] is not None]
    assert [r["spectral_norm"] for r in resumed.rows if r["layer"] in spectral] == [
        rows[n]["spectral_norm"] for n in spectral]
    assert [r["spectral_norm"] for r in fresh.rows if r["layer"] in spectral] != [
        rows[n]["spectral_norm"] for n in spectral]  # a cold start differs: state matters


def test_old_layers_files_read_and_rewrite_with_null_norms(tmp_path):
    old_schema = pa.schema([f for f in LAYERS_SCHEMA if f.name not in NEW])
    path = tmp_path / LAYERS
    pq.write_table(pa.Table.from_pylist([{"step": s, "layer": "fc.weight", "kind": "linear",
                                          "normalized": True, "weight_norm": 1.0}
                                         for s in range(3)], schema=old_schema), path)
    frame = read_frame(path)
    assert len(frame) == 3 and frame.get("spectral_norm") is None  # as for weight_max_abs
    atomic_write_parquet(_rows_before(path, 2), LAYERS_SCHEMA, path)  # what a resume does
    frame = read_frame(path)
    assert len(frame) == 2 and frame[list(NEW)].isna().all().all()


def test_a_scion_run_writes_the_norms(write_sweep, tmp_path):
    sweep = write_sweep({**copy.deepcopy(SMOKE_SWEEP), "optimizer": "scion", "lr": 0.05})
    results = tmp_path / "results"
    assert main(["run", str(sweep), "--scale", "smoke", "--results", str(results),
                 "--executor", "inline"]) == 0
    layers = pd.read_parquet(run_dir(results, expand(sweep, "smoke")[0]) / LAYERS)
    per_step = layers.groupby("step")[list(NEW)].count()
    convs = (layers["kind"] == "conv").groupby(layers["step"]).sum()
    assert (per_step["spectral_norm"] == convs).all() and (per_step["sign_norm"] == 1).all()
    assert (layers["spectral_norm"].dropna() > 0).all()


def test_a_zero_initialized_matrix_is_measured_afresh_once_it_moves():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(24, 48), torch.nn.LayerNorm(48),
                                torch.nn.Linear(48, 24), torch.nn.Linear(24, 3))
    torch.nn.init.zeros_(model[2].weight)  # as the GPT's residual projections start
    infos = classify(model, torch.zeros(1, 24))
    logger = LayerLogger(list(model.named_parameters()), infos)
    logger.before_step(0)
    logger.after_step()
    assert {r["layer"]: r["spectral_norm"] for r in logger.rows}["2.weight"] == 0.0
    assert "2.weight" not in logger.vectors  # no direction learned from a zero matrix
    with torch.no_grad():
        model[2].weight.normal_()
    logger.before_step(1)
    logger.after_step()
    rows = {r["layer"]: r for r in logger.rows[-len(infos):]}
    w = model[2].weight.double()
    exact = math.sqrt(48 / 24) * torch.linalg.matrix_norm(w, 2).item()
    assert rows["2.weight"]["spectral_norm"] == pytest.approx(exact, rel=2e-2)
