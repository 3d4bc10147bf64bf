"""Chou Fig. 1 is an equivalence: Renormalized AdamW and AdamW give negligibly different
accuracy, ‖w‖ and ‖g‖, with AdamW's ‖w‖ suppressed at the end of the cosine decay. Each claim
made to pass and to fail on fake runs, and the premise (the model learns early) checked."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from analysis.chou2025 import figure_1 as chou_figure_1
from analysis.report import artifact_claims

SWEEP = {"name": "chou2025-figure-1", "model": "vit", "depth": 1, "width": 8,
         "dataset": "synthetic", "lr": 0.003, "weight_decay": 6.0, "momentum": 0.9,
         "schedule": "cosine", "steps": 100, "scales": {"smoke": {}},
         "grid": {"optimizer": ["adamw", "renormalized_adamw"]}}


def curves(weight_gap=0.0, accuracy_gap=0.0, fall=0.2, loss_at_20=1.0):
    """Both runs' ‖w‖ falls by `fall` over the second half; the Renormalized one's ‖w‖ is
    (1 + weight_gap)× AdamW's and its final accuracy accuracy_gap lower."""
    def how(cfg):
        renorm = cfg.optimizer == "renormalized_adamw"
        scale = 1 + weight_gap if renorm else 1.0
        def weight(t):
            return scale * (1.0 if t < 50 else 1.0 - fall * (t - 50) / 48)
        return {"metrics": {"loss": lambda t: 2.3 if t < 10 else loss_at_20,
                            "eval_accuracy": lambda t: (0.9 - accuracy_gap * renorm)
                            if t == 98 else None},
                "layers": {"blocks.0.attn.qkv.weight": {"weight_norm": weight,
                                                        "grad_norm": 1.0}}}
    return how


@pytest.mark.parametrize("change, claim", [
    ({}, None),
    ({"weight_gap": 0.4}, "weight_norm_negligible_difference"),
    ({"accuracy_gap": 0.2}, "accuracy_negligible_difference"),
    ({"fall": 0.0}, "adamw_weight_norm_suppressed_at_end"),
])
def test_figure1_is_an_equivalence(fake_sweep, tmp_path, change, claim):
    path, results = fake_sweep(SWEEP, curves(**change))
    report = chou_figure_1.draw(path, "smoke", results, tmp_path / "fig")
    shown = {k: v["shown"] for k, v in report["claims"].items() if k != "measured"}
    assert {k for k, v in shown.items() if not v} == ({claim} if claim else set())
    assert report["premises"] == {"learns_early": True}
    assert "negligible differences" in chou_figure_1.QUOTE


def test_a_model_that_does_not_learn_is_not_judged(fake_sweep, tmp_path):
    path, results = fake_sweep(SWEEP, curves(loss_at_20=2.2))
    report = chou_figure_1.draw(path, "smoke", results, tmp_path / "fig")
    assert report["verdicts"][0].startswith("PREMISE NOT MET")
    artifact = SimpleNamespace(module=chou_figure_1, sweep_file=str(path))
    entry = artifact_claims(artifact, "smoke", str(results), tmp_path / "r")
    assert entry["status"] == "not shown (premise not met)"
    assert entry["quote"] == chou_figure_1.QUOTE
