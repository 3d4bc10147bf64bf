"""Kosson et al. 2026, Figure 7: MuonMD matrix-lr sweeps across widths: the optimum should not
move.
"""

from __future__ import annotations

from analysis import style
from analysis.load import load_runs
from analysis.lr_sweeps import (
    MAX_OPTIMUM_SHIFT,
    best_runs,
    edge_optima,
    final_losses,
    learns_premise,
    optima_finite,
    optimum_shift,
    sweep_plot,
)
from analysis.style import verdict

QUOTE = ("Kosson et al. 2026 (summary), Fig. 7: “With Magnitude–Direction Decoupling the optimal "
         "matrix learning rate stays essentially fixed as the model grows, so it can be tuned "
         "once on a small model and reused. … In each panel the optimal matrix LR stays roughly "
         "fixed across model sizes.”")
# Said in the report beside the verdicts:
NOT_REPRODUCED = ("the depth panels (widths only here); the summary's model "
                  "sizes are not matched")


def draw(sweep_file, scale: str, results, out_dir) -> dict:
    """MuonMD matrix-lr sweeps across widths: the optimum should not move."""
    runs = load_runs(sweep_file, scale, results, tables=("metrics",))
    table = final_losses(runs, "width")
    _, shift = optimum_shift(table, "width")
    best, at_edge = edge_optima(table, "width")
    # An optimum on the grid's edge only bounds the shift: the claim needs them inside. A
    # width that diverged at every lr has no optimum: the transfer claim fails.
    shown = {"optimal_lr_transfers_across_width":
             optima_finite(table, "width") and shift <= MAX_OPTIMUM_SHIFT,
             "optima_inside_the_lr_grid": not at_edge}
    premises, verdicts, learned = learns_premise(best_runs(runs, table, "width"))
    verdicts += [verdict(shown["optimal_lr_transfers_across_width"],
                         f"best lr per width {best}: moves {shift} grid step(s) "
                         f"(≤ {MAX_OPTIMUM_SHIFT}; every width finite)"),
                 verdict(shown["optima_inside_the_lr_grid"],
                         "every optimum inside the lr grid" if not at_edge else
                         f"optimum on the grid's edge for width {at_edge}: extend the grid")]
    fig = sweep_plot(table, "width", scale, "7", "MuonMD: lr transfer across width")
    measured = {"best_lr": {str(k): v for k, v in best.items()}, "shift": shift,
                "at_edge": at_edge, **learned}
    return style.finish(fig, f"kosson2026-figure-7_{scale}", verdicts, shown, measured, out_dir,
                        text_y=-0.04, premises=premises)
