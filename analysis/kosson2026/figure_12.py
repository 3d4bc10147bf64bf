"""Kosson et al. 2026, Figure 12: MuonMD lr sweeps of the matrix lr, the AdamW base lr and the
gains lr around one centre (the gains segment's lr and adam_lr): the matrix lr matters most;
gains lr flat.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis import style
from analysis.kosson2026.figure_18 import gain_extremes
from analysis.load import ResultsError, load_runs
from analysis.lr_sweeps import best_runs, edge_optima, learns_premise, sweep_plot, sweep_table
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 12: “The matrix learning rate is the most important "
         "hyperparameter worth sweeping per method: the loss is broad in the other groups and "
         "essentially flat in the gains LR over more than an order of magnitude.”")

# Fig. 12 "essentially flat in the gains LR over more than an order of magnitude": a contiguous
# gains-lr range around the best, spanning > 10×, with every loss within 1 % of the best.
FLAT_TOLERANCE = 0.01

FLAT_SPAN = 10.0

# Fig. 12 "the matrix LR is the most important [...]: the loss is broad in the other groups":
# the worst relative excess loss within ×4 (two ×2 grid steps) of each group's optimum is
# largest for the matrix lr.
BROAD_WINDOW = 4.0


def penalty(table: pd.DataFrame, window: float = BROAD_WINDOW) -> float:
    """Worst relative excess loss over the grid points within ×window of the optimum."""
    best = table.loc[table["loss"].idxmin()]
    if not np.isfinite(best["loss"]):  # diverged at every lr: no optimum to be broad around
        return math.nan
    near = table[np.abs(np.log(table["lr"] / best["lr"])) <= math.log(window) + 1e-9]
    return float((near["loss"] / best["loss"]).max() - 1.0)


def flat_span(table: pd.DataFrame, tolerance: float = FLAT_TOLERANCE) -> tuple[float, float]:
    """(lowest, highest) lr of the contiguous run around the optimum within `tolerance`."""
    t = table.sort_values("lr").reset_index(drop=True)
    if not np.isfinite(t["loss"].min()):  # diverged at every lr: flat at inf is not flat
        return math.nan, math.nan
    limit = t["loss"].min() * (1.0 + tolerance)
    lo = hi = int(t["loss"].idxmin())
    while lo > 0 and t["loss"][lo - 1] <= limit:
        lo -= 1
    while hi < len(t) - 1 and t["loss"][hi + 1] <= limit:
        hi += 1
    return float(t["lr"][lo]), float(t["lr"][hi])


def gains_cause(members: list[dict], sweep_file, scale: str, results) -> list[str]:
    """A CAUSE line for a gains lr that is not flat: how far the gains moved at each gains lr
    (the middle block's median spread of its final gains, Fig. 18's measure). Where a small
    gains lr leaves them near their start (g = 1), its runs train barely-moved gains."""
    ids = {r["folder"] for r in members}
    with_layers = [r for r in load_runs(sweep_file, scale, results, tables=("layers",))
                   if r["folder"] in ids]
    spread = {}
    for run in with_layers:
        try:
            g = gain_extremes(run)
        except ResultsError:  # runs logged before gain extremes existed: no cause to give
            return []
        spread[run["config"]["gains_lr"]] = float(g[g["step"] == g["step"].max()]["spread"]
                                                  .median())
    listing = ", ".join(f"{lr:g} {v:.2f}×" for lr, v in sorted(spread.items()))
    return [style.cause(f"final gain spread (middle block, median max/min over its matrices) "
                        f"by gains lr: {listing}: in {members[0]['config']['steps']} steps "
                        "a gains lr's budget sets how far the gains move")]


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD lr sweeps of the matrix lr, the AdamW base lr and the gains lr around one
    centre (the gains segment's lr and adam_lr): the matrix lr matters most; gains lr flat."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    gains = [r for r in runs if r["config"]["gains_lr"] is not None]
    if not gains:
        raise ResultsError(f"{sweep_file}: figure 12 needs runs with gains_lr set")
    lr0, adam0 = gains[0]["config"]["lr"], gains[0]["config"]["adam_lr"]
    shared = [r for r in runs if r["config"]["gains_lr"] is None]
    segments = {  # name -> (runs, swept key)
        "matrix lr": ([r for r in shared if r["config"]["adam_lr"] == adam0], "lr"),
        "adam lr": ([r for r in shared if r["config"]["lr"] == lr0], "adam_lr"),
        "gains lr": ([r for r in gains if (r["config"]["lr"], r["config"]["adam_lr"])
                      == (lr0, adam0)], "gains_lr"),
    }
    tables, compared = {}, {}
    for name, (members, key) in segments.items():
        if len({r["config"][key] for r in members}) < 2:
            raise ResultsError(f"{sweep_file}: figure 12 needs ≥ 2 values of {key} around "
                               f"lr {lr0}, adam_lr {adam0}")
        tables[name] = sweep_table(members, lambda c, n=name: n, key)
        compared.update(best_runs(members, tables[name], "g", lambda c, n=name: n, key))
    pen = {name: penalty(t) for name, t in tables.items()}
    lo, hi = flat_span(tables["gains lr"])
    edge = edge_optima(tables["matrix lr"], "g")[1] + edge_optima(tables["adam lr"], "g")[1]
    # max() drops a NaN (a segment that diverged at every lr) unless it comes first: fail.
    shown = {"matrix_lr_matters_most": not np.isnan(list(pen.values())).any()
             and pen["matrix lr"] > max(pen["adam lr"], pen["gains lr"]),
             "flat_in_gains_lr": hi / lo > FLAT_SPAN,
             "optima_inside_the_lr_grid": not edge}
    worst = ", ".join(f"{k} {100 * v:.2f} %" for k, v in pen.items())
    premises, verdicts, learned = learns_premise(compared)
    verdicts += [
        verdict(shown["matrix_lr_matters_most"], f"worst excess loss within ×{BROAD_WINDOW:g} "
                f"of each optimum: {worst} (matrix lr must be largest)"),
        verdict(shown["flat_in_gains_lr"], f"gains lr {lo:g}–{hi:g} ({hi / lo:.0f}×) within "
                f"{100 * FLAT_TOLERANCE:g} % of the best (need > {FLAT_SPAN:g}×)"),
        verdict(shown["optima_inside_the_lr_grid"], "matrix- and adam-lr optima inside their "
                "grids" if not edge else f"optimum on the grid's edge for {edge}: extend it")]
    if not shown["flat_in_gains_lr"]:
        verdicts += gains_cause(segments["gains lr"][0], sweep_file, scale, results)
    fig, axes = style.plt.subplots(1, 3, figsize=(13, 3.8), sharey=True)
    for ax, (name, t) in zip(axes, tables.items()):
        sweep_plot(t, "g", scale, "12", "MuonMD: lr sweeps of the groups held fixed", ax=ax,
                    xlabel=name, label=lambda g: f"lr {lr0:g}, adam_lr {adam0:g} (centre)")
    best = {n: float(t.loc[t["loss"].idxmin(), "lr"]) for n, t in tables.items()}
    measured = {"excess_loss_within_window": pen, "best_lr": best,
                "gains_lr_flat_range": [lo, hi], "at_edge": edge,
                "centre": {"lr": lr0, "adam_lr": adam0}, **learned}
    return style.finish(fig, f"kosson2026-figure-12_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.02, premises=premises)
