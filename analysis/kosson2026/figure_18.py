"""Kosson et al. 2026, Figure 18: Gain dynamics: in the middle block every matrix's gains stay
spread over > 10× through the second half of training (runs whose gains cross zero, possible
with the identity parameterization, are said; runs whose gains are not finite fail the claim).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import style
from analysis.load import ResultsError, load_runs
from analysis.lr_sweeps import learns_premise
from analysis.style import verdict

PAPER = "Kosson et al. 2026"
QUOTE = ("Kosson et al. 2026 (summary), Fig. 18: “Across all three projections, the learned gains "
         "spread over more than an order of magnitude during training.”")

# Fig. 18 "spread over more than an order of magnitude": largest / smallest gain > 10.
SPREAD = 10.0

# Fig. 18 "... during training": a property of the training, not of its last step alone. The
# gains start at g = 1 (spread 1×), so the words cannot cover the start: the spread must
# exceed SPREAD at every logged step from SPREAD_FROM of the run on, the second half, when it
# has had half the run to develop. Fixed before the runs.
SPREAD_FROM = 0.5

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


def held_from(g: pd.DataFrame) -> float | None:
    """The fraction of the run from which every matrix's spread stays > SPREAD to the end
    (None if it is not > SPREAD at the end): when the spread the caption names developed."""
    above = (g["spread"] > SPREAD).groupby(g["step"]).all()  # NaN (crossed zero): not above
    if not above.iloc[-1]:
        return None
    below = above.index[~above]
    return float(above.index[above.index > below.max()].min() if len(below) else
                 above.index.min()) / float(above.index.max())


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """Gain dynamics: in the middle block every matrix's gains stay spread over > 10× at
    every logged step of the second half (runs whose gains cross zero, possible with the
    identity parameterization, are said; runs whose gains are not finite fail the claim)."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics", "layers"))
    lowest, final, since, crossed, diverged = {}, {}, {}, [], []
    fig, axes = style.plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.8), squeeze=False)
    for ax, run in zip(axes[0], runs):
        param = run["config"]["gain_param"]
        g = gain_extremes(run)
        late = g[g["step"] >= SPREAD_FROM * g["step"].max()]
        since[param] = held_from(g)
        if not late["finite"].all():
            diverged.append(param)
        elif late["spread"].isna().any():
            crossed.append(param)
        else:
            lowest[param] = {m: float(v) for m, v in late.groupby("matrix")["spread"].min().items()}
            last = late[late["step"] == late["step"].max()].set_index("matrix")["spread"]
            final[param] = {m: float(v) for m, v in last.items()}
        for i, (matrix, t) in enumerate(g.groupby("matrix")):
            ax.plot(t["step"], t["high"], color=f"C{i}", label=matrix)
            ax.plot(t["step"], t["low"], color=f"C{i}", ls="--")
        ax.axvline(SPREAD_FROM * g["step"].max(), color="grey", lw=0.6, ls=":")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"gain_param {param} (solid max, dashed min)", fontsize=9)
        ax.legend(fontsize=7)
    axes[0][0].set_ylabel("gain, middle block (dotted: judged from here)")
    small = {p: [m for m, v in s.items() if v <= SPREAD] for p, s in lowest.items()}
    shown = {"gains_spread_over_10x": bool(lowest) and not any(small.values()) and not diverged}
    spreads = "; ".join(f"{p} {min(s.values()):.1f}× ({min(s, key=s.get)})"
                        for p, s in lowest.items())
    developed = ", ".join(f"{p} {'never' if f is None else f'{f:.0%}'}" for p, f in since.items())
    grouped: dict[str, list[dict]] = {}
    for run in runs:
        grouped.setdefault(str(run["config"]["gain_param"]), []).append(run)
    premises, verdicts, learned = learns_premise(grouped)
    verdicts.append(verdict(shown["gains_spread_over_10x"], f"smallest max/min gain over the "
                            f"middle block's matrices and the logged steps from "
                            f"{SPREAD_FROM:.0%} of the run (need > {SPREAD:g}×): "
                            f"{spreads or 'no run with positive gains'}; > {SPREAD:g}× to the "
                            f"end from: {developed}"
                            + (f"; gains not finite (diverged): {diverged}" if diverged else "")))
    if crossed:
        verdicts.append(f"NOTE       gains crossed zero (no ratio; left out): {crossed}")
    fig.suptitle(style.title(PAPER, "18", scale, "MuonMD: gain dynamics"), fontsize=10)
    measured = {"min_spread_second_half": lowest, "final_spread": final,
                "spread_held_from": since, "crossed_zero": crossed, "not_finite": diverged,
                **learned}
    return style.finish(fig, f"kosson2026-figure-18_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
