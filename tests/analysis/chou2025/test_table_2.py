"""Chou Table 2's claim, "ScionC models perform as well as the Scion counterparts", checked at
every budget: made to pass and to fail on fake runs, and a budget ScionC never ran fails it;
judged only where the models learn (draw_table's premise)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from analysis.chou2025 import table_2 as chou_table_2
from analysis.report import artifact_claims

SWEEP = {"name": "chou2025-table-2", "model": "resnet", "depth": 8, "width": 4,
         "dataset": "synthetic", "optimizer": "scion", "lr": 0.1, "batch_size": 32,
         "scales": {"smoke": {}},
         "zip": {"optimizer": ["scion", "scionc"], "c2": [None, 1.0]},
         "grid": {"epochs": [1, 2], "seed": [0, 1]}}


def accuracy(scionc_shortfall, missing=None, scion=0.80):
    """fake_sweep's `how`: Scion at `scion` top-1, ScionC `scionc_shortfall` (a fraction)
    lower; (epochs, optimizer) `missing` never ran."""
    def how(cfg):
        if (cfg.epochs, cfg.optimizer) == missing:
            return None
        value = scion - (scionc_shortfall if cfg.optimizer == "scionc" else 0.0)
        return {"steps": [0, 1], "metrics": {"eval_accuracy": [None, value + cfg.seed / 1e4]}}
    return how


@pytest.mark.parametrize("shortfall, shown", [(0.005, True), (-0.02, True), (0.02, False)])
def test_scionc_as_accurate_as_scion(fake_sweep, tmp_path, shortfall, shown):
    path, results = fake_sweep(SWEEP, accuracy(shortfall))
    report = chou_table_2.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["scionc_as_accurate_as_scion"]["shown"] is shown
    gaps = report["claims"]["measured"]["scion_minus_scionc_points"]
    assert gaps["2/scionc"] == pytest.approx(100 * shortfall)
    assert report["premises"] == {"models_learn": True}
    assert report["verdicts"][0].startswith("PREMISE MET")
    assert report["verdicts"][1].startswith("SHOWN" if shown else "NOT SHOWN")
    assert "scionc" in report["markdown"]


@pytest.mark.parametrize("scion, status", [(0.80, "shown"), (0.30, "not shown (premise not met)")])
def test_as_well_as_is_judged_only_where_the_models_learn(fake_sweep, tmp_path, scion, status):
    """At 30 % top-1 on 10 classes (bar: 55 %) both are near chance: "as well as" says nothing."""
    path, results = fake_sweep(SWEEP, accuracy(0.005, scion=scion))
    entry = artifact_claims(SimpleNamespace(module=chou_table_2, sweep_file=str(path)), "smoke",
                            str(results), tmp_path / "r")
    assert entry["claims"] == {"scionc_as_accurate_as_scion": True}
    assert entry["status"] == status


def test_a_budget_scionc_did_not_run_fails(fake_sweep, tmp_path):
    path, results = fake_sweep(SWEEP, accuracy(0.0, missing=(2.0, "scionc")))
    report = chou_table_2.draw(path, "smoke", results, tmp_path / "fig")
    assert not report["claims"]["scionc_as_accurate_as_scion"]["shown"]
