"""Chou Fig. 4: Scion vs ScionC on the L2 norms, and, where the runs log Table 1's norms, ScionC's
steadier Spectral norms (geometric mean) and a Sign norm stable in both; each claim made to pass
and to fail on fake runs, and runs without the norms judged as before."""

from __future__ import annotations

import pytest

from analysis.chou2025 import figure_4 as chou_figure_4

from .conftest import check, falls, flat, rises
from .test_figure_12 import with_table1

ZIPPED = {"optimizer": ["scion", "scionc"], "c2": [None, 1.0]}
L2_CLAIMS = {"baseline_weight_norm_falls", "corrected_keeps_weight_norm",
             "corrected_tames_grad_norm", "corrected_loss_not_worse"}


def l2(cfg):
    """Scion's ‖w‖ falls 40 % and its ‖g‖ doubles over the second half; ScionC's 5 %, 10 %:
    every L2 claim shown; the model learns early."""
    scion = cfg.optimizer == "scion"
    return {"hidden": falls(0.4 if scion else 0.05), "output": flat(3.0),
            "grad": rises(1.0 if scion else 0.1, 50), "loss": lambda t: 2.3 if t < 5 else 1.0}


def table1(spectral_fall, sign):
    """with_table1's norms: Spectral falls `spectral_fall[optimizer]` over the second half on
    both hidden tensors, the head's Sign norm `sign[optimizer]`, Bias 1.0 on the gain."""
    def norms(cfg, layer):
        if layer.startswith("blocks."):
            return {"spectral_norm": falls(spectral_fall[cfg["optimizer"]])}
        if layer == "head.weight":
            return {"sign_norm": sign[cfg["optimizer"]]}
        return {"bias_norm": 1.0}
    return norms


@pytest.mark.parametrize("spectral_fall, sign, shown", [
    ({"scion": 0.4, "scionc": 0.05}, {"scion": flat(3.0), "scionc": flat(3.0)},
     {"corrected_keeps_spectral_norm": True, "sign_norm_stable_in_both": True}),
    # "more stable" both ways: ScionC's Spectral norms rising 40 % are not steadier
    ({"scion": 0.4, "scionc": -0.4}, {"scion": flat(3.0), "scionc": flat(3.0)},
     {"corrected_keeps_spectral_norm": False, "sign_norm_stable_in_both": True}),
    # Scion's Sign norm falling 10 % over the second half is not stable in both
    ({"scion": 0.4, "scionc": 0.05}, {"scion": falls(0.1), "scionc": flat()},
     {"corrected_keeps_spectral_norm": True, "sign_norm_stable_in_both": False}),
])
def test_figure4_judges_table1_norms_where_logged(norm_runs, tmp_path, spectral_fall, sign,
                                                  shown):
    path, results = norm_runs(ZIPPED, l2)
    with_table1(results, table1(spectral_fall, sign))
    report = chou_figure_4.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    if all(shown.values()):
        check(report, True, tmp_path, "4")  # one verdict line per claim, after the premise
    assert {k: claims[k]["shown"] for k in shown} == shown
    assert all(claims[k]["shown"] for k in L2_CLAIMS)  # the L2 claims as without the norms
    measured = claims["measured"]
    assert measured["spectral_change_second_half"]["scion"] == pytest.approx(-0.39, abs=0.02)
    assert abs(measured["sign_change_second_half"]["scionc"]) < 1e-9
    assert "Spectral norm (geometric mean)" in report["verdicts"][-2]
    assert "Sign norm" in report["verdicts"][-1]


@pytest.mark.parametrize("logged", ["absent", "null", "one side"])
def test_figure4_without_table1_norms_judges_as_before(norm_runs, tmp_path, logged):
    """Runs made before 2026-12-01 (no columns), null columns, or only ScionC's runs logging
    them: the L2 claims alone, as before (the norms given would fail both new claims)."""
    path, results = norm_runs(ZIPPED, l2)
    failing = table1({"scion": 0.4, "scionc": -0.4}, {"scion": falls(0.5), "scionc": flat()})
    if logged != "absent":
        with_table1(results, lambda cfg, layer: {} if logged == "null" or cfg[
            "optimizer"] == "scion" else failing(cfg, layer))
    report = chou_figure_4.draw(path, "smoke", results, tmp_path / "fig")
    measured = check(report, True, tmp_path, "4")
    assert set(report["claims"]) - {"measured"} == L2_CLAIMS
    assert not {"spectral_change_second_half", "sign_change_second_half"} & set(measured)
    assert "before 2026-12-01" in chou_figure_4.NOT_REPRODUCED
