"""Kosson et al. 2026, Figure 18: Gain dynamics: in the middle block every matrix's gains end
spread over > 10× (runs whose gains cross zero, possible with the identity parameterization, are
said; runs whose gains are not finite fail the claim).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.load import ResultsError, load_runs
from analysis.style import verdict

PAPER = "Kosson et al. 2026"
QUOTE = ("Kosson et al. 2026 (summary), Fig. 18: “Across all three projections, the learned gains "
         "spread over more than an order of magnitude during training.”")

# Fig. 18 "spread over more than an order of magnitude": largest / smallest gain > 10.
SPREAD = 10.0

# harness/optim/md.py's GAIN_PARAMETERIZATIONS in numpy (that module imports torch; analysis
# must not): tests/test_md.py checks the two agree.
GAIN_OF = {"identity": lambda x: x, "exp": np.exp, "softplus": lambda x: np.logaddexp(0.0, x)}

# The gain tensors of an MD matrix. A rank-k gain's factors A, B (rank_a, rank_b) are kind
# "gain" too (Adam at gains_lr) and get value_min/max logged, but are not gains.
GAIN_TENSORS = ("scalar", "row", "col")


def gain_extremes(run: dict) -> pd.DataFrame:
    """Per logged step and matrix of the middle block: smallest and largest gain (raw extremes
    mapped through the run's parameterization), their ratio (NaN once a gain is ≤ 0 or not
    finite) and `finite` (every gain of the matrix finite: False once they diverged)."""
    layers = run["layers"]
    if "value_min" not in layers or layers["value_min"].isna().all():
        raise ResultsError(f"{run['folder']}: no gain extremes in layers.parquet (logged before "
                           "value_min/value_max existed, or no MD gains): re-run it")
    middle = f"blocks.{run['config']['depth'] // 2}."
    name = layers["layer"].astype(str)
    rows = layers[(layers["kind"] == "gain") & name.str.startswith(middle)
                  & name.str.rpartition(".")[2].isin(GAIN_TENSORS)].copy()
    to_gain = GAIN_OF[run["config"]["gain_param"]]
    rows["matrix"] = rows["layer"].astype(str).str.partition(".parametrizations.weight.")[0] \
        .str.removeprefix(middle)
    with np.errstate(over="ignore"):  # exp of a huge raw gain: inf, reported as not finite
        rows["low"], rows["high"] = to_gain(rows["value_min"]), to_gain(rows["value_max"])
    rows["finite"] = np.isfinite(rows["low"]) & np.isfinite(rows["high"])
    out = rows.groupby(["step", "matrix"], as_index=False).agg(
        low=("low", "min"), high=("high", "max"), finite=("finite", "all"))
    # Spread per gain tensor, then the largest over the matrix's tensors (row and column).
    rows["spread"] = np.where(rows["finite"] & (rows["low"] > 0), rows["high"] / rows["low"],
                              np.nan)
    spread = rows.groupby(["step", "matrix"], as_index=False)["spread"].agg(
        lambda s: s.max() if s.notna().all() else np.nan)
    return out.merge(spread, on=["step", "matrix"])


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Gain dynamics: in the middle block every matrix's gains end spread over > 10×
    (runs whose gains cross zero, possible with the identity parameterization, are said;
    runs whose gains are not finite fail the claim)."""
    runs = load_runs(sweep_file, scale, results, tables=("layers",))
    final, crossed, diverged = {}, [], []
    fig, axes = style.plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.8), squeeze=False)
    for ax, run in zip(axes[0], runs):
        param = run["config"]["gain_param"]
        g = gain_extremes(run)
        last = g[g["step"] == g["step"].max()].set_index("matrix")
        if not last["finite"].all():
            diverged.append(param)
        elif last["spread"].isna().any():
            crossed.append(param)
        else:
            final[param] = {m: float(v) for m, v in last["spread"].items()}
        for i, (matrix, t) in enumerate(g.groupby("matrix")):
            ax.plot(t["step"], t["high"], color=f"C{i}", label=matrix)
            ax.plot(t["step"], t["low"], color=f"C{i}", ls="--")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"gain_param {param} (solid max, dashed min)", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("gain, middle block")
    small = {p: [m for m, v in s.items() if v <= SPREAD] for p, s in final.items()}
    shown = {"gains_spread_over_10x": bool(final) and not any(small.values()) and not diverged}
    spreads = "; ".join(f"{p} {min(s.values()):.1f}× ({min(s, key=s.get)})"
                        for p, s in final.items())
    verdicts = [verdict(shown["gains_spread_over_10x"], f"smallest final max/min gain over the "
                        f"middle block's matrices (need > {SPREAD:g}×): "
                        f"{spreads or 'no run with positive gains'}"
                        + (f"; gains not finite (diverged): {diverged}" if diverged else ""))]
    if crossed:
        verdicts.append(f"NOTE       gains crossed zero (no ratio; left out): {crossed}")
    fig.suptitle(style.title(PAPER, "18", scale, "MuonMD: gain dynamics"), fontsize=10)
    measured = {"final_spread": final, "crossed_zero": crossed, "not_finite": diverged}
    return style.finish(fig, f"kosson2026-figure-18_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02)
