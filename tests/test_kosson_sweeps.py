"""Kosson 2026 Figs. 12, 14, 16, 18: each claim check made to pass and to fail on results
written with the harness's own writers; the block-output scale and the gain extremes that
these figures need."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from analysis.kosson2026 import figure_12 as kosson_figure_12
from analysis.kosson2026 import figure_14 as kosson_figure_14
from analysis.kosson2026 import figure_16 as kosson_figure_16
from analysis.kosson2026 import figure_18 as kosson_figure_18
from analysis.load import ResultsError
from harness.launch import write_config
from harness.metrics import LAYERS_SCHEMA, METRICS_SCHEMA, LayerLogger, atomic_write_parquet
from harness.models import build_model, model_for
from harness.models.gpt import GPT, Block
from harness.optim import classify, reparameterize
from harness.run import DONE, _rows_before
from harness.sweep import RunConfig, SweepError, expand, load_sweep, run_dir

BASE = {"name": "ks", "model": "gpt", "depth": 2, "width": 32, "dataset": "stdlib_bytes",
        "optimizer": "muonmd", "lr": 0.01, "steps": 100, "scales": {"smoke": {}}}
LRS = [0.005, 0.01, 0.02, 0.04]


def fake_run(results, run, eval_loss=1.0, gains=None):
    """A complete run folder; `gains` = {layer: [(value_min, value_max) per logged step]}."""
    folder = run_dir(results, run)
    folder.mkdir(parents=True)
    write_config(run, folder, {})
    steps = range(0, 100, 10)
    base = {"lr": run.config.lr, "effective_lr": run.config.lr, "weight_decay": 0.0}
    metrics = [{**base, "step": t, "loss": 2.0} for t in steps]
    metrics[-1]["eval_loss"] = eval_loss
    layers = [{"step": t, "layer": "blocks.1.attn.qkv.parametrizations.weight.original",
               "kind": "linear", "normalized": True, "weight_norm": 1.0, "grad_norm": 1.0,
               "update_norm": 0.1} for t in steps]
    for layer, extremes in (gains or {}).items():
        layers += [{"step": t, "layer": layer, "kind": "gain", "normalized": False,
                    "weight_norm": 1.0, "grad_norm": 1.0, "update_norm": 0.1,
                    "value_min": lo, "value_max": hi} for t, (lo, hi) in zip(steps, extremes)]
    atomic_write_parquet(metrics, METRICS_SCHEMA, folder / "metrics.parquet")
    atomic_write_parquet(layers, LAYERS_SCHEMA, folder / "layers.parquet")
    (folder / DONE).write_text(json.dumps({"steps": 100}))


def make(write_sweep, tmp_path, sweep, loss_of=lambda cfg: 1.0, gains_of=lambda cfg: None):
    path = write_sweep({**BASE, **sweep})
    results = tmp_path / "results"
    for run in expand(path, "smoke"):
        fake_run(results, run, loss_of(run.config), gains_of(run.config))
    return path, results


def bowl(x, best, width):
    """A parabola in log2(x): `width` is the excess loss one ×2 step from the optimum."""
    return width * np.log2(x / best) ** 2


# Fig. 12: the mini layout (adam_lr segment, gains_lr segment, matrix lr segment).
ZIP12 = {"lr": [0.01] * 11 + [0.0025, 0.005, 0.02, 0.04],
         "adam_lr": [0.001, 0.002, 0.004, 0.008, 0.016] + [0.004] * 10,
         "gains_lr": [None] * 5 + [0.001, 0.002, 0.004, 0.008, 0.016, 0.032] + [None] * 4}


@pytest.mark.parametrize("gains_width, shown", [(0.0005, (True, True)),
                                                (0.02, (False, False))])
def test_figure12_claims(write_sweep, tmp_path, gains_width, shown):
    def loss(cfg):
        if cfg.gains_lr is not None:
            return 2.0 + bowl(cfg.gains_lr, 0.004, gains_width)
        return 2.0 + bowl(cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.004, 0.002)
    path, results = make(write_sweep, tmp_path, {"zip": ZIP12}, loss)
    report = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert (claims["matrix_lr_matters_most"]["shown"], claims["flat_in_gains_lr"]["shown"]) \
        == shown
    assert claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["best_lr"] == {"matrix lr": 0.01, "adam lr": 0.004,
                                             "gains lr": 0.004}
    assert claims["measured"]["excess_loss_within_window"]["matrix lr"] == pytest.approx(0.02)
    assert len(report["verdicts"]) == 3 and all(p.endswith(("png", "pdf"))
                                                for p in report["files"])


def test_figure12_adam_optimum_on_the_edge_is_said(write_sweep, tmp_path):
    path, results = make(write_sweep, tmp_path, {"zip": ZIP12}, lambda cfg: 2.0 + bowl(
        cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.016, 0.002))
    claims = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]


@pytest.mark.parametrize("best, shown", [
    ({"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": 1.05},
     (True, True, True)),
    ({"spectral_unclamped": 1.000, "original": 1.02, "match_rms_adamw": 1.05},
     (True, False, True)),
    ({"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": 1.001},
     (False, True, False))])
def test_figure14_claims(write_sweep, tmp_path, best, shown):
    grid = {"optimizer": ["muon", "muonmd"], "muon_adjust_lr": list(best), "lr": LRS}
    path, results = make(write_sweep, tmp_path, {"grid": grid},
                         lambda cfg: best[cfg.muon_adjust_lr] + bowl(cfg.lr, 0.01, 0.01))
    claims = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    for opt in ("muon", "muonmd"):
        assert (claims[f"{opt}_sqrt_factors_best"]["shown"],
                claims[f"{opt}_sqrt_factors_nearly_identical"]["shown"],
                claims[f"{opt}_rms_matching_noticeably_worse"]["shown"]) == shown
    assert claims["optima_inside_the_lr_grid"]["shown"]


def test_figure14_needs_the_three_factors(write_sweep, tmp_path):
    grid = {"optimizer": ["muon"], "muon_adjust_lr": ["original", "none"], "lr": LRS}
    path, results = make(write_sweep, tmp_path, {"grid": grid})
    with pytest.raises(ResultsError, match="match_rms_adamw"):
        kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")


@pytest.mark.parametrize("moving, sqrt_worse", [(False, False), (True, False), (False, True)])
def test_figure16_claims(write_sweep, tmp_path, moving, sqrt_worse):
    def loss(cfg):  # 1/L's optimum moves ×4 at depth 6 if `moving`; √ worse at depth 3
        best = 0.01 * (4 if moving and cfg.depth == 6 and cfg.block_output_scale ==
                       "inverse_depth" else 1)
        offset = -0.01 if cfg.block_output_scale == "inverse_sqrt_2depth" else 0.0
        if sqrt_worse and cfg.depth == 3:
            offset = -offset
        return 2.0 + offset + bowl(cfg.lr, best, 0.01)
    grid = {"depth": [1, 3, 6], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS}
    path, results = make(write_sweep, tmp_path, {"grid": grid}, loss)
    claims = kosson_figure_16.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["inverse_depth_lr_transfers_across_depth"]["shown"] is not moving
    assert claims["inverse_sqrt_2depth_lr_transfers_across_depth"]["shown"]
    assert claims["sqrt_scale_no_worse"]["shown"] is not sqrt_worse
    assert claims["measured"]["sqrt_worse_at_depths"] == ([3] if sqrt_worse else [])
    assert claims["optima_inside_the_lr_grid"]["shown"] is not moving  # 0.04: the edge


def softplus_inverse(g):
    return float(np.log(np.expm1(g)))


GAIN = "blocks.1.{}.parametrizations.weight.0.{}"


@pytest.mark.parametrize("low, shown", [(0.05, True), (0.5, False)])
def test_figure18_claim(write_sweep, tmp_path, low, shown):
    def gains_of(cfg):  # gains widen linearly from 1 to [low, 2] over training
        to_raw = softplus_inverse if cfg.gain_param == "softplus" else np.log
        ramp = np.linspace(0, 1, 10)
        steps = [(to_raw(1 + (low - 1) * f), to_raw(1 + f)) for f in ramp]
        flat = [(to_raw(1.0), to_raw(1.0))] * 10
        out = {GAIN.format(m, "row"): steps for m in ("attn.qkv", "mlp.down")}
        out.update({GAIN.format(m, "col"): flat for m in ("attn.qkv", "mlp.down")})
        out[GAIN.replace("blocks.1", "blocks.0").format("attn.qkv", "row")] = flat
        return out
    path, results = make(write_sweep, tmp_path, {"grid": {"gain_param": ["softplus", "exp"]}},
                         gains_of=gains_of)
    claims = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["gains_spread_over_10x"]["shown"] is shown
    spread = claims["measured"]["final_spread"]
    assert set(spread) == {"softplus", "exp"} and set(spread["exp"]) == {"attn.qkv", "mlp.down"}
    assert spread["exp"]["mlp.down"] == pytest.approx(2 / low)


def test_figure18_identity_gains_crossing_zero_are_said_not_counted(write_sweep, tmp_path):
    crossing = {GAIN.format("attn.qkv", "row"): [(-0.1, 2.0)] * 10}
    path, results = make(write_sweep, tmp_path, {"gain_param": "identity"},
                         gains_of=lambda cfg: crossing)
    report = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["measured"]["crossed_zero"] == ["identity"]
    assert not report["claims"]["gains_spread_over_10x"]["shown"]  # nothing left to show it


def test_figure18_on_runs_logged_before_the_gain_columns(write_sweep, tmp_path):
    path, results = make(write_sweep, tmp_path, {})
    folder = run_dir(results, expand(path, "smoke")[0])
    old = pq.read_table(folder / "layers.parquet").drop(["value_min", "value_max"])
    pq.write_table(old, folder / "layers.parquet")
    with pytest.raises(ResultsError, match="re-run"):
        kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")
    # Resuming such a run rewrites its rows with the new schema: the new columns are null.
    rows = _rows_before(folder / "layers.parquet", 1000)
    atomic_write_parquet(rows, LAYERS_SCHEMA, folder / "again.parquet")
    assert pq.read_table(folder / "again.parquet").column("value_min").null_count == len(rows)


def test_shipped_sweeps_expand_with_their_grids():
    mini = {f: expand(f"experiments/kosson2026/figure-{f}.yaml", "mini") for f in
            (12, 14, 16, 18)}
    assert len(mini[12]) == 15 and len(mini[14]) == 24 and len(mini[16]) == 24
    assert {r.config.block_output_scale for r in mini[16]} == set(kosson_figure_16.ALPHAS)
    assert 2 not in {r.config.depth for r in mini[16]}  # there 1/L = √(1/(2L))
    assert load_sweep("experiments/kosson2026/figure-12.yaml")["figure"] == "12"


# The GPT's block-output scale (Fig. 16).

def test_block_output_scale_default_is_todays_model():
    torch.manual_seed(0)
    default = GPT(256, 64, 4)
    torch.manual_seed(0)
    explicit = build_model("gpt", 4, 64, 256, 256, block_output_scale="none")
    for (name, a), (_, b) in zip(default.state_dict().items(), explicit.state_dict().items()):
        assert torch.equal(a, b), name
    assert all(block.alpha is None for block in default.blocks)
    x = torch.randint(0, 256, (2, 8))
    assert torch.equal(default(x), explicit(x))
    # GPT-2's residual init is kept without an α
    std = default.blocks[0].attn.proj.weight.std().item()
    assert std == pytest.approx(0.02 / 8 ** 0.5, rel=0.1)


@pytest.mark.parametrize("scale, alpha", [("inverse_depth", 0.25),
                                          ("inverse_sqrt_2depth", 8 ** -0.5)])
def test_block_output_scale_multiplies_each_branch(scale, alpha):
    model = build_model("gpt", 4, 64, 256, 256, block_output_scale=scale)
    assert all(block.alpha == pytest.approx(alpha) for block in model.blocks)
    assert model.blocks[0].attn.proj.weight.std().item() == pytest.approx(0.02, rel=0.1)
    block, x = model.blocks[1], torch.randn(2, 8, 64)
    with torch.no_grad():
        y = x + alpha * block.attn(block.attn_norm(x))
        expected = y + alpha * block.mlp(block.mlp_norm(y))
        assert torch.allclose(block(x), expected, atol=1e-6)
        plain = Block(64, 1)  # no α: the branches are added as they are
        plain.load_state_dict(block.state_dict())
        y = x + plain.attn(plain.attn_norm(x))
        assert torch.equal(plain(x), y + plain.mlp(plain.mlp_norm(y)))


def test_block_output_scale_config_reaches_the_model_and_is_checked():
    cfg = RunConfig(model="gpt", depth=3, width=64, dataset="stdlib_bytes", optimizer="muonmd",
                    lr=0.01, steps=4, block_output_scale="inverse_sqrt_2depth")
    model = model_for(cfg, 256, 256, None)
    assert model.blocks[0].alpha == pytest.approx(6 ** -0.5)
    with pytest.raises(ValueError, match="block_output_scale"):
        GPT(256, 64, 2, block_output_scale="sqrt")
    with pytest.raises(ValueError, match="applies to model gpt"):
        RunConfig(model="resnet", dataset="synthetic", optimizer="sgd", lr=0.1, steps=1,
                  block_output_scale="inverse_depth")


def test_bad_block_output_scale_in_a_sweep_names_the_choices(write_sweep):
    path = write_sweep({**BASE, "block_output_scale": "half"})
    with pytest.raises(SweepError, match="inverse_sqrt_2depth"):
        expand(path, "smoke")


# Gain extremes in layers.parquet (Fig. 18).

def test_layer_logger_logs_gain_extremes_only_for_gains():
    cfg = RunConfig(model="gpt", depth=1, width=32, dataset="stdlib_bytes", optimizer="muonmd",
                    lr=0.01, steps=1, gain_param="identity")
    torch.manual_seed(0)
    model = model_for(cfg, 256, 256, None)
    infos = reparameterize(model, classify(model, torch.zeros(1, 8, dtype=torch.long)), cfg)
    params = dict(model.named_parameters())
    gain = "blocks.0.mlp.up.parametrizations.weight.0.row"
    with torch.no_grad():
        params[gain].copy_(torch.linspace(-0.5, 3.0, params[gain].numel()))
    logger = LayerLogger(list(params.items()), infos)
    model(torch.randint(0, 256, (2, 8))).sum().backward()
    logger.before_step(0)
    logger.after_step()
    rows = {r["layer"]: r for r in logger.rows}
    assert (rows[gain]["value_min"], rows[gain]["value_max"]) == pytest.approx((-0.5, 3.0))
    other = rows["blocks.0.attn.qkv.parametrizations.weight.0.col"]
    assert (other["value_min"], other["value_max"]) == pytest.approx((1.0, 1.0))
    assert rows["embed.weight"]["value_min"] is None and rows["head.weight"]["value_max"] is None
    assert rows[gain]["weight_norm"] == pytest.approx(params[gain].norm().item())
    table = pa.Table.from_pylist(logger.rows, schema=LAYERS_SCHEMA)  # fits the schema
    assert table.column("value_min").null_count == sum(1 for i in infos if i.kind != "gain")


# Diverged runs (NaN eval loss: final_losses makes it inf) fail claims instead of passing them.

def test_figure12_all_gains_runs_diverged_is_not_flat(write_sweep, tmp_path):
    def loss(cfg):
        if cfg.gains_lr is not None:
            return float("nan")
        return 2.0 + bowl(cfg.lr, 0.01, 0.01) + bowl(cfg.adam_lr, 0.004, 0.002)
    path, results = make(write_sweep, tmp_path, {"zip": ZIP12}, loss)
    report = kosson_figure_12.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert not claims["flat_in_gains_lr"]["shown"]  # every loss inf: not "flat at inf"
    assert not claims["matrix_lr_matters_most"]["shown"]  # the gains penalty is NaN
    assert np.isnan(claims["measured"]["excess_loss_within_window"]["gains lr"])
    assert report["verdicts"][1].startswith("NOT SHOWN")


def test_flat_span_and_penalty_of_an_all_diverged_table():
    import pandas as pd
    table = pd.DataFrame({"g": "x", "lr": LRS, "loss": [np.inf] * 4})
    assert all(np.isnan(kosson_figure_12.flat_span(table)))
    assert np.isnan(kosson_figure_12.penalty(table))


def test_figure16_a_depth_where_both_scales_diverged_fails(write_sweep, tmp_path):
    def loss(cfg):
        if cfg.depth == 3:
            return float("nan")
        offset = -0.01 if cfg.block_output_scale == "inverse_sqrt_2depth" else 0.0
        return 2.0 + offset + bowl(cfg.lr, 0.01, 0.01)
    grid = {"depth": [1, 3, 6], "block_output_scale": list(kosson_figure_16.ALPHAS), "lr": LRS}
    path, results = make(write_sweep, tmp_path, {"grid": grid}, loss)
    claims = kosson_figure_16.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["sqrt_scale_no_worse"]["shown"]  # inf > inf is False: not a pass
    assert claims["measured"]["diverged_at_depths"] == [3]
    for alpha in kosson_figure_16.ALPHAS:  # depth 3's "optimum" would be the first lr
        assert not claims[f"{alpha}_lr_transfers_across_depth"]["shown"]


def test_figure14_a_factor_diverged_everywhere_decides_nothing(write_sweep, tmp_path):
    best = {"spectral_unclamped": 1.000, "original": 1.002, "match_rms_adamw": np.nan}
    grid = {"optimizer": ["muon"], "muon_adjust_lr": list(best), "lr": LRS}
    path, results = make(write_sweep, tmp_path, {"grid": grid},
                         lambda cfg: best[cfg.muon_adjust_lr] + bowl(cfg.lr, 0.01, 0.01))
    claims = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["muon_rms_matching_noticeably_worse"]["shown"]
    assert not claims["muon_sqrt_factors_best"]["shown"]
    assert claims["muon_sqrt_factors_nearly_identical"]["shown"]


def test_a_one_lr_grid_is_on_the_edge(write_sweep, tmp_path):
    factors = [*kosson_figure_14.SQRT_FACTORS, "match_rms_adamw"]
    grid = {"optimizer": ["muon"], "muon_adjust_lr": factors,
            "lr": [0.01]}
    path, results = make(write_sweep, tmp_path, {"grid": grid})
    claims = kosson_figure_14.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]  # one lr brackets nothing


def test_figure18_gains_gone_nan_fail_and_are_not_said_to_cross_zero(write_sweep, tmp_path):
    def gains_of(cfg):
        good = [(softplus_inverse(0.05), softplus_inverse(2.0))] * 10
        bad = good[:9] + [(np.nan, np.nan)]
        gains = bad if cfg.gain_param == "exp" else good
        return {GAIN.format(m, "row"): gains for m in ("attn.qkv", "mlp.down")}
    path, results = make(write_sweep, tmp_path, {"grid": {"gain_param": ["softplus", "exp"]}},
                         gains_of=gains_of)
    report = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert not claims["gains_spread_over_10x"]["shown"]  # softplus alone would show it
    assert claims["measured"]["not_finite"] == ["exp"]
    assert claims["measured"]["crossed_zero"] == []
    assert "not finite" in report["verdicts"][0]


def test_figure18_reads_gains_not_the_rank_factors(write_sweep, tmp_path):
    """rank_a / rank_b are kind "gain" in layers.parquet (Adam at gains_lr) but not gains."""
    gains = {GAIN.format("attn.qkv", "row"): [(softplus_inverse(0.05),
                                                softplus_inverse(2.0))] * 10,
             GAIN.format("attn.qkv", "rank_a"): [(-3.0, 0.0)] * 10,
             GAIN.format("attn.qkv", "rank_b"): [(-5.0, 5.0)] * 10}
    path, results = make(write_sweep, tmp_path, {}, gains_of=lambda cfg: gains)
    claims = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["measured"]["final_spread"]["softplus"]["attn.qkv"] == pytest.approx(40.0)
    assert claims["gains_spread_over_10x"]["shown"]
