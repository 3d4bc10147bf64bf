"""Kosson Fig. 9: the query direction's relative update tracks the lr schedule, made to pass
and to fail on fake runs, and judged only where the runs learn."""

from __future__ import annotations

import math

import pytest

from analysis.kosson2026 import figure_9 as kosson_figure_9

from .conftest import LEARNING, LRS, NAN, QKV, STUCK, assert_premise, parabola


@pytest.mark.parametrize("ratio, shown", [
    (lambda t, lr: 1.7 * lr * (1 + 0.1 * math.sin(t)), True),   # follows lr within 10 %
    (lambda t, lr: 0.017 + 0.0 * lr, False),                    # ignores the decay
    (lambda t, lr: 1.7 * lr * (1 + 0.4 * (t > 50)), False)])    # a 40 % jump mid-run
def test_figure9_relative_update_tracks_the_schedule(ablation_sweep, tmp_path, ratio, shown):
    path, results = ablation_sweep(
        {"schedule": ["wsd", "linear"], "lr": LRS},
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


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure9_premise_the_compared_runs_learn(ablation_sweep, tmp_path, start, learns):
    path, results = ablation_sweep(
        {"schedule": ["wsd", "linear"], "lr": LRS},
        lambda cfg: 1.6 + parabola()(cfg.lr), start=start)
    entry = assert_premise(kosson_figure_9, path, results, tmp_path / "r", learns)
    assert entry["claims"]["relative_update_tracks_lr"]
    assert entry["detail"].splitlines()[1].startswith("measured")  # the WSD − linear gap


def test_figure9_names_the_missing_query_layer():
    assert kosson_figure_9.query_layer([QKV.format(1), QKV.format(0), "embed.weight"]) == \
        QKV.format(0)
    with pytest.raises(ValueError, match="attention query"):
        kosson_figure_9.query_layer(["embed.weight"])


def test_figure9_a_nan_update_fails_the_tracking_claim(ablation_sweep, tmp_path):
    path, results = ablation_sweep(
        {"schedule": ["wsd", "linear"], "lr": LRS},
        lambda cfg: 1.6 + parabola()(cfg.lr),
        ratio=lambda t, lr: NAN if t == 60 else 1.7 * lr)  # exact tracking, one NaN step
    claims = kosson_figure_9.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert not claims["relative_update_tracks_lr"]["shown"]
