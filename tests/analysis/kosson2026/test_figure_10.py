"""Kosson Fig. 10: no warmup improves the loss (a tie does not), from the start and when
re-warming a finished run (init_from), and the re-warming runs' gradient norm stays within 2×
their parents'; made to pass and to fail on fake runs and judged only where the runs (and the
parents) learn; an optimum on the grid's edge is said; diverged runs fail Figs. 5 and 10's
claims (and their premise)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from analysis.kosson2026 import figure_5 as kosson_figure_5
from analysis.kosson2026 import figure_10 as kosson_figure_10
from analysis.lr_sweeps import PREMISE
from analysis.report import artifact_claims

from .conftest import LEARNING, LRS, NAN, STUCK, parabola

# Left: warmup 0 / 10 over LRS; centre/right: each lr's no-warmup run re-warmed with warmup
# 0 and 10 (init_from: the parent is the no-warmup run of that lr).
REWARM = {"warmup_steps": [0, 10, 0, 10],
          "init_from": [None, None, {"warmup_steps": 0}, {"warmup_steps": 0}]}


def _sweep(ablation_sweep, warm_offset=0.02, rewarm_offset=0.02, spike=1.0,
           loss=None, grid_extra=None, **extra):
    """Left final losses 1.6 + parabola / 4 (+ warm_offset with warmup); re-warmed runs 0.1 lower
    (+ rewarm_offset with warmup); a no-warmup re-warm's ‖g‖ is `spike`× for its first steps."""
    def loss_of(cfg):
        offset = rewarm_offset if cfg.init_from else warm_offset
        return 1.6 - 0.1 * bool(cfg.init_from) + (offset if cfg.warmup_steps else 0) + \
            parabola()(cfg.lr) / 4  # ≤ 2.6 over LRS: every parent learns

    def grad_norm(cfg):
        if cfg.init_from and not cfg.warmup_steps:
            return lambda t: spike if t < 10 else 1.0
        return 1.0
    return ablation_sweep({"lr": LRS, **(grid_extra or {})}, loss or loss_of,
                          grad_norm=grad_norm, zip=REWARM, **extra)


@pytest.mark.parametrize("warm_offset, shown", [(0.02, True), (-0.02, False), (0.0, False)])
def test_figure10_no_warmup(ablation_sweep, tmp_path, warm_offset, shown):
    path, results = _sweep(ablation_sweep, warm_offset=warm_offset)
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["no_warmup_improves"]["shown"] is shown
    assert claims["rewarm_without_warmup_improves"]["shown"]  # the centre panel's own runs


@pytest.mark.parametrize("rewarm_offset, shown", [(0.02, True), (-0.02, False), (0.0, False)])
def test_figure10_rewarming_without_warmup(ablation_sweep, tmp_path, rewarm_offset, shown):
    path, results = _sweep(ablation_sweep, rewarm_offset=rewarm_offset)
    report = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["rewarm_without_warmup_improves"]["shown"] is shown
    assert report["claims"]["no_warmup_improves"]["shown"]  # the left panel's own runs
    # the runs at the no-warmup optimum, lr 0.01: 1.6 − 0.1
    assert report["claims"]["measured"]["rewarm_final_loss"] == pytest.approx(
        {"no_warmup": 1.5, "warmup": 1.5 + rewarm_offset})
    assert any(line.startswith("CAUSE") for line in report["verdicts"]) is not shown
    assert not any("per parent" in v for v in report["verdicts"])  # one seed: unpaired


@pytest.mark.parametrize("gaps, shown", [((0.02, 0.03, 0.025), True),  # seeds ±0.3 apart
                                         ((0.02, -0.01, 0.03), False),  # mean within its std
                                         ((-0.02, -0.03, -0.025), False)])
def test_figure10_rewarming_judged_per_parent(ablation_sweep, tmp_path, gaps, shown):
    """Children of one parent share its seed: the claim is the per-parent gap, so a seed
    spread far above the gap does not hide a consistent one, and an inconsistent one fails."""
    def loss_of(cfg):
        base = 1.6 + 0.3 * cfg.seed + parabola()(cfg.lr) / 4 - 0.1 * bool(cfg.init_from)
        return base + (gaps[cfg.seed] if cfg.init_from and cfg.warmup_steps else 0)
    path, results = _sweep(ablation_sweep, loss=loss_of, grid_extra={"seed": [0, 1, 2]})
    report = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["rewarm_without_warmup_improves"]["shown"] is shown
    judged = [v for v in report["verdicts"] if "per parent (3 seeds)" in v]
    beside = report["verdicts"][report["verdicts"].index(judged[0]) + 1]
    assert len(judged) == 1 and beside.startswith("measured")
    assert "unpaired: gap" in beside and "paired)" not in beside  # the seed means' gap


@pytest.mark.parametrize("spike, stable", [(1.0, True), (1.9, True), (2.5, False)])
def test_figure10_rewarming_grad_norm_stable(ablation_sweep, tmp_path, spike, stable):
    path, results = _sweep(ablation_sweep, spike=spike)
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["rewarm_grad_norm_stable"]["shown"] is stable
    assert claims["measured"]["rewarm_grad_ratio"]["no warmup"] == pytest.approx([spike])
    assert claims["measured"]["rewarm_grad_ratio"]["warmup"] == pytest.approx([1.0])


def test_figure10_needs_its_rewarming_runs(ablation_sweep, tmp_path):
    path, results = ablation_sweep({"warmup_steps": [0, 10], "lr": LRS},
                                   lambda cfg: 1.6 + parabola()(cfg.lr))
    with pytest.raises(ValueError, match="re-warming runs"):
        kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure10_premise_the_compared_runs_learn(ablation_sweep, tmp_path, start, learns):
    path, results = _sweep(ablation_sweep, start=start)
    entry = artifact_claims(SimpleNamespace(module=kosson_figure_10, sweep_file=str(path)),
                            "smoke", str(results), tmp_path / "r")
    assert entry["premises"] == {PREMISE: learns, "parents_learn": learns}
    assert entry["status"] == ("shown" if learns else "not shown (premise not met)")
    premise_lines = [line for line in entry["detail"].splitlines() if "PREMISE" in line]
    assert len(premise_lines) == 2 and all(("NOT MET" not in line) is learns
                                           for line in premise_lines)
    ratios = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")[
        "claims"]["measured"]["eval_loss_end_over_start"]
    assert ratios == pytest.approx({"0": 1.6 / start, "10": 1.62 / start})


def test_an_optimum_on_the_grid_edge_is_said(ablation_sweep, tmp_path):
    path, results = _sweep(ablation_sweep, loss=lambda cfg: 1.6 + parabola(
        0.04 if cfg.warmup_steps and not cfg.init_from else 0.01)(cfg.lr))
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]
    assert claims["measured"]["at_edge"] == ["10"]


def test_figure5_and_figure10_fail_when_everything_diverged(ablation_sweep, tmp_path):
    path, results = ablation_sweep(
        {"md_embeddings": ["unit", "free"], "lr": LRS},
        lambda cfg: NAN, folder=tmp_path / "5")
    report = kosson_figure_5.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["unit_embeddings_better"]["shown"]  # inf < inf
    assert report["verdicts"][0].startswith("PREMISE NOT MET")  # inf: nothing learned
    assert report["verdicts"][1].startswith("NOT SHOWN")
    path, results = _sweep(ablation_sweep, loss=lambda cfg: NAN, folder=tmp_path / "10")
    claims = kosson_figure_10.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["no_warmup_improves"]["shown"]
    assert not claims["rewarm_without_warmup_improves"]["shown"]
    assert not claims["optima_inside_the_lr_grid"]["shown"]  # no optimum: the first lr
