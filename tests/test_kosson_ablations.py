"""Kosson 2026 Figs. 2, 4, 5, 9, 10: the row / column sphere against a float64 reference, and
every claim check made to pass and to fail on results written with the harness's writers."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from conftest import ns5_reference
from torch import nn

from analysis.kosson2026 import figure_2 as kosson_figure_2
from analysis.kosson2026 import figure_4 as kosson_figure_4
from analysis.kosson2026 import figure_5 as kosson_figure_5
from analysis.kosson2026 import figure_9 as kosson_figure_9
from analysis.kosson2026 import figure_10 as kosson_figure_10
from analysis.kosson2026 import figure_17 as kosson_figure_17
from harness.launch import write_config
from harness.metrics import LAYERS_SCHEMA, METRICS_SCHEMA, atomic_write_parquet
from harness.optim.md import SphereDirection
from harness.run import DONE
from harness.sweep import expand, run_dir

# ---- the sphere option (Kosson Fig. 4) against a float64 reference -----------------------


def sphere_reference(v0, grads, lrs, sphere, base, factor=1.0, b1=0.9, b2=0.999, eps=1e-8,
                     mu=0.95):
    """Written from the spec, one vector at a time: every row (sphere "row"), column ("col")
    or the whole matrix ("frobenius") steps by relative size lr·s and goes back to its own
    initial norm."""
    def pieces(x):  # list of views, one per constrained vector
        if sphere == "row":
            return [x[i] for i in range(x.shape[0])]
        if sphere == "col":
            return [x[:, j] for j in range(x.shape[1])]
        return [x]
    v = v0.clone()
    radii = [float(torch.sqrt((piece**2).sum())) for piece in pieces(v)]
    m, s, buf = torch.zeros_like(v), torch.zeros_like(v), torch.zeros_like(v)
    for t, (g, lr) in enumerate(zip(grads, lrs), start=1):
        if base == "adam":
            m = b1 * m + (1 - b1) * g
            s = b2 * s + (1 - b2) * g * g
            u = (m / (1 - b1**t)) / (torch.sqrt(s / (1 - b2**t)) + eps)
        else:
            buf = mu * buf + (1 - mu) * g
            u = ns5_reference(g + mu * (buf - g))
        new = v.clone()
        for vp, up, newp, radius in zip(pieces(v), pieces(u), pieces(new), radii):
            step = lr * factor * torch.sqrt((vp**2).sum()) * up / torch.sqrt((up**2).sum())
            moved = vp - step
            newp.copy_(radius * moved / torch.sqrt((moved**2).sum()))
        v = new
    return v, radii


@pytest.mark.parametrize("sphere", ["row", "col", "frobenius"])
@pytest.mark.parametrize("base", ["adam", "muon"])
def test_sphere_axis_matches_a_float64_reference(sphere, base):
    shape = (5, 7)
    factor = math.sqrt(max(1.0, 5 / 7)) if base == "muon" else 1.0  # Muon's "original"
    g = torch.Generator().manual_seed(4)
    v0 = torch.randn(shape, generator=g, dtype=torch.float64)
    grads = [torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(20)]
    lrs = [0.04 * (1 - t / 25) for t in range(20)]
    p = nn.Parameter(v0.clone())
    opt = SphereDirection([p], lr=lrs[0], base=base, sphere=sphere,
                          adjust_lr="original" if base == "muon" else "none")
    opt.param_groups[0]["ns_dtype"] = torch.float64
    for grad, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        p.grad = grad.clone()
        opt.step()
        # every vector steps by lr·s, so the whole matrix does too
        assert opt.state[p]["relative_step"].item() == pytest.approx(lr * factor, rel=1e-12)
    want, radii = sphere_reference(v0, grads, lrs, sphere, base, factor)
    torch.testing.assert_close(p.detach(), want, rtol=1e-9, atol=1e-12)
    dim = {"row": 1, "col": 0}.get(sphere)
    norms = p.detach().norm(dim=dim) if dim is not None else p.detach().norm()[None]
    torch.testing.assert_close(norms, torch.tensor(radii, dtype=torch.float64), rtol=1e-12,
                               atol=0)


@pytest.mark.parametrize("sphere", ["row", "col"])
def test_channels_last_conv_kernels_step_like_contiguous_ones(sphere):
    g = torch.Generator().manual_seed(5)
    w0 = torch.randn(4, 3, 2, 2, generator=g, dtype=torch.float64)
    grads = [torch.randn(4, 3, 2, 2, generator=g, dtype=torch.float64) for _ in range(5)]
    params = [nn.Parameter(w0.clone()),
              nn.Parameter(w0.clone().to(memory_format=torch.channels_last))]
    for p in params:
        opt = SphereDirection([p], lr=0.05, base="adam", sphere=sphere)
        for grad in grads:
            p.grad = grad.clone()
            opt.step()
    assert not params[1].is_contiguous()
    torch.testing.assert_close(params[1].detach(), params[0].detach(), rtol=1e-12, atol=1e-14)
    norms = params[0].detach().reshape(4, 12).norm(dim=1 if sphere == "row" else 0)
    want = w0.reshape(4, 12).norm(dim=1 if sphere == "row" else 0)
    torch.testing.assert_close(norms, want, rtol=1e-12, atol=0)


def test_md_sphere_config_reaches_the_optimizer():
    from harness.models import build_model
    from harness.optim import build_optimizer, reparameterize
    from harness.optim.param_groups import classify
    from harness.sweep import RunConfig

    torch.manual_seed(0)
    cfg = RunConfig(model="gpt", depth=1, width=16, dataset="stdlib_bytes", seq_len=8,
                    steps=10, optimizer="muonmd", lr=0.05, gains="none", md_sphere="col")
    model = build_model("gpt", 1, 16, 256, 256)
    tokens = torch.randint(0, 256, (4, 9))
    infos = reparameterize(model, classify(model, tokens[:, :-1]), cfg)
    opt = build_optimizer("muonmd", model, infos, cfg)
    spheres = [g["sphere"] for o in opt.optimizers if isinstance(o, SphereDirection)
               for g in o.param_groups]
    assert spheres == ["col"]
    with pytest.raises(ValueError, match="sphere"):
        SphereDirection([nn.Parameter(torch.ones(2, 2))], lr=0.1, sphere="diagonal")


# ---- Fig. 2: exact numerics, no results ----------------------------------------------------


def test_figure2_closed_forms_hold(tmp_path):
    report = kosson_figure_2.draw(None, "mini", None, tmp_path)
    assert all(v["shown"] for k, v in report["claims"].items() if k != "measured")
    first = report["claims"]["measured"]["first_step_rotation"]
    assert first["0.5"] == pytest.approx(math.atan(0.1 / 0.5), rel=1e-12)
    assert all(p.endswith((".png", ".pdf")) for p in report["files"])


def test_figure2_claims_fail_for_a_step_with_a_radial_part(tmp_path, monkeypatch):
    def radial(w, grad, length):  # the same step plus 1 % of w: not scale-invariant any more
        return -length * grad / np.linalg.norm(grad) + 0.01 * w
    monkeypatch.setattr(kosson_figure_2, "normalized_step", radial)
    claims = kosson_figure_2.draw(None, "mini", None, tmp_path)["claims"]
    assert not claims["plain_rotation_is_atan_eta_over_norm"]["shown"]
    assert not claims["plain_norm_grows_as_sqrt_r2_plus_k_eta2"]["shown"]
    assert not claims["md_rotation_set_by_lr_alone"]["shown"]


# ---- Figs. 4, 5, 9, 10 on synthetic results ------------------------------------------------

BASE = {"name": "ablations", "model": "gpt", "depth": 1, "width": 32,
        "dataset": "stdlib_bytes", "optimizer": "muonmd", "lr": 0.01, "steps": 100,
        "scales": {"smoke": {}}}
LRS = [0.005, 0.01, 0.02, 0.04]
QKV = "blocks.{}.attn.qkv.parametrizations.weight.original"


def schedule_factor(cfg, t):
    if cfg.schedule == "linear":
        return 1 - t / 99
    return 1.0 if cfg.schedule != "wsd" else min(1.0, (99 - t) / (0.2 * 99))


def fake_run(results, run, eval_loss, ratio):
    """Metrics (scheduled lr, final eval) and per-layer norms as the harness writes them;
    `ratio(t, lr)` is the query direction's ‖ΔV‖/‖V‖."""
    folder = run_dir(results, run)
    folder.mkdir(parents=True)
    write_config(run, folder, {})
    steps = list(range(0, 100, 2)) + [99]
    metrics, layers = [], []
    for t in steps:
        lr = run.config.lr * schedule_factor(run.config, t)
        metrics.append({"step": t, "lr": lr, "effective_lr": lr, "weight_decay": 0.0,
                        "loss": 2.0 + eval_loss - 0.01 * t / 99})
        for name in ("embed.weight", QKV.format(0), QKV.format(1)):
            layers.append({"step": t, "layer": name, "kind": "linear", "normalized": True,
                           "weight_norm": 4.0, "grad_norm": 1.0,
                           "update_norm": 4.0 * ratio(t, lr)})
    metrics[-1]["eval_loss"] = eval_loss
    atomic_write_parquet(metrics, METRICS_SCHEMA, folder / "metrics.parquet")
    atomic_write_parquet(layers, LAYERS_SCHEMA, folder / "layers.parquet")
    (folder / DONE).write_text(json.dumps({"steps": 100}))


def sweep_with(write_sweep, tmp_path, grid, loss_of, ratio=lambda t, lr: 1.7 * lr, **extra):
    path = write_sweep({**BASE, **extra, "grid": grid})
    results = tmp_path / "results"
    for run in expand(path, "smoke"):
        fake_run(results, run, loss_of(run.config), ratio)
    return path, results


def parabola(best_lr=0.01):
    return lambda lr: (np.log2(lr / best_lr)) ** 2


@pytest.mark.parametrize("offsets, shown", [
    ({"row": 0.005, "col": 0.01, "frobenius": 0.0}, True),    # spread 0.6 % ≤ 1 %
    ({"row": 0.0, "col": 0.05, "frobenius": 0.01}, False)])   # col 3 % worse
def test_figure4_axis_band(write_sweep, tmp_path, offsets, shown):
    path, results = sweep_with(write_sweep, tmp_path,
                               {"md_sphere": list(offsets), "lr": LRS},
                               lambda cfg: 1.6 + offsets[cfg.md_sphere] + parabola()(cfg.lr),
                               gains="none")
    report = kosson_figure_4.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["axis_barely_matters"]["shown"] is shown
    assert report["claims"]["optima_inside_the_lr_grid"]["shown"]
    assert len(report["files"]) == 2


@pytest.mark.parametrize("unit_offset, shown", [(-0.01, True), (0.01, False)])
def test_figure5_unit_embeddings(write_sweep, tmp_path, unit_offset, shown):
    path, results = sweep_with(
        write_sweep, tmp_path, {"md_embeddings": ["unit", "free"], "lr": LRS},
        lambda cfg: 1.6 + (unit_offset if cfg.md_embeddings == "unit" else 0)
        + parabola()(cfg.lr))
    claims = kosson_figure_5.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["unit_embeddings_not_worse"]["shown"] is shown


@pytest.mark.parametrize("warm_offset, shown", [(0.02, True), (-0.02, False)])
def test_figure10_no_warmup(write_sweep, tmp_path, warm_offset, shown):
    path, results = sweep_with(
        write_sweep, tmp_path, {"warmup_steps": [0, 10], "lr": LRS},
        lambda cfg: 1.6 + (warm_offset if cfg.warmup_steps else 0) + parabola()(cfg.lr))
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["no_warmup_not_worse"]["shown"] is shown


def test_an_optimum_on_the_grid_edge_is_said(write_sweep, tmp_path):
    path, results = sweep_with(
        write_sweep, tmp_path, {"warmup_steps": [0, 10], "lr": LRS},
        lambda cfg: 1.6 + parabola(0.04 if cfg.warmup_steps else 0.01)(cfg.lr))
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["10"]


@pytest.mark.parametrize("ratio, shown", [
    (lambda t, lr: 1.7 * lr * (1 + 0.1 * math.sin(t)), True),   # follows lr within 10 %
    (lambda t, lr: 0.017 + 0.0 * lr, False),                    # ignores the decay
    (lambda t, lr: 1.7 * lr * (1 + 0.4 * (t > 50)), False)])    # a 40 % jump mid-run
def test_figure9_relative_update_tracks_the_schedule(write_sweep, tmp_path, ratio, shown):
    path, results = sweep_with(
        write_sweep, tmp_path, {"schedule": ["wsd", "linear"], "lr": LRS},
        lambda cfg: 1.6 + (0.01 if cfg.schedule == "linear" else 0) + parabola()(cfg.lr),
        ratio=ratio)
    report = kosson_figure_9.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert claims["relative_update_tracks_lr"]["shown"] is shown
    assert claims["measured"]["gap_linear_minus_wsd"] == pytest.approx(0.01)
    assert set(claims) == {"relative_update_tracks_lr", "optima_inside_the_lr_grid",
                           "measured"}
    if shown:
        assert claims["measured"]["tracking"]["wsd"]["c"] == pytest.approx(1.7, rel=0.1)


def test_figure9_names_the_missing_query_layer(write_sweep, tmp_path):
    assert kosson_figure_9.query_layer([QKV.format(1), QKV.format(0), "embed.weight"]) == \
        QKV.format(0)
    with pytest.raises(ValueError, match="attention query"):
        kosson_figure_9.query_layer(["embed.weight"])


# ---- Fig. 17: the rank-4 gain ---------------------------------------------------------------


def test_rank_gain_starts_at_one_and_its_chain_rule_matches_float64():
    import torch.nn.functional as F

    from harness.optim.md import apply_md
    from harness.optim.param_groups import classify

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5, bias=False), nn.ReLU(), nn.Linear(5, 2))
    x = torch.randn(3, 6)
    infos = classify(model, x)
    model = model.double()
    before = model[0].weight.detach().clone()
    infos = apply_md(model, infos, "rank4", "softplus")
    torch.testing.assert_close(model[0].weight, before, rtol=1e-12, atol=1e-12)
    md = model[0].parametrizations.weight
    gains = {i.name.rsplit(".", 1)[1] for i in infos if i.kind == "gain"}
    assert gains == {"rank_a", "rank_b"}
    assert md[0].rank_a.shape == (5, 4) and md[0].rank_b.shape == (6, 4)
    with torch.no_grad():
        md[0].rank_a.uniform_(-1, 1)
    a, b, v = md[0].rank_a, md[0].rank_b, md.original
    xd = x.double()
    w = ((1 + a @ b.T) * v).detach().requires_grad_(True)
    (F.linear(xd, w) ** 2).sum().backward()
    gw = w.grad  # dL/dW, then by hand: dV = Γ ⊙ gW, dA = (gW ⊙ V)·B, dB = (gW ⊙ V)ᵀ·A
    (model[0](xd) ** 2).sum().backward()
    torch.testing.assert_close(md.original.grad, ((1 + a @ b.T) * gw).detach())
    torch.testing.assert_close(a.grad, ((gw * v) @ b).detach())
    torch.testing.assert_close(b.grad, ((gw * v).T @ a).detach())


@pytest.mark.parametrize("order, shown", [
    ({"none": 1.8, "row+col": 1.6, "rank4": 1.65}, True),
    ({"none": 1.8, "row+col": 1.7, "rank4": 1.65}, False),    # rank-4 beats row+col
    ({"none": 1.6, "row+col": 1.5, "rank4": 1.65}, False)])   # rank-4 worse than none
def test_figure17_rank_gain_claim(write_sweep, tmp_path, order, shown):
    path, results = sweep_with(write_sweep, tmp_path, {"gains": list(order), "lr": LRS},
                               lambda cfg: order[cfg.gains] + parabola()(cfg.lr))
    claims = kosson_figure_17.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["rank_gain_between_none_and_row_col"]["shown"] is shown


# ---- diverged runs (NaN eval loss, inf in final_losses) fail claims, never pass them ------

NAN = float("nan")


def test_figure5_and_figure10_fail_when_everything_diverged(write_sweep, tmp_path):
    path, results = sweep_with(write_sweep, tmp_path / "5",
                               {"md_embeddings": ["unit", "free"], "lr": LRS}, lambda cfg: NAN)
    report = kosson_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["unit_embeddings_not_worse"]["shown"]  # inf ≤ inf
    assert report["verdicts"][0].startswith("NOT SHOWN")
    path, results = sweep_with(write_sweep, tmp_path / "10",
                               {"warmup_steps": [0, 10], "lr": LRS}, lambda cfg: NAN)
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["no_warmup_not_worse"]["shown"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]  # no optimum: the first lr


def test_figure17_fails_when_one_side_diverged(write_sweep, tmp_path):
    order = {"none": NAN, "row+col": 1.6, "rank4": 1.65}
    path, results = sweep_with(write_sweep, tmp_path, {"gains": list(order), "lr": LRS},
                               lambda cfg: order[cfg.gains] + parabola()(cfg.lr))
    claims = kosson_figure_17.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["rank_gain_between_none_and_row_col"]["shown"]


def test_figure9_a_nan_update_fails_the_tracking_claim(write_sweep, tmp_path):
    path, results = sweep_with(
        write_sweep, tmp_path, {"schedule": ["wsd", "linear"], "lr": LRS},
        lambda cfg: 1.6 + parabola()(cfg.lr),
        ratio=lambda t, lr: NAN if t == 60 else 1.7 * lr)  # exact tracking, one NaN step
    claims = kosson_figure_9.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["relative_update_tracks_lr"]["shown"]


def test_figure6_and_figure7_fail_when_everything_diverged(write_sweep, tmp_path):
    from analysis.kosson2026 import figure_6 as kosson_figure_6
    from analysis.kosson2026 import figure_7 as kosson_figure_7
    path, results = sweep_with(write_sweep, tmp_path / "7", {"width": [32, 64], "lr": LRS},
                               lambda cfg: NAN)
    claims = kosson_figure_7.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["measured"]["shift"] == 0  # both "optima" at the first lr...
    assert not claims["optimal_lr_transfers_across_width"]["shown"]  # ...which shows nothing
    path, results = sweep_with(write_sweep, tmp_path / "6",
                               {"gains": ["row+col", "none", "row"], "lr": LRS},
                               lambda cfg: NAN)
    claims = kosson_figure_6.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["gains_beat_sphere_only"]["shown"]
    assert not claims["row_col_is_best"]["shown"]


def test_edge_optima_one_rule_for_every_figure():
    import pandas as pd

    from analysis.lr_sweeps import edge_optima
    table = pd.DataFrame({"g": [1, 1, 1, 2, 2, 2], "lr": [0.01, 0.02, 0.04] * 2,
                          "loss": [2.0, 1.0, 2.0, 2.0, 1.5, 1.0]})
    assert edge_optima(table, "g") == ({1: 0.02, 2: 0.04}, ["2"])
    one = pd.DataFrame({"g": [1, 2], "lr": [0.01, 0.01], "loss": [1.0, 2.0]})
    assert edge_optima(one, "g")[1] == ["1", "2"]  # a one-value grid brackets nothing
