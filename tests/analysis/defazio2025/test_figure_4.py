"""Defazio Fig. 4's theory overlay: §4.2's ‖x‖_∞ ≈ √(γ/2λ) under AdamW (infinity_norms)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.defazio2025.figure_4 import infinity_norms

STEPS = np.arange(0, 1000, 10)


def run(lr_of_step, wd_of_step, inf_of_step, legacy=False):
    """One run in memory: two normalized layers whose ‖x‖_∞ follows `inf_of_step` (×0.8, ×1.2)
    and a head (not normalized) far off, which the check must ignore."""
    metrics = pd.DataFrame({"step": STEPS, "lr": lr_of_step(STEPS), "weight_decay":
                            wd_of_step(STEPS)})
    rows = []
    for t in STEPS:
        for layer, factor, normalized in (("a", 0.8, True), ("b", 1.2, True), ("head", 50, False)):
            row = {"step": t, "layer": layer, "normalized": normalized, "weight_norm": 1.0}
            if not legacy:
                row["weight_max_abs"] = factor * inf_of_step(t)
            rows.append(row)
    return {"metrics": metrics, "layers": pd.DataFrame(rows)}


def cosine(t):
    return 1e-3 * 0.5 * (1 + np.cos(np.pi * t / STEPS.max()))


def adamw_like(inf_scale):
    """AdamW: λ fixed, so √(γ_t/2λ) follows the cosine; ‖x‖_∞ = inf_scale × that."""
    return run(cosine, lambda t: np.full(len(np.atleast_1d(t)), 0.1),
               lambda t: inf_scale * np.sqrt(cosine(t) / 0.2))


def adamc_like(inf_scale):
    """AdamC: λ_t = λ·γ_t/γ_max, so √(γ_t/2λ_t) is flat at √(γ_max/2λ)."""
    return run(cosine, lambda t: 0.1 * cosine(t) / 1e-3,
               lambda t: inf_scale * np.sqrt(1e-3 / 0.2) + 0 * t)


@pytest.mark.parametrize("scale_w, scale_c, shown", [
    (1.0, 1.0, (True, True)), (3.0, 1.0, (False, True)), (1.0, 0.3, (True, False))])
def test_infinity_norm_claim(tmp_path, scale_w, scale_c, shown):
    best = {"adamw": [adamw_like(scale_w)], "adamc": [adamc_like(scale_c)]}
    report = infinity_norms(best, "smoke", tmp_path)
    claims, verdicts, files = report["claims"], report["verdicts"], report["files"]
    got = (claims["adamw_inf_norm_near_sqrt_lr_over_2wd"]["shown"],
           claims["adamc_inf_norm_near_sqrt_lr_over_2wd"]["shown"])
    assert got == shown, verdicts
    # layers at 0.8× and 1.2× theory: the median over layers is 1.0× the scale
    assert claims["measured"]["inf_norm_over_theory"]["adamw"] == pytest.approx(scale_w)
    assert claims["measured"]["inf_norm_over_theory"]["adamc"] == pytest.approx(scale_c)
    assert sorted(p.rsplit(".", 1)[1] for p in files) == ["pdf", "png"]


def test_runs_logged_before_the_column_get_no_overlay(tmp_path):
    best = {"adamw": [run(cosine, cosine, cosine, legacy=True)]}
    assert infinity_norms(best, "smoke", tmp_path) is None
