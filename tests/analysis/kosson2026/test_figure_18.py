"""Kosson Fig. 18: the gains spread over more than 10× during training (at every logged step of
the second half, not at the last one only), made to pass and to fail on fake runs, and judged
only where the runs learn; runs logged before the gain columns, gains crossing zero or gone
NaN, and rank factors."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest

from analysis.kosson2026 import figure_18 as kosson_figure_18
from analysis.load import ResultsError
from harness.run import _rows_before
from harness.runfolder import LAYERS_SCHEMA, atomic_write_parquet
from harness.sweep import expand, run_dir

from .conftest import LEARNING, STUCK, assert_premise


def softplus_inverse(g):
    return float(np.log(np.expm1(g)))


GAIN = "blocks.1.{}.parametrizations.weight.0.{}"


# The gains widen linearly from 1 to [low, 2] over the first 40 % of the run and hold ("early"),
# or over the whole run ("late": > 10× only from 89 %, so a last-step check would pass it).
RAMPS = {"early": np.minimum(np.linspace(0, 1, 10) / 0.4, 1.0), "late": np.linspace(0, 1, 10)}


@pytest.mark.parametrize("ramp, low, shown", [("early", 0.05, True), ("early", 0.5, False),
                                              ("late", 0.05, False)])
def test_figure18_claim(gpt_sweep, tmp_path, ramp, low, shown):
    def gains_of(cfg):
        to_raw = softplus_inverse if cfg.gain_param == "softplus" else np.log
        steps = [(to_raw(1 + (low - 1) * f), to_raw(1 + f)) for f in RAMPS[ramp]]
        flat = [(to_raw(1.0), to_raw(1.0))] * 10
        out = {GAIN.format(m, "row"): steps for m in ("attn.qkv", "mlp.down")}
        out.update({GAIN.format(m, "col"): flat for m in ("attn.qkv", "mlp.down")})
        out[GAIN.replace("blocks.1", "blocks.0").format("attn.qkv", "row")] = flat
        return out
    path, results = gpt_sweep({"grid": {"gain_param": ["softplus", "exp"]}},
                              gains_of=gains_of)
    claims = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["gains_spread_over_10x"]["shown"] is shown
    measured = claims["measured"]
    spread = measured["final_spread"]
    assert set(spread) == {"softplus", "exp"} and set(spread["exp"]) == {"attn.qkv", "mlp.down"}
    assert spread["exp"]["mlp.down"] == pytest.approx(2 / low)
    f = RAMPS[ramp][5]  # step 50: the first logged step of the second half, the narrowest
    assert measured["min_spread_second_half"]["exp"]["mlp.down"] == \
        pytest.approx((1 + f) / (1 + (low - 1) * f))
    held = {("early", 0.05): 40 / 90, ("early", 0.5): None, ("late", 0.05): 80 / 90}
    assert measured["spread_held_from"]["exp"] == pytest.approx(held[ramp, low])


@pytest.mark.parametrize("start, learns", [(LEARNING, True), (STUCK, False)])
def test_figure18_premise_the_runs_learn(gpt_sweep, tmp_path, start, learns):
    gains = {GAIN.format("attn.qkv", "row"): [(softplus_inverse(0.05),
                                                softplus_inverse(2.0))] * 10}
    path, results = gpt_sweep({"grid": {"gain_param": ["softplus", "exp"]}}, start=start,
                              gains_of=lambda cfg: gains)
    entry = assert_premise(kosson_figure_18, path, results, tmp_path / "r", learns)
    assert entry["claims"]["gains_spread_over_10x"]  # judged either way, shown here


def test_figure18_identity_gains_crossing_zero_are_said_not_counted(gpt_sweep, tmp_path):
    crossing = {GAIN.format("attn.qkv", "row"): [(-0.1, 2.0)] * 10}
    path, results = gpt_sweep({"gain_param": "identity"}, gains_of=lambda cfg: crossing)
    report = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")
    assert report["claims"]["measured"]["crossed_zero"] == ["identity"]
    assert not report["claims"]["gains_spread_over_10x"]["shown"]  # nothing left to show it


def test_figure18_on_runs_logged_before_the_gain_columns(gpt_sweep, tmp_path):
    path, results = gpt_sweep({})
    folder = run_dir(results, expand(path, "smoke")[0])
    old = pq.read_table(folder / "layers.parquet").drop(["value_min", "value_max"])
    pq.write_table(old, folder / "layers.parquet")
    with pytest.raises(ResultsError, match="re-run"):
        kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")
    # Resuming such a run rewrites its rows with the new schema: the new columns are null.
    rows = _rows_before(folder / "layers.parquet", 1000)
    atomic_write_parquet(rows, LAYERS_SCHEMA, folder / "again.parquet")
    assert pq.read_table(folder / "again.parquet").column("value_min").null_count == len(rows)


def test_figure18_gains_gone_nan_fail_and_are_not_said_to_cross_zero(gpt_sweep, tmp_path):
    def gains_of(cfg):
        good = [(softplus_inverse(0.05), softplus_inverse(2.0))] * 10
        bad = good[:9] + [(np.nan, np.nan)]
        gains = bad if cfg.gain_param == "exp" else good
        return {GAIN.format(m, "row"): gains for m in ("attn.qkv", "mlp.down")}
    path, results = gpt_sweep({"grid": {"gain_param": ["softplus", "exp"]}},
                              gains_of=gains_of)
    report = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")
    claims = report["claims"]
    assert not claims["gains_spread_over_10x"]["shown"]  # softplus alone would show it
    assert claims["measured"]["not_finite"] == ["exp"]
    assert claims["measured"]["crossed_zero"] == []
    assert "not finite" in report["verdicts"][1]


def test_figure18_reads_gains_not_the_rank_factors(gpt_sweep, tmp_path):
    """rank_a / rank_b are kind "gain" in layers.parquet (Adam at gains_lr) but not gains."""
    gains = {GAIN.format("attn.qkv", "row"): [(softplus_inverse(0.05),
                                                softplus_inverse(2.0))] * 10,
             GAIN.format("attn.qkv", "rank_a"): [(-3.0, 0.0)] * 10,
             GAIN.format("attn.qkv", "rank_b"): [(-5.0, 5.0)] * 10}
    path, results = gpt_sweep({}, gains_of=lambda cfg: gains)
    claims = kosson_figure_18.draw(path, "smoke", results, tmp_path / "fig")["claims"]
    assert claims["measured"]["final_spread"]["softplus"]["attn.qkv"] == pytest.approx(40.0)
    assert claims["gains_spread_over_10x"]["shown"]
