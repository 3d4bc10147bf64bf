"""Defazio Fig. 4's §4.2 check: AdamW balances the layers' ‖x‖_∞ (infinity_norms); their size
against √(γ/2λ) is measured for AdamW and AdamC, not judged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.defazio2025.figure_4 import infinity_norms

STEPS = np.arange(0, 1000, 10)


def run(lr_of_step, wd_of_step, inf_of_step, legacy=False, low=0.8, high=1.2):
    """One run in memory: two normalized layers whose ‖x‖_∞ follows `inf_of_step` (×low,
    ×high) and a head (not normalized) far off, which the check must ignore."""
    metrics = pd.DataFrame({"step": STEPS, "lr": lr_of_step(STEPS), "weight_decay":
                            wd_of_step(STEPS)})
    rows = []
    for t in STEPS:
        for layer, factor, normalized in (("a", low, True), ("b", high, True),
                                          ("head", 50, False)):
            row = {"step": t, "layer": layer, "normalized": normalized, "weight_norm": 1.0}
            if not legacy:
                row["weight_max_abs"] = factor * inf_of_step(t)
            rows.append(row)
    return {"metrics": metrics, "layers": pd.DataFrame(rows)}


def cosine(t):
    return 1e-3 * 0.5 * (1 + np.cos(np.pi * t / STEPS.max()))


def adamw_like(inf_scale, spread=1.5):
    """AdamW: λ fixed, so √(γ_t/2λ) follows the cosine; ‖x‖_∞ = inf_scale × that, the two
    layers `spread` apart (around that scale)."""
    return run(cosine, lambda t: np.full(len(np.atleast_1d(t)), 0.1),
               lambda t: inf_scale * np.sqrt(cosine(t) / 0.2), low=1 / np.sqrt(spread),
               high=np.sqrt(spread))


def adamc_like(inf_scale):
    """AdamC: λ_t = λ·γ_t/γ_max, so √(γ_t/2λ_t) is flat at √(γ_max/2λ)."""
    return run(cosine, lambda t: 0.1 * cosine(t) / 1e-3,
               lambda t: inf_scale * np.sqrt(1e-3 / 0.2) + 0 * t)


@pytest.mark.parametrize("scale_w, spread, shown", [(1.0, 1.5, True), (3.0, 1.5, True),
                                                   (1.0, 6.0, False)])
def test_infinity_norm_balance_claim(tmp_path, scale_w, spread, shown):
    best = {"adamw": [adamw_like(scale_w, spread)], "adamc": [adamc_like(0.3)]}
    report = infinity_norms(best, "smoke", tmp_path)
    claims, verdicts, files = report["claims"], report["verdicts"], report["files"]
    assert set(claims) == {"adamw_balances_layer_inf_norms", "measured"}  # size: measured only
    assert claims["adamw_balances_layer_inf_norms"]["shown"] is shown, verdicts
    # layers at scale/√spread and scale·√spread: the median of two is their mean
    middle = scale_w * (spread**-0.5 + spread**0.5) / 2
    assert claims["measured"]["inf_norm_over_theory"]["adamw"] == pytest.approx(middle)
    assert claims["measured"]["inf_norm_over_theory"]["adamc"] == pytest.approx(0.3)
    assert claims["measured"]["inf_norm_spread"]["adamw"] == pytest.approx(spread)
    assert sorted(p.rsplit(".", 1)[1] for p in files) == ["pdf", "png"]


def test_runs_logged_before_the_column_get_no_overlay(tmp_path):
    best = {"adamw": [run(cosine, cosine, cosine, legacy=True)]}
    assert infinity_norms(best, "smoke", tmp_path) is None


@pytest.mark.parametrize("met", [True, False])
def test_draw_passes_the_premise_on_to_the_report(monkeypatch, tmp_path, met):
    """The report says "premise not met" from draw()'s `premises`: merging §4.2's check into
    Fig. 4's report must keep them (they were dropped once, so a failed premise read "—")."""
    from analysis.defazio2025 import figure_4

    baseline = {"claims": {"c": {"shown": True}, "measured": {}}, "verdicts": ["PREMISE"],
                "files": ["a.png"], "premises": {"learns_early": met}}
    monkeypatch.setattr(figure_4, "load_runs", lambda *a, **k: [])
    monkeypatch.setattr(figure_4, "corrected_vs_baseline", lambda *a, **k: baseline)
    monkeypatch.setattr(figure_4, "best_per_optimizer", lambda runs: {})
    monkeypatch.setattr(figure_4, "infinity_norms", lambda *a: {
        "claims": {"b": {"shown": True}, "measured": {}}, "verdicts": [], "files": []})
    assert figure_4.draw("s.yaml", "smoke", tmp_path, tmp_path)["premises"] == {
        "learns_early": met}
