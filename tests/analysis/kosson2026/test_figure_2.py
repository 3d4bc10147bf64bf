"""Kosson Fig. 2: exact numerics, no results: the closed forms hold, and fail for a step
with a radial part."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.kosson2026 import figure_2 as kosson_figure_2


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
